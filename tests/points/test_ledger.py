import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from points import actions
from points.models import Lot, PointsAccount, Purchase, Reward
from tests.points.helpers import D, assert_reconciled, award, balance, buy, configure, debt, member

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def test_a_purchase_earns_one_point_per_yuan_by_default(in_a):
    m = member()
    purchase = buy(m, D("123.45"))
    assert purchase.points_earned == 123
    assert balance(m) == 123
    assert_reconciled()


def test_a_new_purchases_lines_are_its_own_whatever_is_asked_of_them(world):
    from core import tenancy

    with tenancy.tenant_context(world.b):
        buy(member(), D("7"), D("8"))
    with tenancy.tenant_context(world.a):
        buy(member(), D("5"))
        purchase = buy(member(), D("100"), D("50"))
        assert [line.list_amount for line in purchase.lines.all()] == [D("100"), D("50")]
        ordered = purchase.lines.order_by("-pk")
        assert [line.list_amount for line in ordered] == [D("50"), D("100")]
        assert purchase.lines.filter(list_amount__lt=D("60")).count() == 1


def test_the_same_key_posts_once_and_returns_the_first_purchase(in_a):
    m = member()
    store_purchase = buy(m, D("50"), key="k1")
    again = actions.do_record_purchase(
        member=m,
        store=store_purchase.store,
        lines=[{"list_amount": D("50"), "category": "goods"}],
        idempotency_key="k1",
    )
    assert again.pk == store_purchase.pk
    assert Purchase.objects.count() == 1
    assert balance(m) == 50


def test_the_same_key_with_different_content_is_refused(in_a):
    m = member()
    first = buy(m, D("50"), key="k1")
    with pytest.raises(actions.IdempotencyConflict):
        actions.do_record_purchase(
            member=m,
            store=first.store,
            lines=[{"list_amount": D("51"), "category": "goods"}],
            idempotency_key="k1",
        )
    assert balance(m) == 50


def test_spending_takes_the_oldest_expiring_lot_first(in_a):
    m = member()
    late = award(m, 100, expires_at=TODAY + datetime.timedelta(days=300))
    early = award(m, 100, expires_at=TODAY + datetime.timedelta(days=10))
    never = award(m, 100, expires_at=None)
    buy(m, D("150"), points_used=150)
    lots = {lot.entry_id: lot.remaining for lot in Lot.objects.all()}
    assert lots[early.pk] == 0
    assert lots[late.pk] == 50
    assert lots[never.pk] == 100
    assert_reconciled()


def test_spending_more_than_the_balance_is_refused_and_posts_nothing(in_a):
    m = member()
    award(m, 10)
    with pytest.raises(actions.InsufficientPoints):
        buy(m, D("50"), points_used=11)
    assert balance(m) == 10
    assert Purchase.objects.count() == 0


def test_the_part_paid_with_points_earns_nothing(in_a):
    m = member()
    award(m, 40)
    purchase = buy(m, D("100"), points_used=40)
    assert purchase.amount_paid == D("60.00")
    assert purchase.points_earned == 60
    assert balance(m) == 60


def test_a_full_refund_reverses_the_points_earned_and_returns_points_spent_to_their_lots(in_a):
    m = member()
    gift = award(m, 30, expires_at=TODAY + datetime.timedelta(days=20))
    purchase = buy(m, D("100"), points_used=30)
    assert balance(m) == 70
    refund = actions.do_refund(purchase, idempotency_key="r1")
    assert refund.cash_amount == D("70.00")
    assert refund.points_reversed == 70
    assert refund.points_returned == 30
    assert balance(m) == 30
    lot = Lot.objects.get(entry=gift)
    assert (lot.remaining, lot.expires_at) == (30, TODAY + datetime.timedelta(days=20))
    assert_reconciled()


def test_partial_refunds_reverse_proportionally_and_add_up_to_the_whole(in_a):
    m = member()
    purchase = buy(m, D("100"), D("50"))  # 150 points
    line = purchase.lines.order_by("pk").first()
    first = actions.do_refund(purchase, lines={line.pk: 1}, idempotency_key="r1")
    assert first.cash_amount == D("100.00")
    assert first.points_reversed == 100
    second = actions.do_refund(purchase, amount=D("33.33"), idempotency_key="r2")
    assert second.points_reversed == 34  # kept: floor(150 * 16.67 / 150) = 16
    third = actions.do_refund(purchase, idempotency_key="r3")
    assert first.points_reversed + second.points_reversed + third.points_reversed == 150
    assert balance(m) == 0
    purchase.refresh_from_db()
    assert purchase.refunded_amount == purchase.amount_paid
    assert purchase.status == "refunded"
    assert_reconciled()


