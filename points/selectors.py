"""Reads of the points app. Every function works in the active tenant."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from core.cache import tenant_cached
from core.selectors import tenant_settings
from membership.models import Member

from .models import (
    AdjustmentRequest,
    AdjustmentStatus,
    Allocation,
    Campaign,
    Coupon,
    LedgerEntry,
    Lot,
    PointsAccount,
    PointsSettings,
    Purchase,
    PurchaseLine,
    Redemption,
    RedemptionStatus,
    Reward,
)
from .rules import EarnRules


def settings() -> PointsSettings:
    """The active tenant's points settings (``core.selectors.tenant_settings``)."""
    return tenant_settings(PointsSettings)


@dataclass(frozen=True)
class RulesSnapshot:
    settings: PointsSettings
    campaigns: tuple[tuple[datetime.date, datetime.date, Decimal], ...]

    def earn_rules(self, on_date: datetime.date) -> EarnRules:
        s = self.settings
        return EarnRules(
            currency_per_point=s.currency_per_point,
            point_value=s.point_value,
            excluded_categories=frozenset(s.excluded_categories or ()),
            birthday_multiplier=s.birthday_multiplier,
            anniversary_multiplier=s.anniversary_multiplier,
            campaign_multipliers=tuple(m for a, b, m in self.campaigns if a <= on_date <= b),
        )


@tenant_cached("points:rules", models=[PointsSettings, Campaign])
def rules_snapshot() -> RulesSnapshot:
    """The tenant's settings and active campaigns, cached until either changes."""
    campaigns = tuple(
        Campaign.objects.filter(is_active=True).values_list("starts_on", "ends_on", "multiplier")
    )
    return RulesSnapshot(settings(), campaigns)


forget_rules = rules_snapshot.invalidate


def account_for(member: Member) -> PointsAccount | None:
    return PointsAccount.objects.filter(member=member).first()


def balance_of(member: Member) -> dict:
    account = account_for(member)
    return {
        "balance": account.balance if account else 0,
        "debt": account.debt if account else 0,
    }


def expiring_within(member: Member, today: datetime.date, days: int) -> int:
    until = today + datetime.timedelta(days=days)
    total = Lot.objects.filter(
        account__member=member, remaining__gt=0, expires_at__isnull=False, expires_at__lte=until
    ).aggregate(total=Sum("remaining"))["total"]
    return total or 0


def history(member: Member) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(member=member)
        .select_related("purchase", "redemption__reward", "actor")
        .order_by("-id")
    )


def open_lots(member: Member) -> QuerySet[Lot]:
    return Lot.objects.filter(account__member=member, remaining__gt=0).order_by("expires_at", "id")


def expiry_explanations(entry_ids: list[int]) -> dict[int, list[dict]]:
    """For expire entries: which lots they cleared, earned when, from what."""
    rows = (
        Allocation.objects.filter(entry_id__in=entry_ids)
        .select_related("lot")
        .order_by("lot__earned_at", "lot_id")
    )
    explained: dict[int, list[dict]] = {}
    for row in rows:
        explained.setdefault(row.entry_id, []).append(
            {
                "points": row.points,
                "lot": row.lot_id,
                "earned_at": row.lot.earned_at,
                "expires_at": row.lot.expires_at,
                "source": row.lot.source,
            }
        )
    return explained


def purchases_of(member: Member) -> QuerySet[Purchase]:
    return Purchase.objects.filter(member=member).order_by("-occurred_at", "-id")


def lots_of(member: Member) -> QuerySet[Lot]:
    """Every lot the member ever earned, spent or not."""
    return Lot.objects.filter(account__member=member)


def purchase_lines_of(member: Member) -> QuerySet[PurchaseLine]:
    return PurchaseLine.objects.filter(purchase__member=member)


def redemptions_of(member: Member) -> QuerySet[Redemption]:
    return Redemption.objects.filter(member=member).select_related("reward")


def coupons_of(member: Member) -> QuerySet[Coupon]:
    return Coupon.objects.filter(member=member)


def active_rewards() -> QuerySet[Reward]:
    return Reward.objects.filter(is_active=True).filter(Q(stock__isnull=True) | Q(stock__gt=0))


def pending_redemptions() -> QuerySet[Redemption]:
    return Redemption.objects.filter(status=RedemptionStatus.PENDING).select_related(
        "member", "reward"
    )


def pending_adjustments() -> QuerySet[AdjustmentRequest]:
    return AdjustmentRequest.objects.filter(status=AdjustmentStatus.PENDING).select_related(
        "member"
    )
