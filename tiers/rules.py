"""Qualification rules: their windows, their wording, and a per-member evaluation.

The per-member evaluation here (``member_metrics`` / ``evaluate_member``) explains a member's
tier and progress and is the reference the set-based recalculation (``recalc.py``) is tested
against; the periodic job never loops over members with it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Max, Q, Sum
from django.utils.translation import gettext as _

from core import tenancy
from core.dates import add_months
from membership.models import Member
from points.models import LedgerEntry, Purchase

from .models import Match, RuleKind, Tier, TierGrant, TierPurchase, TierPurchaseStatus, Window

ZERO = Decimal("0.00")


def window_bounds(rule, as_of: datetime.date) -> tuple[datetime.date | None, datetime.date]:
    """(first day counted or None for ever, last day counted) of ``rule`` evaluated on
    ``as_of``, both inclusive, in the tenant's calendar."""
    if rule.kind not in (RuleKind.SPEND, RuleKind.SINGLE_PURCHASE, RuleKind.POINTS):
        return None, as_of
    if rule.window == Window.ROLLING_MONTHS:
        return add_months(as_of, -rule.window_months) + datetime.timedelta(days=1), as_of
    if rule.window == Window.CALENDAR_YEAR:
        return datetime.date(as_of.year, 1, 1), as_of
    if rule.window == Window.CALENDAR_QUARTER:
        return datetime.date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1), as_of
    return None, as_of


def window_end(rule, as_of: datetime.date) -> datetime.date | None:
    """The last day of the calendar period the rule counts (for "before <date>" in progress)."""
    if rule.window == Window.CALENDAR_YEAR:
        return datetime.date(as_of.year, 12, 31)
    if rule.window == Window.CALENDAR_QUARTER:
        first = datetime.date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
        return add_months(first, 3) - datetime.timedelta(days=1)
    return None


def local_start(day: datetime.date) -> datetime.datetime:
    """The instant a tenant-local day begins."""
    tz = tenancy.current_tenant().tzinfo
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def describe_window(rule) -> str:
    if rule.window == Window.ROLLING_MONTHS:
        return _("in the last %(months)s months") % {"months": rule.window_months}
    if rule.window == Window.CALENDAR_YEAR:
        return _("this calendar year")
    if rule.window == Window.CALENDAR_QUARTER:
        return _("this calendar quarter")
    return _("ever")


def describe_rule(rule) -> str:
    if rule.kind == RuleKind.SPEND:
        return _("%(amount)s paid %(window)s") % {
            "amount": rule.amount,
            "window": describe_window(rule),
        }
    if rule.kind == RuleKind.SINGLE_PURCHASE:
        return _("one purchase of at least %(amount)s %(window)s") % {
            "amount": rule.amount,
            "window": describe_window(rule),
        }
    if rule.kind == RuleKind.POINTS:
        return _("%(count)s points earned %(window)s") % {
            "count": rule.count,
            "window": describe_window(rule),
        }
    if rule.kind == RuleKind.REFERRALS:
        if rule.paying_referrals_only:
            return _("%(count)s referred members who paid") % {"count": rule.count}
        return _("%(count)s referred members") % {"count": rule.count}
    if rule.kind == RuleKind.PAID_PLAN:
        return _("a paid plan of this tier")
    return _("a manager's grant")


def rules_in_force(tier: Tier, on: datetime.date, rules=None) -> list:
    """The tier's rules with the latest ``effective_from`` on or before ``on``."""
    candidates = [r for r in (rules if rules is not None else tier.rules.all())]
    dates = [r.effective_from for r in candidates if r.effective_from <= on]
    if not dates:
        return []
    latest = max(dates)
    return sorted((r for r in candidates if r.effective_from == latest), key=lambda r: r.pk or 0)


@dataclass
class RuleResult:
    rule: object
    value: Decimal | int | bool
    matched: bool
    start: datetime.date | None
    end: datetime.date
    purchases: list = field(default_factory=list)

    @property
    def missing(self):
        if self.matched or isinstance(self.value, bool):
            return None
        target = self.rule.amount if self.rule.amount is not None else self.rule.count
        return (target or 0) - self.value


