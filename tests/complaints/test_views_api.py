"""Staff pages and the API."""

import datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints.models import Status, Ticket
from core import tenancy
from core.roles import Role
from tests.complaints.factories import PNG, AttachmentFactory, TicketFactory
from tests.membership.factories import MemberFactory

A = "/t/tenant-a/complaints"
API = "/api/v1/tenant-a"


@pytest.fixture
def owner(client, world):
    client.force_login(world.user(world.a, Role.OWNER))
    return client


def _in(tenant, factory, **kwargs):
    with tenancy.tenant_context(tenant):
        return factory(**kwargs)


def test_the_queue_shows_due_times_and_flags_overdue(owner, world):
    late = _in(
        world.a, TicketFactory, due_at=datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC)
    )
    _in(world.a, TicketFactory)
    body = owner.get(f"{A}/").content.decode()
    assert late.number in body
    assert "2026-01-05 18:00" in body  # shown in the tenant's time zone
    assert body.count('class="error"') == 1
    overdue_only = owner.get(f"{A}/?overdue=on&status=").content.decode()
    assert overdue_only.count("<tr class=") == 1


def test_the_queue_filters_by_status_and_kind(owner, world):
    _in(world.a, TicketFactory, status=Status.CLOSED, kind="suggestion")
    _in(world.a, TicketFactory, status=Status.NEW, kind="complaint")
    assert owner.get(f"{A}/?status=closed").content.decode().count("<tr class=") == 1
    assert owner.get(f"{A}/?kind=complaint&status=").content.decode().count("<tr class=") == 1
    assert owner.get(f"{A}/?status=").content.decode().count("<tr class=") == 2


