"""Member benefits that change points and prices, provided by a higher app (tiers).

``points`` may not import ``tiers``; tiers registers a provider from its ``AppConfig.ready()``::

    from points.benefits import Benefits, register_benefits_provider
    register_benefits_provider(tier_benefits)  # tier_benefits(member, on_date) -> Benefits

Without a provider every member gets no discount and a points multiplier of 1.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Benefits:
    discount_rate: Decimal = Decimal("0")  # 0.14 for "86% of list price"
    excluded_categories: frozenset[str] = field(default_factory=frozenset)
    points_multiplier: Decimal = Decimal("1")


NO_BENEFITS = Benefits()


def _no_benefits(member, on_date: datetime.date) -> Benefits:
    return NO_BENEFITS


_provider: Callable = _no_benefits


def register_benefits_provider(func: Callable) -> None:
    global _provider
    _provider = func


def current_benefits_provider() -> Callable:
    return _provider


def benefits_for(member, on_date: datetime.date) -> Benefits:
    return _provider(member, on_date)
