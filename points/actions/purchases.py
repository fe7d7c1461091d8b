"""Purchases: the quote (preview and posting share it), the posting, the referral bonus."""

import datetime
from dataclasses import asdict
from decimal import Decimal

from django.utils import timezone

from core.actors import actor_of
from membership.models import Member

from .. import ledger
from ..benefits import benefits_for
from ..hooks import purchase_recorded
from ..ledger import PointsError, fingerprint
from ..models import EntryKind, LedgerEntry, Lot, Purchase, PurchaseLine, Reason
from ..rules import LineInput, RuleError, quote_purchase
from ..selectors import rules_snapshot
from ._common import check_not_own, expiry_for, local_date
from .awards import do_award_points
from .idempotency import (
    KEY_TAKEN,
    check_key,
    post_once_without_lookup,
    post_once_without_savepoint,
)


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
    key = check_key(idempotency_key)
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
        check_not_own(member, actor)

    occurred = occurred_at or timezone.now()
    on_date = local_date(occurred)
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
            actor=actor_of(actor).user,
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
            earn = ledger.unsaved_entry(
                account,
                kind=EntryKind.EARN,
                reason=Reason.PURCHASE,
                points=quote.points_earned,
                note=" ".join(quote.reasons),
                idempotency_key=f"purchase:{key}:earn",
                actor=actor_of(actor).user,
                effective_on=on_date,
            )
            lot = Lot(
                tenant_id=account.tenant_id,
                account=account,
                earned_at=on_date,
                expires_at=expiry_for(member, on_date),
            )
        source_suffix = f" · {store.name} · {quote.amount_paid}"
        if not quote.points_used:
            # The common case: one statement writes the purchase, its lines, the earn entry and
            # lot and the account (ledger.post_purchase), or nothing when the key is taken.
            if not ledger.post_purchase(account, purchase, lines, earn, lot, source_suffix):
                return KEY_TAKEN
        else:
            pay = ledger.unsaved_entry(
                account,
                kind=EntryKind.REDEEM,
                reason=Reason.POINTS_PAYMENT,
                points=-quote.points_used,
                idempotency_key=f"purchase:{key}:pay",
                actor=actor_of(actor).user,
                effective_on=on_date,
            )
            ledger.write_purchase(
                account,
                purchase,
                lines,
                earn,
                lot,
                source_suffix,
                pay=pay,
                today=ledger.local_today(),
            )
        # purchase.lines.all() serves the lines just written (the API returns them); any other
        # use of it (filter, order_by) queries this purchase's lines in this tenant as usual
        written = purchase.lines.all()
        written._result_cache, written._prefetch_done = lines, True
        purchase._prefetched_objects_cache = {"lines": written}
        if bonus:
            _referral_bonus(member, actor)
        purchase_recorded.send(sender=Purchase, member=member, purchase=purchase)
        return purchase

    if points_used or bonus:
        # Paying with points (the lots are read and may not suffice) and the referral bonus
        # (another posting) may refuse after the first write: in a savepoint, so that a refusal
        # leaves the caller's transaction usable.
        return post_once_without_lookup(Purchase, key, print_, post)
    # The one-statement path, where nothing after validation can refuse.
    return post_once_without_savepoint(Purchase, key, print_, post)


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
