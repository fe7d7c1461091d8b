"""What tiers registers into lower apps (from ``TiersConfig.ready``)."""

from core.tasks import enqueue_on_commit
from points.benefits import Benefits

from .models import TierSettings, UpgradeTiming
from .selectors import effective_benefits


def points_benefits(member, on_date) -> Benefits:
    """The points benefits provider: the member's effective tier benefits on ``on_date``."""
    benefits = effective_benefits(member, on_date)
    return Benefits(
        discount_rate=benefits.discount_rate,
        excluded_categories=frozenset(benefits.excluded_categories),
        points_multiplier=benefits.points_multiplier,
    )


def check_after_purchase(sender, *, member, purchase, **kwargs) -> None:
    """``points.signals.purchase_recorded``: when the tenant's upgrades are immediate, check
    this one member after the purchase commits."""
    from .tasks import check_member

    timing = TierSettings.objects.values_list("upgrade_timing", flat=True).first()
    if timing == UpgradeTiming.IMMEDIATE:
        enqueue_on_commit(check_member, tenant_id=member.tenant_id, member_id=member.pk)
