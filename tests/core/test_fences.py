"""Fences over the whole code base: one task mechanism, raw SQL bound to the tenant, no import
cycles, API bases that keep their checks. Each reads the source (ast) or the registries."""

import ast
import importlib
import re
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

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


# --- raw SQL -------------------------------------------------------------------------------------

_SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b")
_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(\{[^}]*\}|\"?[a-z_][a-z0-9_]*\"?)")

# Statements that name tenant-owned tables (or a table placeholder) without tenant_id, each
# with the reason it is safe: (module, the statement's first 40 characters).
SQL_WITHOUT_TENANT = {
    # the purchase posting's inserts list every concrete column of the row, tenant_id among them
    ("points.ledger", "{name} AS (INSERT INTO {table} ({', '.jo"),
    # a broadcast's rows from this transaction's temporary stage; the outbox insert it feeds
    # (notifications.outbox._insert) binds the tenant
    ("notifications.outbox", "(SELECT b.member_id, %(channel)s AS chan"),
}


def _tenant_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models()
        if any(field.name == "tenant" for field in model._meta.fields)
    }


def _text(node) -> str | None:
    """The text of a string expression (constants, f-strings, ``+`` of them), placeholders as
    ``{source}``; None when the node is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None or right is not None:
            return (left or "{…}") + (right or "{…}")
    return None


def _statements(tree):
    """``(node, text)`` of every maximal string expression that is not a docstring."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    inner = set()
    for node in ast.walk(tree):
        if id(node) in inner or id(node) in docstrings:
            continue
        text = _text(node)
        if text is None:
            continue
        inner.update(id(child) for child in ast.walk(node))
        yield node, text


def test_raw_sql_on_tenant_owned_tables_names_the_tenant():
    tables = _tenant_tables()
    assert {"points_lot", "tiers_membertier"} <= tables
    found = []
    for module, (_path, tree) in _sources().items():
        if ".migrations." in module:
            continue
        for node, text in _statements(tree):
            if not _SQL.search(text):
                continue
            targets = [t.strip('"') for t in _TABLE.findall(text)]
            tenant_owned = [t for t in targets if t in tables or t.startswith("{")]
            if not tenant_owned or "tenant_id" in text:
                continue
            if (module, " ".join(text.split())[:40]) in SQL_WITHOUT_TENANT:
                continue
            found.append(f"{_where(module, node)}: {' '.join(text.split())[:80]}")
    assert found == []


def test_tenant_sql_binds_the_active_tenant_and_nothing_else(world):
    from core import tenancy
    from core.db import tenant_sql

    statement = "SELECT 1 FROM points_lot WHERE tenant_id = %(tenant)s AND id = %(id)s"
    with pytest.raises(tenancy.NoActiveTenant):
        tenant_sql(statement, {"id": 1})
    with tenancy.tenant_context(world.a):
        assert tenant_sql(statement, {"id": 1}) == (statement, {"id": 1, "tenant": world.a.pk})
        with pytest.raises(ValueError, match="not the active tenant"):
            tenant_sql(statement, {"id": 1, "tenant": world.b.pk})
        with pytest.raises(ValueError, match="must bind"):
            tenant_sql("SELECT 1 FROM points_lot WHERE id = %(id)s", {"id": 1})


# --- API bases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["permission_classes", "get_permissions", "get_object"])
def test_the_api_bases_refuse_subclasses_that_replace_the_access_checks(name):
    from core.api.views import TenantAPIView, TenantModelViewSet

    for base in (TenantAPIView, TenantModelViewSet):
        with pytest.raises(TypeError, match=name):
            type("Careless", (base,), {name: []})


def test_the_sms_gateway_is_let_in_by_the_named_escape_hatch_only():
    from core.api.permissions import TenantAccess
    from core.api.views import TenantAPIView
    from notifications.api import InboundAccess, SmsInboundView

    hatched = [
        view for view in _subclasses(TenantAPIView) if view.dangerously_get_permissions is not None
    ]
    assert hatched == [SmsInboundView]
    assert [type(p) for p in SmsInboundView().get_permissions()] == [InboundAccess]
    assert [type(p) for p in TenantAPIView().get_permissions()] == [TenantAccess]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# --- imports -------------------------------------------------------------------------------------

