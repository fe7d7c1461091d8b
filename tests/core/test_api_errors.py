"""Bad input over the API: a clear 4xx naming the field, never a 5xx, nothing written.

Each case was a server error or a silent acceptance on the main of 2 December 2026 (issue 13).
"""

import datetime

import pytest

from complaints.models import Ticket
from core import tenancy
from core.exceptions import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from membership.erasure import erase_member
from membership.models import Member
from points.models import LedgerEntry, Purchase
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, world):
    key = world.api_key(world.a).raw_key
    counter = iter(range(10**6))

    def call(method, path, data=None):
        headers = {
            "HTTP_AUTHORIZATION": f"Api-Key {key}",
            "HTTP_IDEMPOTENCY_KEY": f"k-{next(counter)}",
        }
        return getattr(client, method)(
            f"/api/v1/tenant-a/{path}", data, content_type="application/json", **headers
        )

    return call


@pytest.fixture
def shop(world):
    with tenancy.tenant_context(world.a):
        return MemberFactory(), StoreFactory()


def refused(response, status, field):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert field in error["details"], error
    assert error["details"][field] and error["message"]
    return error


def nothing_posted(world):
    with tenancy.tenant_context(world.a):
        return not Purchase.objects.exists() and not LedgerEntry.objects.exists()


def purchase(shop, **line):
    member, store = shop
    return {"member": member.pk, "store": store.pk, "lines": [line]}


def test_a_line_at_the_columns_limits_is_refused_naming_lines(api, shop, world):
    body = purchase(shop, list_amount="9999999999.99", quantity=2147483647)
    error = refused(api("post", "purchases/", body), 400, "lines")
    assert error["code"] == "invalid"
    assert nothing_posted(world)


def test_a_bill_over_the_limit_is_refused_though_each_line_is_in_range(api, shop, world):
    member, store = shop
    lines = [{"list_amount": "99999999.99"} for _ in range(3)]
    body = {"member": member.pk, "store": store.pk, "lines": lines}
    refused(api("post", "purchases/", body), 400, "lines")
    assert nothing_posted(world)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinite_amounts_are_refused_naming_the_field(api, shop, client, world, amount):
    member, store = shop
    raw = f'{{"member": {member.pk}, "store": {store.pk}, "lines": [{{"list_amount": {amount}}}]}}'
    response = api("post", "purchases/", raw)
    refused(response, 400, "lines")
    assert "list_amount" in response.json()["error"]["details"]["lines"]["0"]


def test_a_huge_quantity_is_refused_naming_the_field(api, shop):
    body = purchase(shop, list_amount="10.00", quantity=10**20)
    response = api("post", "purchases/", body)
    refused(response, 400, "lines")
    assert "quantity" in response.json()["error"]["details"]["lines"]["0"]


def test_points_used_beyond_the_bill_name_points_used(api, shop, world):
    body = {**purchase(shop, list_amount="10.00"), "points_used": 10**12}
    refused(api("post", "purchases/", body), 400, "points_used")
    body = {**purchase(shop, list_amount="10.00"), "points_used": 5000}
    error = refused(api("post", "purchases/", body), 400, "points_used")
    assert error["code"] == "invalid_purchase"
    assert nothing_posted(world)


def test_a_refund_of_a_line_that_is_no_number_names_lines(api, shop, world):
    created = api("post", "purchases/", purchase(shop, list_amount="10.00"))
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    response = api("post", f"purchases/{pk}/refunds/", {"lines": {"abc": 1}})
    error = refused(response, 400, "lines")
    assert error["code"] == "unknown_line"
    response = api("post", f"purchases/{pk}/refunds/", {"lines": {"999999999999": 1}})
    refused(response, 400, "lines")
    assert api("get", f"purchases/{pk}/").json()["refunded_amount"] == "0.00"


def test_ticket_compensation_of_an_absurd_number_of_points_names_points(api, shop, world):
    member, _store = shop
    ticket = api(
        "post",
        "tickets/",
        {"kind": "complaint", "channel": "phone", "member": member.pk, "description": "Late."},
    )
    assert ticket.status_code == 201, ticket.content
    url = f"tickets/{ticket.json()['id']}/compensate/"
    refused(api("post", url, {"kind": "points", "points": 10**20}), 400, "points")
    with tenancy.tenant_context(world.a):
        assert not LedgerEntry.objects.exists()


