"""A replay of a POST with the same ``Idempotency-Key`` is the first response byte for byte."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import tenancy
from core.models import IdempotencyRecord
from points.models import Purchase
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory
from tests.points.helpers import award, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, world):
    key = world.api_key(world.a).raw_key

    def call(path, data, idem):
        return client.post(
            f"/api/v1/tenant-a/{path}",
            data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
            HTTP_IDEMPOTENCY_KEY=idem,
        )

    return call


def assert_same_response(first, replay):
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert replay.status_code == first.status_code
    assert replay.content == first.content  # the bytes: key order, spacing, escapes
    for header in ("Content-Type", "Location"):
        assert replay.headers.get(header) == first.headers.get(header), header


def test_a_purchase_is_replayed_byte_for_byte(post, world):
    with tenancy.tenant_context(world.a):
        buyer = member()
        award(buyer, 100)
        store = StoreFactory()
    body = {
        "member": buyer.pk,
        "store": store.pk,
        "points_used": 10,
        "lines": [
            {"list_amount": "19.90", "category": "茶", "description": "乌龙", "quantity": 2},
            {"list_amount": "5.00"},
        ],
    }
    first = post("purchases/", body, "purchase-1")
    assert first.status_code == 201, first.content
    replay = post("purchases/", body, "purchase-1")
    assert_same_response(first, replay)
    with tenancy.tenant_context(world.a):
        assert Purchase.objects.count() == 1


def test_a_ticket_is_replayed_byte_for_byte(post, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with tenancy.tenant_context(world.a):
        someone = MemberFactory()
    body = {"kind": "complaint", "channel": "phone", "member": someone.pk, "description": "冷"}
    first = post("tickets/", body, "ticket-1")
    assert first.status_code == 201, first.content
    replay = post("tickets/", body, "ticket-1")
    assert_same_response(first, replay)


def test_a_refused_request_is_replayed_byte_for_byte(post, world):
    first = post("stores/", {"name": "x"}, "bad-store")
    assert first.status_code == 400
    assert_same_response(first, post("stores/", {"name": "x"}, "bad-store"))


def test_a_replay_costs_no_more_queries_than_before(post, world):
    """Authentication (one statement, and the key's last use at most once a minute), the
    claim, and reading the record: the body is stored in the UPDATE that stored it before."""
    body = {"name": "North", "code": "north"}
    post("stores/", body, "store-1")  # also stamps the key's last use
    with CaptureQueriesContext(connection) as queries:
        post("stores/", body, "store-1")
    statements = [q["sql"] for q in queries.captured_queries]
    assert [s.split()[0] for s in statements if "idempotency" in s] == ["INSERT", "SELECT"]
    with tenancy.tenant_context(world.a):
        record = IdempotencyRecord.objects.get(key="store-1")
    assert record.response_headers == {"Content-Type": "application/json"}
