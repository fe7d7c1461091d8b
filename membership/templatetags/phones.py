"""Phone numbers as people read them: ``139 3713 6233`` (national, grouped) for a number of the
tenant's region, international otherwise; masked ``139 **** 6233`` where others may look at the
screen (the counter's search results and duplicate warnings)."""

import phonenumbers
from django import template

from core import tenancy

register = template.Library()


def _parsed(value):
    """The stored E.164 text (a ``PhoneNumber`` is one too) parsed, or None."""
    try:
        return phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        return None


def _formatted(value) -> tuple[str, int]:
    """The text, and how many of its leading digits are the country code (0 when national)."""
    number = _parsed(value)
    if number is None:
        return str(value), 0
    tenant = tenancy.current_tenant_or_none()
    region = tenant.phone_region if tenant else None
    if region and phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), 0
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return text, len(str(number.country_code))


def format_phone(value) -> str:
    return _formatted(value)[0] if value else ""


def mask_phone(value) -> str:
    """All but the first three and the last four digits of the number hidden, keeping the
    grouping (the country code stays)."""
    if not value:
        return ""
    text, country_digits = _formatted(value)
    digits = [i for i, c in enumerate(text) if c.isdigit()][country_digits:]
    if len(digits) <= 7:
        return text
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


register.filter("phone", format_phone)
register.filter("masked_phone", mask_phone)
