"""Tenant A's staff against tenant B's objects, on every route of every tenant mount.

New routes and new tenant-owned models are covered without anyone remembering: the routes are
enumerated from the urlconfs, and B gets one object of every tenant-owned model from the
factory registry (a model without a factory fails ``test_every_tenant_owned_model_has_a_factory``).
"""

import pytest
from django.http import JsonResponse
from django.urls import path

from core import tenancy
from core.models import Store
from core.roles import Role
from tests import walker
from tests.factories import FACTORIES


@pytest.fixture
def populated(world):
    for tenant in (world.a, world.b):
        for model in walker.tenant_models():
            if model in FACTORIES:
                FACTORIES[model](tenant=tenant)
    return world


def test_every_tenant_owned_model_has_a_factory():
    missing = [m._meta.label for m in walker.tenant_models() if m not in FACTORIES]
    assert not missing, f"register a factory with @factory_for for: {missing}"


@pytest.mark.timeout(1800)
def test_the_owner_of_a_sees_nothing_of_b_on_any_route(populated, client):
    """The exhaustive walk: the owner holds every capability, so every route lets them in, and
    every identifier of every one of B's objects is tried in every parameter."""
    client.force_login(populated.user(populated.a, Role.OWNER))
    leaks, requests = walker.walk(
        client, mount_tenant=populated.a, victim=populated.b, own_tenant=populated.a
    )
    assert not leaks, "\n".join(map(str, leaks))
    # Guard against a walk that silently requests nothing.
    assert requests >= sum(
        len(walker.routes(urlconf)) * len(walker.METHODS_BY_MOUNT[mount])
        for mount, urlconf in walker.MOUNTS.items()
    )


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OWNER])
def test_other_staff_of_a_see_nothing_of_b(populated, client, role):
    client.force_login(populated.user(populated.a, role))
    leaks, _ = walker.walk(
        client,
        mount_tenant=populated.a,
        victim=populated.b,
        own_tenant=populated.a,
        exhaustive=False,
    )
    assert not leaks, "\n".join(map(str, leaks))


def test_staff_of_a_see_nothing_inside_b(populated, client):
    client.force_login(populated.user(populated.a, Role.OWNER))
    leaks, _ = walker.walk(
        client,
        mount_tenant=populated.b,
        victim=populated.b,
        own_tenant=populated.a,
        exhaustive=False,
    )
    assert not leaks, "\n".join(map(str, leaks))


@pytest.mark.timeout(1800)
def test_an_api_key_of_a_sees_nothing_of_b(populated, client):
    key = populated.api_key(populated.a)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key.raw_key}"}
    walks = [
        (populated.a, {"api/v1": walker.MOUNTS["api/v1"]}, True),
        (populated.a, {"t": walker.MOUNTS["t"]}, False),
        (populated.b, walker.MOUNTS, False),
    ]
    for mount_tenant, mounts, exhaustive in walks:
        leaks, _ = walker.walk(
            client,
            mount_tenant=mount_tenant,
            victim=populated.b,
            own_tenant=populated.a,
            headers=headers,
            mounts=mounts,
            exhaustive=exhaustive,
        )
        assert not leaks, "\n".join(map(str, leaks))


def test_nobody_signed_in_sees_nothing(populated, client):
    leaks, _ = walker.walk(
        client,
        mount_tenant=populated.b,
        victim=populated.b,
        own_tenant=populated.a,
        exhaustive=False,
    )
    assert not leaks, "\n".join(map(str, leaks))


# --- The walk can fail: a view written without scoping is caught. ----------------------------


def _leaky_store_view(request, pk):
    store = Store.dangerously_unscoped.get(pk=pk)  # the mistake under test
    return JsonResponse({"name": store.name, "address": store.address})


leaky_urlpatterns = [path("leaky/stores/<int:pk>/", _leaky_store_view)]


def test_the_walk_catches_a_view_written_without_scoping(populated, client, monkeypatch):
    import sys
    import types

    module = types.ModuleType("tests_leaky_urls")
    module.urlpatterns = leaky_urlpatterns
    monkeypatch.setitem(sys.modules, "tests_leaky_urls", module)
    monkeypatch.setitem(walker.MOUNTS, "t", "tests_leaky_urls")
    from core import middleware

    monkeypatch.setitem(middleware.MOUNTS, "t", "tests_leaky_urls")
    client.force_login(populated.user(populated.a, Role.OWNER))
    leaks, _ = walker.walk(
        client,
        mount_tenant=populated.a,
        victim=populated.b,
        own_tenant=populated.a,
        mounts={"t": "tests_leaky_urls"},
    )
    assert any("/leaky/stores/" in leak.path and "shows" in leak.why for leak in leaks)
    with tenancy.tenant_context(populated.b):
        assert Store.objects.exists()
