"""The amber jewellery chain and the training school of product.md, configured through the
settings a manager edits in the admin, checked end to end."""

import datetime

import pytest

from membership.models import MemberStatus
from points import expiry
from points.benefits import Benefits
from points.hooks import benefits_provider
from points.models import LedgerEntry, Lot
from tests.points.helpers import D, assert_reconciled, award, balance, buy, configure, member

pytestmark = pytest.mark.django_db

EXCLUDED = ["special_price", "promotion", "group", "negotiated"]
TZ_NOON = datetime.time(12, 0)


def at(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, TZ_NOON))


@pytest.fixture
def amber(in_a):
    configure(
        currency_per_point=D("10"),
        point_value=D("1"),
        excluded_categories=EXCLUDED,
        birthday_multiplier=D("2"),
        anniversary_multiplier=D("2"),
        expiry_policy="membership_year",
        expiry_months=12,
        clear_on_lapse=True,
    )
    # The VIP price (86% of list) comes from tiers through the benefits hook.
    with benefits_provider.temporarily(
        lambda member, on_date: Benefits(
            discount_rate=D("0.14"), excluded_categories=frozenset(EXCLUDED)
        )
    ):
        yield


def vip(**fields):
    fields.setdefault("joined_on", datetime.date(2024, 3, 15))
    fields.setdefault("birthday", datetime.date(1985, 11, 2))
    fields.setdefault("wedding_anniversary", datetime.date(2010, 9, 20))
    return member(**fields)


def test_amber_vip_price_and_one_point_per_ten_yuan(amber):
    m = vip()
    purchase = buy(m, (D("10000"), "jewellery"), when=at(datetime.date(2026, 6, 10)))
    assert purchase.amount_due == D("8600.00")
    assert purchase.points_earned == 860


def test_amber_special_price_goods_get_no_vip_price_and_earn_nothing(amber):
    m = vip()
    purchase = buy(
        m,
        (D("999"), "jewellery"),
        (D("500"), "special_price"),
        (D("300"), "group"),
        when=at(datetime.date(2026, 6, 10)),
    )
    # 999 x 0.86 = 859.14; special price and group at list price
    assert purchase.amount_due == D("1659.14")
    assert purchase.points_earned == 85  # floor(859.14 / 10)


def test_amber_birthday_month_and_anniversary_month_earn_double_without_stacking(amber):
    normal = buy(vip(), (D("1000"), "jewellery"), when=at(datetime.date(2026, 6, 10)))
    birthday = buy(vip(), (D("1000"), "jewellery"), when=at(datetime.date(2026, 11, 10)))
    anniversary = buy(vip(), (D("1000"), "jewellery"), when=at(datetime.date(2026, 9, 1)))
    both = vip(wedding_anniversary=datetime.date(2010, 11, 30))
    both_purchase = buy(both, (D("1000"), "jewellery"), when=at(datetime.date(2026, 11, 10)))
    assert normal.points_earned == 86
    assert birthday.points_earned == 172
    assert anniversary.points_earned == 172
    assert both_purchase.points_earned == 172


def test_amber_points_pay_one_yuan_each_and_that_part_earns_nothing(amber):
    m = vip()
    award(m, 600)
    purchase = buy(
        m, (D("1000"), "jewellery"), points_used=600, when=at(datetime.date(2026, 6, 10))
    )
    assert purchase.points_value == D("600.00")
    assert purchase.amount_paid == D("260.00")
    assert purchase.points_earned == 26
    assert balance(m) == 26
    assert_reconciled()


def test_amber_points_expire_one_year_after_the_card_opening_anniversary(amber):
    m = vip()
    buy(m, (D("1000"), "jewellery"), when=at(datetime.date(2026, 6, 10)))
    lot = Lot.objects.get()
    # earned in the membership year ending 2027-03-15; valid one more year
    assert lot.expires_at == datetime.date(2028, 3, 15)
    expiry.expire_due_lots(datetime.date(2028, 3, 14))
    assert balance(m) == 86
    expiry.expire_due_lots(datetime.date(2028, 3, 15))
    assert balance(m) == 0
    assert_reconciled()


def test_amber_a_lapsed_card_loses_its_points(amber):
    m = vip()
    buy(m, (D("5000"), "jewellery"), when=at(datetime.date(2026, 6, 10)))
    assert balance(m) == 430
    m.status = MemberStatus.EXPIRED
    m.save()
    expiry.clear_lapsed(datetime.date.today())
    assert balance(m) == 0
    assert LedgerEntry.objects.filter(reason="lapse").exists()
    assert_reconciled()


@pytest.fixture
def school(in_a):
    configure(
        currency_per_point=D("1"),
        excluded_categories=[],
        referral_bonus_points=200,
        expiry_policy="never",
    )


def test_school_one_point_per_yuan_actually_paid(school):
    m = member()
    purchase = buy(m, (D("2980.50"), "tuition"), (D("120"), "materials"), (D("300"), "exam"))
    assert purchase.points_earned == 3400


def test_school_task_points_by_rule(school):
    m = member()
    award(m, 20, reason="task", note="homework 3", key="task:homework-3:m1")
    award(m, 20, reason="task", note="homework 3", key="task:homework-3:m1")
    award(m, 50, reason="task", note="exam passed", key="task:exam-1:m1")
    assert balance(m) == 70
    assert_reconciled()


def test_school_referral_points_when_the_referred_student_first_pays(school):
    referrer = member()
    student = member(referrer=referrer)
    award(student, 100)
    buy(student, D("100"), points_used=100)  # paid nothing in money: no bonus yet
    assert balance(referrer) == 0
    buy(student, D("1980"))
    assert balance(referrer) == 200
    buy(student, D("500"))
    assert balance(referrer) == 200
    entry = LedgerEntry.objects.get(member=referrer)
    assert entry.reason == "referral"
    assert_reconciled()
