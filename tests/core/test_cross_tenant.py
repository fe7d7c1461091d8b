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


# --- A member of A (the portal) ----------------------------------------------------------------


def _member_with_rows(tenant, phone):
    from tests.portal.conftest import make_member
    from tests.portal.helpers import give_member_rows

    member = make_member(tenant, phone=phone)
    give_member_rows(member)
    return member


@pytest.fixture
def members(populated):
    """Member A1 (the walker) and A2 (the victim) of tenant A, each with rows in every model
    that names a member; and a member of B."""
    a1 = _member_with_rows(populated.a, "+8613900000101")
    a2 = _member_with_rows(populated.a, "+8613900000102")
    b1 = _member_with_rows(populated.b, "+8613900000201")
    return a1, a2, b1


@pytest.mark.timeout(1800)
def test_a_member_of_a_sees_nothing_of_b_on_any_route(populated, members, client):
    """Signed in to A's portal: the member mount exhaustively, every other mount at the door,
    and B's mounts."""
    from tests.portal.helpers import force_member_login, keep_signed_in

    a1, _a2, _b1 = members
    force_member_login(client, a1)
    others = {k: v for k, v in walker.MOUNTS.items() if k != "m"}
    walks = [
        (populated.a, {"m": walker.MOUNTS["m"]}, True),
        (populated.a, others, False),
        (populated.b, walker.MOUNTS, False),
    ]
    requests = 0
    for mount_tenant, mounts, exhaustive in walks:
        leaks, count = walker.walk(
            client,
            mount_tenant=mount_tenant,
            victim=populated.b,
            own_tenant=populated.a,
            mounts=mounts,
            exhaustive=exhaustive,
            after_each=keep_signed_in(client, a1),
        )
        requests += count
        assert not leaks, "\n".join(map(str, leaks))
    assert client.get("/m/tenant-a/").status_code == 200  # still signed in: the walk was real
    assert requests >= 2 * sum(len(walker.routes(u)) for u in walker.MOUNTS.values())


@pytest.mark.timeout(1800)
def test_a_member_sees_nothing_of_another_member_on_any_portal_route(members, client):
    from tests.portal.helpers import force_member_login, keep_signed_in

    a1, a2, _b1 = members
    assert len(walker.member_rows(a2)) >= 15, "the victim should have rows in most models"
    force_member_login(client, a1)
    leaks, requests = walker.walk_member(
        client, victim=a2, own=a1, after_each=keep_signed_in(client, a1)
    )
    assert not leaks, "\n".join(map(str, leaks))
    assert requests >= 2 * len(walker.routes(walker.MOUNTS["m"]))
    assert a1.name in client.get("/m/tenant-a/").content.decode()


# --- The member walks can fail: a portal view that takes a member id from the URL. -----------


def _leaky_member_view(request, pk, unscoped=False):
    from membership.models import Member

    manager = Member.dangerously_unscoped if unscoped else Member.objects
    member = manager.get(pk=pk)  # the mistake under test: not request.member
    return JsonResponse({"name": member.name, "phone": str(member.phone)})


def _leaky_portal(monkeypatch, *, unscoped):
    import sys
    import types

    from django.urls import include

    from core import middleware
    from portal.access import member_view

    view = member_view(lambda request, pk: _leaky_member_view(request, pk, unscoped))
    name = f"tests_leaky_portal_urls_{'unscoped' if unscoped else 'scoped'}"  # resolvers cache
    module = types.ModuleType(name)
    module.urlpatterns = [
        path("", include("portal.urls")),
        path("leaky/members/<int:pk>/", view),
    ]
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(walker.MOUNTS, "m", name)
    monkeypatch.setitem(middleware.MOUNTS, "m", name)
    return name


def test_the_cross_member_walk_catches_a_view_that_trusts_the_url(members, client, monkeypatch):
    from tests.portal.helpers import force_member_login, keep_signed_in

    a1, a2, _b1 = members
    urlconf = _leaky_portal(monkeypatch, unscoped=False)
    force_member_login(client, a1)
    leaks, _ = walker.walk_member(
        client, victim=a2, own=a1, urlconf=urlconf, after_each=keep_signed_in(client, a1)
    )
    assert any("/leaky/members/" in leak.path and "shows" in leak.why for leak in leaks)


def test_the_member_walk_catches_a_portal_view_written_without_scoping(
    populated, members, client, monkeypatch
):
    from tests.portal.helpers import force_member_login, keep_signed_in

    a1, _a2, _b1 = members
    urlconf = _leaky_portal(monkeypatch, unscoped=True)
    force_member_login(client, a1)
    leaks, _ = walker.walk(
        client,
        mount_tenant=populated.a,
        victim=populated.b,
        own_tenant=populated.a,
        mounts={"m": urlconf},
        after_each=keep_signed_in(client, a1),
    )
    assert any("/leaky/members/" in leak.path and "shows" in leak.why for leak in leaks)


def test_the_walker_reads_streamed_bodies_and_zip_archives():
    """An export streams (its generator runs only when read) and may be a zip: the walks must
    see what is inside, or a leak there would pass unnoticed."""
    import io
    import zipfile

    from django.http import HttpResponse, StreamingHttpResponse

    from tests.walker import _body

    assert "secret-1" in _body(StreamingHttpResponse(iter([b"a ", b"secret-1"])))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("member.json", '{"name": "secret-2"}')
    assert "secret-2" in _body(HttpResponse(archive.getvalue(), content_type="application/zip"))
    assert _body(HttpResponse("plain secret-3")) == "plain secret-3"
