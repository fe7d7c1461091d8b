from django import template

from core.actors import display_name

register = template.Library()


@register.simple_tag(takes_context=True)
def actor_name(context, label: str) -> str:
    """``{% actor_name change.actor %}``: the readable name of a stored actor label, resolved now
    (``core.actors.display_name``), once per label per page."""
    names = context.render_context.setdefault("actor_names", {})
    if label not in names:
        names[label] = display_name(label)
    return names[label]
