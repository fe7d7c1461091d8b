"""A tier's "complaint answered within N working days" benefit shortens the deadline."""

import datetime
import zoneinfo

import time_machine

from complaints import actions
from complaints.models import Channel, Kind
from tests.complaints.factories import DeadlinePolicyFactory
from tests.membership.factories import MemberFactory
from tests.tiers.factories import MemberTierFactory, TierBenefitFactory, TierFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FILED = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)  # a Monday


def _file(world, member):
    with time_machine.travel(FILED, tick=False):
        return actions.do_file_ticket(
            data={
                "kind": Kind.COMPLAINT,
                "channel": Channel.PHONE,
                "member": member,
                "description": "Late delivery",
            },
            actor=world.user(world.a),
        )


def test_a_vip_tier_gets_an_answer_sooner(world, in_a):
    DeadlinePolicyFactory(kind=Kind.COMPLAINT, working_days=5)
    gold = TierFactory()
    TierBenefitFactory(tier=gold, kind="complaint_days", value=2, text="")
    vip, ordinary = MemberFactory(), MemberFactory()
    MemberTierFactory(member=vip, tier=gold)

    vip_ticket, ordinary_ticket = _file(world, vip), _file(world, ordinary)

    assert vip_ticket.due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 11, 18)
    assert ordinary_ticket.due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 11, 23)