def test_refunding_more_than_is_left_is_refused(in_a):
    purchase = buy(member(), D("100"))
    actions.do_refund(purchase, amount=D("60"), idempotency_key="r1")
    with pytest.raises(actions.PointsError):
        actions.do_refund(purchase, amount=D("41"), idempotency_key="r2")


def test_points_already_spent_are_deducted_from_the_cash_refund(in_a):
    configure(refund_shortfall_policy="deduct_from_cash")
    m = member()
    purchase = buy(m, D("100"))
    buy(m, D("80"), points_used=80)  # spends 80 of the 100 earned, earns 0
    refund = actions.do_refund(purchase, idempotency_key="r1")
    assert refund.points_reversed == 100
    assert refund.deducted_amount == D("80.00")
    assert refund.cash_amount == D("20.00")
    assert (balance(m), debt(m)) == (0, 0)
    assert_reconciled()


def test_points_already_spent_become_a_recorded_debt_that_later_earnings_settle(in_a):
    configure(refund_shortfall_policy="record_debt")
    m = member()
    purchase = buy(m, D("100"))
    buy(m, D("80"), points_used=80)
    refund = actions.do_refund(purchase, idempotency_key="r1")
    assert refund.cash_amount == D("100.00")
    assert refund.debt_recorded == 80
    assert (balance(m), debt(m)) == (0, 80)
    assert_reconciled()
    buy(m, D("50"))
    assert (balance(m), debt(m)) == (0, 30)
    buy(m, D("50"))
    assert (balance(m), debt(m)) == (20, 0)
    assert_reconciled()


def test_an_award_needs_a_known_reason_and_is_idempotent(in_a):
    m = member()
    with pytest.raises(actions.PointsError):
        award(m, 10, reason="whatever")
    first = award(m, 10, key="task-1")
    assert award(m, 10, key="task-1").pk == first.pk
    assert balance(m) == 10
    with pytest.raises(actions.IdempotencyConflict):
        award(m, 11, key="task-1")


def test_a_small_adjustment_posts_at_once_a_large_one_waits_for_a_manager(in_a, world):
    configure(adjustment_approval_threshold=100)
    m = member()
    desk = world.user(world.a, "front_desk")
    small = actions.do_request_adjustment(
        m, points=50, reason="goodwill", idempotency_key="a1", actor=desk
    )
    assert small.status == "approved"
    big = actions.do_request_adjustment(
        m, points=500, reason="migration fix", idempotency_key="a2", actor=desk
    )
    assert big.status == "pending"
    assert balance(m) == 50
    with pytest.raises(actions.PointsError):
        actions.do_decide_adjustment(big, approve=True, actor=desk)  # not their own request
    manager = world.user(world.a, "manager")
    actions.do_decide_adjustment(big, approve=True, actor=manager)
    assert balance(m) == 550
    with pytest.raises(actions.PointsError):
        actions.do_decide_adjustment(big, approve=True, actor=manager)
    assert balance(m) == 550
    assert_reconciled()


def test_an_adjustment_needs_a_reason(in_a, world):
    with pytest.raises(actions.PointsError):
        actions.do_request_adjustment(
            member(), points=5, reason=" ", idempotency_key="a1", actor=world.user(world.a)
        )


def test_staff_cannot_adjust_or_redeem_on_their_own_account(in_a, world):
    desk = world.user(world.a, "front_desk")
    m = member(staff_user=desk)
    award(m, 500)
    with pytest.raises(actions.OwnAccount):
        actions.do_request_adjustment(m, points=5, reason="x", idempotency_key="a1", actor=desk)
    reward = Reward.objects.create(name_zh="杯子", points_cost=100, stock=5)
    with pytest.raises(actions.OwnAccount):
        actions.do_redeem_reward(m, reward, idempotency_key="r1", actor=desk)
    with pytest.raises(actions.OwnAccount):
        buy(m, D("100"), points_used=10, actor=desk)
    other = world.user(world.a, "manager")
    actions.do_redeem_reward(m, reward, idempotency_key="r2", actor=other)
    assert balance(m) == 400


def test_reconcile_detects_a_tampered_balance(in_a, world):
    m = member()
    buy(m, D("100"))
    call_command("reconcile_points")
    PointsAccount.objects.filter(member=m).update(balance=101)
    with pytest.raises(CommandError):
        call_command("reconcile_points")


def test_reconcile_detects_a_tampered_lot(in_a):
    m = member()
    buy(m, D("100"))
    Lot.objects.update(remaining=99)
    PointsAccount.objects.update(balance=99)
    with pytest.raises(CommandError):
        call_command("reconcile_points")
