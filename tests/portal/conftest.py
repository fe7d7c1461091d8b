import re

import pytest
from django.contrib.auth.hashers import make_password

from core import tenancy
from membership.models import MemberCredential, MemberStatus
from tests.membership.factories import MemberFactory
from tests.notifications.factories import NotificationSettingsFactory

PASSWORD = "Lantern-river-42"
ID_NUMBER = "11010119900307123X"


def make_member(tenant, *, must_change=False, password=PASSWORD, **fields):
    with tenancy.tenant_context(tenant):
        NotificationSettingsFactory(tenant=tenant, rate_per_minute=1000)
        member = MemberFactory(tenant=tenant, **fields)
        MemberCredential.objects.create(
            member=member, password=make_password(password), must_change=must_change
        )
    return member


@pytest.fixture
def member(world):
    """Tenant A's member with phone 139 0000 0001, an ID number, and their own password."""
    return make_member(world.a, phone="+8613900000001", id_number=ID_NUMBER)


@pytest.fixture
def terminated(world):
    return make_member(world.a, phone="+8613900000009", status=MemberStatus.TERMINATED)


def sign_in(client, identifier, password=PASSWORD, tenant="tenant-a", **extra):
    return client.post(
        f"/m/{tenant}/login/", {"identifier": identifier, "password": password}, **extra
    )


def neutral(page: str, *numbers: str) -> str:
    """A page without what differs between any two requests (the masked CSRF token) and without
    the numbers typed, to compare a member's answer with a stranger's."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    for number in numbers:
        page = page.replace(number, "X")
    return page


@pytest.fixture
def english(world):
    """Pages in English unless a test asks for Chinese (the language cookie). The sign-in and
    security tests use it (``pytestmark``); the others say which language they expect."""
    for tenant in (world.a, world.b):
        tenant.default_language = "en"
        tenant.save(update_fields=["default_language"])
