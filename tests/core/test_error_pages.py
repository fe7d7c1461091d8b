"""Refusals and errors are pages of the product: in the user's language, in the look of the part
they were in, with a way back; under /api/ they stay the API's JSON error body."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from core.errors import ErrorPages, root_pages
from core.roles import Role
from tests.portal.conftest import make_member

pytestmark = pytest.mark.django_db


def _page(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_a_refused_page_is_styled_chinese_and_leads_home(client, world):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    html = _page(client.get("/t/tenant-a/complaints/report/"), 403)
    assert "您无权打开此页面" in html
    assert "Forbidden" not in html
    assert 'href="/t/tenant-a/"' in html  # home of the mount, and the tenant's navigation
    assert "css/app" in html


def test_the_same_refusal_in_english(client, world):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = _page(client.get("/t/tenant-a/complaints/report/"), 403)
    assert "You may not open this page" in html
    assert "返回首页" not in html


def test_a_missing_staff_page(client, world):
    client.force_login(world.user(world.a, Role.OWNER))
    html = _page(client.get("/t/tenant-a/no-such-page/"), 404)
    assert "页面不存在" in html and 'href="/t/tenant-a/"' in html


def test_an_unknown_business_gets_the_root_page(client):
    html = _page(client.get("/t/no-such-business/"), 404)
    assert "页面不存在" in html and 'href="/"' in html


def test_a_missing_portal_page_has_the_portal_look(client, world):
    make_member(world.a)
    html = _page(client.get("/m/tenant-a/no-such-page/"), 404)
    assert 'class="portal' in html and "css/portal" in html
    assert 'href="/m/tenant-a/"' in html and "页面不存在" in html


def test_an_expired_form_says_what_to_do(world):
    client = Client(enforce_csrf_checks=True)
    html = _page(client.post("/accounts/login/", {"username": "x", "password": "y"}), 403)
    assert "表单已过期" in html and "CSRF" not in html


def test_a_bad_request_page(client):
    html = _page(client.get("/", HTTP_HOST="not-ours.example"), 400)
    assert "请求无法处理" in html


def test_the_server_error_page_needs_no_context_processor():
    request = RequestFactory().get("/t/tenant-a/")
    with translation.override("en"):
        html = _page(ErrorPages(home="staff_home").server_error(request), 500)
    assert "Something went wrong on our side" in html
    with translation.override("zh-hans"):
        html = _page(root_pages.server_error(request), 500)
    assert "系统出错了" in html


def test_the_api_keeps_its_json_errors(client, world):
    response = client.get("/api/v1/tenant-a/no-such-route/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_error_page_does_not_echo_the_path(client, world):
    client.force_login(world.user(world.a, Role.OWNER))
    html = _page(client.get("/t/tenant-a/members/987654321/"), 404)
    assert "987654321" not in html


def test_someone_without_a_role_learns_nothing_of_the_business(client, world):
    """Signed in but not staff of tenant A: the same page as for a business that does not
    exist, without the tenant's name or navigation."""
    client.force_login(world.user(world.b, Role.OWNER))
    html = _page(client.get("/t/tenant-a/"), 404)
    assert world.a.name not in html and "页面不存在" in html
    assert _page(client.get("/t/tenant-a/no-such-page/"), 404).count(world.a.name) == 0
