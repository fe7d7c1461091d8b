"""Writes of the points app: atomic ``do_*`` functions returning model objects.

Every posting takes an idempotency key, unique per tenant: the same key with the same content
returns the first result and posts nothing; the same key with different content is refused
(``IdempotencyConflict``). Keys of the entries a composite action writes are derived from its
key (``purchase:<key>:earn``, ``refund:<key>:reverse``, …).
"""

import datetime
from dataclasses import asdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from core import tenancy
from core.money import MAX_POINTS, MAX_QUANTITY
from membership import pii
from membership.models import Member, MemberStatus

from . import ledger
from .benefits import benefits_for
from .ledger import (
    IdempotencyConflict,
    InsufficientPoints,
    OwnAccount,
    PointsError,
    fingerprint,
    same_or_conflict,
)
from .models import (
    AWARD_REASONS,
    AdjustmentRequest,
    Coupon,
    EntryKind,
    LedgerEntry,
    Lot,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Reason,
    Redemption,
    RedemptionStatus,
    Refund,
    Reward,
    RewardKind,
    ShortfallPolicy,
)
from .rules import LineInput, RuleError, expiry_date, quote_purchase, refund_split
from .selectors import rules_snapshot
from .signals import purchase_recorded

__all__ = [
    "IdempotencyConflict",
    "InsufficientPoints",
    "OwnAccount",
    "PointsError",
    "do_award_points",
    "do_cancel_redemption",
    "do_decide_adjustment",
    "do_decide_redemption",
    "do_fulfil_redemption",
    "do_record_purchase",
    "do_redeem_reward",
    "do_refund",
    "do_request_adjustment",
    "do_use_coupon",
    "quote_for",
]

MAX_KEY = 150
UNSET = object()


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise PointsError(_("An idempotency key of 1 to 150 characters is required."))
    return key


def _check_not_own(member: Member, actor) -> None:
    if actor is not None and member.staff_user_id and member.staff_user_id == actor.pk:
        raise OwnAccount(
            _("Staff may not post adjustments or redemptions to their own member account."),
            code="own_account",
        )


def _actor(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


_KEY_TAKEN = object()


def _idempotent(model, key: str, print_: str, post, *, look_first: bool = True, savepoint=True):
    """Run ``post()`` unless ``key`` was used, then return the first row (or refuse when its
    content differs). A concurrent first use fails on the unique index and gets the winner's
    row. Purchases skip the look-up (one query less per posting): ``post`` inserts the purchase
    before anything that a repeat could fail on, so a repeat always reaches the unique index.
    ``savepoint=False``: ``post`` cannot fail on the key (it inserts ``ON CONFLICT DO NOTHING``)
    and returns ``_KEY_TAKEN`` instead, so inside a transaction (the API's) no savepoint is set
    around it — two round trips less per posting."""
    if look_first:
        existing = model.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return same_or_conflict(existing, print_)
    try:
        with transaction.atomic(savepoint=savepoint):
            result = post()
    except IntegrityError:
        if not savepoint:
            raise
        existing = model.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return same_or_conflict(existing, print_)
    if result is not _KEY_TAKEN:
        return result
    return same_or_conflict(model.objects.get(idempotency_key=key), print_)


def expiry_for(member: Member, earned_on: datetime.date, settings=None) -> datetime.date | None:
    settings = settings or rules_snapshot().settings
    return expiry_date(
        settings.expiry_policy,
        earned_on=earned_on,
        joined_on=member.joined_on,
        months=settings.expiry_months,
        period=settings.expiry_period,
    )


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, tenancy.current_tenant().tzinfo).date()


# --- purchases --------------------------------------------------------------------------------


def _lines(lines) -> list[LineInput]:
    parsed = []
    for line in lines:
        if isinstance(line, LineInput):
            parsed.append(line)
        else:
            parsed.append(
                LineInput(
                    list_amount=Decimal(str(line["list_amount"])),
                    category=line.get("category", "") or "",
                    quantity=int(line.get("quantity", 1) or 1),
                    description=line.get("description", "") or "",
                )
            )
    return parsed


