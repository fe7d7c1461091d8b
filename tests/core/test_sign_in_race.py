"""Every sign-in form is counted before its password is checked (core.signin): real parallel
requests against a live server cannot get more password checks than the limit, and the right
password is refused while the lock holds. The platform admin (superusers) is locked too."""

import datetime
import http.client
import re
import threading
import time
import urllib.parse

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher

from tests.factories import UserFactory
from tests.portal.conftest import make_member

PASSWORD = "correct-horse-battery"
START = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)
PARALLEL = 30


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast tests) that counts every password check and takes as long as a real hash
    would, so parallel requests overlap between "is it locked?" and "count the failure"."""

    checks = 0
    _lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingHasher._lock:
            CountingHasher.checks += 1
        time.sleep(0.05)
        return super().verify(password, encoded)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.checks = 0
    return CountingHasher


def _connect(url):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.connect()
    return connection, parts.path


def _request(url, data=None, cookie="", connection=None):
    """One request (redirects are not followed); returns status, headers and body."""
    if connection is None:
        connection, path = _connect(url)
    else:
        path = urllib.parse.urlsplit(url).path
    headers = {"Accept-Language": "en", "Cookie": cookie}
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = urllib.parse.urlencode(data) if data is not None else None
    try:
        connection.request("POST" if data is not None else "GET", path, body, headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def _csrf(url):
    """GET the sign-in page: its CSRF cookie and form token, reused by every POST."""
    _status, headers, body = _request(url)
    cookie = re.search(r"csrftoken=([^;]+)", " ".join(headers.get_all("Set-Cookie"))).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    return f"csrftoken={cookie}", token


def _race(url, fields, n=PARALLEL):
    """POST ``fields`` ``n`` times at once: every connection is opened first (the test server
    has a thread per connection waiting for its request), then a barrier releases the requests
    together."""
    cookie, token = _csrf(url)
    connections = [_connect(url)[0] for _ in range(n)]
    barrier = threading.Barrier(n)
    results, errors = [], []

    def post(connection):
        try:
            barrier.wait(timeout=30)
            data = {**fields, "csrfmiddlewaretoken": token}
            results.append(_request(url, data, cookie, connection))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == n
    return cookie, token, results


STAFF_FORMS = {
    "staff": "/accounts/login/",
    "platform admin": "/platform/login/",
    "tenant admin": "/t/tenant-a/admin/login/",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", STAFF_FORMS)
def test_thirty_parallel_wrong_passwords_get_five_checks_then_the_right_one_is_refused(
    form, live_server, world, counting_hasher
):
    UserFactory(username="boss", password=PASSWORD, is_staff=True, is_superuser=True)
    url = live_server.url + STAFF_FORMS[form]
    cookie, token, results = _race(url, {"username": "boss", "password": "wrong"})
    assert counting_hasher.checks <= 5  # the old check-then-count let all 30 through
    statuses = sorted(status for status, _headers, _body in results)
    assert statuses.count(429) >= PARALLEL - 5
    assert set(statuses) <= {200, 429}
    locked = [body for status, _headers, body in results if status == 429]
    # (the tenant admin speaks the tenant's language, Chinese, whatever the browser asks for)
    assert all(re.search("try again in 15 minutes|15 分钟", body) for body in locked)

    counting_hasher.checks = 0
    status, _headers, body = _request(
        url, {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": token}, cookie
    )
    assert status == 429
    assert re.search("try again in 15 minutes|15 分钟", body)
    assert counting_hasher.checks == 0  # refused without looking at the password


@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_wrong_portal_sign_ins_get_five_checks(live_server, world, counting_hasher):
    for tenant in (world.a, world.b):
        tenant.default_language = "en"
        tenant.save(update_fields=["default_language"])
    make_member(world.a, phone="+8613900000001", password=PASSWORD)
    url = f"{live_server.url}/m/tenant-a/login/"
    cookie, token, results = _race(url, {"identifier": "13900000001", "password": "wrong"})
    assert counting_hasher.checks <= 5
    bodies = [body for _status, _headers, body in results]
    assert sum("Too many failed attempts to sign in." in body for body in bodies) >= PARALLEL - 5

    counting_hasher.checks = 0
    fields = {"identifier": "13900000001", "password": PASSWORD, "csrfmiddlewaretoken": token}
    status, _headers, body = _request(url, fields, cookie)
    assert status == 200  # the page again, not the redirect to the member's home
    assert "Please try again in 15 minutes" in body
    assert counting_hasher.checks == 0


# --- the platform admin, one request after another -----------------------------------------------


def at(minutes):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def admin_sign_in(client, password, url="/platform/login/", username="root", address="203.0.113.7"):
    return client.post(
        url,
        {"username": username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_twenty_five_wrong_passwords_then_the_right_one_is_refused_at_the_platform_admin(client):
    UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    with at(0):
        statuses = [admin_sign_in(client, f"guess-{n}").status_code for n in range(25)]
        assert statuses == [200] * 4 + [429] * 21
        response = admin_sign_in(client, PASSWORD)
        assert response.status_code == 429
        assert (
            "Too many failed sign-ins. Please try again in 15 minutes." in response.content.decode()
        )
        assert SESSION_KEY not in client.session
    with at(15):
        assert admin_sign_in(client, PASSWORD).status_code == 302
        assert SESSION_KEY in client.session


@pytest.mark.django_db
def test_every_staff_form_shares_one_counter(client, world):
    """Failures at /accounts/login/ and at a tenant's admin count for the platform admin too:
    a username does not get 5 guesses per form, or per tenant."""
    UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    with at(0):
        for url in ["/accounts/login/", "/accounts/login/", "/t/tenant-a/admin/login/"]:
            assert admin_sign_in(client, "wrong", url=url).status_code == 200
        assert admin_sign_in(client, "wrong", url="/t/tenant-b/admin/login/").status_code == 200
        assert admin_sign_in(client, "wrong", url="/platform/login/").status_code == 429
        assert admin_sign_in(client, PASSWORD, url="/platform/login/").status_code == 429


@pytest.mark.django_db
def test_the_admin_lock_message_is_in_chinese_for_a_chinese_browser(client):
    with at(0):
        for _ in range(5):
            response = client.post(
                "/platform/login/",
                {"username": "nobody", "password": "wrong"},
                HTTP_ACCEPT_LANGUAGE="zh-hans",
            )
    assert response.status_code == 429
    assert "15 分钟" in response.content.decode()


@pytest.mark.django_db
def test_a_right_password_gives_the_address_its_slot_back(client):
    """19 failures from one address, then a success: the success is not one of the 20."""
    UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    with at(0):
        for n in range(19):
            assert admin_sign_in(client, "wrong", username=f"guess{n}").status_code == 200
        assert admin_sign_in(client, PASSWORD).status_code == 302
        client.logout()
        assert admin_sign_in(client, "wrong", username="guess-last").status_code == 429