def test_filing_through_the_page(client, world):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    member = _in(world.a, MemberFactory)
    response = client.post(
        f"{A}/new/",
        {
            "kind": "complaint",
            "channel": "on_site",
            "member": member.pk,
            "priority": "normal",
            "description": "Broken chair",
            "pictures": [SimpleUploadedFile("chair.png", PNG, "image/png")],
        },
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        ticket = Ticket.objects.get()
        assert ticket.attachments.count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert "Broken chair" in detail


def test_a_fake_picture_is_refused_on_the_form(owner, world):
    response = owner.post(
        f"{A}/new/",
        {
            "kind": "complaint",
            "channel": "on_site",
            "contact_name": "Walk In",
            "priority": "normal",
            "description": "x",
            "pictures": [SimpleUploadedFile("a.png", b"not a png", "image/png")],
        },
    )
    assert response.status_code == 200
    with tenancy.tenant_context(world.a):
        assert not Ticket.objects.exists()


def test_an_invalid_step_on_the_page_says_why(owner, world):
    ticket = _in(world.a, TicketFactory)
    response = owner.post(f"{A}/{ticket.pk}/transition/", {"target": "closed"}, follow=True)
    assert "不能变为" in response.content.decode()


def test_front_desk_cannot_work_a_ticket(client, world):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    ticket = _in(world.a, TicketFactory)
    assert (
        client.post(f"{A}/{ticket.pk}/transition/", {"target": "acknowledged"}).status_code == 403
    )


def test_a_picture_is_served_only_inside_its_tenant(owner, world):
    mine = _in(world.a, AttachmentFactory)
    theirs = _in(world.b, AttachmentFactory)
    response = owner.get(f"{A}/pictures/{mine.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert owner.get(f"{A}/pictures/{theirs.pk}/").status_code == 404


def test_the_member_page_lists_their_tickets(owner, world):
    ticket = _in(world.a, TicketFactory)
    body = owner.get(f"/t/tenant-a/members/{ticket.member_id}/").content.decode()
    assert f"/complaints/{ticket.pk}/" in body


def test_the_report_is_for_managers_and_exports_csv(client, world):
    _in(world.a, TicketFactory)
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    assert client.get(f"{A}/report/").status_code == 403
    client.force_login(world.user(world.a, Role.MANAGER))
    assert client.get(f"{A}/report/").status_code == 200
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    csv = client.get(f"{A}/report.csv").content.decode("utf-8-sig")
    header, *_stores, total = [line.split(",") for line in csv.splitlines()]
    assert total[0] == "All stores"
    assert total[header.index("Total")] == "1"  # the ticket filed above, counted


def test_the_visit_pages(owner, world):
    ticket = _in(world.a, TicketFactory, status=Status.CLOSED)
    with tenancy.tenant_context(world.a):
        Ticket.objects.filter(pk=ticket.pk).update(
            closed_at=timezone.now() - datetime.timedelta(hours=1)
        )
    body = owner.get(f"{A}/visits/").content.decode()
    assert ticket.member.name in body
    response = owner.post(
        f"{A}/visits/new/",
        {
            "member": ticket.member_id,
            "ticket": ticket.pk,
            "channel": "phone",
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "opinion": "All good now",
        },
    )
    assert response.status_code == 302
    assert ticket.member.name not in owner.get(f"{A}/visits/").content.decode().split("<h2>")[1]


# --- API -----------------------------------------------------------------------------------


def test_the_api_files_follows_and_refuses_an_invalid_step_with_409(owner, world):
    member = _in(world.a, MemberFactory)
    created = owner.post(
        f"{API}/tickets/",
        {"kind": "inquiry", "channel": "email", "member": member.pk, "description": "Hours?"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "new" and data["due_at"] and data["recorded_via"] == "api"
    refused = owner.post(
        f"{API}/tickets/{data['id']}/transition/",
        {"status": "closed"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invalid_transition"
    moved = owner.post(
        f"{API}/tickets/{data['id']}/transition/",
        {"status": "acknowledged"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["status"] == "acknowledged"
    listed = owner.get(f"{API}/tickets/?member={member.pk}").json()
    assert [t["id"] for t in listed["results"]] == [data["id"]]


def test_the_api_refuses_a_step_the_role_may_not_make_with_403(client, world):
    # Front desk may read and file tickets over the API, but not work them.
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    ticket = _in(world.a, TicketFactory)
    for action, body in (
        ("transition", {"status": "acknowledged"}),
        ("compensate", {"kind": "gift", "description": "Tea"}),
    ):
        response = client.post(
            f"{API}/tickets/{ticket.pk}/{action}/", body, content_type="application/json"
        )
        assert response.status_code == 403, (action, response.content)
        assert response.json()["error"]["code"] == "permission_denied"
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and not ticket.compensations.exists()


def test_the_api_rates_once(owner, world):
    ticket = _in(world.a, TicketFactory, status=Status.CLOSED)
    url = f"{API}/tickets/{ticket.pk}/rate/"
    assert owner.post(url, {"rating": 5}, content_type="application/json").status_code == 200
    assert owner.post(url, {"rating": 2}, content_type="application/json").status_code == 409
    assert owner.post(url, {"rating": 9}, content_type="application/json").status_code == 400


def test_the_api_records_a_return_visit(owner, world):
    member = _in(world.a, MemberFactory)
    response = owner.post(
        f"{API}/return-visits/",
        {"member": member.pk, "channel": "phone", "opinion": "fine"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (
        owner.get(f"{API}/return-visits/?member={member.pk}").json()["results"][0]["opinion"]
        == "fine"
    )


def test_the_api_refuses_a_fake_picture(owner, world):
    ticket = _in(world.a, TicketFactory)
    response = owner.post(
        f"{API}/tickets/{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile("x.png", b"nope", "image/png")},
    )
    assert response.status_code == 400
    ok = owner.post(
        f"{API}/tickets/{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile("x.png", PNG, "image/png")},
    )
    assert ok.status_code == 200 and len(ok.json()["attachments"]) == 1


@pytest.mark.parametrize(
    ("button", "data"),
    [("assign", {"assignee": "999999"}), ("rate", {"rating": "9"}), ("compensate", {})],
)
def test_a_bad_form_on_a_ticket_button_says_why_and_changes_nothing(owner, world, button, data):
    ticket = _in(world.a, TicketFactory)
    response = owner.post(f"{A}/{ticket.pk}/{button}/", data, follow=True)
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown and all(level == "error" for level, _ in shown)
    with tenancy.tenant_context(world.a):
        after = Ticket.objects.get(pk=ticket.pk)
    assert (after.assignee_id, after.rating) == (ticket.assignee_id, ticket.rating)
