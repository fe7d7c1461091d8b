"""Escalation as the deadline nears (manager) and passes (owner): idempotent, in the outbox."""

import datetime
import zoneinfo

import pytest
import time_machine

from complaints import actions
from complaints.models import Channel, Escalation, Kind, Status, Ticket, TicketEvent
from complaints.tasks import escalate_due_tickets
from core.roles import Role
from core.tasks import fan_out
from notifications.models import Message
from tests.complaints.factories import TicketFactory
from tests.membership.factories import MemberFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FILED = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)  # Monday


@pytest.fixture
def ticket(world, in_a):
    for role in (Role.MANAGER, Role.OWNER):
        user = world.user(world.a, role)
        user.email = f"{role}@a.example"
        user.save()
    with time_machine.travel(FILED, tick=False):
        return actions.do_file_ticket(
            data={
                "kind": Kind.COMPLAINT,
                "channel": Channel.PHONE,
                "member": MemberFactory(),
                "description": "Rude staff",
                "deadline_days": 3,
            },
            actor=world.user(world.a),
        )


def _sweep(when):
    with time_machine.travel(when, tick=False):
        return actions.do_escalate_due()


def _escalation_messages():
    return Message.objects.filter(dedupe_key__contains=":escalation:")


def test_the_deadline_is_thursday_night(ticket):
    assert ticket.due_at == datetime.datetime(2026, 11, 19, 23, 59, 59, tzinfo=SHANGHAI)
    assert ticket.warn_at == datetime.datetime(2026, 11, 19, 0, 0, tzinfo=SHANGHAI)


def test_nothing_happens_while_more_than_a_working_day_is_left(ticket):
    assert _sweep(datetime.datetime(2026, 11, 18, 23, 0, tzinfo=SHANGHAI)) == []
    assert Ticket.objects.get(pk=ticket.pk).escalation == Escalation.NONE


def test_one_working_day_left_goes_to_the_manager_once(world, ticket):
    near = datetime.datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)
    assert [t.pk for t in _sweep(near)] == [ticket.pk]
    assert _sweep(near) == []  # a second sweep (or a retried task) changes nothing
    ticket.refresh_from_db()
    assert ticket.escalation == Escalation.MANAGER
    assert ticket.events.filter(type=TicketEvent.Type.ESCALATED).count() == 1
    assert list(_escalation_messages().values_list("recipient", flat=True)) == ["manager@a.example"]


def test_past_the_deadline_goes_to_the_owner_once(world, ticket):
    _sweep(datetime.datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI))
    late = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)
    assert [t.pk for t in _sweep(late)] == [ticket.pk]
    assert _sweep(late) == []
    ticket.refresh_from_db()
    assert ticket.escalation == Escalation.OWNER
    assert ticket.events.filter(type=TicketEvent.Type.ESCALATED).count() == 2
    assert sorted(_escalation_messages().values_list("recipient", flat=True)) == [
        "manager@a.example",
        "owner@a.example",
    ]


def test_a_ticket_found_late_goes_straight_to_the_owner(ticket):
    _sweep(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    ticket.refresh_from_db()
    assert ticket.escalation == Escalation.OWNER
    assert ticket.events.filter(type=TicketEvent.Type.ESCALATED).count() == 1


def test_a_replied_ticket_is_not_escalated(world, in_a):
    TicketFactory(status=Status.REPLIED, due_at=FILED, warn_at=FILED)
    assert _sweep(FILED + datetime.timedelta(days=5)) == []


def test_without_e_mail_the_event_is_the_record(world, in_a):
    ticket = TicketFactory(due_at=FILED, warn_at=FILED)
    _sweep(FILED + datetime.timedelta(days=1))
    assert ticket.events.filter(type=TicketEvent.Type.ESCALATED).exists()
    assert not _escalation_messages().exists()


def test_the_manager_of_the_tickets_store_is_preferred(world, in_a):
    from tests.factories import StaffRoleFactory, StoreFactory, UserFactory

    store = StoreFactory()
    local = UserFactory(username="local-manager", email="local@a.example")
    StaffRoleFactory(user=local, role=Role.MANAGER, store=store)
    ticket = TicketFactory(store=store, due_at=FILED + datetime.timedelta(days=1), warn_at=FILED)
    assert actions.escalation_targets(ticket, Escalation.MANAGER) == [local]


def test_the_beat_job_fans_out_and_sweeps_each_tenant(
    world, ticket, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(datetime.datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI), tick=False),
        django_capture_on_commit_callbacks(execute=True),  # a task runs in autocommit
    ):
        assert fan_out("complaints.escalate_due_tickets", "minute") == 2
        assert fan_out("complaints.escalate_due_tickets", "minute") == 0
    assert Ticket.objects.get(pk=ticket.pk).escalation == Escalation.OWNER


def test_the_task_needs_a_tenant():
    with pytest.raises(TypeError):
        escalate_due_tickets()
