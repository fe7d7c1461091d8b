"""Refunds: whole lines, an amount of the bill, or everything left. Earned points are taken back
in proportion and spent points given back to their lots; each reversing entry names the entry it
reverses (``LedgerEntry.reverses``)."""

from decimal import ROUND_DOWN, Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from core.actors import actor_of
from core.money import MAX_QUANTITY, round_money

from .. import ledger, workflow
from ..ledger import InvalidTransition, PointsError, fingerprint
from ..models import (
    EntryKind,
    LedgerEntry,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Reason,
    Refund,
    ShortfallPolicy,
)
from ..rules import refund_split
from ..selectors import rules_snapshot
from ._common import claim
from .idempotency import check_key, post_once


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
        before = round_money(line.amount_due * line.refunded_quantity / line.quantity, ROUND_DOWN)
        line.refunded_quantity += qty
        after = round_money(line.amount_due * line.refunded_quantity / line.quantity, ROUND_DOWN)
        due += after - before
        touched.append(line)
    return due, touched


def _entry_of(purchase: Purchase, kind: str) -> int | None:
    """The purchase's entry of ``kind`` (one earn, one points payment at most)."""
    return (
        LedgerEntry.objects.filter(purchase=purchase, kind=kind)
        .values_list("pk", flat=True)
        .first()
    )


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
    key = check_key(idempotency_key)
    lines = _refund_lines(lines)
    print_ = fingerprint("refund", purchase.pk, lines, str(amount) if amount is not None else None)

    def post():
        member = purchase.member
        account = ledger.lock_account(member)
        fresh = Purchase.objects.get(pk=purchase.pk)
        if not workflow.next_steps(workflow.PURCHASE, fresh.status):
            raise InvalidTransition(_("This purchase is already refunded in full."), field="status")
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
            actor=actor_of(actor).user,
        )
        refund.save(force_insert=True)
        today = ledger.local_today()
        returned = 0
        if to_return > 0:
            returned = ledger.give_back(
                account,
                _entry_of(fresh, EntryKind.REDEEM),
                to_return,
                today=today,
                reason=Reason.REFUND,
                purchase=fresh,
                refund=refund,
                note="points paid returned",
                idempotency_key=f"refund:{key}:return",
                actor=actor_of(actor).user,
            )
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
                earned_by = _entry_of(fresh, EntryKind.EARN)
                entry = ledger.new_entry(
                    account,
                    kind=EntryKind.REVERSE,
                    reason=Reason.REFUND,
                    points=-take,
                    purchase=fresh,
                    refund=refund,
                    reverses_id=earned_by,
                    note="points earned taken back",
                    idempotency_key=f"refund:{key}:reverse",
                    actor=actor_of(actor).user,
                    effective_on=today,
                )
                ledger.debit(
                    account,
                    entry,
                    today=today,
                    allow_debt=True,
                    prefer=[earned_by] if earned_by else [],
                )
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
        claim(
            fresh,
            workflow.PURCHASE,
            (
                PurchaseStatus.REFUNDED
                if refunded_due == fresh.amount_due
                else PurchaseStatus.PARTLY_REFUNDED
            ),
            refunded_due=refunded_due,
            refunded_amount=F("refunded_amount") + refund.cash_amount,
            points_returned=split.points_returned,
            points_reversed=fresh.points_earned - split.points_kept,
        )
        return refund

    return post_once(Refund, key, print_, post)
