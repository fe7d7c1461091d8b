import pytest

from points import actions
from points.models import Coupon, Redemption, Reward
from tests.membership.helpers import resident_id
from tests.points.helpers import assert_reconciled, award, balance, member

pytestmark = pytest.mark.django_db


def reward(**fields):
    fields.setdefault("name_zh", "琥珀手链")
    fields.setdefault("points_cost", 100)
    return Reward.objects.create(**fields)


def test_a_redemption_takes_points_and_stock(in_a):
    m = member()
    award(m, 350)  # enough for a third: only the stock refuses it
    gift = reward(stock=2)
    first = actions.do_redeem_reward(m, gift, idempotency_key="r1")
    assert first.status == "approved"
    actions.do_redeem_reward(m, gift, idempotency_key="r2")
    with pytest.raises(actions.PointsError) as refused:
        actions.do_redeem_reward(m, gift, idempotency_key="r3")
    assert refused.value.code == "out_of_stock"
    gift.refresh_from_db()
    assert gift.stock == 0
    assert balance(m) == 150
    assert Redemption.objects.count() == 2
    assert_reconciled()


def test_a_redemption_with_the_same_key_posts_once(in_a):
    m = member()
    award(m, 250)
    gift = reward(stock=5)
    first = actions.do_redeem_reward(m, gift, idempotency_key="r1")
    again = actions.do_redeem_reward(m, gift, idempotency_key="r1")
    assert first.pk == again.pk
    assert balance(m) == 150


def test_without_enough_points_nothing_is_taken(in_a):
    m = member()
    award(m, 99)
    gift = reward(stock=5)
    with pytest.raises(actions.InsufficientPoints):
        actions.do_redeem_reward(m, gift, idempotency_key="r1")
    gift.refresh_from_db()
    assert (gift.stock, balance(m), Redemption.objects.count()) == (5, 99, 0)


def test_an_approval_step_then_fulfilment(in_a, world):
    m = member()
    award(m, 100)
    gift = reward(requires_approval=True, stock=1)
    redemption = actions.do_redeem_reward(m, gift, idempotency_key="r1")
    assert redemption.status == "pending"
    assert balance(m) == 0
    manager = world.user(world.a, "manager")
    actions.do_decide_redemption(redemption, approve=True, actor=manager)
    actions.do_fulfil_redemption(redemption, actor=manager)
    redemption.refresh_from_db()
    assert redemption.status == "fulfilled"
    with pytest.raises(actions.PointsError):
        actions.do_decide_redemption(redemption, approve=False, actor=manager)


def test_a_rejected_redemption_returns_points_and_stock(in_a, world):
    m = member()
    award(m, 100)
    gift = reward(requires_approval=True, stock=1)
    redemption = actions.do_redeem_reward(m, gift, idempotency_key="r1")
    actions.do_decide_redemption(redemption, approve=False, actor=world.user(world.a, "manager"))
    gift.refresh_from_db()
    assert (balance(m), gift.stock) == (100, 1)
    assert_reconciled()


def test_the_id_check_accepts_the_full_number_or_its_last_four(in_a):
    number = resident_id()
    m = member(id_number=number)
    award(m, 500)
    gift = reward(requires_id_check=True)
    with pytest.raises(actions.PointsError):
        actions.do_redeem_reward(m, gift, idempotency_key="r0", id_number="")
    with pytest.raises(actions.PointsError):
        actions.do_redeem_reward(m, gift, idempotency_key="r1", id_number="0000")
    actions.do_redeem_reward(m, gift, idempotency_key="r2", id_number=number[-4:])
    actions.do_redeem_reward(m, gift, idempotency_key="r3", id_number=number)
    assert balance(m) == 300


def test_a_coupon_is_used_once(in_a):
    m = member()
    award(m, 100)
    coupon_reward = reward(kind="coupon", coupon_value=50)
    redemption = actions.do_redeem_reward(m, coupon_reward, idempotency_key="r1")
    coupon = Coupon.objects.get(redemption=redemption)
    used = actions.do_use_coupon(coupon.code.lower())
    assert used.used_at is not None
    with pytest.raises(actions.PointsError):
        actions.do_use_coupon(coupon.code)
    redemption.refresh_from_db()
    assert redemption.status == "fulfilled"


def test_a_cancelled_coupon_redemption_returns_points_and_the_coupon_is_void(in_a, world):
    m = member()
    award(m, 100)
    redemption = actions.do_redeem_reward(m, reward(kind="coupon"), idempotency_key="r1")
    code = Coupon.objects.get().code
    actions.do_cancel_redemption(redemption, actor=world.user(world.a, "manager"))
    assert balance(m) == 100
    with pytest.raises(actions.PointsError):
        actions.do_use_coupon(code)
    assert_reconciled()
