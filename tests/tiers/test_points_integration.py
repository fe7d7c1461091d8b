"""Tiers wired into points: the VIP price and multiplier at the counter, and the upgrade after a
qualifying purchase when upgrades are immediate (amber chain)."""

import datetime
from decimal import Decimal

import pytest

from tests.points.helpers import buy as record_purchase
from tests.points.helpers import configure
from tests.tiers.helpers import benefit, ladder, member, settings
from tiers import selectors

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def amber(in_a):
    settings(upgrade_timing="immediate")
    configure(currency_per_point=Decimal("10"), excluded_categories=["special_price"])
    tiers = ladder(
        ("member", []),
        (
            "vip",
            [
                dict(kind="single_purchase", amount=5000),
                dict(kind="spend", amount=5000),
            ],
            {"validity_months": 24},
        ),
    )
    benefit(tiers["vip"], "discount", "0.86", excluded=["special_price"])
    benefit(tiers["vip"], "points_multiplier", "2")
    return tiers


def test_a_qualifying_purchase_upgrades_at_once_and_the_vip_price_follows(
    amber, django_capture_on_commit_callbacks
):
    m = member()
    with django_capture_on_commit_callbacks(execute=True):
        first = record_purchase(m, Decimal("5000"))
    assert first.discount_amount == Decimal("0")  # not yet VIP when it was quoted
    assert selectors.tier_of(m).code == "vip"
    second = record_purchase(m, (Decimal("1000"), "jewellery"), (Decimal("500"), "special_price"))
    assert second.discount_amount == Decimal("140.00")  # 14% off the jewellery only
    assert second.points_earned == 172  # 860 paid / 10 = 86, doubled


def test_a_purchase_below_the_threshold_changes_nothing(amber, django_capture_on_commit_callbacks):
    m = member()
    with django_capture_on_commit_callbacks(execute=True):
        record_purchase(m, Decimal("4999"))
    assert selectors.tier_of(m).code == "member"


def test_a_change_made_in_the_platform_admin_reaches_the_counter_at_once(in_a):
    """The cached ladder and earning rules belong to the saved row's tenant: a change made with
    every tenant in scope (the platform admin) must drop them too."""
    from core import tenancy
    from points.models import PointsSettings
    from points.selectors import rules_snapshot
    from tiers.integrations import points_benefits
    from tiers.models import TierBenefit

    tiers = ladder(("member", []))
    discount = benefit(tiers["member"], "discount", "0.90")
    customer = member()
    configure(currency_per_point=Decimal("1"))
    assert points_benefits(customer, D(2026, 6, 1)).discount_rate == Decimal("0.10")  # 90 %
    assert rules_snapshot().settings.currency_per_point == Decimal("1")
    with tenancy.dangerously_all_tenants():
        TierBenefit.dangerously_unscoped.filter(pk=discount.pk).update(value=Decimal("0.50"))
        changed = TierBenefit.dangerously_unscoped.get(pk=discount.pk)
        changed.save()
        settings_row = PointsSettings.dangerously_unscoped.get(tenant=customer.tenant)
        settings_row.currency_per_point = Decimal("10")
        settings_row.save()
    assert points_benefits(customer, D(2026, 6, 1)).discount_rate == Decimal("0.50")  # 50 %
    assert rules_snapshot().settings.currency_per_point == Decimal("10")
