import pytest
from django.contrib.auth.hashers import make_password

from core import tenancy
from membership.models import MemberCredential
from tests.membership.factories import MemberFactory

PASSWORD = "Lantern-river-42"


def make_member(tenant, *, phone, password=PASSWORD, must_change=False, **fields):
    with tenancy.tenant_context(tenant):
        member = MemberFactory(tenant=tenant, phone=phone, **fields)
        MemberCredential.objects.create(
            member=member, password=make_password(password), must_change=must_change
        )
    return member


def sign_in(client, member, password=PASSWORD, tenant_slug="tenant-a"):
    response = client.post(
        f"/m/{tenant_slug}/login/",
        {"identifier": str(member.phone.national_number), "password": password},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def member(world):
    return make_member(
        world.a, phone="+8613900000001", name="韩梅梅", id_number="110101199003074514"
    )


@pytest.fixture
def other(world):
    """Another member of the same tenant, whose data must never show."""
    return make_member(world.a, phone="+8613900000002", name="Other Person Secret")


@pytest.fixture
def portal(client, member):
    """A client signed in to tenant A's portal as ``member``."""
    sign_in(client, member)
    return client


def page(client, path: str, tenant_slug: str = "tenant-a"):
    response = client.get(f"/m/{tenant_slug}{path}")
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()
