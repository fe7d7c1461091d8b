import pytest

from core import tenancy
from membership.hooks import Panel, panels

from .factories import MemberFactory


@pytest.fixture
def points_panel():
    panels.register(
        "test-points", Panel("membership/_test_panel.html", lambda m: {"balance": 42}), order=10
    )
    yield
    panels.unregister("test-points")


def test_a_higher_app_can_add_a_panel_to_the_member_page(
    client, world, points_panel, tmp_path, settings
):
    (tmp_path / "membership").mkdir()
    (tmp_path / "membership" / "_test_panel.html").write_text(
        '<section class="card" id="points">balance {{ panel.balance }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    client.force_login(world.user(world.a, "front_desk"))
    page = client.get(f"/t/tenant-a/members/{member.pk}/").content.decode()
    assert "balance 42" in page


def test_the_installed_apps_add_their_panels_in_order(client, world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    client.force_login(world.user(world.a, "front_desk"))
    response = client.get(f"/t/tenant-a/members/{member.pk}/")
    assert [p["key"] for p in response.context["panels"]] == ["tiers", "points", "complaints"]
