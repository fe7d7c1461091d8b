"""What tiers registers into lower apps (from ``TiersConfig.ready``).

The points hooks run on every purchase posting, so they read the tenant's tier ladder (each
tier's benefits, the entry tier) and the upgrade timing from the cache (``core.cache`` clears
it when a tier, a tier benefit or the tier settings change); per posting they query only the
member's current tier id.
"""

from django.utils.translation import gettext as _

from core import tenancy
from core.cache import tenant_cached
from core.db import prepared_cursor
from core.tasks import enqueue_on_commit
from points.benefits import Benefits

from .models import MemberTier, Tier, TierBenefit, TierSettings, UpgradeTiming
from .selectors import benefits_of_tier, effective_benefits, entry_tier
from .tasks import check_member


def _as_points_benefits(benefits) -> Benefits:
    return Benefits(
        discount_rate=benefits.discount_rate,
        excluded_categories=frozenset(benefits.excluded_categories),
        points_multiplier=benefits.points_multiplier,
    )


@tenant_cached("tiers:ladder", models=[Tier, TierBenefit, TierSettings])
def _ladder() -> dict:
    """``{"entry": Benefits of the entry tier, tier id: Benefits}`` of the active tenant."""
    ladder = {tier.pk: _as_points_benefits(benefits_of_tier(tier)) for tier in Tier.objects.all()}
    ladder["entry"] = _as_points_benefits(benefits_of_tier(entry_tier()))
    return ladder


@tenant_cached("tiers:upgrade-timing", models=[TierSettings])
def _upgrade_timing() -> str:
    return TierSettings.objects.values_list("upgrade_timing", flat=True).first() or ""


def points_benefits(member, on_date) -> Benefits:
    """The points benefits provider: the member's effective tier benefits on ``on_date``."""
    tenant = tenancy.current_tenant()
    if on_date is not None and on_date < tenant.local_now().date():
        # a past date: from the change history (rare: back-dated purchases)
        return _as_points_benefits(effective_benefits(member, on_date))
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT tier_id FROM {MemberTier._meta.db_table} "
            "WHERE tenant_id = %s AND member_id = %s",
            [tenant.pk, member.pk],
        )
        row = cursor.fetchone()
    ladder = _ladder()
    if row is None:
        return ladder["entry"]
    benefits = ladder.get(row[0])
    if benefits is None:  # a tier created since the ladder was cached
        _ladder.invalidate()
        benefits = _ladder()[row[0]]
    return benefits


def check_after_purchase(sender, *, member, purchase, **kwargs) -> None:
    """``points.hooks.purchase_recorded``: when the tenant's upgrades are immediate, check
    this one member after the purchase commits."""
    if _upgrade_timing() == UpgradeTiming.IMMEDIATE:
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
