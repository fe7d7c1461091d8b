import datetime

import pytest

from membership.models import MemberStatus
from points import actions, expiry, selectors
from points.models import EntryKind, LedgerEntry, Lot
from points.rules import expiry_date, next_anniversary, period_end
from points.tasks import expire_points
from tests.points.helpers import D, assert_reconciled, award, balance, buy, configure, debt, member

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 6, 1)


def _due_lots(n, who=None, *, due=DAY):
    who = who or member()
    for i in range(n):
        award(who, 10 + i, expires_at=due, earned_on=due - datetime.timedelta(days=400))
    return who


def test_due_lots_expire_with_an_entry_per_member_naming_each_lot(in_a):
    m = _due_lots(3)
    other = _due_lots(1)
    award(m, 7, expires_at=DAY + datetime.timedelta(days=1))
    run = expiry.expire_due_lots(DAY)
    assert run.lots == 4 and run.finished
    assert (balance(m), balance(other)) == (7, 0)
    [entry] = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE, member=m)
    assert entry.points == -33
    cleared = selectors.expiry_explanations([entry.pk])[entry.pk]
    assert sorted(lot["points"] for lot in cleared) == [10, 11, 12]
    assert LedgerEntry.objects.get(kind=EntryKind.EXPIRE, member=other).points == -10
    assert_reconciled()


def test_running_the_expiry_twice_changes_nothing(in_a):
    m = _due_lots(4)
    expiry.expire_due_lots(DAY)
    before = (LedgerEntry.objects.count(), balance(m))
    again = expiry.expire_due_lots(DAY)
    assert again.lots == 0
    assert (LedgerEntry.objects.count(), balance(m)) == before
    assert_reconciled()


def test_the_expiry_stops_after_its_batches_and_resumes_from_the_cursor(in_a):
    m = _due_lots(5)
    first = expiry.expire_due_lots(DAY, batch_size=2, max_batches=1)
    assert (first.lots, first.finished) == (2, False)
    assert Lot.objects.filter(remaining__gt=0).count() == 3
    rest = expiry.expire_due_lots(DAY, batch_size=2, cursor=first.cursor)
    assert rest.lots == 3
    assert balance(m) == 0
    assert_reconciled()


def test_a_batch_takes_a_members_due_lots_together(in_a):
    first, second = member(), member()
    for who in (first, second, first, second):  # lot ids interleave the two members
        award(who, 10, expires_at=DAY, earned_on=DAY - datetime.timedelta(days=400))
    run = expiry.expire_due_lots(DAY, batch_size=2)
    assert (run.lots, run.batches) == (4, 2)
    expired = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE)
    assert sorted((e.member_id, e.points) for e in expired) == sorted(
        [(first.pk, -20), (second.pk, -20)]
    )
    assert_reconciled()


def test_a_cursor_from_before_accounts_were_in_it_starts_its_day_again(in_a):
    m = _due_lots(3)
    run = expiry.expire_due_lots(DAY, cursor=(DAY.isoformat(), 10**9))
    assert run.lots == 3 and balance(m) == 0


