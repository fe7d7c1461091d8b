"""Compensation points and suggestion rewards reach the points ledger, once per ticket."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from complaints import actions, selectors
from complaints.models import CompensationKind, Kind, Status
from core.roles import Role
from notifications.models import Message
from points.models import LedgerEntry, PointsAccount, Reason
from tests.complaints.factories import TicketFactory
from tests.factories import StoreFactory
from tests.points.factories import PurchaseFactory


def test_compensation_points_are_posted_with_the_tickets_key(world, in_a):
    ticket = TicketFactory(kind=Kind.COMPLAINT)
    compensation = actions.do_compensate(
        ticket, kind=CompensationKind.POINTS, points=200, actor=world.user(world.a, Role.MANAGER)
    )
    entry = LedgerEntry.objects.get(idempotency_key=f"complaint:{ticket.pk}:compensation")
    assert (entry.member_id, entry.points, entry.reason) == (
        ticket.member_id,
        200,
        Reason.COMPENSATION,
    )
    assert entry.actor == world.user(world.a, Role.MANAGER)
    assert compensation.ledger_reference == str(entry.pk)
    assert PointsAccount.objects.get(member=ticket.member).balance == 200
    assert Message.objects.filter(dedupe_key=f"complaint:{ticket.pk}:comp:{compensation.pk}")


def test_a_ticket_gets_points_once(world, in_a):
    ticket = TicketFactory()
    actions.do_compensate(
        ticket, kind=CompensationKind.POINTS, points=50, actor=world.user(world.a)
    )
    with pytest.raises(ValidationError):
        actions.do_compensate(
            ticket, kind=CompensationKind.POINTS, points=50, actor=world.user(world.a)
        )
    assert PointsAccount.objects.get(member=ticket.member).balance == 50
    assert LedgerEntry.objects.filter(member=ticket.member).count() == 1


def test_an_adopted_suggestion_is_rewarded_through_the_ledger(world, in_a):
    ticket = TicketFactory(kind=Kind.SUGGESTION, status=Status.REPLIED)
    reward = actions.do_compensate(
        ticket, kind=CompensationKind.POINTS, points=300, actor=world.user(world.a)
    )
    assert reward.is_suggestion_reward
    entry = LedgerEntry.objects.get(idempotency_key=f"complaint:{ticket.pk}:compensation")
    assert entry.reason == Reason.SUGGESTION


def test_a_posting_the_ledger_refuses_records_no_compensation(world, in_a, monkeypatch):
    import points.actions
    from points.ledger import PointsError

    def refuse(*args, **kwargs):
        raise PointsError("refused by the ledger")

    monkeypatch.setattr(points.actions, "do_award_points", refuse)
    ticket = TicketFactory()
    with pytest.raises(ValidationError):
        actions.do_compensate(
            ticket, kind=CompensationKind.POINTS, points=10, actor=world.user(world.a)
        )
    assert not ticket.compensations.exists()
    assert not ticket.events.filter(type="compensation").exists()


def test_compensation_through_the_api_reaches_the_ledger(client, world):
    from core import tenancy

    client.force_login(world.user(world.a, Role.CUSTOMER_SERVICE))
    with tenancy.tenant_context(world.a):
        ticket = TicketFactory()
    response = client.post(
        f"/api/v1/tenant-a/tickets/{ticket.pk}/compensate/",
        {"kind": "points", "points": 80},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    with tenancy.tenant_context(world.a):
        assert PointsAccount.objects.get(member=ticket.member).balance == 80


def test_the_to_visit_list_has_each_stores_top_spenders_of_the_half_month(world, in_a):
    store = StoreFactory()
    now = datetime.datetime.now(datetime.UTC)
    spenders = [
        PurchaseFactory(store=store, amount_paid=amount, occurred_at=now)
        for amount in (100, 500, 300, 900)
    ]
    PurchaseFactory(store=store, amount_paid=5000, occurred_at=now - datetime.timedelta(days=20))
    top = [c for c in selectors.to_visit(now=now) if c.reason in ("Top spender", "消费前列")]
    assert [c.member for c in top] == [spenders[3].member, spenders[1].member, spenders[2].member]
