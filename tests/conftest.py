import importlib
import os
import pkgutil
from pathlib import Path

import pytest

from core import tenancy
from core.roles import Role

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by tests
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _import_app_factories():
    """Import tests/<app>/factories.py so every factory registers itself."""
    here = Path(__file__).parent
    for module in pkgutil.iter_modules([str(here)]):
        if module.ispkg and (here / module.name / "factories.py").exists():
            importlib.import_module(f"tests.{module.name}.factories")


_import_app_factories()

from tests.factories import ApiKeyFactory, StaffRoleFactory, TenantFactory, UserFactory  # noqa: E402


@pytest.fixture(autouse=True)
def _celery_in_process():
    """Tasks run in-process in tests, except where a test starts a real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """No collectstatic in tests: serve static files without the hashed manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _no_tenant_leaks():
    """Every test starts and must end with no tenant active."""
    assert tenancy.current_scope() is None, "a previous test left a tenant active"
    yield
    assert tenancy.current_scope() is None, "this test left a tenant active"


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    """Every test writes its SMS and e-mail files into its own folder."""
    settings.NOTIFICATIONS_OUTBOX_DIR = tmp_path / "outbox"
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.MAILERS = {
        "default": {
            "BACKEND": "notifications.channels.email.FileEmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "outbox" / "email")},
        }
    }
    return tmp_path / "outbox"


@pytest.fixture
def outbox(_outbox_in_tmp):
    """The folder where this test's SMS and e-mail files land."""
    return _outbox_in_tmp


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language, whatever the previous request activated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


class World:
    """Two tenants, A (ours) and B (the one we must never see), with staff of each role."""

    def __init__(self):
        self.a = TenantFactory(slug="tenant-a", name="Tenant A")
        self.b = TenantFactory(slug="tenant-b", name="Tenant B")
        self.staff = {}
        for tenant in (self.a, self.b):
            for role in Role:
                user = UserFactory(username=f"{tenant.slug}-{role.value}")
                StaffRoleFactory(tenant=tenant, user=user, role=role)
                self.staff[(tenant.slug, role.value)] = user

    def user(self, tenant, role=Role.OWNER):
        return self.staff[(tenant.slug, Role(role).value)]

    def api_key(self, tenant):
        return ApiKeyFactory(tenant=tenant)


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def in_a(world):
    with tenancy.tenant_context(world.a):
        yield world.a


@pytest.fixture
def client_a(client, world):
    """A test client signed in as tenant A's owner."""
    client.force_login(world.user(world.a, Role.OWNER))
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: a test tool's own browser download does not work on our machines."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser at a counter in China: Chinese first."""
    return {**browser_context_args, "locale": "zh-CN"}
