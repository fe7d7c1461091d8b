"""Validation of identity documents."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import IdType
from .pii import normalise_id_number

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def resident_id_birth_date(number: str) -> datetime.date | None:
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_resident_id(value: str, *, today: datetime.date | None = None) -> str:
    """A mainland resident ID (GB 11643-1999): 17 digits, a check character, a real birth date.
    Returns the normalised number."""
    number = normalise_id_number(value)
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits and a digit or X."),
            code="id_format",
        )
    birth = resident_id_birth_date(number)
    today = today or datetime.date.today()
    if birth is None or birth.year < 1900 or birth > today:
        raise ValidationError(
            _("The birth date in this ID number (%(digits)s) is not a valid date."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        )
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("This ID number's check digit is wrong; please check the number."),
            code="id_checksum",
        )
    return number


def validate_id_number(id_type: str, value: str) -> str:

    number = normalise_id_number(value)
    if id_type == IdType.RESIDENT:
        return validate_resident_id(number)
    if id_type == IdType.PASSPORT:
        if not (5 <= len(number) <= 20) or not number.isalnum():
            raise ValidationError(
                _("A passport number has 5 to 20 letters and digits."), code="passport_format"
            )
        return number
    if not (2 <= len(number) <= 40):
        raise ValidationError(_("An ID number has 2 to 40 characters."), code="id_length")
    return number


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]
