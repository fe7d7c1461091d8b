"""register → search → edit → reissue card, in headless Chromium against a live server."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from core import tenancy
from membership.models import Card, Member
from tests.browser import sign_in

# The screenshots in docs/ are refreshed on request (UPDATE_SCREENSHOTS=1), so that an ordinary
# test run leaves the working tree as it was.
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_search_edit_and_reissue_a_card(page, live_server, world, tmp_path):
    from django.core.management import call_command

    screenshots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path

    call_command("compile_translations", verbosity=0)
    sign_in(page, live_server, world.user(world.a, "front_desk"))
    base = f"{live_server.url}/t/tenant-a/members"
    page.set_viewport_size({"width": 1200, "height": 900})

    # Register: the name field has the focus; a bad phone keeps everything typed.
    page.goto(f"{base}/new/")
    assert page.evaluate("document.activeElement.name") == "name"
    page.keyboard.type("韩梅梅")
    page.fill("input[name=phone]", "12345")
    page.fill("input[name=birthday]", "1992-03-04")
    page.click("button.primary")
    assert page.locator("#id_phone-errors, .has-error .errorlist").first.is_visible()
    assert page.input_value("input[name=name]") == "韩梅梅"
    assert page.input_value("input[name=birthday]") == "1992-03-04"
    assert page.evaluate("document.activeElement.name") == "phone"  # the field to fix
    page.screenshot(path=str(screenshots / "members-register.png"), full_page=True)
    page.fill("input[name=phone]", "13912345678")
    page.press("input[name=phone]", "Enter")
    page.wait_for_url(re.compile(r"/members/\d+/$"))
    with tenancy.tenant_context(world.a):
        member = Member.objects.get(name="韩梅梅")
    first_card = member.card_number
    assert first_card in page.inner_text(".card-number")

    # Search as you type by phone: the result appears without submitting.
    page.goto(f"{base}/")
    page.fill("input[name=q]", "139 1234 5678")
    page.wait_for_selector("#search-results tbody a")
    page.click("#search-results tbody a")
    page.wait_for_url(f"**/members/{member.pk}/")

    # Edit: the change is recorded in the history.
    page.click(f"a[href$='/members/{member.pk}/edit/']")
    page.click("details.more summary")
    page.fill("input[name=employer]", "Acme Trading")
    page.click("button.primary")
    page.wait_for_url(f"**/members/{member.pk}/")
    assert "Acme Trading" in page.inner_text("table.history")

    # Reissue: a new number, the old one blocked and still listed.
    page.fill("#card-reason", "worn out")
    page.click("button[formaction$='/card/reissue/']")
    page.wait_for_url(f"**/members/{member.pk}/")
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
        assert member.card_number != first_card
        assert Card.objects.get(number=first_card).status == "blocked"
    assert member.card_number in page.inner_text(".card-number")
    assert first_card in page.inner_text("section.card table")
    page.screenshot(path=str(screenshots / "members-member-page.png"), full_page=True)
