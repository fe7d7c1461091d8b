"""Coupons: issued when a coupon reward's redemption is approved, used once at a counter."""

from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from core.actors import actor_of

from .. import workflow
from ..ledger import PointsError
from ..models import Coupon, Redemption, RedemptionStatus


def issue_coupon(redemption: Redemption) -> Coupon:
    return Coupon.objects.create(
        code=get_random_string(12, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"),
        redemption=redemption,
        member_id=redemption.member_id,
        value=redemption.reward.coupon_value,
    )


def do_use_coupon(code: str, *, store=None, actor=None) -> Coupon:
    """Use a coupon once: a compare-and-set on ``used_at``, so two counters cannot both use it.
    Its redemption, if still approved, is fulfilled by it."""
    code = (code or "").strip().upper()
    used = Coupon.objects.filter(
        code=code,
        used_at__isnull=True,
        redemption__status__in=(RedemptionStatus.APPROVED, RedemptionStatus.FULFILLED),
    ).update(used_at=timezone.now(), used_store=store, used_by=actor_of(actor).user)
    if not used:
        raise PointsError(_("Unknown or already used coupon."), code="coupon_unusable")
    coupon = Coupon.objects.get(code=code)
    Redemption.objects.filter(
        pk=coupon.redemption_id,
        status__in=workflow.sources(workflow.REDEMPTION, RedemptionStatus.FULFILLED),
    ).update(status=RedemptionStatus.FULFILLED, fulfilled_at=timezone.now())
    return coupon
