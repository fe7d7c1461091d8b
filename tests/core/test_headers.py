"""Content-Security-Policy and Permissions-Policy on every kind of page; no template needs an
inline script or style; check --deploy is clean with the README's production settings; without
DEBUG the pages are served from collected static files, and the server says so when they are not."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

from core import checks, keys
from core.roles import Role
from tests.factories import UserFactory
from tests.portal.conftest import make_member

pytestmark = pytest.mark.django_db

BASE = Path(settings.BASE_DIR)


def assert_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    policy = response.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy, policy


def test_staff_pages_carry_both(client, world):
    assert_headers(client.get("/accounts/login/"))
    client.force_login(world.user(world.a, Role.OWNER))
    response = client.get("/t/tenant-a/")
    assert response.status_code == 200
    assert_headers(response)
    assert_headers(client.get("/t/tenant-a/members/"))


def test_portal_pages_carry_both(client, world):
    assert_headers(client.get("/m/tenant-a/login/"))
    make_member(world.a, phone="+8613900000001")
    response = client.post(
        "/m/tenant-a/login/", {"identifier": "13900000001", "password": "Lantern-river-42"}
    )
    assert response.status_code == 302
    assert_headers(response)
    home = client.get("/m/tenant-a/")
    assert home.status_code == 200
    assert_headers(home)


def test_the_api_carries_both(client, world):
    key = world.api_key(world.a)
    response = client.get("/api/v1/tenant-a/stores/", HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}")
    assert response.status_code == 200
    assert_headers(response)
    assert_headers(client.get("/api/v1/tenant-a/stores/"))  # the error body too
    assert_headers(client.get("/api/schema/"))


def test_the_admins_carry_both(client, world):
    assert_headers(client.get("/platform/login/"))
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get("/platform/")
    assert response.status_code == 200
    assert_headers(response)
    assert_headers(client.get("/platform/core/store/add/"))
    client.force_login(world.user(world.a, Role.OWNER))
    response = client.get("/t/tenant-a/admin/core/store/")
    assert response.status_code == 200
    assert_headers(response)


def test_errors_and_the_health_check_carry_both(client):
    assert_headers(client.get("/no-such-page/"))
    assert_headers(client.get("/t/no-such-tenant/"))
    assert_headers(client.get("/healthz"))


def test_swagger_ui_renders_under_the_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_headers(response)
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 3  # the bundle, the preset and the init script
    assert all(" src=" in tag for tag in scripts), scripts  # none inline
    assert "<style" not in page and " style=" not in page
    init = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', page).group(1)
    script = client.get(init.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    for url in re.findall(r'(?:src|href)="/static/([^"]+)"', page):
        assert finders.find(url), url  # every file of the page is a static file we ship


# --- the templates ------------------------------------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "an inline <style>"),
]


def _our_templates():
    skip = {".venv", "node_modules", "staticfiles", ".git"}
    for path in BASE.rglob("*.html"):
        if not skip.intersection(path.relative_to(BASE).parts) and "templates" in path.parts:
            yield path


def test_no_template_needs_unsafe_inline():
    found = []
    templates = list(_our_templates())
    assert len(templates) > 50
    for path in templates:
        text = path.read_text()
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{path.relative_to(BASE)}: {what}")
    assert not found, found


# --- check --deploy -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """``collectstatic`` as the README's production steps and ``make serve`` run it."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = _manage("collectstatic", "--noinput", STATIC_ROOT=str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "staticfiles.json").exists()
    return root


def _check_deploy(static_root, **env):
    return _manage(
        "check", "--deploy", "--fail-level", "WARNING", STATIC_ROOT=str(static_root), **env
    )


def _manage(*command, **env):
    """A ``manage.py`` command in a fresh process with the README's production settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        # DEBUG unset; not the test run's own DJANGO_ALLOW_ASYNC_UNSAFE (tests/conftest.py)
        if key
        not in {
            "DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "PII_ENCRYPTION_KEYS",
            "PII_HMAC_KEY",
            "SECURE_COOKIES",
        }
    }
    environment.update(
        {
            "SECRET_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "members.example.com",
            "CONN_MAX_AGE": "600",
            "SECURE_COOKIES": "1",
            "TRUSTED_PROXY_COUNT": "1",
            "PII_HMAC_KEY": secrets.token_hex(32),
            "PII_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            **env,
        }
    )
    environment = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        env=environment,
        capture_output=True,
        text=True,
        cwd=BASE,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings(collected_static):
    result = _check_deploy(collected_static)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_when_the_pii_keys_are_derived(collected_static):
    result = _check_deploy(collected_static, PII_HMAC_KEY=None, PII_ENCRYPTION_KEYS=None)
    assert result.returncode == 1
    assert "core.W001" in result.stderr
    assert "PII_ENCRYPTION_KEYS and PII_HMAC_KEY are derived from SECRET_KEY" in result.stderr
    assert "security.W" not in result.stderr  # the only issue


def test_the_pii_check_names_each_derived_key():
    secret = "z" * 64
    derived_encryption = keys.derived_key(keys.ENCRYPTION, secret)
    derived_lookup = keys.derived_key(keys.LOOKUP, secret)
    own = Fernet.generate_key().decode()
    cases = [
        ([derived_encryption], derived_lookup, "PII_ENCRYPTION_KEYS and PII_HMAC_KEY are"),
        ([own], derived_lookup, "PII_HMAC_KEY is"),
        ([own, derived_encryption], "own-lookup-key", "PII_ENCRYPTION_KEYS is"),
        ([own], "own-lookup-key", None),
    ]
    for encryption, lookup, expected in cases:
        with override_settings(
            SECRET_KEY=secret, PII_ENCRYPTION_KEYS=encryption, PII_HMAC_KEY=lookup
        ):
            found = checks.pii_keys_are_set(None)
        if expected is None:
            assert found == []
        else:
            assert [w.id for w in found] == ["core.W001"]
            assert found[0].msg.startswith(expected)


def test_the_settings_derive_the_keys_the_check_looks_for():
    """The test settings use the development defaults: the check recognises them."""
    assert keys.derived_key(keys.LOOKUP, settings.SECRET_KEY) == settings.PII_HMAC_KEY
    assert [w.id for w in checks.pii_keys_are_set(None)] == ["core.W001"]


def test_the_server_warns_when_the_static_files_are_not_collected(tmp_path):
    """Without DEBUG every page links hashed static names from the manifest: a server started
    before ``collectstatic`` would answer every page with a 500. The check says so at start."""
    result = _check_deploy(tmp_path / "empty")
    assert result.returncode == 1
    assert "core.W002" in result.stderr
    assert "collectstatic" in result.stderr


def test_pages_and_their_styles_are_served_without_debug(collected_static, client):
    manifest = {
        "default": settings.STORAGES["default"],
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(DEBUG=False, STATIC_ROOT=collected_static, STORAGES=manifest):
        assert checks.static_files_are_collected(None) == []
        page = client.get("/accounts/login/")
        assert page.status_code == 200
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "the page links the hashed name from the manifest"
        css = Client().get(  # a new client: WhiteNoise reads STATIC_ROOT when it starts
            stylesheet.group(1)
        )
        assert css.status_code == 200
        assert b"".join(css.streaming_content)
