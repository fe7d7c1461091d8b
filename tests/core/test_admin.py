import pytest

from core import tenancy
from core.admin_sites import ReadOnlyTenantAdmin, tenant_admin_site
from core.models import StaffRole, Store
from core.roles import Role
from tests.factories import StoreFactory


@pytest.fixture
def stores(world):
    return {
        "a": StoreFactory(tenant=world.a, name="Alpha Branch Unique"),
        "b": StoreFactory(tenant=world.b, name="Bravo Branch Unique"),
    }


def test_a_manager_sees_only_their_tenants_rows(client, world, stores):
    client.force_login(world.user(world.a, Role.MANAGER))
    response = client.get("/t/tenant-a/admin/core/store/")
    assert response.status_code == 200
    assert b"Alpha Branch Unique" in response.content
    assert b"Bravo Branch Unique" not in response.content


def test_a_manager_cannot_open_another_tenants_row(client, world, stores):
    client.force_login(world.user(world.a, Role.MANAGER))
    response = client.get(f"/t/tenant-a/admin/core/store/{stores['b'].pk}/change/", follow=True)
    assert b"Bravo Branch Unique" not in response.content


def test_foreign_key_choices_are_the_tenants_own(client, world, stores):
    client.force_login(world.user(world.a, Role.MANAGER))
    response = client.get("/t/tenant-a/admin/core/staffrole/add/")
    assert response.status_code == 200
    choices = response.context["adminform"].form.fields["store"].queryset
    with tenancy.tenant_context(world.a):
        names = set(choices.values_list("name", flat=True))
    assert "Alpha Branch Unique" in names and "Bravo Branch Unique" not in names


def test_a_manager_adds_a_row_to_their_tenant(client, world):
    client.force_login(world.user(world.a, Role.MANAGER))
    response = client.post(
        "/t/tenant-a/admin/core/store/add/",
        {"name": "New One", "code": "new-one", "is_active": "on"},
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        assert Store.objects.get(code="new-one").tenant_id == world.a.pk


def test_a_duplicate_code_is_a_form_error_not_a_crash(client, world, stores):
    client.force_login(world.user(world.a, Role.MANAGER))
    with tenancy.tenant_context(world.a):
        taken = Store.objects.first().code
    response = client.post(
        "/t/tenant-a/admin/core/store/add/", {"name": "Dup", "code": taken, "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CUSTOMER_SERVICE])
def test_counter_staff_have_no_admin(client, world, role):
    client.force_login(world.user(world.a, role))
    response = client.get("/t/tenant-a/admin/core/store/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_manager_of_a_has_no_admin_in_b(client, world, stores):
    client.force_login(world.user(world.a, Role.MANAGER))
    response = client.get("/t/tenant-b/admin/core/store/")
    assert response.status_code == 302
    assert b"Bravo Branch Unique" not in response.content


def test_the_platform_operator_sees_every_tenant(admin_client, world, stores):
    response = admin_client.get("/platform/core/store/")
    assert response.status_code == 200
    assert b"Alpha Branch Unique" in response.content
    assert b"Bravo Branch Unique" in response.content
    response = admin_client.get(f"/platform/core/staffrole/{_any_role(world.b).pk}/change/")
    assert response.status_code == 200


def test_the_platform_admin_is_for_superusers_only(client, world):
    client.force_login(world.user(world.a, Role.OWNER))
    response = client.get("/platform/core/store/")
    assert response.status_code == 302


def test_an_api_key_is_shown_once_when_created(client, world):
    client.force_login(world.user(world.a, Role.OWNER))
    response = client.post("/t/tenant-a/admin/core/apikey/add/", {"name": "till"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("mk_" in m for m in shown)
    listing = client.get("/t/tenant-a/admin/core/apikey/")
    raw = next(m for m in shown if "mk_" in m).split()[-1]
    assert raw.encode() not in listing.content


def test_only_owners_manage_api_keys(client, world):
    client.force_login(world.user(world.a, Role.MANAGER))
    assert client.get("/t/tenant-a/admin/core/apikey/").status_code == 403


def _any_role(tenant):
    with tenancy.tenant_context(tenant):
        return StaffRole.objects.first()


READ_ONLY = sorted(
    (
        (model._meta.label, model_admin)
        for model, model_admin in tenant_admin_site._registry.items()
        if isinstance(model_admin, ReadOnlyTenantAdmin)
    ),
    key=lambda row: row[0],
)


@pytest.mark.parametrize(("label", "model_admin"), READ_ONLY, ids=[r[0] for r in READ_ONLY])
def test_rows_written_by_actions_cannot_be_added_in_the_admin(client, world, label, model_admin):
    """Ledgers, histories and logs: the owner may look, but not add, edit or delete."""
    client.force_login(world.user(world.a, Role.OWNER))
    opts = model_admin.model._meta
    url = f"/t/tenant-a/admin/{opts.app_label}/{opts.model_name}/"
    assert client.get(url).status_code == 200
    assert client.get(f"{url}add/").status_code == 403
