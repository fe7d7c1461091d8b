"""What tiers registers into lower apps (from ``TiersConfig.ready``)."""

from django.utils.translation import gettext as _

from core.tasks import enqueue_on_commit
from points.benefits import Benefits

from .models import MemberTier, Tier, TierSettings, UpgradeTiming
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


def tier_audience(base):
    """Wrap the broadcast audience (membership's) so that a segment may name tiers (ids or
    codes): recipients are narrowed to members whose current tier is one of them (members
    without a tier row hold the entry tier)."""

    def audience(tenant, segment: dict):
        wanted = segment.get("tiers")
        rest = {key: value for key, value in segment.items() if key != "tiers"}
        if not wanted:
            yield from base(tenant, rest)
            return
        codes = {str(t) for t in wanted}
        tiers = [t for t in Tier.objects.all() if str(t.pk) in codes or t.code in codes]
        if not tiers:
            raise ValueError(_("No such tier: %(tiers)s.") % {"tiers": ", ".join(sorted(codes))})
        tier_ids = [t.pk for t in tiers]
        holders = set(
            MemberTier.objects.filter(tier_id__in=tier_ids).values_list("member_id", flat=True)
        )
        with_row = None
        if any(t.is_entry for t in tiers):
            with_row = set(
                MemberTier.objects.exclude(tier_id__in=tier_ids).values_list("member_id", flat=True)
            )
        for recipient in base(tenant, rest):
            if recipient.member_id in holders or (
                with_row is not None and recipient.member_id not in with_row
            ):
                yield recipient

    return audience
