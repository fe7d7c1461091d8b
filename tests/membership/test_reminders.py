"""Membership's reminder sources and broadcast audience, run through the notifications app."""

import datetime

import pytest

from core import tenancy
from notifications.actions import do_expand_broadcast, do_run_reminders
from notifications.models import Broadcast, BroadcastStatus, Message
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory
from tests.notifications.factories import NotificationSettingsFactory


@pytest.fixture
def a(world):
    with tenancy.tenant_context(world.a):
        NotificationSettingsFactory(membership_lead_days=30)
        yield world.a


def _messages(template):
    return list(Message.objects.filter(template=template).order_by("member_id"))


def test_birthday_greetings_go_to_todays_birthdays_once(a):
    today = datetime.date(2026, 5, 17)
    born_today = MemberFactory(birthday=datetime.date(1990, 5, 17))
    MemberFactory(birthday=datetime.date(1990, 5, 18))
    MemberFactory(birthday=datetime.date(1990, 5, 17), status="frozen")
    assert do_run_reminders(today) is not None
    assert [m.member_id for m in _messages("birthday")] == [born_today.pk]
    assert do_run_reminders(today) is None  # the day is taken: nothing twice
    assert len(_messages("birthday")) == 1


def test_members_born_on_29_february_are_greeted_on_the_28th_in_common_years(a):
    leapling = MemberFactory(birthday=datetime.date(2000, 2, 29))
    do_run_reminders(datetime.date(2027, 2, 28))
    assert [m.member_id for m in _messages("birthday")] == [leapling.pk]


def test_membership_expiring_reminds_lead_days_ahead(a):
    today = datetime.date(2026, 11, 1)
    due = MemberFactory(valid_until=today + datetime.timedelta(days=30))
    MemberFactory(valid_until=today + datetime.timedelta(days=31))
    do_run_reminders(today)
    [message] = _messages("membership_expiring")
    assert message.member_id == due.pk
    assert str(due.valid_until) in message.body


def test_a_broadcast_reaches_the_segment_of_a_store(a):
    flagship, airport = StoreFactory(), StoreFactory()
    inside = MemberFactory(store=flagship)
    MemberFactory(store=airport)
    broadcast = Broadcast.objects.create(
        name="Sale",
        channel="sms",
        purpose="service",
        text="Sale on Sunday",
        status="scheduled",
        segment={"stores": [flagship.pk]},
        send_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    assert do_expand_broadcast(broadcast.pk) == 1
    assert [m.member_id for m in _messages("broadcast")] == [inside.pk]


def test_a_tier_segment_is_refused_not_widened_to_everyone(a):
    MemberFactory()
    broadcast = Broadcast.objects.create(
        name="Gold only",
        channel="sms",
        purpose="service",
        text="For gold",
        status="scheduled",
        segment={"tiers": [1]},
        send_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    assert do_expand_broadcast(broadcast.pk) == 0
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.FAILED
    assert broadcast.last_error  # the reason, in the language of the run
    assert not _messages("broadcast")


def test_the_member_page_shows_the_delivery_log(client_a, a):
    member = MemberFactory()
    Message.objects.create(
        member_id=member.pk,
        channel="sms",
        template="birthday",
        language="en",
        recipient=str(member.phone),
        body="Happy birthday",
        dedupe_key="bd-log-test",
    )
    response = client_a.get(f"/t/{a.slug}/members/{member.pk}/")
    assert response.status_code == 200
    assert response.context["messages_sent"][0].dedupe_key == "bd-log-test"
    page = response.content.decode()
    # One delivery log, in the page body; the <title> is the member's name only.
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith(member.name) and "<" not in title
    assert page.count('class="history"') == 2  # the change history and the delivery log
