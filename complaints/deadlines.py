"""Deadlines in working days on the mainland China calendar, in the tenant's time zone.

A ticket filed on day D with a deadline of N working days is due at the end (23:59:59 local)
of the N-th working day after D. It is escalated to a manager from the start (00:00 local) of
that last working day ("one working day left", ``warn_at``) and to the owner when ``due_at``
passes.

The working-day count comes from ``working_days(ticket, override=...)`` alone: the ticket's own
override if it has one; else the tenant's ``DeadlinePolicy`` for the kind (or
``DEFAULT_WORKING_DAYS``), shortened to the caller's ``override`` where that is smaller (the
member's tier benefit, passed by ``actions._set_deadline``; see docs/complaints.md).

The calendar is ``chinesecalendar`` (public holidays and the adjusted working weekends, 调休),
corrected by the platform's ``CalendarDay`` rows: a superuser enters a newly announced year's
holidays and working weekends there before the package catches up. For a day neither knows we
count Monday to Friday as working days and log a warning, rather than refusing to file a ticket.
"""

import datetime
import logging
import time
from functools import lru_cache

import chinese_calendar

from .models import CalendarDay, DeadlinePolicy, Kind

logger = logging.getLogger(__name__)

DEFAULT_WORKING_DAYS = {
    Kind.COMPLAINT: 3,
    Kind.GRIEVANCE: 2,
    Kind.SUGGESTION: 10,
    Kind.INQUIRY: 2,
}
END_OF_DAY = datetime.time(23, 59, 59)


# The platform's corrections, read at most once a minute per process (and at once in the process
# that saves one): holidays are entered weeks ahead, a minute's delay is harmless.
CORRECTIONS_SECONDS = 60
_corrections: dict = {"loaded_at": None, "days": {}}


def forget_corrections() -> None:
    _corrections["loaded_at"] = None


def _corrected(day: datetime.date) -> bool | None:
    now = time.monotonic()
    loaded_at = _corrections["loaded_at"]
    if loaded_at is None or now - loaded_at > CORRECTIONS_SECONDS:
        _corrections["days"] = dict(CalendarDay.objects.values_list("day", "is_working_day"))
        _corrections["loaded_at"] = now
    return _corrections["days"].get(day)


def is_working_day(day: datetime.date) -> bool:
    corrected = _corrected(day)
    if corrected is not None:
        return corrected
    return _package_working_day(day)


@lru_cache(maxsize=4096)
def _package_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        logger.warning(
            "No mainland holiday data for %s (enter it as a calendar day in the platform "
            "admin); counting Monday to Friday.",
            day,
        )
        return day.weekday() < 5


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
    if count < 1:
        return day
    while count:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def policy_days(kind: str) -> int:
    policy = DeadlinePolicy.objects.filter(kind=kind).first()
    if policy is not None:
        return policy.working_days
    return DEFAULT_WORKING_DAYS.get(kind, 3)


def working_days(ticket, *, override: int | None = None) -> int:
    """The number of working days ``ticket`` has. The single place where that is decided."""
    if ticket.deadline_days:
        return ticket.deadline_days
    days = policy_days(ticket.kind)
    if override:
        days = min(days, override)  # a benefit shortens the deadline, never lengthens it
    return days


def deadline_for(
    ticket, *, tzinfo, override: int | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """``(warn_at, due_at)`` for ``ticket`` counted from its ``created_at`` in ``tzinfo``."""
    filed = ticket.created_at.astimezone(tzinfo).date()
    last_day = add_working_days(filed, working_days(ticket, override=override))
    due_at = datetime.datetime.combine(last_day, END_OF_DAY, tzinfo=tzinfo)
    warn_at = datetime.datetime.combine(last_day, datetime.time.min, tzinfo=tzinfo)
    return warn_at, due_at
