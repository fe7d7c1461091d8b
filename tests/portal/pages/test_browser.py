"""The member portal in headless Chromium at phone size: sign in with the initial password,
change it, see the points, redeem a reward, file a complaint; and the same member in English.

The screenshots in docs/screenshots/portal-*.png are refreshed on request:
    UPDATE_SCREENSHOTS=1 pytest tests/portal/test_browser.py
(an ordinary run writes them to a temporary folder, so the working tree stays as it was)."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from core import tenancy
from points.models import PointsAccount, Redemption
from portal import demo
from tests.factories import StoreFactory

DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
INITIAL, NEW = "counter-pass-1", "Lantern-river-42"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _seed(tenant, *, phone, language="", must_change=True):
    with tenancy.tenant_context(tenant):
        stores = [
            StoreFactory(tenant=tenant, code=f"nanjing-{phone}", name="南京路店"),
            StoreFactory(tenant=tenant, code=f"xujiahui-{phone}", name="徐家汇店"),
        ]
        demo._ensure_expiry()
        demo._ensure_ladder()
        demo._ensure_catalog()
        member = demo.seed_member(
            phone=phone, password=INITIAL, name="李小萌", must_change=must_change, stores=stores
        )
        if language:
            type(member).objects.filter(pk=member.pk).update(language=language)
    return member


def _balance(tenant, member):
    with tenancy.tenant_context(tenant):
        return PointsAccount.objects.get(member=member).balance


def _shot(page, folder, name):
    """The whole page as on a very tall phone: Chromium's full-page capture would paint the
    fixed tab bar where the first screen ends, in the middle of the picture."""
    page.wait_for_load_state()
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": max(height, PHONE["height"])})
    page.screenshot(path=str(folder / f"portal-{name}.png"))
    page.set_viewport_size(PHONE)


def test_a_member_on_a_phone(phone_page, live_server, world, tmp_path):
    call_command("compile_translations", verbosity=0)
    shots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    member = _seed(world.a, phone="13900000001")
    page, base = phone_page, f"{live_server.url}/m/tenant-a"

    # Sign in with the initial password: the portal asks for a new one first.
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r"/login/\?next="))
    assert page.locator("h1").inner_text() == "会员登录"
    _shot(page, shots, "sign-in")
    page.fill("input[name=identifier]", "139 0000 0001")
    page.fill("input[name=password]", INITIAL)
    page.click("main button.p-primary")
    page.wait_for_url(f"{base}/password/")
    page.fill("input[name=old_password]", INITIAL)
    page.fill("input[name=new_password1]", NEW)
    page.fill("input[name=new_password2]", NEW)
    page.click("main button.p-primary")
    page.wait_for_url(f"{base}/")

    # Home: the balance, the next expiry and the tier.
    balance = _balance(world.a, member)
    assert page.inner_text("[data-test=balance]") == f"{balance:,}"
    assert "积分有效期至" in page.inner_text("[data-test=next-expiry]")
    assert page.inner_text("[data-test=tier]") == "普通会员"
    _shot(page, shots, "home")

    page.click(".p-tabs a[href$='/points/']")
    page.wait_for_url(f"{base}/points/")
    assert "南京路店" in page.inner_text("[data-test=ledger]")
    _shot(page, shots, "history")

    page.goto(f"{base}/tier/")
    assert "银卡会员" in page.inner_text("main h2")
    assert "再消费" in page.inner_text("[data-test=to-next]")
    _shot(page, shots, "tier")

    # Redeem a reward; the same confirmation sent again (a second tap that got through, a
    # retried request) redeems nothing more.
    page.click(".p-tabs a[href$='/rewards/']")
    page.wait_for_url(f"{base}/rewards/")
    _shot(page, shots, "rewards")
    page.click(".p-reward:has-text('品牌帆布袋') a.p-button")
    page.wait_for_url(re.compile(r"/rewards/\d+/$"))
    _shot(page, shots, "redeem")
    confirmation = page.url
    sent = page.evaluate("Array.from(new FormData(document.querySelector('main form')).entries())")
    page.click("main button.p-primary")
    page.wait_for_url(f"{base}/rewards/mine/")
    assert "品牌帆布袋" in page.inner_text(".p-messages")
    assert _balance(world.a, member) == balance - 350
    status = page.evaluate(
        """async ([url, pairs]) => {
            const body = new FormData();
            for (const [name, value] of pairs) body.append(name, value);
            return (await fetch(url, {method: "POST", body, credentials: "same-origin"})).status;
        }""",
        [confirmation, sent],
    )
    assert status == 200  # followed the redirect to my redemptions, as the first time
    assert _balance(world.a, member) == balance - 350
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.filter(member=member, reward__name_zh="品牌帆布袋").count() == 1
    page.reload()
    _shot(page, shots, "coupons")

    # File a complaint and see it listed.
    page.click(".p-tabs a[href$='/complaints/']")
    page.wait_for_url(f"{base}/complaints/")
    _shot(page, shots, "complaints")
    page.click("a[href$='/complaints/new/']")
    page.select_option("select[name=store]", label="徐家汇店")
    page.fill("textarea[name=description]", "收银台排队太久。等了二十多分钟。")
    _shot(page, shots, "complaint-new")
    page.click("main button.p-primary")
    page.wait_for_url(re.compile(r"/complaints/\d+/$"))
    assert "收银台排队太久" in page.inner_text("[data-test=description]")
    page.click(".p-back a")
    assert "收银台排队太久" in page.inner_text("[data-test=tickets]")

    # The answered complaint from the seed: the reply, and the two answers offered.
    page.click("[data-test=tickets] a:has-text('开胶')")
    assert "免费更换同款新鞋" in page.inner_text("[data-test=reply]")
    _shot(page, shots, "ticket")

    page.click(".p-tabs a[href$='/profile/']")
    page.wait_for_url(f"{base}/profile/")
    assert "139 0000 0001" in page.inner_text("[data-test=details]")
    _shot(page, shots, "profile")
    page.click("a[href$='/profile/consent/']")
    page.wait_for_url(f"{base}/profile/consent/")
    _shot(page, shots, "consent")


def test_a_member_who_chose_english_gets_english_at_sign_in(phone_page, live_server, world):
    call_command("compile_translations", verbosity=0)
    member = _seed(world.a, phone="13900000002", language="en", must_change=False)
    page, base = phone_page, f"{live_server.url}/m/tenant-a"
    page.goto(f"{base}/login/")
    assert page.locator("h1").inner_text() == "会员登录"  # tenant A's default: Chinese
    page.fill("input[name=identifier]", "13900000002")
    page.fill("input[name=password]", INITIAL)
    page.click("main button.p-primary")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "Hello, 李小萌"
    assert page.inner_text(".p-hero-label") == "Available points"

    # The expensive reward is refused in plain words and costs nothing.
    balance = _balance(world.a, member)
    with tenancy.tenant_context(world.a):
        from points.models import Reward

        bracelet = Reward.objects.get(name_en="Amber bracelet")
    page.goto(f"{base}/rewards/{bracelet.pk}/")
    assert "You need 5,000 points" in page.inner_text("main")
    assert page.is_disabled("main button.p-primary")
    assert _balance(world.a, member) == balance

    # Back to Chinese from the header switch: stored for next time.
    with page.expect_navigation():
        page.select_option("#lang-select", "zh-hans")
    assert page.inner_text(".p-back a").endswith("积分兑换")
    with tenancy.tenant_context(world.a):
        member.refresh_from_db()
    assert member.language == "zh-hans"
