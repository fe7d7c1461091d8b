import pytest
from django.contrib.auth.hashers import make_password

from core import tenancy
from membership.models import MemberCredential, MemberStatus
from tests.membership.factories import MemberFactory
from tests.portal.conftest import PASSWORD, make_member, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member(world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a, phone="+8613900000001")
        MemberCredential.objects.create(
            member=member, password=make_password("counter-pass-1"), must_change=True
        )
    return member


def _sign_in(client, identifier, password):
    return client.post("/m/tenant-a/login/", {"identifier": identifier, "password": password})


def test_the_portal_asks_for_sign_in_first(client, member):
    response = client.get("/m/tenant-a/")
    assert response.status_code == 302
    assert response["Location"].startswith("/m/tenant-a/login/?next=")


def test_the_initial_password_must_be_changed_before_anything_else(client, member):
    response = _sign_in(client, "13900000001", "counter-pass-1")
    assert response["Location"] == "/m/tenant-a/password/"
    assert client.get("/m/tenant-a/")["Location"] == "/m/tenant-a/password/"
    response = client.post(
        "/m/tenant-a/password/",
        {
            "old_password": "counter-pass-1",
            "new_password1": "Lantern-river-42",
            "new_password2": "Lantern-river-42",
        },
    )
    assert response["Location"] == "/m/tenant-a/"
    assert member.name in client.get("/m/tenant-a/").content.decode()


def test_a_wrong_password_signs_nobody_in(client, member):
    response = _sign_in(client, "13900000001", "wrong")
    assert response.status_code == 200
    assert client.get("/m/tenant-a/").status_code == 302


def test_a_member_signed_in_to_a_is_a_stranger_in_b(client, member):
    _sign_in(client, "13900000001", "counter-pass-1")
    assert client.get("/m/tenant-b/")["Location"].startswith("/m/tenant-b/login/")


# --- by phone, by ID number, refused -----------------------------------------------------------


def test_a_member_signs_in_with_the_phone_number_in_any_usual_form(client, world):
    make_member(world.a, phone="+8613900000002")
    for typed in ("13900000002", "139 0000 0002", "+86 139-0000-0002"):
        client.cookies.clear()
        response = sign_in(client, typed)
        assert response["Location"] == "/m/tenant-a/", typed
        assert client.get("/m/tenant-a/").status_code == 200


def test_a_member_signs_in_with_the_id_number(client, world):
    member = make_member(world.a, phone="", id_number="11010119900307123X")
    response = sign_in(client, "110101 19900307 123x")
    assert response["Location"] == "/m/tenant-a/"
    assert member.name in client.get("/m/tenant-a/").content.decode()


def test_a_terminated_member_cannot_sign_in(client, world):
    make_member(world.a, phone="+8613900000009", status=MemberStatus.TERMINATED)
    response = sign_in(client, "13900000009")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert client.get("/m/tenant-a/").status_code == 302


def test_the_wrong_password_says_so_in_chinese_too(client, world):
    make_member(world.a, phone="+8613900000003")
    client.cookies["django_language"] = "zh-hans"
    response = sign_in(client, "13900000003", "not-the-password")
    assert "手机号/身份证号与密码不匹配" in response.content.decode()


# --- next: same host only ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/", "javascript:x"],
)
def test_next_never_leaves_the_site(client, world, target):
    make_member(world.a, phone="+8613900000004")
    response = client.post(
        "/m/tenant-a/login/?next=" + target,
        {"identifier": "13900000004", "password": PASSWORD, "next": target},
    )
    assert response["Location"] == "/m/tenant-a/"


def test_next_on_the_same_site_is_followed(client, world):
    make_member(world.a, phone="+8613900000005")
    response = client.post(
        "/m/tenant-a/login/",
        {"identifier": "13900000005", "password": PASSWORD, "next": "/m/tenant-a/password/"},
    )
    assert response["Location"] == "/m/tenant-a/password/"
