from django import template

register = template.Library()


@register.filter
def num(value):
    """1240 → 1,240 (points and yuan, the same in both languages)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value


@register.filter
def signed(value):
    """+120 / \u221280, with a real minus sign (U+2212)."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return value
    return f"+{value:,}" if value > 0 else f"\u2212{-value:,}" if value < 0 else "0"