# Function-level imports still without their reason, each waiting on a change in flight:
# (module, imported module).
UNREASONED_IMPORTS: set[tuple[str, str]] = set()  # (module, import) pairs not yet given a reason


def _imported(module: str, node) -> list[str]:
    """The modules of ours an import statement in ``module`` names."""
    modules = _sources()
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        is_package = _sources()[module][0].name == "__init__.py"
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level else []
        prefix = ".".join(base + ([node.module] if node.module else []))
        names = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
    found = set()
    for name in names:
        while name and name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            found.add(name)
    return sorted(found)


def _is_type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree, *, in_functions: bool):
    """Import statements at module level (``in_functions=False``: not in a function, not under
    ``if TYPE_CHECKING``) or inside functions (not ``AppConfig.ready``, where Django wants them)."""
    stack = [(node, False) for node in tree.body]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if in_function == in_functions:
                yield node
            continue
        if _is_type_checking(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if getattr(node, "name", "") == "ready":
                continue
            in_function = True
        stack.extend((child, in_function) for child in ast.iter_child_nodes(node))


def test_no_import_cycles_between_modules():
    graph = {
        module: {
            dep for node in _imports(tree, in_functions=False) for dep in _imported(module, node)
        }
        for module, (_path, tree) in _sources().items()
    }
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def connect(module):  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for dep in graph[module]:
            if dep not in index:
                connect(dep)
                low[module] = min(low[module], low[dep])
            elif dep in on_stack:
                low[module] = min(low[module], index[dep])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            connect(module)
    assert cycles == []


def test_every_import_inside_a_function_gives_its_reason():
    """A function-level import only where a cycle or start-up cost needs it, saying which on the
    import's first line or the line above: ``# reason: …``."""
    found = []
    for module, (path, tree) in _sources().items():
        if ".migrations." in module:
            continue
        lines = path.read_text().splitlines()
        for node in _imports(tree, in_functions=True):
            around = lines[node.lineno - 1] + lines[node.lineno - 2]
            if "# reason:" in around:
                continue
            if any((module, dep) in UNREASONED_IMPORTS for dep in _imported(module, node)):
                continue
            found.append(f"{_where(module, node)}: {lines[node.lineno - 1].strip()}")
    assert found == []


# --- distributable by tenant ---------------------------------------------------------------------

# Non-unique indexes of tenant-owned tables that do not lead with tenant_id, besides the one
# Django adds for each foreign key: (table, column) and why.
INDEXES_WITHOUT_TENANT = {
    # the platform's purge of old records runs across tenants, by age
    ("core_idempotencyrecord", "created_at"),
    # SlugField's own index (and its LIKE twin), redundant with the unique (tenant, code)
    # constraint; to drop with db_index=False once the migrations in flight have landed
    ("core_store", "code"),
    ("tiers_tier", "code"),
}


@pytest.mark.django_db
def test_every_unique_constraint_and_index_in_the_database_leads_with_tenant_id():
    """The schema as migrated (not only as declared in Meta): unique constraints and indexes of
    tenant-owned tables lead with tenant_id, so it stays distributable by tenant. The primary
    keys are the exception a distribution would still have to change (docs/architecture.md)."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not any(field.name == "tenant" for field in model._meta.fields):
                continue
            table = model._meta.db_table
            foreign_keys = {f.column for f in model._meta.concrete_fields if f.is_relation}
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                columns = info["columns"] or []
                if info["primary_key"] or info["foreign_key"] or columns[:1] == ["tenant_id"]:
                    continue
                if info["unique"]:
                    found.append(f"{table}.{name}: unique on {columns} (or an expression)")
                elif info["index"]:
                    if len(columns) == 1 and columns[0] in foreign_keys:
                        continue  # the foreign key's own index: cascades and joins by id
                    if (table, columns[0] if columns else None) in INDEXES_WITHOUT_TENANT:
                        continue
                    found.append(f"{table}.{name}: index on {columns} (or an expression)")
    assert found == []
