"""Fences over the whole code base: one task mechanism. Each reads the source (ast) or the
registries."""

import ast
import importlib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "config",
    "core",
    "membership",
    "points",
    "tiers",
    "notifications",
    "complaints",
    "portal",
]


@cache
def _sources() -> dict[str, tuple[Path, ast.Module]]:
    """``{dotted module name: (path, tree)}`` of every module of our packages (migrations too)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = (path, ast.parse(path.read_text(), str(path)))
    return found


def _where(module: str, node) -> str:
    return f"{_sources()[module][0].relative_to(ROOT)}:{node.lineno}"


# --- tasks ---------------------------------------------------------------------------------------


def _our_tasks():
    from celery import current_app

    for package in PACKAGES:
        if (ROOT / package / "tasks.py").exists():
            importlib.import_module(f"{package}.tasks")
    return [
        task for task in current_app.tasks.values() if task.run.__module__.split(".")[0] in PACKAGES
    ]


def test_every_task_has_an_explicit_name_and_the_shared_retry_policy():
    from core.tasks import RETRY_POLICY

    tasks = _our_tasks()
    assert {"core.fan_out", "points.expire_points", "tiers.settle_cycle"} <= {t.name for t in tasks}
    for task in tasks:
        package = task.run.__module__.split(".")[0]
        assert task.name == f"{package}.{task.run.__name__}", task.name
        for option, value in RETRY_POLICY.items():
            assert getattr(task, option) == value, f"{task.name}.{option}"


def test_tasks_refuse_their_own_retry_options_and_implicit_names():
    from core.tasks import platform_task, tenant_task

    with pytest.raises(TypeError, match="RETRY_POLICY"):
        tenant_task("tests.retrying", max_retries=1)
    with pytest.raises(TypeError, match="explicit"):
        platform_task("tests.tasks.unnamed")


def test_no_app_sends_a_task_but_through_enqueue_on_commit():
    """``.delay()`` / ``.apply_async()`` only in core.tasks.enqueue_on_commit."""
    found = []
    for module, (_path, tree) in _sources().items():
        if module == "core.tasks":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"delay", "apply_async"}:
                found.append(f"{_where(module, node)} .{node.attr}")
    assert found == []
