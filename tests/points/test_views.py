import json

import pytest

from core import tenancy
from points.models import Purchase, Redemption, Reward
from tests.factories import StoreFactory
from tests.points.helpers import D, award, balance, buy, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    with tenancy.tenant_context(world.a):
        m = member()
        store = StoreFactory()
        award(m, 200)
    return m, store


def test_the_member_page_shows_the_points_panel(client_a, setup):
    m, _store = setup
    page = client_a.get(f"/t/tenant-a/members/{m.pk}/").content.decode()
    assert 'id="points-panel"' in page
    assert 'data-testid="points-balance">200<' in page


def test_the_history_page_lists_entries_with_reasons(client_a, setup):
    m, _store = setup
    page = client_a.get(f"/t/tenant-a/points/members/{m.pk}/").content.decode()
    entries = page.split("<tbody>")[1].split("</tbody>")[0]  # the entries table
    assert "<td>完成任务</td>" in entries  # the award's reason, "Task completed"
    assert "<td>200</td>" in entries


def test_the_preview_uses_the_posting_rules(client_a, setup):
    m, _store = setup
    response = client_a.post(
        f"/t/tenant-a/points/members/{m.pk}/preview.json",
        json.dumps({"lines": [{"list_amount": "150.50", "category": "x"}], "points_used": 50}),
        content_type="application/json",
    )
    assert response.json()["points_earned"] == 100
    assert response.json()["amount_paid"] == "100.50"


def test_a_purchase_posted_twice_from_the_form_is_recorded_once(client_a, setup, world):
    m, store = setup
    data = {
        "idempotency_key": "form-key-1",
        "store": store.pk,
        "points_used": "0",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "ring",
        "lines-0-category": "jewellery",
        "lines-0-quantity": "1",
        "lines-0-list_amount": "88.00",
    }
    url = f"/t/tenant-a/points/members/{m.pk}/purchase/"
    assert client_a.post(url, data).status_code == 302
    assert client_a.post(url, data).status_code == 302
    with tenancy.tenant_context(world.a):
        assert Purchase.objects.count() == 1
        assert balance(m) == 288


def test_redeem_and_refund_pages_post(client_a, setup, world):
    m, _store = setup
    with tenancy.tenant_context(world.a):
        reward = Reward.objects.create(name_zh="杯子", points_cost=50, stock=1)
        purchase = buy(m, D("100"))
    response = client_a.post(
        f"/t/tenant-a/points/members/{m.pk}/redeem/",
        {"idempotency_key": "r-1", "reward": reward.pk, "id_number": ""},
    )
    assert response.status_code == 302
    response = client_a.post(
        f"/t/tenant-a/points/purchases/{purchase.pk}/refund/",
        {"idempotency_key": "rf-1", "amount": "", "reason": "changed mind"},
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.get().status == "approved"
        assert balance(m) == 150


def test_front_desk_cannot_open_the_approvals(client, setup, world):
    client.force_login(world.user(world.a, "front_desk"))
    assert client.get("/t/tenant-a/points/approvals/").status_code == 403
    client.force_login(world.user(world.a, "manager"))
    assert client.get("/t/tenant-a/points/approvals/").status_code == 200