def quote_for(member: Member, lines, *, points_used: int = 0, on_date=None):
    """The discount and points a purchase would get: the preview and the posting share it."""
    on_date = on_date or ledger.local_today()
    snapshot = rules_snapshot()
    try:
        return quote_purchase(
            _lines(lines),
            rules=snapshot.earn_rules(on_date),
            benefits=benefits_for(member, on_date),
            on_date=on_date,
            birthday=member.birthday,
            anniversary=member.wedding_anniversary,
            points_used=points_used,
        )
    except RuleError as error:
        raise PointsError(error.message, code="invalid_purchase", field=error.field) from None


def do_record_purchase(
    *,
    member: Member,
    store,
    lines,
    points_used: int = 0,
    occurred_at: datetime.datetime | None = None,
    idempotency_key: str,
    actor=None,
) -> Purchase:
    key = _check_key(idempotency_key)
    parsed = _lines(lines)
    print_ = fingerprint(
        "purchase",
        member.pk,
        store.pk,
        [asdict(line) for line in parsed],
        points_used,
        occurred_at.isoformat() if occurred_at else None,
    )
    if points_used:
        _check_not_own(member, actor)

    occurred = occurred_at or timezone.now()
    on_date = _local_date(occurred)
    # Refused before the transaction: inside the API's transaction the posting below runs
    # without a savepoint, where any error would doom the whole request.
    quote = quote_for(member, parsed, points_used=points_used, on_date=on_date)
    bonus = quote.amount_paid > 0 and _referral_bonus_due(member)

    def post():
        if bonus:
            # the referrer's account is locked too: both in id order, before either is used
            ledger.lock_accounts([member.pk, member.referrer_id])
        account = ledger.lock_account(member)
        purchase = Purchase(
            tenant_id=member.tenant_id,
            member=member,
            store=store,
            occurred_at=occurred,
            list_amount=quote.list_amount,
            discount_amount=quote.discount_amount,
            amount_due=quote.amount_due,
            points_used=quote.points_used,
            points_value=quote.points_value,
            amount_paid=quote.amount_paid,
            points_earned=quote.points_earned,
            idempotency_key=key,
            fingerprint=print_,
            actor=_actor(actor),
        )
        lines = [
            PurchaseLine(
                tenant_id=member.tenant_id,
                purchase=purchase,
                description=line.description[:200],
                category=line.category[:50],
                quantity=line.quantity,
                list_amount=line.list_amount,
                discount_rate=line.discount_rate,
                amount_due=line.amount_due,
                earns_points=line.earns_points,
            )
            for line in quote.lines
        ]
        earn = lot = None
        if quote.points_earned:
            earn = LedgerEntry(
                tenant_id=account.tenant_id,
                account=account,
                member_id=account.member_id,
                kind=EntryKind.EARN,
                reason=Reason.PURCHASE,
                points=quote.points_earned,
                note=" ".join(quote.reasons),
                idempotency_key=f"purchase:{key}:earn",
                actor=_actor(actor),
                effective_on=on_date,
            )
            lot = Lot(
                tenant_id=account.tenant_id,
                account=account,
                points=quote.points_earned,
                remaining=quote.points_earned,
                earned_at=on_date,
                expires_at=expiry_for(member, on_date),
            )
        source_suffix = f" · {store.name} · {quote.amount_paid}"
        if not quote.points_used:
            # The common case: one statement writes the purchase, its lines, the earn entry and
            # lot and the account (ledger.post_purchase), or nothing when the key is taken.
            if not ledger.post_purchase(account, purchase, lines, earn, lot, source_suffix):
                return _KEY_TAKEN
        else:
            purchase.save(force_insert=True)
            PurchaseLine.objects.bulk_create(lines)
            entry = ledger.new_entry(
                account,
                kind=EntryKind.REDEEM,
                reason=Reason.POINTS_PAYMENT,
                points=-quote.points_used,
                purchase=purchase,
                idempotency_key=f"purchase:{key}:pay",
                actor=_actor(actor),
                effective_on=on_date,
            )
            ledger.debit(account, entry, today=ledger.local_today())
            if earn is not None:
                earn.purchase = purchase
                earn.save(force_insert=True)
                ledger.credit(
                    account,
                    earn,
                    earned_on=on_date,
                    expires_at=lot.expires_at,
                    source=f"purchase #{purchase.pk}{source_suffix}",
                )
            ledger.save_account(account)
        # purchase.lines.all() serves the lines just written (the API returns them); any other
        # use of it (filter, order_by) queries this purchase's lines in this tenant as usual
        written = purchase.lines.all()
        written._result_cache, written._prefetch_done = lines, True
        purchase._prefetched_objects_cache = {"lines": written}
        if bonus:
            _referral_bonus(member, actor)
        purchase_recorded.send(sender=Purchase, member=member, purchase=purchase)
        return purchase

    # Without a savepoint only on the one-statement path, where nothing after validation can
    # refuse: paying with points (the lots are read and may not suffice) and the referral bonus
    # (another posting) keep theirs, so a refusal there leaves the caller's transaction usable.
    return _idempotent(
        Purchase, key, print_, post, look_first=False, savepoint=bool(points_used) or bonus
    )


