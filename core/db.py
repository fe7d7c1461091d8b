"""Statements on hot paths (every purchase posting) as server-side prepared statements.

Django's PostgreSQL backend binds parameters on the client and prepares nothing, so every
statement is parsed and planned again. ``prepared_cursor()`` gives a cursor on the same
connection (same transaction) whose ``execute`` prepares the statement on first use and reuses
it on that connection afterwards. Database errors are translated as Django's cursors do
(``IntegrityError`` and so on). When queries are being logged (``DEBUG``,
``CaptureQueriesContext``) it is Django's own cursor, so query counts stay visible. Not for a
connection pooler in transaction mode that cannot keep prepared statements (PgBouncer before
1.21).
"""

import functools
import re

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

from . import tenancy

_PLACEHOLDER = re.compile(r"%(s|%)")


@functools.lru_cache(maxsize=512)
def _native(sql: str) -> str:
    """Positional ``%s`` placeholders as PostgreSQL's ``$1, $2, …`` (and ``%%`` as ``%``), once per
    statement. psycopg converts a query with ``%s`` on every execution and caches the conversion
    only below 50 parameters; the purchase posting has more, and the conversion cost more than
    the rest of the statement's client side."""
    numbers = iter(range(1, 100_000))
    return _PLACEHOLDER.sub(lambda m: "%" if m[1] == "%" else f"${next(numbers)}", sql)


class _PreparedCursor:
    """A psycopg cursor of the Django connection ``wrapper``, kept on it and reused (one per
    connection and thread, as the wrapper is)."""

    def __init__(self, wrapper, raw):
        self._wrapper = wrapper
        self._raw = raw

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=()):
        self._wrapper.validate_no_broken_transaction()
        with self._wrapper.wrap_database_errors:
            self._raw.execute(_native(sql), params, prepare=True)

    def fetchone(self):
        return self._raw.fetchone()


def prepared_cursor():
    """``with prepared_cursor() as cursor:`` — see the module's docstring. The cursor is shared
    by every caller on the connection: fetch a statement's rows before the next one runs."""
    # Resolved once: every attribute of django.db.connection is a look-up through a proxy.
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.queries_logged:
        return wrapper.cursor()
    # As Django's own cursors do: a kept-open connection the server dropped (a restart) is
    # replaced at the first statement of a request rather than failing it.
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    raw_connection = wrapper.connection
    cursor = getattr(wrapper, "_prepared_cursor", None)
    if cursor is None or cursor._raw.connection is not raw_connection or cursor._raw.closed:
        if raw_connection.prepare_threshold is None:
            # Django turns preparing off for the connection (its own cursors bind on the client
            # and never prepare); this enables it for the cursors made here, which ask for it.
            raw_connection.prepare_threshold = 5
        cursor = wrapper._prepared_cursor = _PreparedCursor(
            wrapper, psycopg.RawCursor(raw_connection)
        )
    return cursor


_ROW_SQL: dict[type, tuple[str, list[str], list]] = {}


def fetch_by_pk(model, pk):
    """The active tenant's ``model`` row ``pk`` as a model instance (every concrete field
    loaded), or None: the ORM's ``Model.objects.filter(pk=pk).first()`` as one prepared
    statement, for look-ups on hot paths. Fail-closed like the tenant managers: it raises
    ``NoActiveTenant`` without an active tenant, and another tenant's row is not found."""

    tenant = tenancy.current_tenant()
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not -(2**63) <= pk < 2**63:
        return None
    wrapper = connections[DEFAULT_DB_ALIAS]
    if model not in _ROW_SQL:
        fields = model._meta.concrete_fields
        quote = wrapper.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        sql = (
            f"SELECT {columns} FROM {quote(model._meta.db_table)} "
            f"WHERE tenant_id = %s AND {quote(model._meta.pk.column)} = %s"
        )
        converters = [
            (index, field.from_db_value)
            for index, field in enumerate(fields)
            if hasattr(field, "from_db_value")
        ]
        _ROW_SQL[model] = (sql, [field.attname for field in fields], converters)
    sql, attnames, converters = _ROW_SQL[model]
    with prepared_cursor() as cursor:
        cursor.execute(sql, [tenant.pk, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for index, convert in converters:
            row[index] = convert(row[index], None, wrapper)
    return model.from_db(wrapper.alias, attnames, row)


def tenant_sql(sql: str, params: dict | None = None) -> tuple[str, dict]:
    """``cursor.execute(*tenant_sql("… WHERE tenant_id = %(tenant)s …", {...}))``: raw SQL with
    the active tenant always bound as the ``%(tenant)s`` parameter. Raw SQL bypasses the scoped
    managers, so this is its fence: it raises ``NoActiveTenant`` without an active tenant and
    ``ValueError`` when the statement does not use the parameter or ``params`` names another
    tenant. ``tests/core/test_fences.py`` flags statements on tenant-owned tables that name no
    ``tenant_id``."""

    if "%(tenant)s" not in sql:
        raise ValueError("A statement on tenant-owned tables must bind %(tenant)s.")
    tenant_id = tenancy.current_tenant().pk
    params = dict(params or {})
    if params.setdefault("tenant", tenant_id) != tenant_id:
        raise ValueError("The statement's tenant parameter is not the active tenant.")
    return sql, params
