import pytest
from django.contrib.auth.hashers import make_password

from core import tenancy
from membership.models import MemberCredential
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db


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
