import datetime

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from ..reports import BOOL, DATE, INT, MONEY, NUMBER, SHARE

register = template.Library()


@register.filter
def cell(value, kind):
    """A report value as the page shows it (the exports keep the raw, typed value)."""
    if value is None:
        return "—"
    if kind == BOOL:
        return _("Yes") if value else _("No")
    if kind == SHARE:
        return f"{number_format(value * 100, 1)}%"
    if kind == MONEY:
        return number_format(value, 2, force_grouping=True)
    if kind == NUMBER:
        return number_format(value, 2)
    if kind == INT:
        return number_format(value, 0, force_grouping=True)
    if kind == DATE and isinstance(value, datetime.date):
        return date_format(value, "Y-m-d")
    return value
