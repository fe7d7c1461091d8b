"""Members search benchmark: phone (whole, first digits, last four), card number and name prefix
at the service layer and over HTTP.

    # 1. a separate database, migrated, with 1,000,000 members in one tenant and 10 x 100,000
    python bench/members_search.py load --big 1000000 --small 100000
    # 2. the service layer (selector functions, in this process)
    python bench/members_search.py service --runs 5
    # 3. over HTTP: starts gunicorn on 127.0.0.1:8765 (2 workers) and times real requests
    python bench/members_search.py http --runs 5
    # 4. the query plans
    python bench/members_search.py explain

Everything uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_members),
never the test or development database.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_members"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _setup():
    import django

    django.setup()


def _percentiles(samples_ms):
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return p50, p95


def _queries(tenant_size, count, seed):
    """(kind, value) pairs: existing phones and cards, 1-2 character name prefixes, the first
    3-7 digits and the last four of existing phones."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        i = rng.randint(1, tenant_size)
        out.append(("phone", f"139{i:08d}"))
        # the counter's partial phone searches: the first 3-7 digits, the last four
        out.append(("prefix", f"139{i:08d}"[: rng.randint(3, 7)]))
        out.append(("tail", f"{i:08d}"[-4:]))
        digits = f"8{i:08d}"
        from membership.validators import luhn_check_digit

        out.append(("card", digits + luhn_check_digit(digits)))
        # The loader's name formula (bench/load_members.sql): a surname, or surname + given name.
        prefix = SURNAMES[(i * 7919) % 20] + (
            GIVEN[(i * 104729) % 20] if rng.random() < 0.5 else ""
        )
        out.append(("name", prefix))
    return out


def cmd_load(args):
    db_name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db_name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": DATABASE_URL},
    )
    sql = (ROOT / "bench" / "load_members.sql").read_text()
    started = time.monotonic()
    subprocess.run(
        [
            "psql",
            DATABASE_URL,
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"big={args.big}",
            "-v",
            f"small={args.small}",
            "-q",
            "-c",
            "SET maintenance_work_mem='256MB'",
            "-f",
            "-",
        ],
        input=sql.encode(),
        check=True,
    )
    print(f"loaded in {time.monotonic() - started:.0f} s")


def _tenants():
    from core.models import Tenant

    big = Tenant.objects.get(slug="bench-big")
    small = list(Tenant.objects.filter(slug__startswith="bench-s").order_by("slug"))
    return big, small


def _service_search(kind, value):
    from membership import selectors

    if kind == "phone":
        return list(selectors.search_members(value, limit=20))
    if kind == "card":
        return list(selectors.search_members(value, limit=20))
    return list(selectors.search_members(value, limit=20))


def cmd_service(args):
    _setup()
    from core import tenancy

    big, small = _tenants()
    scenarios = [
        ("1 tenant x 1,000,000", [big], args.big),
        ("10 tenants x 100,000", small, args.small),
    ]
    for label, tenants, size in scenarios:
        runs = {kind: [] for kind in ("phone", "card", "name", "prefix", "tail")}
        cpu = {kind: [] for kind in runs}
        for run in range(args.runs):
            samples = {kind: [] for kind in runs}
            for tenant in tenants:
                with tenancy.tenant_context(tenant):
                    for kind, value in _queries(
                        size, args.n // len(tenants), seed=run * 100 + tenant.pk
                    ):
                        cpu_started = time.process_time()
                        started = time.perf_counter()
                        result = _service_search(kind, value)
                        samples[kind].append((time.perf_counter() - started) * 1000)
                        cpu[kind].append((time.process_time() - cpu_started) * 1000)
                        assert result, (kind, value)
            for kind, values in samples.items():
                runs[kind].append(_percentiles(values))
        for kind, values in runs.items():
            p50 = statistics.median(v[0] for v in values)
            p95 = statistics.median(v[1] for v in values)
            cpu_mean = statistics.fmean(cpu[kind])
            print(
                f"service | {label} | {kind:6} | p50 {p50:6.2f} ms | p95 {p95:6.2f} ms | "
                f"this process's CPU {cpu_mean:5.2f} ms/search | "
                f"{args.runs} runs x {len(samples[kind])} searches"
            )


