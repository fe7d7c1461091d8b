"""The points-expiring reminder, run through the notifications app's daily reminders."""

import datetime

import pytest

from core import tenancy
from notifications.actions import do_run_reminders
from notifications.models import Message
from points.actions import do_award_points
from tests.membership.factories import MemberFactory
from tests.notifications.factories import NotificationSettingsFactory


@pytest.fixture
def a(world):
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(points_lead_days=30)
        yield world.a


def test_members_hear_of_points_expiring_in_lead_days_once(a):
    today = datetime.date(2026, 11, 1)
    due = datetime.date(2026, 12, 1)
    member, other = MemberFactory(), MemberFactory()
    for n, points in enumerate((120, 80)):
        do_award_points(
            member,
            reason="task",
            points=points,
            idempotency_key=f"lot-{n}",
            earned_on=datetime.date(2026, 1, 1),
            expires_at=due,
        )
    do_award_points(
        other,
        reason="task",
        points=50,
        idempotency_key="lot-later",
        earned_on=datetime.date(2026, 1, 1),
        expires_at=due + datetime.timedelta(days=1),
    )
    do_run_reminders(today)
    [message] = Message.objects.filter(template="points_expiring")
    assert message.member_id == member.pk
    assert "200" in message.body and "2026-12-01" in message.body
    do_run_reminders(today)
    assert Message.objects.filter(template="points_expiring").count() == 1
