"""Factories, and a registry of one factory per tenant-owned model.

Every tenant-owned model must have a factory registered with ``@factory_for(Model)``: the
cross-tenant walk creates one object of each model in the victim tenant from this registry, and a
meta-test fails for a model without one. Apps' factories live in ``tests/<app>/factories.py``
and are imported by ``tests/conftest.py``.
"""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from core import tenancy
from core.models import ApiKey, IdempotencyRecord, StaffRole, Store, Tenant
from core.roles import Role

FACTORIES: dict[type, type] = {}


def factory_for(model):
    def register(factory_class):
        FACTORIES[model] = factory_class
        return factory_class

    return register


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Business {n:03d}")
    slug = factory.Sequence(lambda n: f"biz-{n:03d}")


class TenantOwnedFactory(DjangoModelFactory):
    """Creates in ``tenant`` (default: the active tenant) with that tenant active."""

    class Meta:
        abstract = True

    tenant = factory.LazyFunction(tenancy.current_tenant)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenancy.tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n:04d}")
    first_name = factory.Sequence(lambda n: f"First{n:04d}")
    last_name = "Tester"
    password = factory.django.Password("correct-horse-battery")


@factory_for(Store)
class StoreFactory(TenantOwnedFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store number {n:04d}")
    code = factory.Sequence(lambda n: f"st{n:04d}")
    address = factory.Sequence(lambda n: f"{n} Secret Street")


@factory_for(StaffRole)
class StaffRoleFactory(TenantOwnedFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    role = Role.OWNER
    store = factory.SubFactory(StoreFactory, tenant=factory.SelfAttribute("..tenant"))


@factory_for(ApiKey)
class ApiKeyFactory(TenantOwnedFactory):
    """``ApiKeyFactory().raw_key`` is the key a client sends."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"integration {n:04d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenancy.tenant_context(kwargs["tenant"]):
            key = model_class(**kwargs)
            raw = key.issue()
            key.save()
        key.raw_key = raw
        return key


@factory_for(IdempotencyRecord)
class IdempotencyRecordFactory(TenantOwnedFactory):
    class Meta:
        model = IdempotencyRecord

    key = factory.Sequence(lambda n: f"idem-key-{n:05d}")
    fingerprint = factory.Sequence(lambda n: f"{n:064d}")
    status_code = 201
    response_content = factory.Sequence(lambda n: f'{{"note":"private-response-{n:05d}"}}')
    response_headers = factory.LazyFunction(lambda: {"Content-Type": "application/json"})
