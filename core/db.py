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

import contextlib

from django.db import connection


class _PreparedCursor:
    def __init__(self, raw):
        self._raw = raw

    def execute(self, sql, params=()):
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            self._raw.execute(sql, params, prepare=True)

    def fetchone(self):
        return self._raw.fetchone()

    def fetchall(self):
        return self._raw.fetchall()


@contextlib.contextmanager
def prepared_cursor():
    if connection.queries_logged:
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    raw_connection = connection.connection
    if raw_connection.prepare_threshold is None:
        # Django turns preparing off for the connection (its own cursors bind on the client and
        # never prepare); this enables it for the cursors made here, which ask for it.
        raw_connection.prepare_threshold = 5
    with psycopg.Cursor(raw_connection) as raw:
        yield _PreparedCursor(raw)
