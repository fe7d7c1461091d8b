"""Hooks: one shape (``core.hooks``), declared in ``<app>/hooks.py``, registered from
``AppConfig.ready()``, all of them listed in ``docs/architecture.md``."""

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from core import tenancy
from core.hooks import HOOK_TYPES, Event, Hook, Single, actor_names
from membership import hooks as membership_hooks
from notifications import hooks as notifications_hooks
from points import hooks as points_hooks
from tests.membership.factories import MemberFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "notifications", "membership", "points", "tiers", "complaints", "portal"]


def _project_modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


def _declared_hooks() -> dict[str, object]:
    """``{"<app>.<name>": hook}`` for every hook in an ``<app>/hooks.py``."""
    declared = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.hooks")
        except ModuleNotFoundError:
            continue
        for name, value in vars(module).items():
            if isinstance(value, HOOK_TYPES):
                declared[f"{app}.{name}"] = value
    return declared


def test_every_hook_is_declared_in_its_apps_hooks_module_under_its_own_name():
    declared = _declared_hooks()
    assert declared, "no hooks found"
    for qualified, hook in declared.items():
        assert hook.name == qualified, f"{qualified} is named {hook.name!r}"
    known = {id(hook) for hook in declared.values()}
    for module in _project_modules():
        for name, value in vars(module).items():
            if isinstance(value, HOOK_TYPES):
                assert id(value) in known, (
                    f"{module.__name__}.{name}: declare hooks in <app>/hooks.py only"
                )


def test_no_app_offers_a_hook_as_a_django_signal():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = getattr(func, "id", None) or getattr(func, "attr", None)
                    assert name != "Signal", (
                        f"{path.relative_to(ROOT)}:{node.lineno}: offer an Event from "
                        "<app>/hooks.py (core.hooks) instead of a Django signal"
                    )


def test_hooks_are_registered_into_only_from_app_configs():
    """Registration happens in ``<app>/apps.py`` (``AppConfig.ready()``), not as a side effect
    of importing some module."""
    names = {qualified.split(".", 1)[1] for qualified in _declared_hooks()}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path.name in {"apps.py", "hooks.py"} or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                func = getattr(node, "func", None)
                if (
                    isinstance(node, ast.Call)
                    and isinstance(func, ast.Attribute)
                    and func.attr == "register"
                    and getattr(func.value, "id", None) in names
                ):
                    raise AssertionError(
                        f"{path.relative_to(ROOT)}:{node.lineno} registers into "
                        f"{func.value.id}: do it in apps.py (AppConfig.ready())"
                    )


def test_the_architecture_page_lists_every_hook_once():
    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| `(\w+)\.hooks` \| `(\w+)`: .* \| `(\w+)` \|", text, re.MULTILINE)
    listed = {f"{app}.{name}": kind for app, name, kind in rows}
    assert len(rows) == len(listed)
    declared = _declared_hooks()
    assert set(listed) == set(declared)
    for qualified, kind in listed.items():
        assert type(declared[qualified]).__name__ == kind, qualified


def test_the_installed_apps_register_into_every_hook():
    from membership import selectors as membership_selectors
    from tiers import integrations as tiers_integrations

    assert actor_names.keys() == ["member", "staff"]
    assert membership_hooks.panels.keys() == ["tiers", "points", "complaints"]
    assert membership_hooks.erasers.keys() == ["complaints"]
    assert points_hooks.benefits_provider.current() is tiers_integrations.points_benefits
    assert points_hooks.purchase_recorded.keys() == ["tiers"]
    assert notifications_hooks.reminder_sources.keys() == [
        "birthday",
        "membership_expiring",
        "points_expiring",
    ]
    assert notifications_hooks.broadcast_audience.current().narrows_tiers
    assert notifications_hooks.phone_lookup.current() is membership_selectors.member_ids_with_phone


def test_the_member_page_shows_the_panels_of_tiers_points_and_complaints(client, world):
    with tenancy.tenant_context(world.a):
        member = MemberFactory(tenant=world.a)
    client.force_login(world.user(world.a, "front_desk"))
    response = client.get(f"/t/tenant-a/members/{member.pk}/")
    assert response.status_code == 200
    used = {template.name for template in response.templates}
    assert {
        "tiers/_member_panel.html",
        "points/_member_panel.html",
        "complaints/_member_panel.html",
    } <= used


def test_a_hook_reads_its_entries_by_order_then_key_and_a_key_registered_again_replaces():
    hook = Hook("tests.hook")
    hook.register("b", 2)
    hook.register("a", 1)
    hook.register("z", 0, order=10)
    hook.register("a", "one")
    assert hook.items() == [("z", 0), ("a", "one"), ("b", 2)]
    assert hook.get("a") == "one" and hook.get("missing", "-") == "-"
    hook.unregister("a")
    hook.unregister("never registered")
    assert hook.keys() == ["z", "b"]


def test_temporarily_holds_exactly_the_given_entries_and_restores_them_on_error():
    hook, single = Hook("tests.hook"), Single("tests.single", default="default")
    hook.register("kept", 1)
    single.register("kept")
    with pytest.raises(RuntimeError), hook.temporarily({"only": 2}), single.temporarily("only"):
        assert hook.items() == [("only", 2)]
        assert single.current() == "only"
        raise RuntimeError
    assert hook.items() == [("kept", 1)]
    assert single.current() == "kept"
    with single.temporarily():
        assert single.current() == "default"


def test_an_event_calls_its_receivers_in_order_with_the_sender():
    event, calls = Event("tests.event"), []
    event.register("second", lambda sender, **kw: calls.append(("second", sender, kw)))
    event.register("first", lambda sender, **kw: calls.append(("first", sender, kw)), order=1)
    event.send(sender=int, member=7)
    assert calls == [("first", int, {"member": 7}), ("second", int, {"member": 7})]


def test_a_single_keeps_the_last_provider_and_falls_back_to_its_default():
    single = Single("tests.single", default="none")
    assert single.current() == "none"
    single.register("first")
    single.register("second")
    assert single.current() == "second"
    single.unregister()
    assert single.current() == "none"
