"""The status steps of points (``points.workflow``): one table, claimed by compare-and-set, an
illegal step a 409; and the reversing entries that name what they reverse."""

import itertools

import pytest

from core import tenancy
from core.roles import Role
from points import actions
from points.models import (
    AdjustmentStatus,
    Coupon,
    EntryKind,
    LedgerEntry,
    Redemption,
    RedemptionStatus,
    Reward,
)
from tests.factories import StoreFactory
from tests.points.helpers import assert_reconciled, award, balance, member

pytestmark = pytest.mark.django_db

S = RedemptionStatus
ALLOWED = {
    (S.PENDING, S.APPROVED),
    (S.PENDING, S.REJECTED),
    (S.PENDING, S.CANCELLED),
    (S.APPROVED, S.FULFILLED),
    (S.APPROVED, S.CANCELLED),
}


def _redemption(**reward_fields) -> Redemption:
    m = member()
    award(m, 100)
    reward_fields.setdefault("requires_approval", True)
    reward = Reward.objects.create(name_zh="杯", points_cost=100, **reward_fields)
    return actions.do_redeem_reward(m, reward, idempotency_key=f"redeem-{m.pk}")


@pytest.mark.parametrize(("source", "target"), list(itertools.product(S.values, S.values)))
def test_a_redemption_moves_only_along_the_table(in_a, world, source, target):
    redemption = _redemption()
    Redemption.objects.filter(pk=redemption.pk).update(status=source)
    redemption.refresh_from_db()
    manager = world.user(world.a, Role.MANAGER)
    if (source, target) in ALLOWED:
        moved = actions.do_transition_redemption(redemption, target, actor=manager)
        assert moved.status == target
    else:
        with pytest.raises(actions.InvalidTransition) as refused:
            actions.do_transition_redemption(redemption, target, actor=manager)
        assert refused.value.status == 409
        redemption.refresh_from_db()
        assert redemption.status == source


def test_an_adjustment_decided_twice_is_an_invalid_transition(in_a, world):
    m = member()
    request = actions.do_request_adjustment(
        m, points=10**6, reason="migration", idempotency_key="a1", actor=None
    )
    assert request.status == AdjustmentStatus.PENDING
    manager = world.user(world.a, Role.MANAGER)
    actions.do_decide_adjustment(request, approve=False, actor=manager)
    with pytest.raises(actions.InvalidTransition):
        actions.do_decide_adjustment(request, approve=True, actor=manager)
    assert balance(m) == 0


def test_an_adjustment_key_reused_for_another_adjustment_is_refused(in_a):
    m = member()
    first = actions.do_request_adjustment(
        m, points=5, reason="goodwill", idempotency_key="a1", actor=None
    )
    again = actions.do_request_adjustment(
        m, points=5, reason="goodwill", idempotency_key="a1", actor=None
    )
    assert again.pk == first.pk and balance(m) == 5
    with pytest.raises(actions.IdempotencyConflict):
        actions.do_request_adjustment(
            m, points=6, reason="goodwill", idempotency_key="a1", actor=None
        )


# --- through the API --------------------------------------------------------------------------


def test_a_redemption_steps_through_the_api_and_an_illegal_step_is_a_409(api, world):
    with tenancy.tenant_context(world.a):
        redemption = _redemption()
    path = f"redemptions/{redemption.pk}/transition/"
    approved = api("post", path, {"status": "approved"}, idem="t1")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    again = api("post", path, {"status": "approved"}, idem="t2")
    assert again.status_code == 409, again.content
    assert again.json()["error"]["code"] == "invalid_transition"
    assert list(again.json()["error"]["details"]) == ["status"]
    assert api("post", path, {"status": "fulfilled"}, idem="t3").status_code == 200
    assert api("post", path, {"status": "cancelled"}, idem="t4").status_code == 409
    unknown = api("post", path, {"status": "shipped"}, idem="t5")
    assert unknown.status_code == 400
    assert list(unknown.json()["error"]["details"]) == ["status"]
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.get(pk=redemption.pk).status == S.FULFILLED


def test_a_front_desk_may_redeem_but_not_approve_over_the_api(client, world):
    with tenancy.tenant_context(world.a):
        redemption = _redemption()
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    refused = client.post(
        f"/api/v1/tenant-a/redemptions/{redemption.pk}/transition/",
        {"status": "approved"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="t1",
    )
    assert refused.status_code == 403
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.get(pk=redemption.pk).status == S.PENDING


def _history(api, member_pk) -> list[dict]:
    return api("get", f"points/{member_pk}/history/").json()["results"]


def test_a_refund_s_entries_name_the_entries_they_reverse(api, world):
    with tenancy.tenant_context(world.a):
        m = member()
        award(m, 300)
        store = StoreFactory()
    body = {
        "member": m.pk,
        "store": store.pk,
        "points_used": 50,
        "lines": [{"list_amount": "150.00", "category": "x"}],
    }
    purchase = api("post", "purchases/", body, idem="p1").json()["id"]
    assert api("post", f"purchases/{purchase}/refunds/", {}, idem="r1").status_code == 201
    by_reason = {}
    for entry in _history(api, m.pk):
        if entry["purchase"] == purchase:
            by_reason[(entry["kind"], entry["points"])] = entry
    paid = by_reason[(EntryKind.REDEEM, -50)]
    earned = by_reason[(EntryKind.EARN, 100)]
    assert by_reason[(EntryKind.REVERSE, 50)]["reverses"] == paid["id"]
    assert by_reason[(EntryKind.REVERSE, -100)]["reverses"] == earned["id"]
    assert paid["reverses"] is None and earned["reverses"] is None
    again = api("post", f"purchases/{purchase}/refunds/", {}, idem="r2")
    assert again.status_code == 409, again.content
    assert again.json()["error"]["code"] == "invalid_transition"
    with tenancy.tenant_context(world.a):
        assert balance(m) == 300
        assert_reconciled()


def test_a_cancelled_redemption_s_entry_names_the_redemption_s_entry(api, world):
    with tenancy.tenant_context(world.a):
        redemption = _redemption(requires_approval=False, kind="coupon")
        assert Coupon.objects.filter(redemption=redemption).exists()
    cancelled = api(
        "post",
        f"redemptions/{redemption.pk}/transition/",
        {"status": "cancelled", "note": "changed their mind"},
        idem="c1",
    )
    assert cancelled.status_code == 200, cancelled.content
    entries = [e for e in _history(api, redemption.member_id) if e["redemption"] == redemption.pk]
    [taken] = [e for e in entries if e["kind"] == EntryKind.REDEEM]
    [given_back] = [e for e in entries if e["kind"] == EntryKind.REVERSE]
    assert (given_back["points"], given_back["reverses"]) == (100, taken["id"])
    with tenancy.tenant_context(world.a):
        assert LedgerEntry.objects.filter(reverses_id=taken["id"]).count() == 1
        assert balance(redemption.member) == 100
        assert_reconciled()
