"""The set-based recalculation against the per-member Python reference, and the dry run."""

import datetime
import random

import pytest

from membership.models import Member
from tests.tiers.factories import TierChangeFactory, TierGrantFactory
from tests.tiers.helpers import buy, earn, ladder, member
from tiers import actions, recalc, rules
from tiers.models import MemberTier, Tier, TierRule

D = datetime.date
pytestmark = pytest.mark.django_db


def _random_world(seed, world):
    rng = random.Random(seed)
    tiers = ladder(
        ("ordinary", []),
        (
            "silver",
            [
                dict(kind="spend", amount=rng.choice([300, 800])),
                dict(kind="points", amount=None, count=200, window="year"),
            ],
        ),
        (
            "gold",
            [
                dict(kind="spend", amount=1500, window="quarter"),
                dict(kind="referrals", amount=None, count=2),
            ],
            {"match": rng.choice(["any", "all"])},
        ),
        (
            "vip",
            [
                dict(kind="single_purchase", amount=900),
                dict(kind="referrals", amount=None, count=1, paying_referrals_only=True),
            ],
            {"match": "all"},
        ),
        ("diamond", [dict(kind="grant", amount=None)]),
    )
    members = [member() for _ in range(40)]
    for m in members:
        if rng.random() < 0.3:
            Member.objects.filter(pk=m.pk).update(referrer=rng.choice(members))
        for _ in range(rng.randrange(0, 5)):
            day = D(2026, 1, 1) + datetime.timedelta(days=rng.randrange(0, 500))
            buy(m, rng.randrange(60, 1000), day, refunded=str(rng.choice([0, 0, 0, 50])))
        if rng.random() < 0.5:
            earn(
                m,
                rng.randrange(0, 400),
                D(2027, 1, 1) + datetime.timedelta(days=rng.randrange(0, 100)),
            )
        if rng.random() < 0.1:
            TierGrantFactory(
                member=m,
                tier=tiers["diamond"],
                starts_on=D(2026, 1, 1),
                ends_on=D(2028, 1, 1),
                approved_by=world.user(world.a),
            )
    return members


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_set_based_recalculation_equals_the_python_reference(in_a, world, seed):
    members = _random_world(seed, world)
    as_of = D(2027, 3, 31)
    expected = {}
    for m in members:
        tier, rule = rules.qualifying_tier(m, as_of)
        expected[m.pk] = (tier.code, rule.pk if rule else None)
    actions.do_run_cycle(as_of + datetime.timedelta(days=1))
    rows = {r.member_id: r for r in MemberTier.objects.select_related("tier")}
    entry = Tier.objects.get(is_entry=True)
    actual = {
        m.pk: (rows[m.pk].tier.code, rows[m.pk].rule_id) if m.pk in rows else (entry.code, None)
        for m in members
    }
    assert actual == expected
    assert len({code for code, _ in expected.values()}) >= 3  # the data exercises the ladder


def test_the_dry_run_counts_who_would_move_and_writes_nothing(in_a):
    tiers = ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    rich, poor = member(), member()
    buy(rich, 1500, D(2027, 1, 5))
    buy(poor, 500, D(2027, 1, 5))
    plan = recalc.Plan(as_of=D(2027, 1, 31), effective_on=D(2027, 2, 1))
    run = recalc.dry_run(plan)
    assert (run.up, run.down, run.sample_up) == (1, 0, [rich.pk])
    proposed = {
        tiers["gold"].pk: [
            TierRule(tier=tiers["gold"], kind="spend", amount=400, effective_from=D(2020, 1, 1))
        ]
    }
    run = recalc.dry_run(plan, proposed=proposed)
    assert (run.up, run.down) == (2, 0)
    assert not MemberTier.objects.exists()
    actions.do_run_cycle(D(2027, 2, 1))
    proposed = {
        tiers["gold"].pk: [
            TierRule(tier=tiers["gold"], kind="spend", amount=2000, effective_from=D(2020, 1, 1))
        ]
    }
    run = recalc.dry_run(plan, proposed=proposed)
    assert (run.up, run.down, run.sample_down) == (0, 1, [rich.pk])