def _referral_bonus_due(member: Member) -> bool:
    """Whether a paying purchase of ``member`` earns their referrer the referral bonus now."""
    return bool(
        member.referrer_id
        and rules_snapshot().settings.referral_bonus_points
        and not LedgerEntry.objects.filter(idempotency_key=f"referral:{member.pk}").exists()
    )


def _referral_bonus(member: Member, actor) -> None:
    """The referrer's bonus when a referred member first pays (once per referred member)."""
    points = rules_snapshot().settings.referral_bonus_points
    referrer = Member.objects.filter(pk=member.referrer_id).first()
    if referrer is None:
        return
    do_award_points(
        referrer,
        reason=Reason.REFERRAL,
        points=points,
        idempotency_key=f"referral:{member.pk}",
        actor=actor,
        note=f"member #{member.pk}",
    )


# --- refunds ----------------------------------------------------------------------------------


def _refund_lines(lines: dict | None) -> dict[str, int]:
    """``{line id: quantity}`` with ids and quantities as whole numbers in range, or a refusal
    naming ``lines`` (a client can send any JSON object)."""
    parsed = {}
    for raw_id, raw_qty in (lines or {}).items():
        line_id, qty = str(raw_id).strip(), raw_qty
        if isinstance(qty, str) and qty.strip().isascii() and qty.strip().isdigit():
            qty = int(qty)  # the refund page's form fields
        if not (line_id.isascii() and line_id.isdigit() and len(line_id) <= 18):
            raise PointsError(
                _("%(line)s is not a line of this purchase.") % {"line": str(raw_id)[:20]},
                code="unknown_line",
                field="lines",
            )
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
            raise PointsError(
                _("Refund a quantity from 1 to %(max)s of each line.") % {"max": MAX_QUANTITY},
                code="invalid_quantity",
                field="lines",
            )
        parsed[str(int(line_id))] = qty
    return parsed


def _line_refund_due(purchase: Purchase, lines: dict) -> tuple[Decimal, list[PurchaseLine]]:
    by_id = {line.pk: line for line in purchase.lines.all()}
    due = Decimal("0.00")
    touched = []
    for raw_id, raw_qty in lines.items():
        line = by_id.get(int(raw_id))
        qty = int(raw_qty)
        if line is None or qty < 1 or line.refunded_quantity + qty > line.quantity:
            raise PointsError(
                _("A refunded line or quantity is not part of this purchase."),
                code="unknown_line",
                field="lines",
            )
        before = (line.amount_due * line.refunded_quantity / line.quantity).quantize(
            Decimal("0.01"), rounding="ROUND_DOWN"
        )
        line.refunded_quantity += qty
        after = (line.amount_due * line.refunded_quantity / line.quantity).quantize(
            Decimal("0.01"), rounding="ROUND_DOWN"
        )
        due += after - before
        touched.append(line)
    return due, touched


