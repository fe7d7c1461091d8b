"""Each rule type, any/all, rule versions, timing, retention, grants, plans, lapse and renewal."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from membership.models import Member
from notifications.models import Message
from tests.tiers.factories import TierFactory, TierRuleFactory
from tests.tiers.helpers import at, buy, earn, ladder, member, settings
from tiers import actions, selectors
from tiers.models import MemberTier, PaidPlan, TierChange, TierGrant

D = datetime.date
pytestmark = pytest.mark.django_db


def tier_code(m):
    return selectors.tier_of(m).code


def settle(boundary):
    return actions.do_run_cycle(boundary)


# --- rule types ----------------------------------------------------------------------------


def test_it_counts_spend_within_a_rolling_window(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=5000, window_months=12)]))
    m = member()
    buy(m, 2000, D(2026, 3, 31))  # just outside the 12 months ending 2027-03-31
    buy(m, 4000, D(2026, 4, 1))
    settle(D(2027, 4, 1))
    assert tier_code(m) == "ordinary"
    buy(m, 1000, D(2027, 3, 31))
    settle(D(2027, 5, 1))  # window now 2026-05-01..2027-04-30: 1000 only
    assert tier_code(m) == "ordinary"
    buy(m, 4000, D(2027, 4, 30))
    settle(D(2027, 6, 1))
    assert tier_code(m) == "gold"


def test_it_counts_money_actually_paid_net_of_refunds(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=5000)]))
    m = member()
    buy(m, 6000, D(2027, 1, 5), refunded="1500")
    settle(D(2027, 2, 1))
    assert tier_code(m) == "ordinary"
    buy(m, 500, D(2027, 2, 5))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"


def test_it_counts_a_calendar_year(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=3000, window="year")]))
    m = member()
    buy(m, 2000, D(2026, 12, 20))
    buy(m, 1500, D(2027, 1, 10))
    settle(D(2027, 2, 1))
    assert tier_code(m) == "ordinary"  # 2026 does not count in 2027
    buy(m, 1500, D(2027, 2, 10))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"


def test_it_counts_one_purchase_of_at_least(in_a):
    ladder(("ordinary", []), ("vip", [dict(kind="single_purchase", amount=5000)]))
    m = member()
    buy(m, 3000, D(2027, 1, 5))
    buy(m, 3000, D(2027, 1, 6))
    settle(D(2027, 2, 1))
    assert tier_code(m) == "ordinary"
    buy(m, 5000, D(2027, 2, 6))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "vip"


def test_it_counts_points_earned_lifetime_or_windowed(in_a):
    ladder(
        ("ordinary", []),
        ("silver", [dict(kind="points", amount=None, count=1000, window="lifetime")]),
        ("gold", [dict(kind="points", amount=None, count=1000, window_months=3)]),
    )
    m = member()
    earn(m, 600, D(2025, 1, 1))
    earn(m, 500, D(2027, 1, 10))
    settle(D(2027, 2, 1))
    assert tier_code(m) == "silver"
    earn(m, 500, D(2027, 2, 10))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"


def test_it_counts_referrals_optionally_only_paying_ones(in_a):
    ladder(
        ("ordinary", []),
        ("silver", [dict(kind="referrals", amount=None, count=2)]),
        ("gold", [dict(kind="referrals", amount=None, count=2, paying_referrals_only=True)]),
    )
    m = member()
    first, second = member(referrer=m), member(referrer=m)
    settle(D(2027, 2, 1))
    assert tier_code(m) == "silver"
    buy(first, 10, D(2027, 2, 2))
    buy(second, 10, D(2027, 2, 3))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"


def test_all_of_needs_every_rule(in_a):
    ladder(
        ("ordinary", []),
        (
            "gold",
            [dict(kind="spend", amount=1000), dict(kind="points", amount=None, count=100)],
            {"match": "all"},
        ),
    )
    m = member()
    buy(m, 2000, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    assert tier_code(m) == "ordinary"
    earn(m, 100, D(2027, 2, 5))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"


def test_any_of_needs_one_rule_and_records_which(in_a):
    tiers = ladder(
        ("ordinary", []),
        ("gold", [dict(kind="spend", amount=1000), dict(kind="points", amount=None, count=100)]),
    )
    m = member()
    earn(m, 150, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    change = TierChange.objects.get(member_id=m.pk)
    assert change.to_tier == tiers["gold"]
    assert change.rule.kind == "points"
    assert change.effective_on == D(2027, 2, 1)
    assert change.cycle == "2027-01"


def test_a_rule_version_takes_effect_from_its_date(in_a):
    tiers = ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    TierRuleFactory(tier=tiers["gold"], kind="spend", amount=3000, effective_from=D(2027, 3, 1))
    a, b = member(), member()
    buy(a, 1500, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    assert tier_code(a) == "gold"  # the old threshold is in force
    buy(b, 1500, D(2027, 2, 5))
    settle(D(2027, 3, 1))  # the new version is in force from the boundary
    assert tier_code(b) == "ordinary"


# --- timing and retention ------------------------------------------------------------------


def test_next_cycle_timing_waits_for_the_boundary(in_a):
    settings(upgrade_timing="next_cycle")
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    actions.do_recalculate_member(m.pk, on=D(2027, 1, 5))
    assert tier_code(m) == "ordinary"
    settle(D(2027, 2, 1))
    assert tier_code(m) == "gold"


def test_immediate_timing_upgrades_at_once_and_notifies(in_a):
    settings(upgrade_timing="immediate")
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    with time_machine.travel(at(D(2027, 1, 5), 15), tick=False):
        actions.do_recalculate_member(m.pk)
    assert tier_code(m) == "gold"
    assert MemberTier.objects.get(member_id=m.pk).since == D(2027, 1, 5)
    message = Message.objects.get(member_id=m.pk, template="tier_change")
    assert message.language == in_a.default_language
    assert "gold" in message.body  # name_zh: the tier's name in the tenant's language


def test_downgrades_wait_for_the_cycle_end(in_a):
    settings(upgrade_timing="immediate")
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000, window_months=1)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    assert tier_code(m) == "gold"
    actions.do_recalculate_member(m.pk, on=D(2027, 2, 20))  # no longer qualifies
    assert tier_code(m) == "gold"
    settle(D(2027, 3, 1))
    assert tier_code(m) == "ordinary"
    assert TierChange.objects.filter(member_id=m.pk).count() == 2


def test_retention_keeps_the_tier_for_n_cycles(in_a):
    settings(retention_cycles=2)
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000, window_months=1)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    settle(D(2027, 3, 1))
    assert tier_code(m) == "gold"
    assert MemberTier.objects.get(member_id=m.pk).missed_cycles == 1
    settle(D(2027, 4, 1))
    assert tier_code(m) == "gold"
    settle(D(2027, 5, 1))
    assert tier_code(m) == "ordinary"


def test_qualifying_again_resets_retention(in_a):
    settings(retention_cycles=1)
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000, window_months=1)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    settle(D(2027, 3, 1))
    assert MemberTier.objects.get(member_id=m.pk).missed_cycles == 1
    buy(m, 1500, D(2027, 3, 5))
    settle(D(2027, 4, 1))
    assert MemberTier.objects.get(member_id=m.pk).missed_cycles == 0
    settle(D(2027, 5, 1))
    assert tier_code(m) == "gold"


def test_a_quarterly_cycle_labels_the_quarter(in_a):
    settings(cycle="quarter")
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000, window="quarter")]))
    m = member()
    buy(m, 600, D(2027, 1, 5))
    buy(m, 600, D(2027, 3, 5))
    settle(D(2027, 4, 1))
    assert TierChange.objects.get(member_id=m.pk).cycle == "2027-Q1"


# --- grants and paid plans -----------------------------------------------------------------


def test_a_grant_needs_an_end_or_until_revoked(in_a, world):
    tiers = ladder(("ordinary", []), ("diamond", [dict(kind="grant", amount=None)]))
    m = member()
    manager = world.user(world.a, "manager")
    with pytest.raises(ValidationError):
        actions.do_grant_tier(m, tiers["diamond"], reason="grades", approved_by=manager)
    with pytest.raises(ValidationError):
        actions.do_grant_tier(
            m,
            tiers["diamond"],
            reason="grades",
            approved_by=manager,
            ends_on=D(2030, 1, 1),
            until_revoked=True,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TierGrant.objects.create(
            member=m, tier=tiers["diamond"], reason="x", approved_by=manager, until_revoked=False
        )


def test_a_grant_with_an_end_date_ends(in_a, world):
    tiers = ladder(("ordinary", []), ("diamond", [dict(kind="grant", amount=None)]))
    m = member()
    actions.do_grant_tier(
        m,
        tiers["diamond"],
        reason="outstanding attendance",
        approved_by=world.user(world.a, "manager"),
        starts_on=D(2027, 1, 1),
        ends_on=D(2027, 3, 1),
    )
    settle(D(2027, 2, 1))
    assert tier_code(m) == "diamond"
    settle(D(2027, 3, 1))  # still in force on 2027-02-28
    assert tier_code(m) == "diamond"
    settle(D(2027, 4, 1))
    assert tier_code(m) == "ordinary"


def test_a_grant_until_revoked_lasts_until_revoked(in_a, world):
    tiers = ladder(("ordinary", []), ("diamond", [dict(kind="grant", amount=None)]))
    m = member()
    grant = actions.do_grant_tier(
        m,
        tiers["diamond"],
        reason="grades",
        approved_by=world.user(world.a, "manager"),
        starts_on=D(2027, 1, 1),
        until_revoked=True,
    )
    settle(D(2027, 2, 1))
    settle(D(2030, 2, 1))
    assert tier_code(m) == "diamond"
    actions.do_revoke_grant(grant)
    settle(D(2030, 3, 1))
    assert tier_code(m) == "ordinary"


def test_a_paid_plan_qualifies_after_payment(in_a):
    settings(upgrade_timing="immediate")
    tiers = ladder(("ordinary", []), ("vip", [dict(kind="paid_plan", amount=None)]))
    plan = PaidPlan.objects.create(tier=tiers["vip"], name="VIP", fee=Decimal("2000"))
    m = member()
    with time_machine.travel(at(D(2027, 1, 10)), tick=False):
        order = actions.do_buy_plan(m, plan)
        actions.do_recalculate_member(m.pk)
        assert tier_code(m) == "ordinary"
        with pytest.raises(ValidationError):
            actions.do_activate_plan(order, paid=Decimal("100"))
        actions.do_activate_plan(order, paid=Decimal("2000"))
        assert tier_code(m) == "vip"
    order.refresh_from_db()
    assert order.ends_on == D(2028, 1, 10)
    settle(D(2028, 2, 1))
    assert tier_code(m) == "ordinary"


# --- validity, lapse and renewal -----------------------------------------------------------


def test_an_upgrade_sets_the_tier_validity_and_lifetime_clears_it(in_a):
    ladder(
        ("ordinary", []),
        ("vip", [dict(kind="spend", amount=1000)], {"validity_months": 24}),
        ("diamond", [dict(kind="spend", amount=9000)], {"validity_months": None}),
    )
    m = member(valid_until=D(2027, 6, 1))
    buy(m, 1500, D(2027, 1, 5))
    settle(D(2027, 2, 1))
    m.refresh_from_db()
    assert m.valid_until == D(2029, 2, 1)
    buy(m, 9000, D(2027, 2, 5))
    settle(D(2027, 3, 1))
    m.refresh_from_db()
    assert m.valid_until is None


def test_a_membership_not_renewed_lapses_and_renewal_reactivates(in_a, world):
    tiers = ladder(
        ("ordinary", [], {"validity_months": 12, "renewal_price": Decimal("100")}),
        (
            "gold",
            [dict(kind="spend", amount=1000)],
            {
                "validity_months": 24,
                "renewal_price": Decimal("100"),
                "renewal_discount": Decimal("0.8"),
            },
        ),
    )
    m = member(valid_until=D(2027, 1, 31))
    assert actions.renewal_price(tiers["gold"]) == Decimal("80.00")
    with time_machine.travel(at(D(2027, 2, 1)), tick=False):
        assert actions.do_lapse_expired() == 1
        m.refresh_from_db()
        assert m.status == "expired"
        with pytest.raises(ValidationError):
            actions.do_renew(m, actor=world.user(world.a), paid=Decimal("99"))
        actions.do_renew(m, actor=world.user(world.a), paid=Decimal("100"))
    m.refresh_from_db()
    assert m.status == "active"
    assert m.valid_until == D(2028, 2, 1)


def test_a_renewal_runs_on_from_the_current_end(in_a, world):
    ladder(("ordinary", [], {"validity_months": 12}))
    m = member(valid_until=D(2027, 6, 30))
    with time_machine.travel(at(D(2027, 6, 1)), tick=False):
        actions.do_renew(m, actor=world.user(world.a), paid=Decimal("0"))
    m.refresh_from_db()
    assert m.valid_until == D(2028, 6, 30)


def test_only_active_members_are_recalculated(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    Member.objects.filter(pk=m.pk).update(status="expired")
    settle(D(2027, 2, 1))
    assert tier_code(m) == "ordinary"


def test_the_entry_tier_is_unique_per_tenant(in_a):
    TierFactory(is_entry=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        TierFactory(is_entry=True)
