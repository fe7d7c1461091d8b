"""The tenant, staff-role and session lookups are cached; a change must be seen at once."""

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from core import tenancy
from core.models import StaffRole, Store
from core.roles import Role
from core.selectors import active_tenant_by_slug, staff_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deactivated_tenant_is_gone_on_the_next_request(client_a, world):
    assert client_a.get("/t/tenant-a/").status_code == 200
    world.a.is_active = False
    world.a.save()
    assert client_a.get("/t/tenant-a/").status_code == 404


def test_a_renamed_slug_frees_the_old_one(client_a, world):
    assert client_a.get("/t/tenant-a/").status_code == 200
    world.a.slug = "tenant-a2"
    world.a.save()
    assert client_a.get("/t/tenant-a/").status_code == 404
    assert client_a.get("/t/tenant-a2/").status_code == 200


def test_a_revoked_role_locks_out_on_the_next_request(client, world):
    manager = world.user(world.a, Role.MANAGER)
    client.force_login(manager)
    assert client.get("/t/tenant-a/").status_code == 200
    with tenancy.tenant_context(world.a):
        role = StaffRole.objects.get(user=manager)
        role.is_active = False
        role.save()
    assert client.get("/t/tenant-a/").status_code == 404


def test_a_role_given_to_another_user_locks_out_the_one_who_held_it(client, world):
    from tests.factories import UserFactory

    manager = world.user(world.a, Role.MANAGER)
    client.force_login(manager)
    assert client.get("/t/tenant-a/").status_code == 200
    with tenancy.tenant_context(world.a):
        role = StaffRole.objects.get(user=manager)
        role.user = UserFactory()
        role.save()
    assert client.get("/t/tenant-a/").status_code == 404


def test_a_repeated_lookup_is_served_from_the_cache(world, django_assert_num_queries):
    owner = world.user(world.a, Role.OWNER)
    assert active_tenant_by_slug("tenant-a") == world.a
    assert staff_role(owner, world.a).role == Role.OWNER
    with django_assert_num_queries(0):
        assert active_tenant_by_slug("tenant-a") == world.a
        assert staff_role(owner, world.a).role == Role.OWNER


def test_a_role_changed_in_a_transaction_is_not_cached_stale_after_commit(world):
    owner = world.user(world.a, Role.OWNER)
    with tenancy.tenant_context(world.a):
        assert staff_role(owner).role == Role.OWNER
        with transaction.atomic():
            StaffRole.objects.filter(user=owner).update(role=Role.FRONT_DESK)
            role = StaffRole.objects.get(user=owner)
            role.save()
            # Another request reads (and caches) before the commit: it sees the old row.
            seen = []

            def other_request():
                with tenancy.tenant_context(world.a):
                    seen.append(staff_role(owner).role)
                connection.close()

            thread = threading.Thread(target=other_request)
            thread.start()
            thread.join()
            assert seen == [Role.OWNER]
        assert staff_role(owner).role == Role.FRONT_DESK


def test_a_changed_home_store_is_seen(world):
    owner = world.user(world.a, Role.OWNER)
    with tenancy.tenant_context(world.a):
        store = Store.objects.create(code="north", name="North shop")
        StaffRole.objects.filter(user=owner).update(store=store)
        StaffRole.objects.get(user=owner).save()
        assert staff_role(owner).store.name == "North shop"
        store.name = "North shop (renovated)"
        store.save()
        assert staff_role(owner).store.name == "North shop (renovated)"


def test_the_cache_keys_do_not_depend_on_the_caller_tenant(world):
    """The entry read inside B is the one the change drops: B does not keep a stale copy."""
    with tenancy.tenant_context(world.b):
        assert active_tenant_by_slug("tenant-a") == world.a
        world.a.is_active = False
        world.a.save()
        assert active_tenant_by_slug("tenant-a") is None
    assert active_tenant_by_slug("tenant-a") is None


def test_signing_out_in_one_tenant_signs_out_in_all(client_a, world):
    """Session cache keys carry no tenant: a sign-out at B's mount is seen at A's."""
    assert client_a.get("/t/tenant-a/").status_code == 200
    old_key = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    client_a.post("/t/tenant-b/accounts/logout/")
    # Even the old session key (say, copied from the browser before) is no longer signed in.
    client_a.cookies[settings.SESSION_COOKIE_NAME] = old_key
    assert client_a.get("/t/tenant-a/").status_code == 302
