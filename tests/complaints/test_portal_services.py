"""The service functions the member portal (issue 8) uses: file, follow, confirm, rate."""

import pytest

from complaints import actions, selectors
from complaints.models import Kind, Status, Ticket
from core.roles import Role
from tests.membership.factories import MemberFactory


def test_a_member_files_follows_confirms_and_rates(world, in_a):
    member = MemberFactory()
    ticket = actions.do_file_ticket_as_member(member, kind=Kind.COMPLAINT, description="Cold tea")
    assert list(selectors.member_tickets(member)) == [ticket]
    assert selectors.member_ticket(member, ticket.pk) == ticket
    staff = world.user(world.a, Role.MANAGER)
    for target in (Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.PROPOSED, Status.APPROVED):
        actions.do_transition(ticket, target, actor=staff, note="ok")
    actions.do_transition(ticket, Status.REPLIED, actor=staff, note="A fresh pot, on us")
    actions.do_transition(ticket, Status.CONFIRMED, actor=member)
    actions.do_transition(ticket, Status.CLOSED, actor=staff)
    rated = actions.do_rate(ticket, rating=5, comment="Thanks", actor=member)
    assert rated.rating == 5
    labels = list(selectors.ticket_events(ticket).values_list("actor_label", flat=True))
    assert labels.count(f"member #{member.pk}") == 3  # filed, confirmed, rated


def test_a_member_cannot_follow_someone_elses_ticket(world, in_a):
    owner_of_ticket, other = MemberFactory(), MemberFactory()
    ticket = actions.do_file_ticket_as_member(owner_of_ticket, kind=Kind.INQUIRY, description="?")
    with pytest.raises(Ticket.DoesNotExist):
        selectors.member_ticket(other, ticket.pk)
    assert not selectors.member_tickets(other).exists()
