"""The member panel, the tier pages, renewal, the API and the admin's dry-run preview."""

import datetime
import re
from decimal import Decimal

import pytest

from core import tenancy
from core.roles import Role
from points.rules import add_months
from tests.tiers.factories import MemberTierFactory
from tests.tiers.helpers import OLD, benefit, buy, ladder, member
from tiers.models import TierRule

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(world):
    world.a.default_language = "en"
    world.a.save()
    with tenancy.tenant_context(world.a):
        tiers = ladder(
            ("ordinary", [], {"validity_months": 12, "renewal_price": Decimal("50")}),
            ("gold", [dict(kind="spend", amount=1000, window="lifetime")]),
        )
        benefit(tiers["gold"], "discount", "0.9")
        rich, poor = member(name="Rich Person"), member(name="Poor Person")
        buy(rich, 1500, D(2026, 1, 5))
        buy(poor, 200, D(2026, 1, 5))
    return {"tiers": tiers, "rich": rich, "poor": poor}


def test_the_member_page_shows_the_tier_panel(client, world, shop):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    page = client.get(f"/t/tenant-a/members/{shop['poor'].pk}/").content.decode()
    assert 'id="tier-panel"' in page
    assert "800 yuan more" in page


def test_the_tier_page_and_the_ladder(client, world, shop):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    assert (
        "Poor Person"
        in client.get(f"/t/tenant-a/tiers/members/{shop['poor'].pk}/").content.decode()
    )
    with tenancy.tenant_context(world.a):
        MemberTierFactory(tenant=world.a, member=shop["rich"], tier=shop["tiers"]["gold"])
        member(name="Gone Person", status="terminated")
    page = client.get("/t/tenant-a/tiers/").content.decode()
    rows = re.findall(
        r"<tr><td>(\w+)(?: <small[^<]*</small>)?</td>\s*<td>.*?</td>\s*<td>(\d+)</td>", page
    )
    # Every current member counts once: at the entry tier unless a row puts them higher.
    assert dict(rows) == {"Ordinary": "1", "Gold": "1"}


def test_renewal_at_the_counter(client, world, shop):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    response = client.post(f"/t/tenant-a/tiers/members/{shop['poor'].pk}/renew/", {"paid": "50"})
    assert response.status_code == 302
    assert shop["poor"].valid_until is None  # the factory's member had no end
    shop["poor"].refresh_from_db()
    today = world.a.local_now().date()
    assert shop["poor"].valid_until == add_months(today, 12)  # the entry tier's 12 months


def test_the_api_gives_tier_benefits_and_progress(client, world, shop):
    with tenancy.tenant_context(world.a):
        from tiers import actions

        actions.do_run_cycle(D(2026, 2, 1))
    key = world.api_key(world.a)
    response = client.get(
        f"/api/v1/tenant-a/members/{shop['rich'].pk}/tier/",
        HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["tier"]["code"] == "gold"
    assert body["benefits"]["price_factor"] == "0.9000"
    assert body["why"][0]["value"] == "1500.00"
    poor = client.get(
        f"/api/v1/tenant-a/members/{shop['poor'].pk}/tier/",
        HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}",
    ).json()
    assert poor["next_tier"]["code"] == "gold"
    assert "800" in poor["to_next_tier"][0]


def test_the_api_hides_another_tenants_member(client, world, shop):
    key = world.api_key(world.b)
    response = client.get(
        f"/api/v1/tenant-b/members/{shop['rich'].pk}/tier/",
        HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}",
    )
    assert response.status_code == 404


def _tier_form(tier, rule_amount, effective_from="2020-01-01", rule=None):
    data = {
        "rank": tier.rank,
        "code": tier.code,
        "name_zh": tier.name_zh,
        "name_en": tier.name_en,
        "match": tier.match,
        "inherits_lower_benefits": "on",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "1" if rule else "0",
        "rules-0-kind": "spend",
        "rules-0-amount": str(rule_amount),
        "rules-0-window": "lifetime",
        "rules-0-window_months": "12",
        "rules-0-effective_from": effective_from,
        "rules-0-tier": str(tier.pk),
        "benefits-TOTAL_FORMS": "0",
        "benefits-INITIAL_FORMS": "0",
    }
    if rule:
        data["rules-0-id"] = str(rule.pk)
    return data


def test_the_admin_previews_a_threshold_change_without_saving_it(client, world, shop):
    gold = shop["tiers"]["gold"]
    with tenancy.tenant_context(world.a):
        rule = TierRule.objects.get(tier=gold)
    client.force_login(world.user(world.a, Role.MANAGER))
    url = f"/t/tenant-a/admin/tiers/tier/{gold.pk}/change/"
    data = _tier_form(gold, 100, rule=rule)
    response = client.post(url, {**data, "_preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    assert 'id="preview-up"' in page
    assert "2 members would move up" in page
    assert "Poor Person" in page
    with tenancy.tenant_context(world.a):
        rule.refresh_from_db()
        assert rule.amount == Decimal("1000.00")  # nothing saved
    response = client.post(url, {**data, "_save": "1"})
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        rule.refresh_from_db()
        assert rule.amount == Decimal("100.00")


def test_the_admin_preview_uses_a_future_version(client, world, shop):
    gold = shop["tiers"]["gold"]
    with tenancy.tenant_context(world.a):
        TierRule.objects.filter(tier=gold).update(effective_from=OLD)
    client.force_login(world.user(world.a, Role.MANAGER))
    data = _tier_form(gold, 100, effective_from="2099-01-01")
    data["rules-TOTAL_FORMS"] = "1"
    response = client.post(
        f"/t/tenant-a/admin/tiers/tier/{gold.pk}/change/", {**data, "_preview": "1"}
    )
    page = response.content.decode()
    assert "2099-01-01" in page
    assert "2 members would move up" in page
