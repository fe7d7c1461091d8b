"""Earning, discount, refund and expiry arithmetic: pure functions, no database.

The same code prices the live preview at the counter, the API and the posting itself.

Rounding (see docs/points.md):

* money: the member discount of a line is rounded to the cent, half up; everything else in
  money is exact sums and differences of cents;
* points: computed exactly (``Fraction``) and rounded **once, down** (``floor``) at the end.
"""

import calendar
import datetime
import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from core.dates import add_months
from core.money import MAX_AMOUNT, MAX_LINES, MAX_POINTS, MAX_QUANTITY, round_money

from .benefits import Benefits
from .models import CalendarPeriod, ExpiryPolicy

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EarnRules:
    currency_per_point: Decimal = Decimal("1")
    point_value: Decimal = Decimal("1")
    excluded_categories: frozenset[str] = frozenset()
    birthday_multiplier: Decimal = Decimal("1")
    anniversary_multiplier: Decimal = Decimal("1")
    campaign_multipliers: tuple[Decimal, ...] = ()  # campaigns running on the purchase date


@dataclass(frozen=True)
class LineInput:
    list_amount: Decimal
    category: str = ""
    quantity: int = 1
    description: str = ""


@dataclass(frozen=True)
class LineQuote:
    list_amount: Decimal
    category: str
    quantity: int
    description: str
    discount_rate: Decimal
    amount_due: Decimal
    earns_points: bool


@dataclass(frozen=True)
class Quote:
    lines: list[LineQuote]
    list_amount: Decimal
    discount_amount: Decimal
    amount_due: Decimal
    points_used: int
    points_value: Decimal
    amount_paid: Decimal
    earning_amount: Decimal  # cash paid for goods that earn, before the multiplier
    multiplier: Decimal
    points_earned: int
    reasons: list[str] = field(default_factory=list)


class RuleError(ValueError):
    """A refusal of the arithmetic, naming the input ``field`` it is about."""

    def __init__(self, message, field: str = "lines"):
        super().__init__(message)
        self.message, self.field = message, field


def multiplier_for(
    rules: EarnRules,
    benefits: Benefits,
    on_date: datetime.date,
    birthday: datetime.date | None,
    anniversary: datetime.date | None,
) -> tuple[Decimal, list[str]]:
    """Tier multiplier x the highest date-based multiplier (birthday month, wedding-anniversary
    month, campaigns); date-based multipliers do not stack with each other."""
    dated = [(Decimal("1"), "")]
    if birthday and birthday.month == on_date.month:
        dated.append((rules.birthday_multiplier, "birthday"))
    if anniversary and anniversary.month == on_date.month:
        dated.append((rules.anniversary_multiplier, "anniversary"))
    dated.extend((m, "campaign") for m in rules.campaign_multipliers)
    best, why = max(dated, key=lambda pair: pair[0])
    reasons = [why] if why and best != 1 else []
    if benefits.points_multiplier != 1:
        reasons.append("tier")
    return benefits.points_multiplier * best, reasons


def points_for(amount: Decimal | Fraction, multiplier: Decimal, rules: EarnRules) -> int:
    """Points for ``amount`` of money: amount x multiplier / currency per point, floored."""
    exact = Fraction(amount) * Fraction(multiplier) / Fraction(rules.currency_per_point)
    return max(0, math.floor(exact))