def evaluate_rule(member, rule, as_of: datetime.date, *, with_purchases=False) -> RuleResult:

    start, end = window_bounds(rule, as_of)
    if rule.kind in (RuleKind.SPEND, RuleKind.SINGLE_PURCHASE):
        purchases = Purchase.objects.filter(
            member=member, occurred_at__lt=local_start(end + datetime.timedelta(days=1))
        )
        if start is not None:
            purchases = purchases.filter(occurred_at__gte=local_start(start))
        net = F("amount_paid") - F("refunded_amount")
        if rule.kind == RuleKind.SPEND:
            value = purchases.aggregate(v=Sum(net))["v"] or ZERO
            matched = value >= (rule.amount or ZERO)
            counted = purchases.annotate(net=net).filter(net__gt=0)
        else:
            value = purchases.aggregate(v=Max(net))["v"] or ZERO
            matched = value >= (rule.amount or ZERO)
            counted = purchases.annotate(net=net).filter(net__gte=rule.amount or ZERO)
        result = RuleResult(rule, value, matched, start, end)
        if with_purchases:
            result.purchases = list(counted.order_by("occurred_at")[:50])
        return result
    if rule.kind == RuleKind.POINTS:
        entries = LedgerEntry.objects.filter(member=member, kind="earn", effective_on__lte=end)
        if start is not None:
            entries = entries.filter(effective_on__gte=start)
        value = entries.aggregate(v=Sum("points"))["v"] or 0
        return RuleResult(rule, value, value >= (rule.count or 0), start, end)
    if rule.kind == RuleKind.REFERRALS:
        referred = Member.objects.filter(referrer=member, joined_on__lte=end)
        if rule.paying_referrals_only:
            paying = Purchase.objects.filter(
                amount_paid__gt=F("refunded_amount"),
                occurred_at__lt=local_start(end + datetime.timedelta(days=1)),
            ).values("member_id")
            referred = referred.filter(pk__in=paying)
        value = referred.count()
        return RuleResult(rule, value, value >= (rule.count or 0), None, end)
    if rule.kind == RuleKind.PAID_PLAN:
        value = TierPurchase.objects.filter(
            member=member,
            plan__tier_id=rule.tier_id,
            status=TierPurchaseStatus.ACTIVE,
            starts_on__lte=as_of,
            ends_on__gt=as_of,
        ).exists()
        return RuleResult(rule, value, value, None, end)
    value = (
        TierGrant.objects.filter(
            member=member, tier_id=rule.tier_id, revoked_at__isnull=True, starts_on__lte=as_of
        )
        .filter(Q(until_revoked=True) | Q(ends_on__gt=as_of))
        .exists()
    )
    return RuleResult(rule, value, value, None, end)


@dataclass
class TierResult:
    tier: Tier
    matched: bool
    results: list

    @property
    def deciding(self) -> RuleResult | None:
        return next((r for r in self.results if r.matched), None)


def evaluate_tier(member, tier, as_of, *, rules=None, with_purchases=False) -> TierResult:
    in_force = rules_in_force(tier, as_of, rules)
    results = [evaluate_rule(member, r, as_of, with_purchases=with_purchases) for r in in_force]
    if tier.is_entry:
        matched = True
    elif not results:
        matched = False
    elif tier.match == Match.ALL:
        matched = all(r.matched for r in results)
    else:
        matched = any(r.matched for r in results)
    return TierResult(tier, matched, results)


def qualifying_tier(member, as_of, *, tiers=None, rules_by_tier=None) -> tuple[Tier, object]:
    """The highest tier whose rules in force match on ``as_of`` (else the entry tier), and the
    rule that decided it. The Python reference of the set-based recalculation."""
    tiers = list(tiers if tiers is not None else Tier.objects.order_by("-rank"))
    tiers.sort(key=lambda t: -t.rank)
    for tier in tiers:
        rules = rules_by_tier.get(tier.pk, []) if rules_by_tier is not None else None
        result = evaluate_tier(member, tier, as_of, rules=rules)
        if result.matched:
            deciding = result.deciding
            return tier, (deciding.rule if deciding and not tier.is_entry else None)
    raise Tier.DoesNotExist("The tenant has no entry tier.")
