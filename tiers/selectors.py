"""Reads: a member's tier, effective benefits, progress and the explanation of their tier.

``effective_benefits`` is the one call the counter, the portal, the API and the points
benefits provider use.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core import tenancy
from core.selectors import tenant_settings

from . import cycles
from .models import (
    BenefitKind,
    MemberTier,
    RuleKind,
    Tier,
    TierBenefit,
    TierChange,
    TierRule,
    TierSettings,
)
from .rules import describe_rule, evaluate_tier, rules_in_force, window_end


def _today() -> datetime.date:
    return tenancy.current_tenant().local_now().date()


def settings() -> TierSettings:
    """The active tenant's tier settings, created with the defaults on first use."""
    return tenant_settings(TierSettings)


def entry_tier() -> Tier | None:
    return Tier.objects.filter(is_entry=True).first()


def tier_of(member, on: datetime.date | None = None) -> Tier | None:
    """The member's tier (on a past date: from the change history)."""
    if on is not None and on < _today():
        change = (
            TierChange.objects.filter(member_id=member.pk, effective_on__lte=on)
            .select_related("to_tier")
            .order_by("-effective_on", "-pk")
            .first()
        )
        if change is not None:
            return change.to_tier
        if TierChange.objects.filter(member_id=member.pk).exists():
            first = TierChange.objects.filter(member_id=member.pk).order_by("effective_on", "pk")
            return first.select_related("from_tier").first().from_tier or entry_tier()
        return entry_tier()
    row = MemberTier.objects.filter(member_id=member.pk).select_related("tier").first()
    return row.tier if row else entry_tier()


def member_tier(member) -> MemberTier | None:
    """The member's current tier row (tier and since), or None before any calculation."""
    return MemberTier.objects.filter(member_id=member.pk).select_related("tier").first()


def tier_history(member):
    """Every tier change of the member, newest first."""
    return (
        TierChange.objects.filter(member_id=member.pk)
        .select_related("from_tier", "to_tier")
        .order_by("-effective_on", "-pk")
    )


@dataclass
class EffectiveBenefits:
    tier: Tier | None
    price_factor: Decimal = Decimal("1")  # 0.9 = pay 90% of list price
    excluded_categories: list = field(default_factory=list)
    points_multiplier: Decimal = Decimal("1")
    birthday_offers: list = field(default_factory=list)
    priority_days: int = 0
    free_items: list = field(default_factory=list)
    complaint_days: int | None = None

    @property
    def discount_rate(self) -> Decimal:
        """The share taken off the list price (0.10 for a price factor of 0.9)."""
        return Decimal("1") - self.price_factor


def _union(target: list, text: str) -> None:
    if text and text not in target:
        target.append(text)


def benefits_of_tier(tier: Tier | None) -> EffectiveBenefits:
    """The tier's own benefits plus, while ``inherits_lower_benefits``, those of the tiers
    below; for numbers the best value wins, lists are united."""
    result = EffectiveBenefits(tier)
    if tier is None:
        return result
    chain = [tier]
    if tier.inherits_lower_benefits:
        for lower in Tier.objects.filter(rank__lt=tier.rank).order_by("-rank"):
            chain.append(lower)
            if not lower.inherits_lower_benefits:
                break
    rows = TierBenefit.objects.filter(tier__in=chain).order_by("-tier__rank", "pk")
    for row in rows:
        value = row.value
        if row.kind == BenefitKind.DISCOUNT and value is not None:
            if value < result.price_factor:
                result.price_factor = value
                result.excluded_categories = list(row.excluded_categories or [])
        elif row.kind == BenefitKind.POINTS_MULTIPLIER and value is not None:
            result.points_multiplier = max(result.points_multiplier, value)
        elif row.kind == BenefitKind.PRIORITY_DAYS and value is not None:
            result.priority_days = max(result.priority_days, int(value))
        elif row.kind == BenefitKind.COMPLAINT_DAYS and value is not None:
            days = int(value)
            result.complaint_days = (
                days if result.complaint_days is None else min(result.complaint_days, days)
            )
        elif row.kind == BenefitKind.BIRTHDAY_OFFER:
            _union(result.birthday_offers, row.text)
        elif row.kind == BenefitKind.FREE_ITEM:
            _union(result.free_items, row.text)
    return result


def effective_benefits(member, on_date: datetime.date | None = None) -> EffectiveBenefits:
    return benefits_of_tier(tier_of(member, on_date))


@dataclass
class Step:
    """One rule of a tier and how far the member is from it."""

    rule: TierRule
    text: str
    value: object
    target: object
    missing: object
    matched: bool
    deadline: datetime.date | None
    start: datetime.date | None = None
    end: datetime.date | None = None
    purchases: list = field(default_factory=list)


