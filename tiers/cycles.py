"""Settlement cycles (monthly or quarterly) in the tenant's calendar."""

import datetime

from .models import Cycle
from .rules import add_months


def cycle_start(day: datetime.date, cycle: str) -> datetime.date:
    if cycle == Cycle.QUARTER:
        return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day.replace(day=1)


def next_boundary(day: datetime.date, cycle: str) -> datetime.date:
    """The first day of the next cycle after the one ``day`` is in."""
    return add_months(cycle_start(day, cycle), 3 if cycle == Cycle.QUARTER else 1)


def is_boundary(day: datetime.date, cycle: str) -> bool:
    return cycle_start(day, cycle) == day


def cycle_label(day: datetime.date, cycle: str) -> str:
    """The name of the cycle ``day`` is in: 2027-03 or 2027-Q1."""
    if cycle == Cycle.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"