def quote_purchase(
    lines: list[LineInput],
    *,
    rules: EarnRules,
    benefits: Benefits,
    on_date: datetime.date,
    birthday: datetime.date | None = None,
    anniversary: datetime.date | None = None,
    points_used: int = 0,
) -> Quote:
    if not lines:
        raise RuleError(_("A purchase needs at least one line."))
    if len(lines) > MAX_LINES:
        raise RuleError(_("A purchase has at most %(max)s lines.") % {"max": MAX_LINES})
    if not 0 <= points_used <= MAX_POINTS:
        raise RuleError(
            _("Points used must be from 0 to %(max)s.") % {"max": MAX_POINTS}, "points_used"
        )
    quoted = []
    for line in lines:
        if not (0 <= line.list_amount <= MAX_AMOUNT and 1 <= line.quantity <= MAX_QUANTITY):
            raise RuleError(
                _("A line's amount is from 0 to %(amount)s, its quantity from 1 to %(qty)s.")
                % {"amount": MAX_AMOUNT, "qty": MAX_QUANTITY}
            )
        list_amount = round_money(line.list_amount)
        rate = ZERO if line.category in benefits.excluded_categories else benefits.discount_rate
        discount = round_money(list_amount * rate)
        quoted.append(
            LineQuote(
                list_amount=list_amount,
                category=line.category,
                quantity=line.quantity,
                description=line.description,
                discount_rate=rate,
                amount_due=list_amount - discount,
                earns_points=line.category not in rules.excluded_categories,
            )
        )
    list_total = sum((q.list_amount for q in quoted), ZERO)
    due = sum((q.amount_due for q in quoted), ZERO)
    points_value = round_money(points_used * rules.point_value)
    if due > MAX_AMOUNT:
        raise RuleError(_("A bill is at most %(max)s.") % {"max": MAX_AMOUNT})
    if points_value > due:
        raise RuleError(_("Points pay more than the amount due."), "points_used")
    paid = due - points_value
    earning_due = sum((q.amount_due for q in quoted if q.earns_points), ZERO)
    # The part paid with points earns nothing: it is spread over the lines by amount due.
    earning_cash = Fraction(earning_due) * Fraction(paid) / Fraction(due) if due else Fraction(0)
    multiplier, reasons = multiplier_for(rules, benefits, on_date, birthday, anniversary)
    points_earned = points_for(earning_cash, multiplier, rules)
    if points_earned > MAX_POINTS:
        raise RuleError(_("This bill would earn more than %(max)s points.") % {"max": MAX_POINTS})
    return Quote(
        lines=quoted,
        list_amount=list_total,
        discount_amount=list_total - due,
        amount_due=due,
        points_used=points_used,
        points_value=points_value,
        amount_paid=paid,
        earning_amount=Decimal(earning_cash.numerator) / Decimal(earning_cash.denominator),
        multiplier=multiplier,
        points_earned=points_earned,
        reasons=reasons,
    )


@dataclass(frozen=True)
class RefundSplit:
    """Cumulative totals after a refund of ``refunded_due`` of a purchase's amount due."""

    cash: Decimal  # money given back in total (before any deduction)
    points_returned: int  # spent points given back in total
    points_kept: int  # earned points the member keeps


def refund_split(
    *,
    amount_due: Decimal,
    amount_paid: Decimal,
    points_used: int,
    points_earned: int,
    refunded_due: Decimal,
) -> RefundSplit:
    """A refund gives back the bill in the proportion it was paid (cash and points). The member
    keeps the earned points of the part not refunded, rounded down; money is rounded down to
    the cent and points given back are rounded down, so a full refund returns everything
    exactly and partial refunds never return more than was paid."""
    if refunded_due < 0 or refunded_due > amount_due:
        raise RuleError(_("A refund cannot exceed the amount due of the purchase."), "amount")
    if amount_due == 0:
        return RefundSplit(ZERO, 0, points_earned)
    share = Fraction(refunded_due) / Fraction(amount_due)
    cash = Fraction(amount_paid) * share
    cash_dec = round_money(Decimal(cash.numerator) / Decimal(cash.denominator), ROUND_DOWN)
    if share == 1:
        cash_dec = amount_paid
    return RefundSplit(
        cash=cash_dec,
        points_returned=math.floor(points_used * share),
        points_kept=math.floor(points_earned * (1 - share)),
    )


def _anniversary(joined_on: datetime.date, year: int) -> datetime.date:
    day = min(joined_on.day, calendar.monthrange(year, joined_on.month)[1])
    return datetime.date(year, joined_on.month, day)


def next_anniversary(joined_on: datetime.date, after: datetime.date) -> datetime.date:
    """The first card-opening anniversary strictly after ``after``."""
    candidate = _anniversary(joined_on, after.year)
    if candidate <= after:
        candidate = _anniversary(joined_on, after.year + 1)
    return candidate


def period_end(day: datetime.date, period: str) -> datetime.date:
    """The first day after the calendar period (month, quarter, year) holding ``day``."""
    if period == CalendarPeriod.MONTH:
        return add_months(day.replace(day=1), 1)
    if period == CalendarPeriod.QUARTER:
        return add_months(day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1), 3)
    return datetime.date(day.year + 1, 1, 1)


def expiry_date(
    policy: str,
    *,
    earned_on: datetime.date,
    joined_on: datetime.date | None,
    months: int,
    period: str,
) -> datetime.date | None:
    """The first date on which points earned on ``earned_on`` are no longer valid.

    * fixed_term: ``months`` after earning;
    * membership_year: the end of the membership year in which they were earned (the next
      card-opening anniversary) plus ``months`` (12: "one year after the anniversary");
    * calendar_period: the end of the month / quarter / year plus ``months``;
    * never: no expiry (None).
    """
    if policy == ExpiryPolicy.FIXED_TERM:
        return add_months(earned_on, months)
    if policy == ExpiryPolicy.MEMBERSHIP_YEAR:
        return add_months(next_anniversary(joined_on or earned_on, earned_on), months)
    if policy == ExpiryPolicy.CALENDAR_PERIOD:
        return add_months(period_end(earned_on, period), months)
    return None
