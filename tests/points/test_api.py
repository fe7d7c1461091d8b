import pytest

from core import tenancy
from points.models import Purchase, Reward
from tests.factories import StoreFactory
from tests.points.helpers import award, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(world):
    with tenancy.tenant_context(world.a):
        m = member()
        award(m, 300)
        return m, StoreFactory(), Reward.objects.create(name_zh="杯", points_cost=100, stock=3)


def test_a_purchase_needs_an_idempotency_key(api, shop):
    m, store, _ = shop
    body = {"member": m.pk, "store": store.pk, "lines": [{"list_amount": "10.00"}]}
    assert api("post", "purchases/", body).status_code == 400


def test_purchase_refund_balance_and_history(api, shop, world):
    m, store, _ = shop
    body = {
        "member": m.pk,
        "store": store.pk,
        "points_used": 50,
        "lines": [{"list_amount": "150.00", "category": "x", "quantity": 1}],
    }
    created = api("post", "purchases/", body, idem="p-1")
    assert created.status_code == 201, created.content
    assert created.json()["points_earned"] == 100
    replay = api("post", "purchases/", body, idem="p-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == created.json()
    purchase_id = created.json()["id"]
    refund = api("post", f"purchases/{purchase_id}/refunds/", {"amount": "75.00"}, idem="r-1")
    assert refund.status_code == 201, refund.content
    assert refund.json()["points_reversed"] == 50
    assert refund.json()["points_returned"] == 25
    balance = api("get", f"points/{m.pk}/balance/").json()
    assert balance["balance"] == 300 - 50 + 100 - 50 + 25
    history = api("get", f"points/{m.pk}/history/?page_size=2").json()
    assert len(history["results"]) == 2 and history["next"]
    with tenancy.tenant_context(world.a):
        assert Purchase.objects.count() == 1


def test_redemption_over_the_api_and_an_overspend_is_a_conflict(api, shop, world):
    m, _store, reward = shop
    with tenancy.tenant_context(world.a):
        Reward.objects.filter(pk=reward.pk).update(stock=None)  # only the points run out
    for i in range(3):
        ok = api("post", "redemptions/", {"member": m.pk, "reward": reward.pk}, idem=f"x{i}")
        assert ok.status_code == 201
    refused = api("post", "redemptions/", {"member": m.pk, "reward": reward.pk}, idem="x9")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_points"
    assert api("get", f"points/{m.pk}/balance/").json()["balance"] == 0


def test_a_purchase_naming_another_tenants_member_or_store_is_refused(api, shop, world):
    m, store, _ = shop
    with tenancy.tenant_context(world.b):
        their_member, their_store = member(), StoreFactory()
    lines = [{"list_amount": "10.00"}]
    for field, body in (
        ("member", {"member": their_member.pk, "store": store.pk, "lines": lines}),
        ("store", {"member": m.pk, "store": their_store.pk, "lines": lines}),
        ("member", {"member": 10**12, "store": store.pk, "lines": lines}),
    ):
        refused = api("post", "purchases/", body, idem=f"foreign-{field}-{body[field]}")
        assert refused.status_code == 400, refused.content
        assert list(refused.json()["error"]["details"]) == [field]
    with tenancy.tenant_context(world.a):
        assert not Purchase.objects.exists()


def test_another_tenants_member_is_not_found(api, world):
    with tenancy.tenant_context(world.b):
        theirs = member()
    assert api("get", f"points/{theirs.pk}/balance/").status_code == 404


def test_the_history_explains_which_lots_expired(api, world):
    import datetime

    from points import expiry

    with tenancy.tenant_context(world.a):
        m = member()
        award(
            m,
            40,
            expires_at=datetime.date(2026, 6, 1),
            earned_on=datetime.date(2025, 6, 1),
            note="homework 7",
        )
        expiry.expire_due_lots(datetime.date(2026, 6, 1))
    entries = api("get", f"points/{m.pk}/history/").json()["results"]
    [expired] = [e for e in entries if e["kind"] == "expire"]
    assert expired["points"] == -40
    assert expired["expired_lots"][0]["earned_at"] == "2025-06-01"
    assert "homework 7" in expired["expired_lots"][0]["source"]
