"""CSRF on every POST, no-store on every member page, the idle timeout, HTTPS settings."""

import datetime
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from tests.portal.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

START = datetime.datetime(2026, 5, 1, 2, 0, tzinfo=datetime.UTC)


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


# --- CSRF --------------------------------------------------------------------------------------

POSTS = {
    "login": ("/m/tenant-a/login/", {"identifier": "13900000001", "password": PASSWORD}),
    "logout": ("/m/tenant-a/logout/", {}),
    "reset request": ("/m/tenant-a/password/forgot/", {"identifier": "13900000001"}),
    "language": ("/m/tenant-a/i18n/setlang/", {"language": "en"}),
}


@pytest.mark.parametrize("name", list(POSTS))
def test_every_public_post_needs_the_csrf_token(member, name):
    client = Client(enforce_csrf_checks=True)
    path, data = POSTS[name]
    assert client.post(path, data).status_code == 403
    client.get("/m/tenant-a/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(path, {**data, "csrfmiddlewaretoken": token}).status_code in (200, 302)


def test_signed_in_posts_need_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.get("/m/tenant-a/login/")
    token = client.cookies["csrftoken"].value
    signed = sign_in(client, "13900000001", HTTP_X_CSRFTOKEN=token)
    assert signed["Location"] == "/m/tenant-a/"
    change = {
        "old_password": PASSWORD,
        "new_password1": "Copper-kettle-77",
        "new_password2": "Copper-kettle-77",
    }
    assert client.post("/m/tenant-a/password/", change).status_code == 403
    token = client.cookies["csrftoken"].value  # rotated at sign-in
    response = client.post("/m/tenant-a/password/", {**change, "csrfmiddlewaretoken": token})
    assert response["Location"] == "/m/tenant-a/"


def test_the_reset_code_post_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.get("/m/tenant-a/password/forgot/")
    token = client.cookies["csrftoken"].value
    client.post(
        "/m/tenant-a/password/forgot/", {"identifier": "13900000001", "csrfmiddlewaretoken": token}
    )
    data = {"code": "123456", "new_password1": "Copper-kettle-77", "new_password2": "x"}
    assert client.post("/m/tenant-a/password/reset/", data).status_code == 403
    response = client.post("/m/tenant-a/password/reset/", {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 200


# --- no-store ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/m/tenant-a/",
        "/m/tenant-a/password/",
        "/m/tenant-a/login/",
        "/m/tenant-a/password/forgot/",
    ],
)
def test_member_pages_are_never_stored(client, member, path):
    with at(0):
        sign_in(client, "13900000001")
        response = client.get(path)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, path


def test_the_sign_in_redirect_is_not_stored_either(client, member):
    response = client.get("/m/tenant-a/")
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


# --- idle timeout ------------------------------------------------------------------------------


def test_thirty_minutes_without_a_request_end_the_sign_in(client, member):
    with at(0):
        sign_in(client, "13900000001")
    with at(29):
        assert client.get("/m/tenant-a/").status_code == 200  # refreshes "last seen"
    with at(58):
        assert client.get("/m/tenant-a/").status_code == 200
    with at(88.5):
        response = client.get("/m/tenant-a/")
        assert response["Location"].startswith("/m/tenant-a/login/")
        page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in page
    with at(89):
        assert client.get("/m/tenant-a/").status_code == 302  # and it stays ended


def test_the_idle_timeout_is_a_setting(client, member, settings):
    settings.PORTAL_IDLE_TIMEOUT = 5 * 60
    with at(0):
        sign_in(client, "13900000001")
    with at(6):
        assert client.get("/m/tenant-a/").status_code == 302


# --- HTTPS settings ----------------------------------------------------------------------------


def _settings_with(env: dict) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_PROXY_SSL_HEADER', 'TRUSTED_PROXY_COUNT')}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_secure_cookies_turn_on_https_redirect_and_hsts():
    plain = _settings_with({"SECURE_COOKIES": "0"})
    assert plain["SESSION_COOKIE_SECURE"] is False and not plain["SECURE_SSL_REDIRECT"]
    assert not plain["SECURE_HSTS_SECONDS"]
    assert plain["SESSION_COOKIE_HTTPONLY"] is True and plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    secure = _settings_with({"SECURE_COOKIES": "1", "TRUSTED_PROXY_COUNT": "1"})
    assert secure["SESSION_COOKIE_SECURE"] is True and secure["CSRF_COOKIE_SECURE"] is True
    assert secure["SECURE_SSL_REDIRECT"] is True
    assert secure["SECURE_HSTS_SECONDS"] == 31_536_000
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_https_redirect_spares_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert client.get("/m/tenant-a/login/").status_code == 301
    assert client.get("/healthz").status_code != 301


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/m/tenant-a/password/",
            {"new_password1": "Another-river-77", "new_password2": "Another-river-77"},
        ),
        ("/m/tenant-a/privacy/erasure/", {"understood": "on"}),
    ],
    ids=["change-password", "erasure"],
)
def test_re_entering_the_password_is_limited_for_a_signed_in_member(client, member, path, data):
    """A stolen session must not become a way to guess the password: 10 tries in 15 minutes."""
    sign_in(client, "13900000001")
    field = "old_password" if "password/" in path else "password"
    for _ in range(10):
        body = client.post(path, {**data, field: "wrong-guess"}).content.decode()
        assert "try again in" not in body
    body = client.post(path, {**data, field: PASSWORD}).content.decode()
    assert "Please try again in 15 minutes" in body  # even the right password waits
    with time_machine.travel(datetime.timedelta(minutes=16)):
        response = client.post(path, {**data, field: PASSWORD})
    assert response.status_code == 302