def _steps(member, tier: Tier, on: datetime.date, *, with_purchases=False) -> tuple[bool, list]:
    result = evaluate_tier(member, tier, on, with_purchases=with_purchases)
    steps = []
    for r in result.results:
        rule = r.rule
        target = (
            rule.amount if rule.kind in (RuleKind.SPEND, RuleKind.SINGLE_PURCHASE) else (rule.count)
        )
        steps.append(
            Step(
                rule=rule,
                text=describe_rule(rule),
                value=r.value,
                target=target,
                missing=r.missing,
                matched=r.matched,
                deadline=window_end(rule, on),
                start=r.start,
                end=r.end,
                purchases=r.purchases,
            )
        )
    return result.matched, steps


def _money(value) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _missing_text(step: Step) -> str:
    if step.matched:
        return _("met: %(rule)s") % {"rule": step.text}
    if step.rule.kind in (RuleKind.SPEND, RuleKind.SINGLE_PURCHASE):
        if step.rule.kind == RuleKind.SINGLE_PURCHASE:
            return _("one purchase of %(amount)s") % {"amount": _money(step.target)}
        if step.deadline:
            return _("%(amount)s yuan more before %(date)s") % {
                "amount": _money(step.missing),
                "date": step.deadline.isoformat(),
            }
        return _("%(amount)s yuan more (%(rule)s)") % {
            "amount": _money(step.missing),
            "rule": step.text,
        }
    if step.rule.kind in (RuleKind.POINTS, RuleKind.REFERRALS):
        return _("%(count)s more (%(rule)s)") % {"count": step.missing, "rule": step.text}
    return step.text


def progress(member, on: datetime.date | None = None) -> dict:
    """For the member page, the portal and the API: the current tier and why it is held, what
    is missing for the next tier, and what keeps the current one at the next cycle."""
    on = on or _today()
    tier_settings = settings()
    current = tier_of(member)
    row = MemberTier.objects.filter(member_id=member.pk).select_related("rule").first()
    next_tier = (
        Tier.objects.filter(rank__gt=current.rank).order_by("rank").first() if current else None
    )
    held_matched, held_steps = (
        _steps(member, current, on, with_purchases=True) if current else (True, [])
    )
    if current is not None and current.is_entry:
        held_matched = True
    boundary = cycles.next_boundary(on, tier_settings.cycle)
    retention = (
        current.retention_cycles
        if current is not None and current.retention_cycles is not None
        else tier_settings.retention_cycles
    )
    result = {
        "tier": current,
        "since": row.since if row else None,
        "decided_by": describe_rule(row.rule) if row and row.rule else "",
        "why": [s for s in held_steps if s.matched],
        "keeps_at_next_cycle": held_matched,
        "next_cycle": boundary,
        "retention_cycles": retention,
        "missed_cycles": row.missed_cycles if row else 0,
        "keep": [_missing_text(s) for s in held_steps] if not held_matched else [],
        "next_tier": next_tier,
        "to_next": [],
    }
    if next_tier is not None:
        _matched, steps = _steps(member, next_tier, on)
        result["next_match"] = next_tier.get_match_display()
        result["to_next"] = [_missing_text(s) for s in steps]
    return result


def rules_for_display(tier: Tier, on: datetime.date | None = None) -> list[str]:
    return [describe_rule(r) for r in rules_in_force(tier, on or _today())]


def _tier(tier):
    if tier is None:
        return None
    return {"id": tier.pk, "code": tier.code, "name": tier.name, "rank": tier.rank}


def tier_summary(member) -> dict:
    """Everything about a member's tier as plain data: for the portal and the API."""
    state = progress(member)
    benefits = effective_benefits(member)
    return {
        "member": member.pk,
        "tier": _tier(state["tier"]),
        "since": state["since"],
        "why": [
            {
                "rule": step.text,
                "value": str(step.value),
                "window_start": step.start,
                "window_end": step.end,
                "purchases": [p.pk for p in step.purchases],
            }
            for step in state["why"]
        ],
        "keeps_at_next_cycle": state["keeps_at_next_cycle"],
        "next_cycle": state["next_cycle"],
        "to_keep": state["keep"],
        "next_tier": _tier(state["next_tier"]),
        "to_next_tier": state["to_next"],
        "benefits": {
            "price_factor": str(benefits.price_factor),
            "excluded_categories": benefits.excluded_categories,
            "points_multiplier": str(benefits.points_multiplier),
            "birthday_offers": benefits.birthday_offers,
            "priority_days": benefits.priority_days,
            "free_items": benefits.free_items,
            "complaint_days": benefits.complaint_days,
        },
    }