def do_refund(
    purchase: Purchase,
    *,
    lines: dict | None = None,
    amount: Decimal | None = None,
    reason: str = "",
    idempotency_key: str,
    actor=None,
) -> Refund:
    """Refund whole lines (``lines``: {line id: quantity}), an ``amount`` of the bill (amount
    due, the part paid with points included), or, with neither, everything not yet refunded.
    Earned points are taken back in proportion and spent points given back to their lots."""
    key = _check_key(idempotency_key)
    lines = _refund_lines(lines)
    print_ = fingerprint("refund", purchase.pk, lines, str(amount) if amount is not None else None)

    def post():
        member = purchase.member
        account = ledger.lock_account(member)
        fresh = Purchase.objects.get(pk=purchase.pk)
        if lines:
            due, touched = _line_refund_due(fresh, lines)
        else:
            touched = []
            due = fresh.amount_due - fresh.refunded_due if amount is None else Decimal(amount)
        left = fresh.amount_due - fresh.refunded_due
        if due <= 0 or due > left:
            raise PointsError(
                _("A refund must be more than 0 and at most %(left)s.") % {"left": left},
                code="invalid_refund",
            )
        split = refund_split(
            amount_due=fresh.amount_due,
            amount_paid=fresh.amount_paid,
            points_used=fresh.points_used,
            points_earned=fresh.points_earned,
            refunded_due=fresh.refunded_due + due,
        )
        before = refund_split(
            amount_due=fresh.amount_due,
            amount_paid=fresh.amount_paid,
            points_used=fresh.points_used,
            points_earned=fresh.points_earned,
            refunded_due=fresh.refunded_due,
        )
        cash = split.cash - before.cash
        to_return = split.points_returned - fresh.points_returned
        to_reverse = (fresh.points_earned - split.points_kept) - fresh.points_reversed
        refund = Refund(
            tenant_id=fresh.tenant_id,
            purchase=fresh,
            lines=lines,
            due_amount=due,
            cash_amount=cash,
            reason=reason[:300],
            idempotency_key=key,
            fingerprint=print_,
            actor=_actor(actor),
        )
        refund.save(force_insert=True)
        today = ledger.local_today()
        returned = 0
        if to_return > 0:
            paid_with = list(
                LedgerEntry.objects.filter(purchase=fresh, kind=EntryKind.REDEEM).values_list(
                    "pk", flat=True
                )
            )
            plan = ledger.restore_plan(paid_with, to_return, today=today)
            returned = sum(give for _lot, give in plan)
            if returned:
                entry = ledger.new_entry(
                    account,
                    kind=EntryKind.REVERSE,
                    reason=Reason.REFUND,
                    points=returned,
                    purchase=fresh,
                    refund=refund,
                    note="points paid returned",
                    idempotency_key=f"refund:{key}:return",
                    actor=_actor(actor),
                    effective_on=today,
                )
                ledger.apply_restore(account, entry, plan)
        deducted = Decimal("0.00")
        debt_before = account.debt
        if to_reverse > 0:
            take = to_reverse
            settings = rules_snapshot().settings
            if settings.refund_shortfall_policy == ShortfallPolicy.DEDUCT_FROM_CASH:
                spendable = (
                    ledger.spendable_lots(account, today).aggregate(total=Sum("remaining"))["total"]
                    or 0
                )
                shortfall = max(0, to_reverse - spendable)
                covered = min(shortfall, int(cash // settings.point_value))
                deducted = covered * settings.point_value
                take -= covered
            if take:
                entry = ledger.new_entry(
                    account,
                    kind=EntryKind.REVERSE,
                    reason=Reason.REFUND,
                    points=-take,
                    purchase=fresh,
                    refund=refund,
                    note="points earned taken back",
                    idempotency_key=f"refund:{key}:reverse",
                    actor=_actor(actor),
                    effective_on=today,
                )
                earned_by = list(
                    LedgerEntry.objects.filter(purchase=fresh, kind=EntryKind.EARN).values_list(
                        "pk", flat=True
                    )
                )
                ledger.debit(account, entry, today=today, allow_debt=True, prefer=earned_by)
        ledger.save_account(account)
        refund.points_returned = returned
        refund.points_reversed = max(to_reverse, 0)
        refund.deducted_amount = deducted
        refund.cash_amount = cash - deducted
        refund.debt_recorded = max(0, account.debt - debt_before)
        refund.save(
            update_fields=[
                "points_returned",
                "points_reversed",
                "deducted_amount",
                "cash_amount",
                "debt_recorded",
            ]
        )
        if touched:
            PurchaseLine.objects.bulk_update(touched, ["refunded_quantity"])
        refunded_due = fresh.refunded_due + due
        Purchase.objects.filter(pk=fresh.pk).update(
            refunded_due=refunded_due,
            refunded_amount=F("refunded_amount") + refund.cash_amount,
            points_returned=split.points_returned,
            points_reversed=fresh.points_earned - split.points_kept,
            status=(
                PurchaseStatus.REFUNDED
                if refunded_due == fresh.amount_due
                else PurchaseStatus.PARTLY_REFUNDED
            ),
        )
        return refund

    return _idempotent(Refund, key, print_, post)


# --- awards and adjustments -------------------------------------------------------------------


def do_award_points(
    member: Member,
    *,
    reason: str,
    points: int,
    idempotency_key: str,
    actor=None,
    note: str = "",
    earned_on: datetime.date | None = None,
    expires_at=UNSET,
) -> LedgerEntry:
    """Points without a purchase: a task, a referral, an adopted suggestion, a complaint's
    compensation or an opening balance (which may carry its original dates)."""
    key = _check_key(idempotency_key)
    if reason not in AWARD_REASONS:
        raise PointsError(_("Unknown reason for an award."), code="invalid_reason")
    if not 0 < points <= MAX_POINTS:
        raise PointsError(
            _("An award is from 1 to %(max)s points.") % {"max": MAX_POINTS}, field="points"
        )
    print_ = fingerprint(
        "award",
        member.pk,
        reason,
        points,
        note,
        earned_on,
        None if expires_at is UNSET else expires_at,
    )
    return _post_credit(
        member,
        kind=EntryKind.EARN,
        reason=reason,
        points=points,
        key=key,
        print_=print_,
        actor=actor,
        note=note,
        earned_on=earned_on,
        expires_at=expires_at,
        source=f"{reason}: {note}" if note else str(reason),
    )


def _post_credit(
    member, *, kind, reason, points, key, print_, actor, note, earned_on, expires_at, source
):
    def post():
        account = ledger.lock_account(member)
        today = ledger.local_today()
        on = earned_on or today
        entry = ledger.new_entry(
            account,
            kind=kind,
            reason=reason,
            points=points,
            note=note[:300],
            idempotency_key=key,
            fingerprint=print_,
            actor=_actor(actor),
            effective_on=on,
        )
        ledger.credit(
            account,
            entry,
            earned_on=on,
            expires_at=expiry_for(member, on) if expires_at is UNSET else expires_at,
            source=source,
        )
        ledger.save_account(account)
        return entry

    return _idempotent(LedgerEntry, key, print_, post)


def _post_debit(member, *, kind, reason, points, key, print_, actor, note, **links):
    def post():
        account = ledger.lock_account(member)
        today = ledger.local_today()
        entry = ledger.new_entry(
            account,
            kind=kind,
            reason=reason,
            points=-points,
            note=note[:300],
            idempotency_key=key,
            fingerprint=print_,
            actor=_actor(actor),
            effective_on=today,
            **links,
        )
        ledger.debit(account, entry, today=today)
        ledger.save_account(account)
        return entry

    return _idempotent(LedgerEntry, key, print_, post)


def do_request_adjustment(
    member: Member, *, points: int, reason: str, idempotency_key: str, actor
) -> AdjustmentRequest:
    """A manual adjustment: posted at once up to the tenant's threshold, otherwise waiting for a
    manager's approval (``do_decide_adjustment``)."""
    key = _check_key(idempotency_key)
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_("A manual adjustment needs a reason."), code="reason_required")
    if not points:
        raise PointsError(_("An adjustment of 0 points changes nothing."), field="points")
    if abs(points) > MAX_POINTS:
        raise PointsError(
            _("An adjustment is at most %(max)s points either way.") % {"max": MAX_POINTS},
            field="points",
        )
    _check_not_own(member, actor)
    reason = reason[:300]

    def first_use(existing: AdjustmentRequest) -> AdjustmentRequest:
        if (existing.member_id, existing.points, existing.reason) != (member.pk, points, reason):
            raise IdempotencyConflict(
                _("This idempotency key was already used for a different posting.")
            )
        return existing

    existing = AdjustmentRequest.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return first_use(existing)
    try:
        with transaction.atomic():
            request = AdjustmentRequest.objects.create(
                member=member,
                points=points,
                reason=reason,
                requested_by=_actor(actor),
                idempotency_key=key,
            )
            if abs(points) <= rules_snapshot().settings.adjustment_approval_threshold:
                _post_adjustment(request, actor)
    except IntegrityError:  # a concurrent first use of the key won: its request is the answer
        existing = AdjustmentRequest.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return first_use(existing)
    return request


def _post_adjustment(request: AdjustmentRequest, actor) -> None:
    key = f"adjust:{request.pk}"
    common = {
        "kind": EntryKind.ADJUST,
        "reason": Reason.MANUAL,
        "key": key,
        "print_": "",
        "actor": actor,
        "note": request.reason,
    }
    if request.points > 0:
        ledger_entry = _post_credit(
            request.member,
            points=request.points,
            earned_on=None,
            expires_at=UNSET,
            source=f"adjustment: {request.reason}",
            **common,
        )
    else:
        ledger_entry = _post_debit(request.member, points=-request.points, **common)
    AdjustmentRequest.objects.filter(pk=request.pk).update(
        status="approved", decided_by=_actor(actor), decided_at=timezone.now()
    )
    request.status = "approved"
    request.entry = ledger_entry


@transaction.atomic
def do_decide_adjustment(request: AdjustmentRequest, *, approve: bool, actor) -> AdjustmentRequest:
    _check_not_own(request.member, actor)
    if actor is not None and request.requested_by_id == actor.pk:
        raise PointsError(_("An adjustment needs another person's approval."))
    claimed = AdjustmentRequest.objects.filter(pk=request.pk, status="pending")
    if not claimed.select_for_update(of=("self",)).exists():
        raise PointsError(_("This adjustment was already decided."), code="already_decided")
    if approve:
        _post_adjustment(request, actor)
    else:
        claimed.update(status="rejected", decided_by=_actor(actor), decided_at=timezone.now())
    request.refresh_from_db()
    return request


# --- rewards, redemptions and coupons ---------------------------------------------------------


def _check_identity(member: Member, id_number: str) -> None:
    given = pii.normalise_id_number(id_number or "")
    if not given or not member.id_number_digest:
        raise PointsError(_("This reward needs an ID check."), code="id_check_failed")
    if len(given) == 4:
        ok = given.upper() == member.id_number_last4.upper()
    else:
        ok = pii.id_digest(member.tenant_id, given) == member.id_number_digest
    if not ok:
        raise PointsError(_("The ID number does not match the member."), code="id_check_failed")


def do_redeem_reward(
    member: Member,
    reward: Reward,
    *,
    idempotency_key: str,
    actor=None,
    id_number: str = "",
    store=None,
) -> Redemption:
    key = _check_key(idempotency_key)
    print_ = fingerprint("redeem", member.pk, reward.pk)
    _check_not_own(member, actor)
    if member.status != MemberStatus.ACTIVE:
        raise PointsError(_("Only active members can redeem points."), code="inactive_member")

    def post():
        fresh = Reward.objects.get(pk=reward.pk)
        if not fresh.is_active:
            raise PointsError(_("This reward is not available."), code="unavailable")
        if fresh.requires_id_check:
            _check_identity(member, id_number)
        account = ledger.lock_account(member)
        if fresh.stock is not None:
            taken = Reward.objects.filter(pk=fresh.pk, stock__gt=0).update(stock=F("stock") - 1)
            if not taken:
                raise PointsError(_("This reward is out of stock."), code="out_of_stock")
        redemption = Redemption(
            tenant_id=member.tenant_id,
            member=member,
            reward=fresh,
            points=fresh.points_cost,
            status=RedemptionStatus.PENDING if fresh.requires_approval else "approved",
            store=store,
            id_checked=fresh.requires_id_check,
            idempotency_key=key,
            fingerprint=print_,
            actor=_actor(actor),
        )
        redemption.save(force_insert=True)
        today = ledger.local_today()
        entry = ledger.new_entry(
            account,
            kind=EntryKind.REDEEM,
            reason=Reason.REWARD,
            points=-fresh.points_cost,
            redemption=redemption,
            note=str(fresh)[:300],
            idempotency_key=f"redeem:{key}",
            actor=_actor(actor),
            effective_on=today,
        )
        ledger.debit(account, entry, today=today)
        ledger.save_account(account)
        if redemption.status == "approved" and fresh.kind == RewardKind.COUPON:
            _issue_coupon(redemption)
        return redemption

    return _idempotent(Redemption, key, print_, post)


def _issue_coupon(redemption: Redemption) -> Coupon:
    return Coupon.objects.create(
        code=get_random_string(12, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"),
        redemption=redemption,
        member_id=redemption.member_id,
        value=redemption.reward.coupon_value,
    )


def _claim(redemption: Redemption, from_status: tuple[str, ...], **changes) -> bool:
    return bool(
        Redemption.objects.filter(pk=redemption.pk, status__in=from_status).update(**changes)
    )


@transaction.atomic
def do_decide_redemption(redemption: Redemption, *, approve: bool, actor) -> Redemption:
    _check_not_own(redemption.member, actor)
    status = RedemptionStatus.APPROVED if approve else RedemptionStatus.REJECTED
    if not _claim(
        redemption, ("pending",), status=status, decided_by=_actor(actor), decided_at=timezone.now()
    ):
        raise PointsError(_("This redemption was already decided."), code="already_decided")
    if approve:
        if redemption.reward.kind == RewardKind.COUPON:
            _issue_coupon(redemption)
    else:
        _give_back(redemption, actor)
    redemption.refresh_from_db()
    return redemption


@transaction.atomic
def do_fulfil_redemption(redemption: Redemption, *, actor) -> Redemption:
    if not _claim(redemption, ("approved",), status="fulfilled", fulfilled_at=timezone.now()):
        raise PointsError(_("Only an approved redemption can be fulfilled."))
    redemption.refresh_from_db()
    return redemption


@transaction.atomic
def do_cancel_redemption(redemption: Redemption, *, actor, note: str = "") -> Redemption:
    if Coupon.objects.filter(redemption=redemption, used_at__isnull=False).exists():
        raise PointsError(_("A coupon of this redemption was already used."))
    if not _claim(redemption, ("pending", "approved"), status="cancelled", note=note[:300]):
        raise PointsError(_("Only a pending or approved redemption can be cancelled."))
    Coupon.objects.filter(redemption=redemption, used_at__isnull=True).update(
        used_at=timezone.now(), used_by=_actor(actor)
    )
    _give_back(redemption, actor)
    redemption.refresh_from_db()
    return redemption


def _give_back(redemption: Redemption, actor) -> None:
    """Return a redemption's points to the lots they came from, and its stock."""
    account = ledger.lock_account(redemption.member)
    today = ledger.local_today()
    spent = list(
        LedgerEntry.objects.filter(redemption=redemption, kind=EntryKind.REDEEM).values_list(
            "pk", flat=True
        )
    )
    plan = ledger.restore_plan(spent, redemption.points, today=today)
    back = sum(give for _lot, give in plan)
    if back:
        entry = ledger.new_entry(
            account,
            kind=EntryKind.REVERSE,
            reason=Reason.REWARD_RETURNED,
            points=back,
            redemption=redemption,
            idempotency_key=f"redeem-return:{redemption.pk}",
            actor=_actor(actor),
            effective_on=today,
        )
        ledger.apply_restore(account, entry, plan)
        ledger.save_account(account)
    Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(stock=F("stock") + 1)


def do_use_coupon(code: str, *, store=None, actor=None) -> Coupon:
    """Use a coupon once: a compare-and-set on ``used_at``, so two counters cannot both use it."""
    code = (code or "").strip().upper()
    used = Coupon.objects.filter(
        code=code,
        used_at__isnull=True,
        redemption__status__in=(RedemptionStatus.APPROVED, RedemptionStatus.FULFILLED),
    ).update(used_at=timezone.now(), used_store=store, used_by=_actor(actor))
    if not used:
        raise PointsError(_("Unknown or already used coupon."), code="coupon_unusable")
    coupon = Coupon.objects.get(code=code)
    Redemption.objects.filter(pk=coupon.redemption_id, status="approved").update(
        status="fulfilled", fulfilled_at=timezone.now()
    )
    return coupon


# --- lapse and opening balances ---------------------------------------------------------------


def find_member(identifier: str) -> Member | None:
    from membership.selectors import card_lookup, members_by_phone

    identifier = (identifier or "").strip()
    card = card_lookup(identifier)
    if card is not None:
        return card.member
    member = Member.objects.filter(card_number=identifier).first()
    return member or members_by_phone(identifier).first()


def do_import_opening_balances(rows: list[dict], *, actor) -> list[LedgerEntry]:
    """Post opening balances (rows from ``forms.parse_opening_balances``) with their original
    earned and expiry dates. Re-importing the same file posts nothing twice."""
    posted = []
    for row in rows:
        posted.append(
            do_award_points(
                row["member"],
                reason=Reason.OPENING_BALANCE,
                points=row["points"],
                idempotency_key=(
                    f"opening:{row['member'].pk}:{row['earned_on']}:{row['expires_at']}:"
                    f"{row['points']}"
                ),
                actor=actor,
                note=row.get("note", ""),
                earned_on=row["earned_on"],
                expires_at=row["expires_at"],
            )
        )
    return posted
