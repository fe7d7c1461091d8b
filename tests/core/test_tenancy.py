import pytest
from django.apps import apps
from django.core.cache import cache

from core import tenancy
from core.models import Store, TenantManager, TenantOwnedModel
from core.tasks import TenantTask, tenant_task
from tests.factories import StoreFactory

TENANT_OWNED = [
    model for model in apps.get_models() if any(f.name == "tenant" for f in model._meta.fields)
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_OWNED, ids=lambda m: m._meta.label)
def test_a_query_with_no_active_tenant_raises(model):
    with pytest.raises(tenancy.NoActiveTenant):
        list(model.objects.all())
    with pytest.raises(tenancy.NoActiveTenant):
        model._default_manager.count()


@pytest.mark.parametrize("model", TENANT_OWNED, ids=lambda m: m._meta.label)
def test_every_tenant_owned_model_uses_the_guarded_base(model):
    assert issubclass(model, TenantOwnedModel)
    assert isinstance(model._default_manager, TenantManager)
    assert not model._meta.get_field("tenant").null


@pytest.mark.parametrize("model", TENANT_OWNED, ids=lambda m: m._meta.label)
def test_every_unique_constraint_and_index_leads_with_tenant(model):
    for field in model._meta.fields:
        if field.unique and not field.primary_key:
            pytest.fail(f"{model._meta.label}.{field.name} is unique across tenants")
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if fields:
            assert fields[0] == "tenant", f"{constraint.name} does not lead with tenant"
    for fields in model._meta.unique_together:
        assert fields[0] == "tenant"
    for index in model._meta.indexes:
        if index.fields:
            assert index.fields[0] == "tenant", f"{index.name} does not lead with tenant"


def test_reads_see_only_the_active_tenant(world):
    store_a = StoreFactory(tenant=world.a)
    store_b = StoreFactory(tenant=world.b)
    with tenancy.tenant_context(world.a):
        assert store_a in Store.objects.all()
        assert store_b not in Store.objects.all()
        assert not Store.objects.filter(pk=store_b.pk).exists()
    with tenancy.dangerously_all_tenants():
        assert {store_a, store_b} <= set(Store.objects.all())


def test_saving_another_tenants_row_inside_a_tenant_is_refused(world):
    store_b = StoreFactory(tenant=world.b)
    with tenancy.tenant_context(world.a), pytest.raises(tenancy.NoActiveTenant):
        store_b.save()


def test_new_rows_take_the_active_tenant(world):
    with tenancy.tenant_context(world.b):
        store = Store.objects.create(name="Nowhere", code="nw")
    assert store.tenant_id == world.b.pk


def test_cache_keys_carry_the_tenant(world):
    with tenancy.tenant_context(world.a):
        cache.set("greeting", "hello A")
    with tenancy.tenant_context(world.b):
        assert cache.get("greeting") is None
        cache.set("greeting", "hello B")
    with tenancy.tenant_context(world.a):
        assert cache.get("greeting") == "hello A"


@tenant_task("tests.store_count")
def _store_count(*, tenant_id):
    return tenancy.current_tenant().pk, Store.objects.count()


@tenant_task("tests.fail")
def _fail(*, tenant_id):
    raise ValueError("boom")


def test_a_task_enters_its_tenant_and_leaves_it(world):
    StoreFactory(tenant=world.b)
    with tenancy.tenant_context(world.a):
        stores_a = Store.objects.count()
    with tenancy.tenant_context(world.b):
        stores_b = Store.objects.count()
    assert stores_a != stores_b
    assert _store_count.delay(tenant_id=world.b.pk).get() == (world.b.pk, stores_b)
    assert tenancy.current_scope() is None
    assert _store_count.delay(tenant_id=world.a.pk).get() == (world.a.pk, stores_a)
    assert tenancy.current_scope() is None


def test_a_failing_task_does_not_leak_its_tenant(world):
    with pytest.raises(ValueError):
        _fail.delay(tenant_id=world.a.pk).get()
    assert tenancy.current_scope() is None


def test_a_task_without_tenant_id_is_refused(world):
    with pytest.raises(TypeError, match="tenant_id"):
        _store_count.apply(kwargs={}).get()


def test_tenant_task_must_declare_tenant_id():
    with pytest.raises(TypeError, match="keyword-only tenant_id"):

        @tenant_task("tests.careless")
        def careless(tenant_id):
            return tenant_id


def test_tenant_tasks_use_the_tenant_base():
    assert isinstance(_store_count, TenantTask)


def test_fan_out_runs_once_per_period_even_with_two_schedulers(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app

    from core.tasks import fan_out

    seen = []

    @tenant_task("tests.record_tenant")
    def record(*, tenant_id, period):
        seen.append((tenant_id, period))

    assert current_app.tasks["tests.record_tenant"].name == record.name
    with django_capture_on_commit_callbacks(execute=True):  # a task runs in autocommit
        first = fan_out.delay("tests.record_tenant", "day").get()
        second = fan_out.delay("tests.record_tenant", "day").get()  # a second beat, same day
    assert first == 2 and second == 0
    assert sorted(t for t, _ in seen) == sorted([world.a.pk, world.b.pk])
