"""Every step of the ticket workflow, allowed and refused, and who may make it."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from complaints import actions, workflow
from complaints.models import Channel, Kind, Status, Ticket, TicketEvent
from core.roles import Role
from notifications.models import Message
from tests.complaints.factories import TicketFactory
from tests.membership.factories import MemberFactory

ALL_PAIRS = [(a, b) for a, b in itertools.product(Status.values, Status.values) if a != b]
ALLOWED = set(workflow.STAFF)


def test_filing_sets_the_deadline_records_the_event_and_tells_the_member(world, in_a):
    member = MemberFactory()
    ticket = actions.do_file_ticket(
        data={
            "kind": Kind.COMPLAINT,
            "channel": Channel.PHONE,
            "member": member,
            "description": "The coffee was cold",
        },
        actor=world.user(world.a, Role.FRONT_DESK),
    )
    assert ticket.status == Status.NEW
    assert ticket.warn_at < ticket.due_at
    assert ticket.recorded_by == world.user(world.a, Role.FRONT_DESK)
    assert list(ticket.events.values_list("type", "to_status")) == [("filed", "new")]
    message = Message.objects.get(dedupe_key=f"complaint:{ticket.pk}:filed")
    assert message.recipient == str(member.phone)
    assert message.template == "complaint_update"


def test_a_walk_in_needs_a_name(world, in_a):
    with pytest.raises(ValidationError):
        actions.do_file_ticket(
            data={"kind": Kind.INQUIRY, "channel": Channel.ON_SITE, "description": "x"},
            actor=world.user(world.a),
        )


def test_a_member_files_through_the_service_function(world, in_a):
    member = MemberFactory()
    ticket = actions.do_file_ticket_as_member(
        member, kind=Kind.SUGGESTION, description="Open earlier on Sundays"
    )
    assert ticket.member == member
    assert ticket.recorded_via == "portal"
    assert ticket.channel == Channel.ONLINE
    assert ticket.events.get().actor_label == f"member #{member.pk}"


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_every_step_is_allowed_exactly_when_the_table_says_so(world, in_a, source, target):
    ticket = TicketFactory(status=source)
    owner = world.user(world.a, Role.OWNER)
    if (source, target) in ALLOWED:
        moved = actions.do_transition(ticket, target, actor=owner, note="because")
        assert moved.status == target
        event = ticket.events.get(type=TicketEvent.Type.TRANSITION)
        assert (event.from_status, event.to_status, event.note) == (source, target, "because")
        assert event.actor == owner
    else:
        with pytest.raises(actions.InvalidTransition) as refused:
            actions.do_transition(ticket, target, actor=owner, note="because")
        assert refused.value.code == "invalid_transition"
        assert Ticket.objects.get(pk=ticket.pk).status == source
        assert not ticket.events.exists()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-hans", "处于“新建”状态的工单不能变为“已结案”。"),
        ("en", "A ticket that is “New” cannot become “Closed”."),
    ],
)
def test_the_refusal_is_translated(world, in_a, language, text):
    from django.utils import translation

    ticket = TicketFactory(status=Status.NEW)
    with translation.override(language), pytest.raises(actions.InvalidTransition) as refused:
        actions.do_transition(ticket, Status.CLOSED, actor=world.user(world.a))
    assert refused.value.messages == [text]


def test_the_happy_path_end_to_end_stamps_reply_and_close_times(world, in_a):
    ticket = TicketFactory(status=Status.NEW)
    worker = world.user(world.a, Role.CUSTOMER_SERVICE)
    manager = world.user(world.a, Role.MANAGER)
    for target, actor in [
        (Status.ACKNOWLEDGED, worker),
        (Status.INVESTIGATING, worker),
        (Status.PROPOSED, worker),
        (Status.APPROVED, manager),
        (Status.REPLIED, worker),
        (Status.CONFIRMED, ticket.member),
        (Status.CLOSED, worker),
    ]:
        ticket = actions.do_transition(ticket, target, actor=actor, note="step note")
    assert ticket.acknowledged_at and ticket.replied_at and ticket.closed_at
    assert ticket.resolution == "step note"
    assert ticket.events.filter(type="transition").count() == 7
    assert Message.objects.filter(member_id=ticket.member_id).count() == 3


def test_customer_service_may_not_approve(world, in_a):
    ticket = TicketFactory(status=Status.PROPOSED)
    with pytest.raises(PermissionDenied):
        actions.do_transition(
            ticket, Status.APPROVED, actor=world.user(world.a, Role.CUSTOMER_SERVICE)
        )
    assert (
        actions.do_transition(
            ticket, Status.APPROVED, actor=world.user(world.a, Role.MANAGER)
        ).status
        == Status.APPROVED
    )


def test_front_desk_may_record_but_not_work_tickets(world, in_a):
    ticket = TicketFactory(status=Status.NEW)
    with pytest.raises(PermissionDenied):
        actions.do_transition(
            ticket, Status.ACKNOWLEDGED, actor=world.user(world.a, Role.FRONT_DESK)
        )


def test_steps_that_need_a_note_refuse_without_one(world, in_a):
    ticket = TicketFactory(status=Status.INVESTIGATING)
    with pytest.raises(ValidationError) as refused:
        actions.do_transition(ticket, Status.PROPOSED, actor=world.user(world.a), note="  ")
    assert "note" in refused.value.message_dict


def test_a_member_may_confirm_or_reopen_their_own_replied_ticket_only(world, in_a):
    ticket = TicketFactory(status=Status.REPLIED)
    stranger = MemberFactory()
    with pytest.raises(actions.InvalidTransition):
        actions.do_transition(ticket, Status.CONFIRMED, actor=stranger)
    with pytest.raises(actions.InvalidTransition):
        actions.do_transition(
            TicketFactory(status=Status.NEW, member=ticket.member),
            Status.ACKNOWLEDGED,
            actor=ticket.member,
        )
    reopened = actions.do_transition(ticket, Status.INVESTIGATING, actor=ticket.member, note="no")
    assert reopened.status == Status.INVESTIGATING


def test_reopening_gives_a_fresh_deadline_and_clears_escalation(world, in_a):
    ticket = TicketFactory(status=Status.CLOSED, escalation=2)
    old_due = ticket.due_at
    reopened = actions.do_transition(
        ticket, Status.INVESTIGATING, actor=world.user(world.a), note="still broken"
    )
    assert reopened.escalation == 0
    assert reopened.closed_at is None
    assert reopened.due_at != old_due
    assert reopened.created_at == ticket.created_at


def test_assigning_needs_staff_of_this_tenant(world, in_a):
    ticket = TicketFactory()
    with pytest.raises(ValidationError):
        actions.do_assign(ticket, world.user(world.b), actor=world.user(world.a))
    worker = world.user(world.a, Role.CUSTOMER_SERVICE)
    assert actions.do_assign(ticket, worker, actor=world.user(world.a)).assignee == worker
    assert ticket.events.filter(type="assigned").exists()