def test_a_second_run_of_the_same_cycle_changes_nothing(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    m = member()
    buy(m, 1500, D(2027, 1, 5))
    first = actions.do_run_cycle(D(2027, 2, 1))
    second = actions.do_run_cycle(D(2027, 2, 1))
    assert (first.up, second.up, second.down) == (1, 0, 0)


def test_the_history_keeps_its_on_delete_rules_without_database_constraints(in_a):
    """TierChange carries no foreign-key constraint (the settlement's cost); Django's collector
    still protects its tiers, nulls its rule and cascades with its member."""
    from django.db.models import ProtectedError

    from tiers.models import TierChange

    tiers = ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    rich, other = member(), member()
    buy(rich, 1500, D(2027, 1, 5))
    buy(other, 1500, D(2027, 1, 5))
    assert actions.do_run_cycle(D(2027, 2, 1)).up == 2
    change = TierChange.objects.get(member=rich)
    assert change.to_tier == tiers["gold"] and change.rule is not None
    MemberTier.objects.all().delete()  # only the history refers to gold now
    with pytest.raises(ProtectedError):
        tiers["gold"].delete()
    change.rule.delete()
    change.refresh_from_db()
    assert change.rule_id is None
    gone = member()  # no purchases: a member that can be deleted
    TierChangeFactory(member=gone, from_tier=tiers["ordinary"], to_tier=tiers["gold"])
    gone.delete()
    assert set(TierChange.objects.values_list("member_id", flat=True)) == {rich.pk, other.pk}


def test_a_rule_deleted_while_a_settlement_wrote_reads_as_no_rule(in_a):
    """MemberTier.rule has no database constraint: a rule deleted in SQL (as a deletion racing
    a settlement would leave it) reads as no deciding rule instead of failing."""
    from django.db import connection

    from tiers import selectors

    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    rich = member()
    buy(rich, 1500, D(2027, 1, 5))
    assert actions.do_run_cycle(D(2027, 2, 1)).up == 1
    row = MemberTier.objects.get(member=rich)
    assert selectors.progress(rich, on=D(2027, 2, 2))["decided_by"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tiers_tierrule WHERE id = %s", [row.rule_id])
    assert MemberTier.objects.get(member=rich).rule_id == row.rule_id  # dangling
    assert selectors.progress(rich, on=D(2027, 2, 2))["decided_by"] == ""


def test_every_rule_kind_has_its_sql_and_the_engine_names_tables_from_the_models(in_a):
    from tiers.models import RuleKind

    assert set(recalc.RULE_SQL) == set(RuleKind)
    ladder(
        ("ordinary", []),
        ("gold", [dict(kind=kind) for kind in RuleKind], {"match": "any"}),
    )
    sql, params = recalc.decisions_sql(
        recalc.Plan(as_of=D(2027, 1, 31), effective_on=D(2027, 2, 1))
    )
    for model in (Member, MemberTier, Tier):
        assert model._meta.db_table in sql
    assert params["tenant"] == in_a.pk and "%(tenant)s" in sql  # the tenant is a parameter


def test_an_upgrade_that_extends_validity_records_it_in_the_members_history(in_a):
    from membership.models import MemberChange

    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=100)], {"validity_months": 12}))
    rich = member(valid_until=D(2027, 3, 1))
    buy(rich, 500, D(2027, 1, 5))
    outcome = actions.do_run_cycle(D(2027, 2, 1))
    assert outcome.extensions == [(rich.pk, D(2028, 2, 1))]
    rich.refresh_from_db()
    assert rich.valid_until == D(2028, 2, 1)
    change = MemberChange.objects.get(member=rich, field="valid_until")
    assert (change.old_value, change.new_value) == ("2027-03-01", "2028-02-01")
    assert actions.do_run_cycle(D(2027, 2, 1)).extensions == []  # a repeat changes nothing
