"""Staff sign-in in a real browser (headless Chromium)."""

from pathlib import Path

import pytest

from core.roles import Role
from tests.factories import UserFactory

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_in_chinese_then_english(page, live_server, world):
    user = world.user(world.a, Role.MANAGER)
    user.set_password("a-long-password-1")
    user.save()

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "员工登录"
    page.screenshot(path=str(SHOTS / "staff-sign-in-zh.png"))

    with page.expect_navigation():
        page.select_option("#lang-select", "en")  # the switch submits itself
    assert page.locator("h1").inner_text() == "Staff sign-in"
    page.screenshot(path=str(SHOTS / "staff-sign-in-en.png"))

    page.fill("#id_username", user.username)
    page.fill("#id_password", "wrong password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "didn't match" in page.locator(".error").inner_text()
    assert page.input_value("#id_username") == user.username  # nothing typed is lost

    page.fill("#id_password", "a-long-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".tile strong").all_inner_texts() == ["Tenant A"]
    page.click("text=Tenant A")
    page.wait_for_url("**/t/tenant-a/")
    assert page.locator("h1").inner_text() == "Tenant A"


def test_someone_without_a_role_sees_no_business(page, live_server, world):
    UserFactory(username="nobody", password="a-long-password-1")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "a-long-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".tile").count() == 0
    response = page.goto(f"{live_server.url}/t/tenant-a/")
    assert response.status == 404  # the same answer as a business that does not exist
    assert "Tenant A" not in page.content()