def test_the_task_sends_itself_on_until_everything_due_has_expired(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    import points.tasks
    from core import tenancy

    with tenancy.tenant_context(world.a):
        m = _due_lots(5, due=datetime.date.today())
    monkeypatch.setattr(points.tasks, "MAX_BATCHES_PER_RUN", 1)
    monkeypatch.setattr(expiry, "BATCH_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=True):  # a task runs in autocommit
        expire_points.apply(kwargs={"tenant_id": world.a.pk})
    with tenancy.tenant_context(world.a):
        assert balance(m) == 0
        # batches of 2 lots: one entry per batch for this member (2 + 2 + 1 lots)
        expired = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).order_by("id")
        assert [e.points for e in expired] == [-21, -25, -14]
        assert_reconciled()


def test_members_and_staff_see_which_lot_expired_and_where_it_came_from(in_a):
    m = member()
    award(m, 30, expires_at=DAY, earned_on=datetime.date(2025, 5, 2), note="homework")
    expiry.expire_due_lots(DAY)
    entry = LedgerEntry.objects.get(kind=EntryKind.EXPIRE)
    [explained] = selectors.expiry_explanations([entry.pk])[entry.pk]
    assert explained["points"] == 30
    assert explained["earned_at"] == datetime.date(2025, 5, 2)
    assert "homework" in explained["source"]


def test_a_lapsed_membership_loses_all_its_points_when_the_tenant_says_so(in_a):
    configure(clear_on_lapse=True)
    lapsed = member()
    award(lapsed, 100, expires_at=None)
    award(lapsed, 50, expires_at=DAY + datetime.timedelta(days=300))
    active = member()
    award(active, 40, expires_at=None)
    lapsed.status = MemberStatus.EXPIRED
    lapsed.save()
    assert expiry.clear_lapsed(DAY) == 2
    assert (balance(lapsed), balance(active)) == (0, 40)
    assert expiry.clear_lapsed(DAY) == 0
    [cleared] = LedgerEntry.objects.filter(reason="lapse")
    assert cleared.points == -150
    assert_reconciled()


def test_expired_lots_are_not_spent_even_before_the_job_ran(in_a):
    from points.actions import InsufficientPoints
    from tests.points.helpers import D, buy

    m = member()
    award(m, 50, expires_at=datetime.date.today())
    with pytest.raises(InsufficientPoints):
        buy(m, D("100"), points_used=10)


@pytest.mark.parametrize(
    ("policy", "months", "period", "earned", "expected"),
    [
        ("fixed_term", 12, "year", datetime.date(2026, 1, 31), datetime.date(2027, 1, 31)),
        ("fixed_term", 1, "year", datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        ("membership_year", 0, "year", datetime.date(2026, 5, 1), datetime.date(2027, 3, 15)),
        ("membership_year", 12, "year", datetime.date(2026, 3, 14), datetime.date(2027, 3, 15)),
        ("membership_year", 12, "year", datetime.date(2026, 3, 15), datetime.date(2028, 3, 15)),
        ("calendar_period", 0, "month", datetime.date(2026, 2, 10), datetime.date(2026, 3, 1)),
        ("calendar_period", 0, "quarter", datetime.date(2026, 5, 10), datetime.date(2026, 7, 1)),
        ("calendar_period", 12, "year", datetime.date(2026, 5, 10), datetime.date(2028, 1, 1)),
        ("never", 12, "year", datetime.date(2026, 5, 10), None),
    ],
)
def test_expiry_dates_by_policy(policy, months, period, earned, expected):
    joined = datetime.date(2024, 3, 15)
    got = expiry_date(policy, earned_on=earned, joined_on=joined, months=months, period=period)
    assert got == expected


def test_anniversaries_and_period_ends():
    assert next_anniversary(datetime.date(2024, 2, 29), datetime.date(2025, 1, 1)) == (
        datetime.date(2025, 2, 28)
    )
    assert period_end(datetime.date(2026, 12, 31), "month") == datetime.date(2027, 1, 1)
    assert period_end(datetime.date(2026, 12, 31), "quarter") == datetime.date(2027, 1, 1)


def test_a_refund_after_a_lapse_does_not_revive_the_cleared_lot(in_a):
    """Points paid with a purchase, then cleared by a lapse: refunding the purchase must not
    put them back into the cleared lot (they would have been cleared with it)."""
    configure(clear_on_lapse=True, refund_shortfall_policy="record_debt", point_value=D("1"))
    who = member()
    award(who, 100, expires_at=DAY + datetime.timedelta(days=300))
    paid = buy(who, D("80"), points_used=50)
    earned = paid.points_earned
    assert balance(who) == 50 + earned
    who.status = MemberStatus.EXPIRED
    who.save()
    assert expiry.clear_lapsed(DAY) == 2  # the award's lot (50 left) and the purchase's lot
    assert balance(who) == 0

    refund = actions.do_refund(paid, idempotency_key="after-lapse")

    assert refund.points_returned == 0
    assert Lot.objects.filter(remaining__gt=0).count() == 0
    # the earned points are reversed against what is left (nothing): a recorded debt
    assert refund.points_reversed == earned
    assert (balance(who), debt(who)) == (0, earned)
    assert expiry.clear_lapsed(DAY) == 0
    assert_reconciled()


def test_a_refund_after_a_lapse_deducts_the_reversed_points_from_the_cash(in_a):
    configure(clear_on_lapse=True, refund_shortfall_policy="deduct_from_cash", point_value=D("1"))
    who = member()
    paid = buy(who, D("80"))
    who.status = MemberStatus.EXPIRED
    who.save()
    assert expiry.clear_lapsed(DAY) == 1

    refund = actions.do_refund(paid, idempotency_key="after-lapse-cash")

    assert (refund.points_returned, refund.points_reversed) == (0, 80)
    assert refund.deducted_amount == D("80.00") and refund.cash_amount == D("0.00")
    assert (balance(who), debt(who)) == (0, 0)
    assert Lot.objects.filter(remaining__gt=0).count() == 0
    assert_reconciled()


def test_a_refund_after_a_lapse_does_not_revive_a_cleared_lot_without_expiry(in_a):
    configure(clear_on_lapse=True)
    who = member()
    award(who, 100, expires_at=None)
    paid = buy(who, D("30"), points_used=30)
    who.status = MemberStatus.EXPIRED
    who.save()
    expiry.clear_lapsed(DAY)
    actions.do_refund(paid, idempotency_key="after-lapse-2")
    assert balance(who) == 0
    assert Lot.objects.filter(remaining__gt=0).count() == 0
    assert_reconciled()