def _sign_in_cookie(tenant):
    """A session for a front-desk user of ``tenant``, created directly (no HTTP login)."""
    _setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core import tenancy
    from core.models import StaffRole

    user, _ = get_user_model().objects.get_or_create(username="bench-front-desk")
    with tenancy.tenant_context(tenant):
        StaffRole.objects.get_or_create(user=user, defaults={"role": "front_desk"})
    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def cmd_http(args):
    _setup()
    big, small = _tenants()
    port = args.port
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "CONN_MAX_AGE": "600"},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        scenarios = [
            ("1 tenant x 1,000,000", [big], args.big),
            ("10 tenants x 100,000", small, args.small),
        ]
        for label, tenants, size in scenarios:
            cookies = {t.pk: _sign_in_cookie(t) for t in tenants}
            runs = {kind: [] for kind in ("phone", "card", "name", "prefix", "tail")}
            for run in range(args.runs):
                samples = {kind: [] for kind in runs}
                for tenant in tenants:
                    name, value = cookies[tenant.pk]
                    for kind, q in _queries(
                        size, args.n // len(tenants), seed=run * 100 + tenant.pk
                    ):
                        url = f"http://127.0.0.1:{port}/t/{tenant.slug}/members/search.json?q={urllib.parse.quote(q)}"
                        request = urllib.request.Request(url, headers={"Cookie": f"{name}={value}"})
                        started = time.perf_counter()
                        with urllib.request.urlopen(request) as response:
                            body = response.read()
                        samples[kind].append((time.perf_counter() - started) * 1000)
                        assert b'"results": [{' in body or b'"results":[{' in body, body[:200]
                for kind, values in samples.items():
                    runs[kind].append(_percentiles(values))
            for kind, values in runs.items():
                p50 = statistics.median(v[0] for v in values)
                p95 = statistics.median(v[1] for v in values)
                print(f"http    | {label} | {kind:6} | p50 {p50:6.2f} ms | p95 {p95:6.2f} ms")
        # Baselines in the same run: the cost of a request that does everything but search
        # (session, user, tenant, role; an empty query) and of the bare health check.
        name, value = _sign_in_cookie(big)
        for label, path in [
            ("floor: signed-in empty search", f"/t/{big.slug}/members/search.json?q="),
            ("floor: /healthz", "/healthz"),
        ]:
            runs = []
            for _run in range(args.runs):
                samples = []
                for _ in range(args.n):
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"{name}={value}"}
                    )
                    started = time.perf_counter()
                    with urllib.request.urlopen(request) as response:
                        response.read()
                    samples.append((time.perf_counter() - started) * 1000)
                runs.append(_percentiles(samples))
            p50 = statistics.median(v[0] for v in runs)
            p95 = statistics.median(v[1] for v in runs)
            print(f"http    | {label} | p50 {p50:6.2f} ms | p95 {p95:6.2f} ms")
    finally:
        server.terminate()
        server.wait()


def cmd_explain(args):
    _setup()
    from django.db import connection

    from core import tenancy
    from membership import selectors

    big, _ = _tenants()
    with tenancy.tenant_context(big):
        fields = selectors.RESULT_FIELDS
        card_fields = ("id", "tenant_id", "member_id", *(f"member__{f}" for f in fields))
        # The querysets search_members() runs for each kind of query.
        for label, queryset in [
            ("phone", selectors.members_by_phone("13900012345").only(*fields).order_by()),
            ("card", selectors.cards_by_number("8000123458").only(*card_fields)),
            ("name prefix", selectors.members_by_name_prefix("王伟").only(*fields)[:20]),
            ("phone prefix", selectors.members_by_phone_prefix("13900").only(*fields)[:20]),
            ("phone tail", selectors.members_by_phone_tail("2345").only(*fields)[:20]),
        ]:
            print(f"-- {label}")
            print(queryset.explain(analyze=True))
        print("-- baseline: the name prefix without the byte-order index (plain LIKE on name)")
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN ANALYZE SELECT id FROM membership_member WHERE tenant_id = %s "
                "AND name LIKE %s ORDER BY name, id LIMIT 20",
                [big.pk, "王伟%"],
            )
            print("\n".join(row[0] for row in cursor.fetchall()))


def cmd_baseline(args):
    """The same name-prefix search as the service layer, but with the plain column (which the
    byte-order index cannot serve), timed in the same run for comparison."""
    _setup()
    from django.db import connection

    big, _ = _tenants()
    samples = []
    rng = random.Random(7)
    with connection.cursor() as cursor:
        for _ in range(args.n):
            i = rng.randint(1, args.big)
            prefix = SURNAMES[(i * 7919) % 20] + GIVEN[(i * 104729) % 20]
            started = time.perf_counter()
            cursor.execute(
                "SELECT id FROM membership_member WHERE tenant_id = %s AND name LIKE %s "
                "ORDER BY name, id LIMIT 20",
                [big.pk, prefix + "%"],
            )
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = _percentiles(samples)
    print(
        f"baseline (no usable index) | name prefix | p50 {p50:.2f} ms | p95 {p95:.2f} ms | "
        f"{args.n} searches"
    )


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["load", "service", "http", "explain", "baseline"])
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", type=int, default=300, help="searches of each kind per run")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print(f"# {args.command}: start, {_load()}")
    globals()[f"cmd_{args.command}"](args)
    print(f"# {args.command}: end, {_load()}")


if __name__ == "__main__":
    main()
