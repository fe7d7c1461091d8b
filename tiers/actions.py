"""Writes. Each ``do_*`` is atomic and returns what it changed or created."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import tenancy
from core.exceptions import Conflict, Invalid
from core.money import round_money
from membership.actions import do_change_status, do_extend_validity, do_update_member
from membership.models import Member, MemberStatus
from notifications.outbox import NewMessage, do_enqueue_messages
from notifications.selectors import reach

from . import cycles, recalc, selectors
from .models import (
    PaidPlan,
    Tier,
    TierChange,
    TierGrant,
    TierPurchase,
    TierPurchaseStatus,
    UpgradeTiming,
)
from .rules import add_months


def _today() -> datetime.date:
    return tenancy.current_tenant().local_now().date()


SETTLEMENT_ACTOR = "tier settlement"  # the system job named in the member's change history
CHUNK = 5_000  # changes read at a time


def notify_changes(change_ids: list[int]) -> int:
    """One "tier_change" outbox message per change, in the member's language, written
    set-based through notifications' one bulk writer (consent and quiet hours applied there).
    Members without an address get none. Idempotent: the dedupe key is the change."""
    return do_enqueue_messages(_tier_change_messages(change_ids))


def _tier_change_messages(change_ids: list[int]):
    names: dict = {}
    tiers = list(Tier.objects.all())

    def tier_name(tier_id, language):
        if (tier_id, language) not in names:
            with translation.override(language):
                names.update({(t.pk, language): t.name for t in tiers})
        return names.get((tier_id, language), "")

    change_ids = sorted(change_ids)
    wanted = set(change_ids)
    for start in range(0, len(change_ids), CHUNK):
        chunk = change_ids[start : start + CHUNK]
        # A range, not 5,000 ids in the statement; the few others in it are passed over.
        rows = (
            TierChange.objects.filter(pk__range=(chunk[0], chunk[-1]))
            .order_by("pk")
            # the stored E.164 text: parsing 500,000 phone numbers costs more than the writing
            .annotate(phone=Cast("member__phone", TextField()))
            .values_list(
                "pk",
                "member_id",
                "from_tier_id",
                "to_tier_id",
                "member__name",
                "phone",
                "member__email",
                "member__language",
            )
        )
        for change_id, member_id, from_id, to_id, name, phone, email, language in rows:
            if change_id not in wanted:
                continue
            to = reach(phone=phone, email=email, language=language)
            if to is None:
                continue
            yield NewMessage(
                template="tier_change",
                to=to,
                context={
                    "name": name,
                    "tier": tier_name(to_id, to.language),
                    "previous_tier": tier_name(from_id, to.language) if from_id else "",
                },
                dedupe_key=f"tier_change:{change_id}",
                member_id=member_id,
            )


def _apply(outcome: recalc.Outcome) -> recalc.Outcome:
    """What the engine decided, carried out here: the validity upgrades give (recorded in the
    member's change history) and one message per change."""
    if outcome.extensions:
        do_extend_validity(outcome.extensions, actor=SETTLEMENT_ACTOR, note=_("Tier upgrade"))
    if outcome.change_ids:
        notify_changes(outcome.change_ids)
    return outcome


def do_recalculate_member(member_id: int, *, on: datetime.date | None = None) -> recalc.Outcome:
    """The on-demand check after a purchase: upgrades only, and only when the tenant's upgrades
    take effect at once (downgrades wait for the cycle end)."""
    settings = selectors.settings()
    if settings.upgrade_timing != UpgradeTiming.IMMEDIATE:
        return recalc.Outcome(0, 0, 0, [])
    day = on or _today()
    plan = recalc.Plan(
        as_of=day,
        effective_on=day,
        allow_up=True,
        allow_down=False,
        cycle=cycles.cycle_label(day, settings.cycle),
        member_id=member_id,
    )
    with transaction.atomic():
        return _apply(recalc.recalculate(plan))


def do_run_cycle(boundary: datetime.date) -> recalc.Outcome:
    """The settlement at the start of a cycle: evaluate the cycle that just ended (its last
    day), apply upgrades and downgrades (retention counted) from ``boundary``."""
    settings = selectors.settings()
    ended = boundary - datetime.timedelta(days=1)
    plan = recalc.Plan(
        as_of=ended,
        effective_on=boundary,
        cycle=cycles.cycle_label(ended, settings.cycle),
        rules_on=boundary,
    )
    with transaction.atomic():
        return _apply(recalc.recalculate(plan))


@transaction.atomic
def do_grant_tier(
    member: Member,
    tier: Tier,
    *,
    reason: str,
    approved_by,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    until_revoked: bool = False,
) -> TierGrant:
    """Record a manager's grant. It needs an end date or an explicit "until revoked"; it takes
    effect through the tier's "manager's grant" rule, at once when upgrades are immediate."""
    if not reason.strip():
        raise Invalid(_("Give a reason for the grant."), field="reason")
    if (ends_on is None) != until_revoked:
        raise Invalid(
            _('A grant needs either an end date or "until revoked", not both.'), field="ends_on"
        )
    starts_on = starts_on or _today()
    if ends_on is not None and ends_on <= starts_on:
        raise Invalid(_("The grant must end after it starts."), field="ends_on")
    grant = TierGrant.objects.create(
        member=member,
        tier=tier,
        reason=reason.strip(),
        approved_by=approved_by,
        starts_on=starts_on,
        ends_on=ends_on,
        until_revoked=until_revoked,
    )
    if starts_on <= _today():
        do_recalculate_member(member.pk)
    return grant


@transaction.atomic
def do_revoke_grant(grant: TierGrant) -> TierGrant:
    """Revoke a grant; the member keeps the tier until the cycle end decides (downgrade rule)."""
    grant = TierGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
    return grant


@transaction.atomic
def do_buy_plan(member: Member, plan: PaidPlan) -> TierPurchase:
    """Order a paid plan; it qualifies only once paid (``do_activate_plan``)."""
    if not plan.is_active:
        raise Conflict(_("This plan is not on sale."), code="not_on_sale")
    return TierPurchase.objects.create(member=member, plan=plan)


@transaction.atomic
def do_activate_plan(purchase: TierPurchase, *, paid: Decimal) -> TierPurchase:
    """Payment received: the plan runs from today for its term."""
    purchase = TierPurchase.objects.select_for_update().select_related("plan").get(pk=purchase.pk)
    if purchase.status != TierPurchaseStatus.PENDING:
        raise Conflict(_("This plan purchase is not awaiting payment."), code="not_pending")
    if paid < purchase.plan.fee:
        raise Invalid(
            _("The plan costs %(fee)s; %(paid)s was paid.")
            % {"fee": purchase.plan.fee, "paid": paid},
            code="underpaid",
            field="paid",
        )
    today = _today()
    purchase.status = TierPurchaseStatus.ACTIVE
    purchase.amount_paid = paid
    purchase.paid_at = timezone.now()
    purchase.starts_on = today
    purchase.ends_on = add_months(today, purchase.plan.term_months)
    purchase.save()
    do_recalculate_member(purchase.member_id)
    return purchase


def renewal_price(tier: Tier) -> Decimal:
    price = tier.renewal_price or Decimal("0.00")
    if tier.renewal_discount is not None:
        price = round_money(price * tier.renewal_discount)
    return price


@transaction.atomic
def do_renew(member: Member, *, actor, paid: Decimal) -> Member:
    """Renew the membership at the member's tier: the tier's price (times its discount) is due;
    validity runs on from the current end (or from today if it already lapsed). A lapsed
    (expired) membership becomes active again."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    tier = selectors.tier_of(member)
    if tier is None:
        raise Conflict(
            _("The tier ladder has no entry tier yet; renewal needs one."), code="no_tier"
        )
    price = renewal_price(tier)
    if paid < price:
        raise Invalid(
            _("Renewal at %(tier)s costs %(price)s; %(paid)s was paid.")
            % {"tier": tier.name, "price": price, "paid": paid},
            code="underpaid",
            field="paid",
        )
    if member.status == MemberStatus.TERMINATED:
        raise Conflict(_("A terminated membership cannot be renewed."), code="terminated")
    today = _today()
    if tier.validity_months is None:
        new_end = None
    else:
        base = member.valid_until if member.valid_until and member.valid_until >= today else today
        new_end = add_months(base, tier.validity_months)
    member = do_update_member(member, data={"valid_until": new_end}, actor=actor)
    if member.status == MemberStatus.EXPIRED:
        member = do_change_status(
            member, MemberStatus.ACTIVE, actor=actor, reason=_("Membership renewed")
        )
    return member


def do_lapse_expired(*, actor=None, on: datetime.date | None = None) -> int:
    """Memberships whose validity ended before ``on`` become expired (membership's status
    action, one per lapsed member; the points consequence is points' setting)."""
    day = on or _today()
    lapsed = list(
        Member.objects.filter(status=MemberStatus.ACTIVE, valid_until__lt=day).values_list(
            "pk", flat=True
        )
    )
    for member_id in lapsed:
        do_change_status(
            Member(pk=member_id, tenant=tenancy.current_tenant()),
            MemberStatus.EXPIRED,
            actor=actor,
            reason=_("Membership not renewed"),
        )
    return len(lapsed)
