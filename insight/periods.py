"""The period a report covers: a day, week, month, quarter or year around a date, or a custom
range; and the buckets of its trend (days, weeks or months, by the period's length).

Dates are the tenant's local dates (the mount activates the tenant's time zone), so "March"
means March where the business is.
"""

import datetime
from dataclasses import dataclass

from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import add_months

KINDS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom range"),
}
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
LONGEST_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> str:
        """The trend's step: days up to a month, weeks up to a quarter, months beyond."""
        if self.days <= 31:
            return "day"
        if self.days <= 100:
            return "week"
        return "month"

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes in the active time zone."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, end

    def trunc(self, field: str):
        return TRUNC[self.bucket](field)

    def buckets(self) -> list[datetime.date]:
        """The first day of every bucket the period touches, in order."""
        day = bucket_of(self.start, self.bucket)
        out = []
        while day <= self.end:
            out.append(day)
            if self.bucket == "day":
                day += datetime.timedelta(days=1)
            elif self.bucket == "week":
                day += datetime.timedelta(days=7)
            else:
                day = add_months(day, 1)
        return out

    def months(self) -> list[datetime.date]:
        day = self.start.replace(day=1)
        out = []
        while day <= self.end:
            out.append(day)
            day = add_months(day, 1)
        return out


def bucket_of(day: datetime.date, bucket: str) -> datetime.date:
    if bucket == "week":
        return day - datetime.timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def period_around(kind: str, day: datetime.date) -> Period:
    """The calendar day, week (Monday first), month, quarter or year holding ``day``."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        start = day - datetime.timedelta(days=day.weekday())
        return Period(kind, start, start + datetime.timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif kind == "year":
        start = day.replace(month=1, day=1)
    else:
        raise ValueError(kind)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return Period(kind, start, add_months(start, months) - datetime.timedelta(days=1))


def as_date(value) -> datetime.date:
    """A bucket value from the database (a date, or an aware datetime for a timestamp column)
    as the local date."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date()
    return value
