"""Forgot password → code by SMS → new password → signed in, in headless Chromium at phone size."""

import re

import pytest

from tests.portal.conftest import make_member

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("english"),
]


def test_reset_the_password_with_a_code_on_a_phone(page, live_server, world, outbox, tmp_path):
    member = make_member(world.a, phone="+8613900000031", must_change=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/m/tenant-a/")
    page.wait_for_url("**/m/tenant-a/login/**")
    page.click("text=Forgot your password?")
    page.wait_for_url("**/m/tenant-a/password/forgot/")
    page.fill("input[name=identifier]", "139 0000 0031")
    page.click("button.p-primary")
    page.wait_for_url("**/m/tenant-a/password/reset/")
    assert "If this number belongs to a member" in page.inner_text(".p-messages")
    [sms] = (outbox / "sms").glob("*.json")
    code = re.search(r"password is (\d{6})", sms.read_text()).group(1)
    page.fill("input[name=code]", code)
    page.fill("input[name=new_password1]", "Copper-kettle-77")
    page.fill("input[name=new_password2]", "Copper-kettle-77")
    page.screenshot(path=str(tmp_path / "portal-reset.png"), full_page=True)
    page.click("button.p-primary")
    page.wait_for_url(f"{live_server.url}/m/tenant-a/")
    assert member.name in page.inner_text("h1")
    # Not sent back to the forced change: the reset set the member's own password.
    assert "Your password has been changed." in page.inner_text(".p-messages")
