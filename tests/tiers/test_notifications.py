"""Tier changes in the outbox, and broadcasts by tier."""

import datetime

import pytest

from notifications.hooks import broadcast_audience
from notifications.models import Message
from tests.tiers.factories import MemberTierFactory
from tests.tiers.helpers import buy, ladder, member
from tiers import actions

D = datetime.date
pytestmark = pytest.mark.django_db


def test_each_change_writes_one_tier_change_message_once(in_a):
    ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
    rich, poor, silent = member(name="Rich"), member(), member(phone="", email="")
    buy(rich, 1500, D(2027, 1, 5))
    buy(silent, 1500, D(2027, 1, 5))
    buy(poor, 10, D(2027, 1, 5))
    outcome = actions.do_run_cycle(D(2027, 2, 1))
    assert outcome.up == 2
    messages = list(Message.objects.filter(template="tier_change"))
    assert [m.member_id for m in messages] == [rich.pk]  # nobody to write to for "silent"
    assert "Rich" in messages[0].body
    assert "gold" in messages[0].body  # the tier's name in the tenant's language (name_zh)
    assert actions.notify_changes(outcome.change_ids) == 0  # a repeat writes nothing


def test_a_broadcast_segment_can_name_tiers(in_a):
    tiers = ladder(("ordinary", []), ("gold", []))
    gold, plain = member(), member()
    MemberTierFactory(member=gold, tier=tiers["gold"])
    audience = broadcast_audience.current()
    by_code = {r.member_id for r in audience(in_a, {"tiers": ["gold"]})}
    by_id = {r.member_id for r in audience(in_a, {"tiers": [tiers["gold"].pk]})}
    entry = {r.member_id for r in audience(in_a, {"tiers": ["ordinary"]})}
    everyone = {r.member_id for r in audience(in_a, {})}
    assert by_code == by_id == {gold.pk}
    assert entry == {plain.pk}
    assert everyone == {gold.pk, plain.pk}
    with pytest.raises(ValueError):
        list(audience(in_a, {"tiers": ["nonexistent"]}))
