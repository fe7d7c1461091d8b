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


# --- core.cache: one mechanism for every cached look-up --------------------------------------


def test_a_refill_from_a_read_that_began_before_the_change_is_not_served(world):
    """The refill race, step by step: the look-up reads the old row, the change commits and
    invalidates, then the look-up stores what it read. The next call must not get it."""
    original = active_tenant_by_slug.func

    def read_old_row_then_change_commits(slug):
        found = original(slug)  # the old row (active)
        world.a.is_active = False
        world.a.save()  # autocommit: the after-commit invalidation has run
        return found

    active_tenant_by_slug.func = read_old_row_then_change_commits
    try:
        assert active_tenant_by_slug("tenant-a") == world.a  # the stale refill happens here
    finally:
        active_tenant_by_slug.func = original
    assert active_tenant_by_slug("tenant-a") is None


def test_a_tenant_lookup_refilled_by_a_stale_read_is_not_served(world):
    """The same race for a per-tenant look-up (the points rules)."""
    from points.models import PointsSettings
    from points.selectors import rules_snapshot
    from points.selectors import settings as points_settings

    with tenancy.tenant_context(world.a):
        points_settings()
        original = rules_snapshot.func

        def read_old_then_change_commits():
            snapshot = original()
            changed = PointsSettings.objects.get()
            changed.point_value = 7
            changed.save()  # autocommit: the after-commit invalidation has run
            return snapshot

        rules_snapshot.func = read_old_then_change_commits
        try:
            stale = rules_snapshot()
        finally:
            rules_snapshot.func = original
        assert stale.settings.point_value != 7
        assert rules_snapshot().settings.point_value == 7


def test_each_tenant_has_its_own_entries_and_invalidation(world):
    from points.models import Campaign
    from points.selectors import rules_snapshot

    with tenancy.tenant_context(world.b):
        assert rules_snapshot().campaigns == ()
    with tenancy.tenant_context(world.a):
        assert rules_snapshot().campaigns == ()
        Campaign.objects.create(name="x", starts_on="2026-01-01", ends_on="2026-01-31")
        assert len(rules_snapshot().campaigns) == 1
    with tenancy.tenant_context(world.b):
        assert rules_snapshot().campaigns == ()


def test_a_campaign_added_in_the_tenant_admin_is_seen_by_the_next_posting(client, world):
    from points.selectors import rules_snapshot

    with tenancy.tenant_context(world.a):
        assert rules_snapshot().campaigns == ()
    client.force_login(world.user(world.a, Role.OWNER))
    response = client.post(
        "/t/tenant-a/admin/points/campaign/add/",
        {
            "name": "Double days",
            "starts_on": "2026-05-01",
            "ends_on": "2026-05-07",
            "multiplier": "2",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenancy.tenant_context(world.a):
        assert [m for _, _, m in rules_snapshot().campaigns] == [2]


def test_the_tier_ladder_and_timing_follow_their_models(world):
    from tiers import integrations as hooks
    from tiers.models import TierSettings, UpgradeTiming

    with tenancy.tenant_context(world.a):
        assert hooks._upgrade_timing() in ("", UpgradeTiming.NEXT_CYCLE)
        settings, _ = TierSettings.objects.get_or_create()
        settings.upgrade_timing = UpgradeTiming.IMMEDIATE
        settings.save()
        assert hooks._upgrade_timing() == UpgradeTiming.IMMEDIATE
        before = hooks._ladder()
        from tests.tiers.factories import TierFactory

        tier = TierFactory()
        assert tier.pk not in before
        assert tier.pk in hooks._ladder()
