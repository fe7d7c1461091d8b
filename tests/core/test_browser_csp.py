"""Under the Content-Security-Policy, in headless Chromium: no page is refused a script or style,
Swagger UI renders its operations, the admin's scripts run, and the data- behaviours of
static/js/app.js work (the language switch)."""

import pytest

from core.roles import Role
from tests.browser import sign_in
from tests.factories import UserFactory
from tests.portal.conftest import PASSWORD, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page):
    """Every CSP refusal and script error of the page, as Chromium reports them."""
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text
            or (message.type == "error" and not message.text.startswith("Failed to load resource"))
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def test_swagger_ui_renders_its_operations(page, live_server):
    problems = _watch(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert "Membership platform API" in page.inner_text(".swagger-ui .info")
    assert not problems, problems


def test_staff_pages_and_the_admin_run_under_the_policy(page, live_server, world):
    problems = _watch(page)
    page.goto(f"{live_server.url}/accounts/login/")
    # the language switch submits itself (data-autosubmit, no onchange attribute)
    page.select_option("#lang-select", "en")
    page.wait_for_selector("text=Staff sign-in")
    sign_in(page, live_server, world.user(world.a, Role.OWNER))
    page.goto(f"{live_server.url}/t/tenant-a/members/")
    page.goto(f"{live_server.url}/t/tenant-a/admin/core/store/add/")
    assert page.locator("#store_form").count() == 1
    sign_in(page, live_server, UserFactory(username="root", is_staff=True, is_superuser=True))
    page.goto(f"{live_server.url}/platform/core/staffrole/add/")
    page.wait_for_selector("#staffrole_form")
    # the admin's own script ran (the theme toggle and the sidebar are set up by it)
    assert page.evaluate("typeof window.django === 'object'")
    assert not problems, problems


def test_portal_pages_run_under_the_policy(page, live_server, world):
    make_member(world.a, phone="+8613900000001")
    problems = _watch(page)
    page.goto(f"{live_server.url}/m/tenant-a/login/")
    page.fill("input[name=identifier]", "13900000001")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.p-primary")
    page.wait_for_url(f"{live_server.url}/m/tenant-a/")
    page.goto(f"{live_server.url}/m/tenant-a/rewards/")
    assert not problems, problems
