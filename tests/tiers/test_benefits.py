"""Benefits: inheritance, best value, lists united, and the one call for everyone."""

from decimal import Decimal

import pytest

from tests.tiers.factories import MemberTierFactory
from tests.tiers.helpers import benefit, ladder, member
from tiers import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def telecom(in_a):
    tiers = ladder(("silver", []), ("gold", []), ("diamond", []), ("supreme", []))
    benefit(tiers["silver"], "discount", "0.95")
    benefit(tiers["silver"], "free_item", text="parking")
    benefit(tiers["silver"], "complaint_days", 5)
    benefit(tiers["gold"], "discount", "0.90", excluded=["special_price"])
    benefit(tiers["gold"], "points_multiplier", "1.5")
    benefit(tiers["gold"], "free_item", text="lounge")
    benefit(tiers["diamond"], "priority_days", 7)
    benefit(tiers["diamond"], "complaint_days", 2)
    benefit(tiers["diamond"], "birthday_offer", text="cake")
    benefit(tiers["diamond"], "free_item", text="parking")
    return tiers


def test_a_tier_includes_every_benefit_of_the_tiers_below(telecom):
    b = selectors.benefits_of_tier(telecom["diamond"])
    assert b.price_factor == Decimal("0.90")
    assert b.discount_rate == Decimal("0.10")
    assert b.excluded_categories == ["special_price"]
    assert b.points_multiplier == Decimal("1.5")
    assert b.priority_days == 7
    assert b.complaint_days == 2  # the faster lane wins
    assert b.free_items == ["parking", "lounge"]
    assert b.birthday_offers == ["cake"]


def test_a_lower_tier_does_not_get_higher_benefits(telecom):
    b = selectors.benefits_of_tier(telecom["silver"])
    assert b.price_factor == Decimal("0.95")
    assert b.points_multiplier == Decimal("1")
    assert b.free_items == ["parking"]
    assert b.complaint_days == 5


def test_a_tier_may_stop_inheriting(telecom):
    telecom["diamond"].inherits_lower_benefits = False
    telecom["diamond"].save()
    b = selectors.benefits_of_tier(telecom["diamond"])
    assert b.price_factor == Decimal("1")
    assert b.free_items == ["parking"]
    assert b.complaint_days == 2


def test_inheritance_stops_below_a_tier_that_does_not_inherit(telecom):
    telecom["gold"].inherits_lower_benefits = False
    telecom["gold"].save()
    b = selectors.benefits_of_tier(telecom["supreme"])
    assert b.price_factor == Decimal("0.90")
    assert b.free_items == ["parking", "lounge"]  # parking from diamond, not silver
    assert b.complaint_days == 2


def test_effective_benefits_follow_the_members_tier(telecom):
    m = member()
    assert selectors.effective_benefits(m).tier == telecom["silver"]
    MemberTierFactory(member=m, tier=telecom["gold"])
    assert selectors.effective_benefits(m).price_factor == Decimal("0.90")
