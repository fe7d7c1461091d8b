"""Member benefits that change points and prices, provided by a higher app (tiers) through
``points.hooks.benefits_provider``. Without a provider every member gets no discount and a
points multiplier of 1.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from .hooks import benefits_provider


@dataclass(frozen=True)
class Benefits:
    discount_rate: Decimal = Decimal("0")  # 0.14 for "86% of list price"
    excluded_categories: frozenset[str] = field(default_factory=frozenset)
    points_multiplier: Decimal = Decimal("1")


NO_BENEFITS = Benefits()


def benefits_for(member, on_date: datetime.date) -> Benefits:
    provider = benefits_provider.current()
    return NO_BENEFITS if provider is None else provider(member, on_date)
