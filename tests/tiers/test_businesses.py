"""Three businesses of product.md configured as data only, and checked."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from tests.tiers.helpers import at, benefit, buy, earn, ladder, member, settings
from tiers import actions, selectors
from tiers.tasks import check_member

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def school(in_a):
    """Training school: ordinary → silver → gold by spend in the calendar year or points;
    diamond by a manager's grant; changes at the next (quarterly) settlement; validity per tier,
    diamond for life; renewal discount per tier."""
    settings(upgrade_timing="next_cycle", cycle="quarter")
    year = {"window": "year"}
    return ladder(
        ("ordinary", [], {"validity_months": 36, "renewal_price": Decimal("300")}),
        (
            "silver",
            [
                dict(kind="spend", amount=3000, **year),
                dict(kind="points", amount=None, count=3000, window="lifetime"),
            ],
            {
                "validity_months": 36,
                "renewal_price": Decimal("300"),
                "renewal_discount": Decimal("0.9"),
            },
        ),
        (
            "gold",
            [
                dict(kind="spend", amount=10000, **year),
                dict(kind="points", amount=None, count=10000, window="lifetime"),
            ],
            {
                "validity_months": 36,
                "renewal_price": Decimal("300"),
                "renewal_discount": Decimal("0.8"),
            },
        ),
        ("diamond", [dict(kind="grant", amount=None)], {"validity_months": None}),
    )


def test_the_training_school(school, world):
    student, reader, star = member(), member(), member()
    buy(student, 2500, D(2027, 1, 10))
    buy(student, 1000, D(2027, 2, 10))
    earn(reader, 12000, D(2026, 5, 1))
    actions.do_grant_tier(
        star,
        school["diamond"],
        reason="outstanding attendance and grades",
        approved_by=world.user(world.a, "manager"),
        starts_on=D(2027, 3, 1),
        until_revoked=True,
    )
    actions.do_run_cycle(D(2027, 2, 1))  # not a boundary of the quarter, but settles the same
    actions.do_run_cycle(D(2027, 4, 1))
    assert selectors.tier_of(student).code == "silver"
    assert selectors.tier_of(reader).code == "gold"
    assert selectors.tier_of(star).code == "diamond"
    star.refresh_from_db()
    assert star.valid_until is None  # diamond is for life
    student.refresh_from_db()
    assert student.valid_until == D(2030, 4, 1)
    assert actions.renewal_price(school["gold"]) == Decimal("240.00")
    with time_machine.travel(at(D(2027, 5, 1)), tick=False), translation.override("en"):
        progress = selectors.progress(student)
    assert progress["next_tier"].code == "gold"
    assert "6,500 yuan more before 2027-12-31" in progress["to_next"][0]


@pytest.fixture
def shoes(in_a):
    """Shoe store: 10 referred → silver, 100 → gold (or points); 95 / 90 / 85 % of price."""
    tiers = ladder(
        ("ordinary", []),
        (
            "silver",
            [
                dict(kind="referrals", amount=None, count=10),
                dict(kind="points", amount=None, count=2000, window="lifetime"),
            ],
        ),
        (
            "gold",
            [
                dict(kind="referrals", amount=None, count=100),
                dict(kind="points", amount=None, count=20000, window="lifetime"),
            ],
        ),
    )
    for code, factor in (("ordinary", "0.95"), ("silver", "0.90"), ("gold", "0.85")):
        benefit(tiers[code], "discount", factor)
    return tiers


def test_the_shoe_store(shoes):
    nine, ten, hundred = member(), member(), member()
    for referrer, count in ((nine, 9), (ten, 10), (hundred, 100)):
        for _ in range(count):
            member(referrer=referrer)
    actions.do_run_cycle(D(2027, 2, 1))
    assert selectors.tier_of(nine).code == "ordinary"
    assert selectors.tier_of(ten).code == "silver"
    assert selectors.tier_of(hundred).code == "gold"
    assert selectors.effective_benefits(nine).price_factor == Decimal("0.95")
    assert selectors.effective_benefits(ten).price_factor == Decimal("0.90")
    assert selectors.effective_benefits(hundred).price_factor == Decimal("0.85")


@pytest.fixture
def amber(in_a):
    """Amber chain: VIP for one purchase ≥ 5000 actually paid or ≥ 5000 within one year; valid
    2 years; VIP price 86 % of list, not on special-price goods; upgrades at once."""
    settings(upgrade_timing="immediate")
    tiers = ladder(
        ("member", []),
        (
            "vip",
            [
                dict(kind="single_purchase", amount=5000, window_months=12),
                dict(kind="spend", amount=5000, window_months=12),
            ],
            {"validity_months": 24},
        ),
    )
    benefit(tiers["vip"], "discount", "0.86", excluded=["special_price"])
    return tiers


def test_the_amber_chain(amber):
    single, cumulative, points_payer, slow = member(), member(), member(), member()
    with time_machine.travel(at(D(2027, 3, 10), 15), tick=False):
        buy(single, 5000, D(2027, 3, 10))
        buy(cumulative, 3000, D(2026, 6, 1))
        buy(cumulative, 2000, D(2027, 3, 10))
        buy(points_payer, 4500, D(2027, 3, 10))  # 6000 list, 1500 paid with points
        buy(slow, 3000, D(2026, 3, 1))
        buy(slow, 2000, D(2027, 3, 10))
        for m in (single, cumulative, points_payer, slow):
            check_member.delay(tenant_id=m.tenant_id, member_id=m.pk)
    assert selectors.tier_of(single).code == "vip"
    assert selectors.tier_of(cumulative).code == "vip"
    assert selectors.tier_of(points_payer).code == "member"
    assert selectors.tier_of(slow).code == "member"  # the 2026-03-01 purchase is over a year old
    single.refresh_from_db()
    assert single.valid_until == D(2029, 3, 10)
    vip = selectors.effective_benefits(single)
    assert (vip.price_factor, vip.excluded_categories) == (Decimal("0.86"), ["special_price"])
    why = selectors.progress(single, on=D(2027, 3, 10))["why"]
    assert why[0].rule.kind == "single_purchase"
    assert [p.amount_paid for p in why[0].purchases] == [Decimal("5000.00")]
