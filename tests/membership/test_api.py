import pytest

from core import tenancy
from membership import actions
from membership.models import Member, MemberChange, PiiAccessLog
from notifications.models import Message

from .factories import MemberFactory
from .helpers import resident_id

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenant-a/members/"


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Api-Key {key.raw_key}"}


def test_create_with_an_idempotency_key_registers_once(client, world):
    key = world.api_key(world.a)
    headers = {**auth(key), "HTTP_IDEMPOTENCY_KEY": "register-1"}
    body = {
        "name": "李雷",
        "phone": "13800000001",
        "id_type": "resident",
        "id_number": resident_id(),
    }
    first = client.post(BASE, body, content_type="application/json", **headers)
    again = client.post(BASE, body, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201, first.content
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    data = first.json()
    assert data["phone"] == "+8613800000001"
    assert data["id_number_masked"] == "****" + resident_id()[-4:]
    assert "id_number" not in data
    assert resident_id() not in first.content.decode()
    with tenancy.tenant_context(world.a):
        assert Member.objects.count() == 1
        assert Message.objects.filter(template="registration").count() == 1


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("phone", {"phone": "12345"}),
        (
            "id_number",
            {"phone": "13800000001", "id_type": "resident", "id_number": "110105199005171230"},
        ),
        ("birthday", {"phone": "13800000001", "birthday": "1990-02-30"}),
    ],
)
def test_create_reports_bad_input_on_the_field(client, world, field, body):
    key = world.api_key(world.a)
    response = client.post(
        BASE, {"name": "李雷", **body}, content_type="application/json", **auth(key)
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [field]


def test_a_taken_phone_is_a_400_on_phone(client, world):
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.a):
        MemberFactory(tenant=world.a, phone="+8613800000001")
    response = client.post(
        BASE, {"name": "X", "phone": "13800000001"}, content_type="application/json", **auth(key)
    )
    assert response.status_code == 400
    assert "phone" in response.content.decode()


def test_lookup_by_phone_card_and_id_number(client, world):
    key = world.api_key(world.a)
    number = resident_id()
    with tenancy.tenant_context(world.a):
        member = actions.do_register_member(
            data={
                "name": "李雷",
                "phone": "+8613800000001",
                "id_type": "resident",
                "id_number": number,
            },
            actor=None,
        )
        old_card = member.card_number
        actions.do_reissue_card(member, actor=None)
    for params in ({"phone": "13800000001"}, {"card": old_card}, {"id_number": number}):
        response = client.get(BASE + "lookup/", params, **auth(key))
        assert response.status_code == 200, params
        assert response.json()["id"] == member.pk
    assert client.get(BASE + "lookup/", {"card": old_card}, **auth(key)).json()["card_status"] == (
        "blocked"
    )
    assert client.get(BASE + "lookup/", {"phone": "13800000009"}, **auth(key)).status_code == 404
    assert client.get(BASE + "lookup/", {}, **auth(key)).status_code == 400


def test_lookup_does_not_see_another_tenant(client, world):
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.b):
        member = MemberFactory(tenant=world.b, phone="+8613800000001")
    assert client.get(BASE + "lookup/", {"phone": "13800000001"}, **auth(key)).status_code == 404
    assert client.get(f"{BASE}{member.pk}/", **auth(key)).status_code == 404


def test_patch_updates_and_records_the_api_key_as_actor(client, world):
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a, employer="Old Co")
    response = client.patch(
        f"{BASE}{member.pk}/", {"employer": "New Co"}, content_type="application/json", **auth(key)
    )
    assert response.status_code == 200, response.content
    assert response.json()["employer"] == "New Co"
    with tenancy.tenant_context(world.a):
        change = MemberChange.objects.get(member=member)
    assert (change.field, change.old_value, change.new_value) == ("employer", "Old Co", "New Co")
    assert change.actor == f"api-key:{key.key_id}"


