from pathlib import Path

import polib
import pytest
from django.conf import settings

from core.roles import Role

ROOT = Path(settings.BASE_DIR)
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_the_sign_in_page_speaks_chinese_by_default(client, db):
    response = client.get("/accounts/login/")
    assert "员工登录" in response.content.decode()


def test_the_sign_in_page_speaks_english_when_asked(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Staff sign-in" in response.content.decode()


def test_the_language_switch_sticks(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Staff sign-in" in client.get("/accounts/login/").content.decode()


def test_a_tenant_page_follows_the_tenant_default_language(client, world):
    world.a.default_language = "en"
    world.a.save()
    client.force_login(world.user(world.a, Role.OWNER))
    assert "Stores" in client.get("/t/tenant-a/").content.decode()
    world.b.default_language = "zh-hans"
    world.b.save()
    client.force_login(world.user(world.b, Role.OWNER))
    assert "门店" in client.get("/t/tenant-b/").content.decode()


def test_the_users_choice_beats_the_tenant_default(client, world):
    world.a.default_language = "zh-hans"
    world.a.save()
    client.force_login(world.user(world.a, Role.OWNER))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Stores" in client.get("/t/tenant-a/").content.decode()


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_has_a_chinese_translation(path):
    catalogue = polib.pofile(str(path))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing, f"untranslated in {path.relative_to(ROOT)}: {missing[:10]}"


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 2


def test_a_select_s_empty_choice_is_chinese(client, world):
    """Django 6.1's "- Select an option -" has no zh_Hans translation of its own."""
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    page = client.get("/t/tenant-a/members/new/").content.decode()
    assert "- 请选择 -" in page
    assert "Select an option" not in page
