from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency_code=None):
    """``{{ purchase.amount_paid|money }}`` → ``¥1,234.50`` (``core.money.format_money``)."""
    return format_money(amount, currency_code)
