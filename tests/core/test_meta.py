"""Rules that keep tenancy impossible to forget, checked over the whole code base."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.sites import AdminSite

from core.api.views import TenantAPIView, TenantViewSet
from tests import walker

ROOT = Path(__file__).resolve().parents[2]


def _is_admin_view(callback) -> bool:
    owner = getattr(callback, "admin_site", None) or getattr(callback, "model_admin", None)
    if owner is not None:
        return True
    for candidate in (callback, getattr(callback, "__wrapped__", None)):
        if isinstance(getattr(candidate, "__self__", None), AdminSite):
            return True
    return False


STAFF_ROUTES = [
    route for route in walker.routes("config.tenant_urls") if not _is_admin_view(route.callback)
]


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.regex or "/")
def test_every_staff_view_checks_a_role(route):
    callback = route.callback
    view_class = getattr(callback, "view_class", None)
    capability = getattr(callback, "tenant_capability", None) or getattr(
        view_class, "capability", None
    )
    public = getattr(callback, "public_in_tenant", False) or getattr(
        view_class, "public_in_tenant", False
    )
    assert capability or public, (
        f"{route.regex}: wrap the view in @tenant_view(capability), use TenantViewMixin, "
        "or mark it public_in_tenant (sign-in pages only)"
    )


@pytest.mark.parametrize("route", walker.routes("config.portal_urls"), ids=lambda r: r.regex or "/")
def test_every_portal_view_needs_a_signed_in_member(route):
    callback = route.callback
    guarded = getattr(callback, "member_view", False)
    assert guarded or getattr(callback, "public_in_tenant", False), (
        f"{route.regex}: wrap the view in @member_view, or mark it public_in_tenant "
        "(sign-in and password reset only)"
    )


@pytest.mark.parametrize("route", walker.routes("config.api_urls"), ids=lambda r: r.regex)
def test_every_api_route_uses_the_tenant_bases(route):
    view_class = getattr(route.callback, "cls", None)
    assert view_class is not None and issubclass(view_class, (TenantAPIView, TenantViewSet)), (
        f"{route.regex} must be served by a TenantAPIView or TenantViewSet"
    )


def test_app_dependencies_go_one_way():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "lint-imports"),
            "--config",
            str(ROOT / "pyproject.toml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_are_up_to_date(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
