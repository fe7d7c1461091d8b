"""Bounds of dates and times that people type or clients send, shared by forms and the API."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = datetime.date(1900, 1, 1)  # birthdays, anniversaries
EARLIEST_RECORD = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # purchases, visits
FUTURE_SLACK = datetime.timedelta(days=1)  # a till whose clock runs ahead


def validate_past_date(value: datetime.date) -> None:
    """A date that has happened: not after today, not before 1900."""
    if value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")
    if value < EARLIEST_DATE:
        raise ValidationError(_("This date is before 1900."), code="too_early")


def validate_recorded_time(value: datetime.datetime) -> None:
    """When something happened at the counter: not more than a day ahead (clocks differ), not
    before 2000."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_SLACK:
        raise ValidationError(_("This time is in the future."), code="future")
    if value < EARLIEST_RECORD:
        raise ValidationError(_("This time is before 2000."), code="too_early")
