"""The two write paths of a purchase write the same rows: ``ledger.post_purchase`` (one
statement, the common case) and ``ledger.write_purchase`` (row by row, the reference, taken when
points pay part of the bill), with the debt a credit settles decided once (``book_credit``)."""

import datetime

import pytest

from points import actions, ledger
from points.models import (
    Allocation,
    EntryKind,
    LedgerEntry,
    Lot,
    PointsAccount,
    Purchase,
    PurchaseLine,
    Reason,
    ShortfallPolicy,
)
from tests.factories import StoreFactory
from tests.points.helpers import D, assert_reconciled, balance, buy, configure, debt, member

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 5, 4)


def _owing(points: int):
    """A member who owes ``points``: earned, spent, then taken back by a refund."""
    configure(refund_shortfall_policy=ShortfallPolicy.RECORD_DEBT)
    m = member()
    if points:
        earned = buy(m, D(points))
        buy(m, D(points), points_used=points)
        actions.do_refund(earned, idempotency_key=f"owe-{m.pk}")
    assert (balance(m), debt(m)) == (0, points)
    return m


def _write(path: str, m, store, points: int) -> Purchase:
    """What do_record_purchase hands either path, built the same for both."""
    account = ledger.lock_account(m)
    purchase = Purchase(
        tenant_id=m.tenant_id,
        member=m,
        store=store,
        occurred_at=datetime.datetime(2026, 5, 4, 10, tzinfo=datetime.UTC),
        list_amount=D("148.50"),
        amount_due=D("148.50"),
        amount_paid=D("148.50"),
        points_earned=points,
        idempotency_key=f"{path}-{m.pk}",
        fingerprint="same",
    )
    lines = [
        PurchaseLine(
            tenant_id=m.tenant_id,
            purchase=purchase,
            description=description,
            category="goods",
            quantity=quantity,
            list_amount=amount,
            discount_rate=D("0"),
            amount_due=amount,
            earns_points=True,
        )
        for description, quantity, amount in (("tea", 2, D("128.50")), ("cup", 1, D("20")))
    ]
    earn = lot = None
    if points:
        earn = LedgerEntry(
            tenant_id=m.tenant_id,
            account=account,
            member_id=m.pk,
            kind=EntryKind.EARN,
            reason=Reason.PURCHASE,
            points=points,
            note="double points",
            idempotency_key=f"{path}-{m.pk}:earn",
            effective_on=DAY,
        )
        lot = Lot(
            tenant_id=m.tenant_id,
            account=account,
            earned_at=DAY,
            expires_at=DAY + datetime.timedelta(days=365),
        )
    if path == "fast":
        assert ledger.post_purchase(account, purchase, lines, earn, lot, " · shop · 148.50")
    else:
        ledger.write_purchase(account, purchase, lines, earn, lot, " · shop · 148.50")
    if lot is not None:  # the objects passed are the rows written, on both paths
        assert Lot.objects.get(pk=lot.pk).remaining == lot.remaining
    return purchase


def _rows(purchase: Purchase) -> dict:
    """Every row the posting wrote, without what differs by identity (ids, key, member, times)."""
    identity = {"id", "member", "account", "purchase", "entry", "lot", "idempotency_key"}

    def plain(row) -> dict:
        return {
            f.attname: getattr(row, f.attname)
            for f in row._meta.concrete_fields
            if f.name not in identity | {"created_at", "updated_at"}
        }

    entries = list(LedgerEntry.objects.filter(purchase=purchase).order_by("pk"))
    lots = list(Lot.objects.filter(entry__in=entries).order_by("pk"))
    return {
        "purchase": plain(purchase.__class__.objects.get(pk=purchase.pk)),
        "lines": [plain(line) for line in PurchaseLine.objects.filter(purchase=purchase)],
        "entries": [plain(entry) for entry in entries],
        "lots": [
            {**plain(lot), "source": lot.source.replace(f"#{purchase.pk}", "#<id>")} for lot in lots
        ],
        "allocations": [
            plain(a) for a in Allocation.objects.filter(entry__in=entries).order_by("pk")
        ],
        "account": PointsAccount.objects.filter(member_id=purchase.member_id)
        .values("balance", "debt")
        .get(),
    }


@pytest.mark.parametrize(
    ("owed", "points"),
    [
        (0, 148),  # no debt
        (30, 148),  # the debt is settled from the earned points, the rest is spendable
        (500, 148),  # all the earned points go to the debt
        (30, 0),  # nothing earned: no entry, no lot, the debt stays
    ],
)
def test_the_one_statement_and_the_row_by_row_purchase_write_the_same_rows(in_a, owed, points):
    store = StoreFactory(name="shop")
    fast = _write("fast", _owing(owed), store, points)
    reference = _write("reference", _owing(owed), store, points)
    written = _rows(fast)
    assert written == _rows(reference)
    settled = min(owed, points)
    assert written["account"] == {"balance": points - settled, "debt": owed - settled}
    assert [a["points"] for a in written["allocations"]] == ([settled] if settled else [])
    assert len(written["lines"]) == 2 and len(written["entries"]) == (1 if points else 0)
    assert_reconciled()


def test_the_rows_compared_are_the_posting_s_own(in_a):
    """The comparison above sees the columns that could differ (not an empty dict)."""
    purchase = _write("fast", _owing(30), StoreFactory(name="shop"), 148)
    written = _rows(purchase)
    assert written["purchase"]["points_earned"] == 148
    assert written["lots"] == [
        {
            "tenant_id": purchase.tenant_id,
            "points": 148,
            "remaining": 118,
            "earned_at": DAY,
            "expires_at": DAY + datetime.timedelta(days=365),
            "source": "purchase #<id> · shop · 148.50",
        }
    ]