def test_status_changes_follow_the_transition_table(client, world):
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    url = f"{BASE}{member.pk}/status/"
    ok = client.post(url, {"status": "frozen"}, content_type="application/json", **auth(key))
    assert ok.status_code == 200 and ok.json()["status"] == "frozen"
    bad = client.post(url, {"status": "expired"}, content_type="application/json", **auth(key))
    assert bad.status_code == 409  # the state refuses it: a conflict, naming the field
    assert bad.json()["error"]["code"] == "invalid_transition"
    assert "status" in bad.json()["error"]["details"]


def test_front_desk_staff_may_write_and_customer_service_may_only_read(client, world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    client.force_login(world.user(world.a, "customer_service"))
    assert client.get(f"{BASE}{member.pk}/").status_code == 200
    assert (
        client.post(
            f"{BASE}{member.pk}/status/", {"status": "frozen"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_list_pages_through_the_tenants_members_only(client, world):
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.a):
        mine = {MemberFactory(tenant=world.a).pk for _ in range(3)}
    with tenancy.tenant_context(world.b):
        MemberFactory(tenant=world.b)
    response = client.get(BASE, **auth(key))
    assert response.status_code == 200
    assert {m["id"] for m in response.json()["results"]} == mine


def test_every_api_answer_with_personal_data_is_logged(client, world):
    """Names, phones and addresses go out in clear: each answer is logged like an ID reveal
    (who, what, which member or how many), before it is sent; a refusal shows nothing and logs
    nothing."""
    key = world.api_key(world.a)
    with tenancy.tenant_context(world.a):
        first, second, _third = (
            MemberFactory(tenant=world.a, phone=f"+861380000000{i}") for i in range(3)
        )
    with tenancy.tenant_context(world.b):
        theirs = MemberFactory(tenant=world.b)

    def logged():
        with tenancy.tenant_context(world.a):
            return [
                (log.field, log.member_id, log.rows, log.actor, log.user_id)
                for log in PiiAccessLog.objects.order_by("pk")
            ]

    actor = f"api-key:{key.key_id}"
    assert client.get(BASE, {"page_size": 2}, **auth(key)).status_code == 200
    assert client.get(f"{BASE}{first.pk}/", **auth(key)).status_code == 200
    assert client.get(BASE + "lookup/", {"phone": "13800000001"}, **auth(key)).status_code == 200
    patch = client.patch(
        f"{BASE}{first.pk}/", {"employer": "New Co"}, content_type="application/json", **auth(key)
    )
    assert patch.status_code == 200
    status_url = f"{BASE}{first.pk}/status/"
    ok = client.post(status_url, {"status": "frozen"}, content_type="application/json", **auth(key))
    assert ok.status_code == 200
    created = client.post(
        BASE,
        {"name": "新会员", "phone": "13800000009"},
        content_type="application/json",
        **auth(key),
    )
    assert created.status_code == 201, created.content
    new_id = created.json()["id"]
    assert logged() == [
        ("api:members.list", None, 2, actor, None),
        ("api:members.retrieve", first.pk, 1, actor, None),
        ("api:members.lookup", second.pk, 1, actor, None),
        ("api:members.update", first.pk, 1, actor, None),
        ("api:members.status", first.pk, 1, actor, None),
        ("api:members.create", new_id, 1, actor, None),
    ]
    # refused or not found: nothing shown, nothing logged
    bad = client.post(
        status_url, {"status": "expired"}, content_type="application/json", **auth(key)
    )
    assert bad.status_code == 409
    assert client.get(f"{BASE}{theirs.pk}/", **auth(key)).status_code == 404
    assert client.get(BASE + "lookup/", {"phone": "13899999999"}, **auth(key)).status_code == 404
    assert len(logged()) == 6
    # a staff session is logged with the user
    staff = world.user(world.a, "customer_service")
    client.force_login(staff)
    assert client.get(f"{BASE}{second.pk}/").status_code == 200
    assert logged()[-1] == (
        "api:members.retrieve",
        second.pk,
        1,
        f"staff #{staff.pk}",  # by id, never by name (core.actors)
        staff.pk,
    )
    with tenancy.tenant_context(world.b):
        assert not PiiAccessLog.objects.exists()