def test_editing_an_erased_member_is_a_conflict_not_a_server_error(api, shop, world):
    member, _store = shop
    with tenancy.tenant_context(world.a):
        erase_member(member, actor=None, note="")
    response = api("patch", f"members/{member.pk}/", {"employer": "Acme"})
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "erased"


def test_a_birthday_in_the_future_is_refused(api, world):
    response = api(
        "post", "members/", {"name": "Li", "phone": "13812345678", "birthday": "2999-01-01"}
    )
    refused(response, 400, "birthday")
    with tenancy.tenant_context(world.a):
        assert not Member.objects.exists()


@pytest.mark.parametrize(("path", "field"), [("members/", "notes"), ("return-visits/", "opinion")])
def test_text_beyond_its_documented_length_is_refused(api, shop, path, field):
    member, _store = shop
    body = {"name": "Li", "phone": "13812345679"} if path == "members/" else {"member": member.pk}
    body[field] = "x" * 100_000
    refused(api("post", path, body), 400, field)


def test_an_unknown_field_is_refused_by_name(api, shop, world):
    body = {**purchase(shop, list_amount="10.00"), "point_used": 10}
    error = refused(api("post", "purchases/", body), 400, "point_used")
    assert error["details"]["point_used"] == ["未知字段。"]  # the tenant's language
    nested = purchase(shop, list_amount="10.00", colour="red")
    response = api("post", "purchases/", nested)
    refused(response, 400, "lines")
    assert "colour" in response.json()["error"]["details"]["lines"]["0"]
    assert nothing_posted(world)


def test_a_bad_contact_phone_is_blamed_on_the_phone(api, world):
    body = {
        "kind": "complaint",
        "channel": "phone",
        "description": "x",
        "contact_name": "Wang",
        "contact_phone": "no",
    }
    refused(api("post", "tickets/", body), 400, "contact_phone")
    with tenancy.tenant_context(world.a):
        assert not Ticket.objects.exists()


def test_a_refused_status_change_is_a_conflict_naming_status(api, shop):
    member, _store = shop
    assert api("post", f"members/{member.pk}/status/", {"status": "terminated"}).status_code == 200
    response = api("post", f"members/{member.pk}/status/", {"status": "active"})
    error = refused(response, 409, "status")
    assert error["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("error", "status"),
    [(DomainError, 400), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (Unprocessable, 422)],
)
def test_each_domain_error_has_its_status_and_a_field(error, status):
    from core.api.errors import exception_handler

    response = exception_handler(error("No.", code="nope", field="thing"), {})
    assert response.status_code == status
    assert response.data == {
        "error": {"code": "nope", "message": "No.", "details": {"thing": ["No."]}}
    }
    plain = exception_handler(error("No."), {})
    assert (
        plain.data["error"]["code"] == error.default_code and plain.data["error"]["details"] == {}
    )


def test_a_date_before_1900_is_refused(api):
    body = {"name": "Li", "phone": "13812345670", "birthday": datetime.date(1850, 1, 1).isoformat()}
    refused(api("post", "members/", body), 400, "birthday")


def test_every_api_serializer_refuses_unknown_fields_and_bounds_its_text():
    """A meta-test: every serializer of our API modules derives from the strict bases, and every
    text field a client may write has a maximum length."""
    import importlib

    from rest_framework import serializers

    from core.api.serializers import RefuseUnknownFields

    modules = [
        "core.api.serializers",
        "points.api",
        "complaints.api",
        "membership.api",
        "notifications.api",
    ]
    found = []
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.BaseSerializer)
                and value.__module__ == name
                and value not in (RefuseUnknownFields,)
            ):
                found.append(value)
    assert len(found) > 15
    loose = [cls.__name__ for cls in found if not issubclass(cls, RefuseUnknownFields)]
    assert not loose, f"serializers that ignore unknown fields: {loose}"
    unbounded = []
    for cls in found:
        if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
            continue  # a base class
        for field_name, field in cls().fields.items():
            if (
                isinstance(field, serializers.CharField)
                and not field.read_only
                and field.max_length is None
            ):
                unbounded.append(f"{cls.__name__}.{field_name}")
    assert not unbounded, f"text fields without a maximum length: {unbounded}"
