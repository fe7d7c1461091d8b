"""Points benchmark: purchase postings (service layer, API) and the daily expiry job, each beside
the raw-SQL limit of the same writes measured in the same run.

    python bench/points.py load --members 20000            # database, tenant, stores, members
    python bench/points.py service --runs 3 --n 3000 --procs 4
    python bench/points.py cpu --runs 3 --n 500                 # CPU ms per posting
    python bench/points.py api --runs 3 --n 4000 --clients 16 --workers 4
    python bench/points.py expiry-load --lots 10000000 --due 1000000
    python bench/points.py expiry --runs 3

Everything uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_points),
never the test or development database.
"""

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_points"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)
os.environ["CONN_MAX_AGE"] = "600"
TENANT = "bench-points"
DUE_DAY = datetime.date(2026, 6, 1)


def _setup():
    import django

    django.setup()


def _db():
    import psycopg

    return psycopg.connect(DATABASE_URL, autocommit=True)


def _tenant():
    from core.models import Tenant

    return Tenant.objects.get(slug=TENANT)


# --- load -------------------------------------------------------------------------------------


def cmd_load(args):
    import psycopg

    db_name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone():
            conn.execute(f'CREATE DATABASE "{db_name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    _setup()
    from core import tenancy
    from core.models import Store, Tenant
    from membership.models import Member
    from points.models import PointsSettings

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT, defaults={"name": "Bench points"})
    with tenancy.tenant_context(tenant):
        Store.objects.get_or_create(code="main", defaults={"name": "Main store"})
        PointsSettings.objects.get_or_create(
            defaults={"expiry_policy": "fixed_term", "expiry_months": 12}
        )
        have = Member.objects.count()
        Member.objects.bulk_create(
            [
                Member(
                    tenant=tenant,
                    name=f"Bench {i}",
                    card_number=f"9{i:08d}",
                    joined_on=datetime.date(2024, 1, 1),
                )
                for i in range(have, args.members)
            ],
            batch_size=5000,
        )
    print(f"tenant {TENANT}: {max(have, args.members)} members")


# --- service layer ----------------------------------------------------------------------------


def _wait_until(start_at):
    time.sleep(max(0.0, start_at - time.time()))


def _service_worker(args):
    index, count, run_id, start_at = args
    _setup()
    from django.db import connection

    from core import tenancy
    from core.models import Store
    from membership.models import Member
    from points.actions import do_record_purchase

    tenant = _tenant()
    with tenancy.tenant_context(tenant):
        store = Store.objects.get(code="main")
        members = list(Member.objects.order_by("pk")[index * 2000 : index * 2000 + 2000])
        lines = [
            {"list_amount": "128.50", "category": "goods"},
            {"list_amount": "20", "category": "x"},
        ]
        _wait_until(start_at)
        for i in range(count):
            do_record_purchase(
                member=members[i % len(members)],
                store=store,
                lines=lines,
                idempotency_key=f"bench-{run_id}-{index}-{i}",
            )
        finished = time.time()
    connection.close()
    return finished


_RAW = [
    (
        "SELECT id, balance, debt FROM points_pointsaccount "
        "WHERE tenant_id = %s AND member_id = %s "
        "FOR UPDATE"
    ),
    (
        "INSERT INTO points_purchase (tenant_id, member_id, store_id, occurred_at, list_amount, "
        "discount_amount, amount_due, points_used, points_value, amount_paid, points_earned, "
        "refunded_amount, refunded_due, points_reversed, points_returned, status, idempotency_key, "
        "fingerprint, created_at) VALUES (%s, %s, %s, now(), 148.50, 0, 148.50, 0, 0, 148.50, 148, "
        "0, 0, 0, 0, 'completed', %s, '', now()) RETURNING id"
    ),
    (
        "INSERT INTO points_purchaseline (tenant_id, purchase_id, description, category, quantity, "
        "list_amount, discount_rate, amount_due, earns_points, refunded_quantity) VALUES "
        "(%s, %s, '', 'goods', 1, 128.50, 0, 128.50, true, 0), "
        "(%s, %s, '', 'x', 1, 20, 0, 20, true, 0)"
    ),
    (
        "INSERT INTO points_ledgerentry (tenant_id, account_id, member_id, kind, reason, points, "
        "note, purchase_id, idempotency_key, fingerprint, effective_on, created_at) VALUES "
        "(%s, %s, %s, 'earn', 'purchase', 148, '', %s, %s, '', current_date, now()) RETURNING id"
    ),
    (
        "INSERT INTO points_lot (tenant_id, account_id, entry_id, points, remaining, earned_at, "
        "expires_at, source) VALUES (%s, %s, %s, 148, 148, current_date, "
        "current_date + 365, 'purchase')"
    ),
    "UPDATE points_pointsaccount SET balance = balance + 148, updated_at = now() WHERE id = %s",
]


def _raw_worker(args):
    index, count, run_id, start_at = args
    import psycopg

    _setup()
    tenant = _tenant()
    from django.db import connection as django_connection

    with django_connection.cursor() as c:
        c.execute("SELECT id FROM core_store WHERE tenant_id = %s AND code = 'main'", [tenant.pk])
        store_id = c.fetchone()[0]
        c.execute(
            "SELECT id FROM membership_member WHERE tenant_id = %s "
            "ORDER BY id OFFSET %s LIMIT 2000",
            [tenant.pk, index * 2000],
        )
        members = [row[0] for row in c.fetchall()]
    django_connection.close()
    t = tenant.pk
    with psycopg.connect(DATABASE_URL, prepare_threshold=0) as conn:
        _wait_until(start_at)
        for i in range(count):
            member = members[i % len(members)]
            key = f"raw-{run_id}-{index}-{i}"
            with conn.transaction():
                row = conn.execute(_RAW[0], [t, member]).fetchone()
                account = row[0]
                purchase = conn.execute(_RAW[1], [t, member, store_id, key]).fetchone()[0]
                conn.execute(_RAW[2], [t, purchase, t, purchase])
                entry = conn.execute(
                    _RAW[3], [t, account, member, purchase, f"purchase:{key}:earn"]
                ).fetchone()[0]
                conn.execute(_RAW[4], [t, account, entry])
                conn.execute(_RAW[5], [account])
        return time.time()


def _ensure_accounts():
    with _db() as conn:
        conn.execute(
            "INSERT INTO points_pointsaccount (tenant_id, member_id, balance, debt, updated_at) "
            "SELECT m.tenant_id, m.id, 0, 0, now() FROM membership_member m "
            "JOIN core_tenant t ON t.id = m.tenant_id WHERE t.slug = %s "
            "ON CONFLICT DO NOTHING",
            [TENANT],
        )
        # Fresh statistics: with the 20,000 new accounts unanalysed (autovacuum's threshold is
        # 10 % of the table, i.e. not reached next to the expiry tenant's 200,000), the planner
        # took the account look-up for a 1-row scan of the tenant_id index and filtered
        # 20,000 rows on every posting (measured: 38 ms instead of 0.2 ms per look-up).
        conn.execute("ANALYZE points_pointsaccount")


def _parallel(worker, procs, n):
    """Postings per second of ``procs`` processes that start together (after their setup)."""
    run_id = uuid.uuid4().hex[:8]
    per = n // procs
    start_at = time.time() + 8
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        finished = pool.map(worker, [(i, per, run_id, start_at) for i in range(procs)])
    return per * procs / (max(finished) - start_at)


def _count_queries():
    _setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import tenancy
    from core.models import Store
    from membership.models import Member
    from points.actions import do_record_purchase

    with tenancy.tenant_context(_tenant()):
        store = Store.objects.get(code="main")
        member = Member.objects.order_by("pk").first()
        do_record_purchase(
            member=member,
            store=store,
            lines=[{"list_amount": "1"}],
            idempotency_key=uuid.uuid4().hex,
        )
        with CaptureQueriesContext(connection) as queries:
            do_record_purchase(
                member=member,
                store=store,
                lines=[{"list_amount": "128.50"}, {"list_amount": "20"}],
                idempotency_key=uuid.uuid4().hex,
            )
    for query in queries.captured_queries:
        print("   ", query["sql"][:110])
    return len(queries.captured_queries)


def cmd_service(args):
    _setup()
    _ensure_accounts()
    print(f"queries per purchase posting (service layer): {_count_queries()}")
    service, raw = [], []
    for _run in range(args.runs):
        # Same-run comparison: the raw SQL and the service layer alternate.
        raw.append(_parallel(_raw_worker, args.procs, args.n))
        service.append(_parallel(_service_worker, args.procs, args.n))
        print(f"  run: service {service[-1]:7.0f}/s | raw SQL {raw[-1]:7.0f}/s")
    print(
        f"purchase postings, {args.procs} processes, {args.n} per run, median of {args.runs}: "
        f"service layer {statistics.median(service):.0f}/s | raw SQL {statistics.median(raw):.0f}/s"
    )


def _backend_cpu_seconds(pid: int) -> float:
    """utime + stime of a local PostgreSQL backend process (same machine only)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cmd_cpu(args):
    """CPU time per posting, one process, service layer vs raw SQL: this process (Python) and
    its PostgreSQL backend (read from /proc, so the server must be local). Unlike postings per
    second this hardly depends on what else the machine runs."""
    import psycopg

    _setup()
    _ensure_accounts()
    from django.db import connection

    from core import tenancy
    from core.models import Store
    from membership.models import Member
    from points.actions import do_record_purchase

    tenant = _tenant()
    run_id = uuid.uuid4().hex[:8]
    lines = [
        {"list_amount": "128.50", "category": "goods"},
        {"list_amount": "20", "category": "x"},
    ]
    with tenancy.tenant_context(tenant):
        store = Store.objects.get(code="main")
        members = list(Member.objects.order_by("pk")[:2000])
        do_record_purchase(
            member=members[0], store=store, lines=lines, idempotency_key=f"cpu-{run_id}-warm"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        service = []
        for run in range(args.runs):
            b0, c0 = _backend_cpu_seconds(pid), time.process_time()
            for i in range(args.n):
                do_record_purchase(
                    member=members[i % len(members)],
                    store=store,
                    lines=lines,
                    idempotency_key=f"cpu-{run_id}-{run}-{i}",
                )
            b1, c1 = _backend_cpu_seconds(pid), time.process_time()
            service.append((1000 * (c1 - c0) / args.n, 1000 * (b1 - b0) / args.n))
    connection.close()
    t, raw = tenant.pk, []
    with psycopg.connect(DATABASE_URL, prepare_threshold=0) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        store_id = conn.execute(
            "SELECT id FROM core_store WHERE tenant_id = %s AND code = 'main'", [t]
        ).fetchone()[0]
        ids = [m.pk for m in members]
        for run in range(args.runs):
            b0, c0 = _backend_cpu_seconds(pid), time.process_time()
            for i in range(args.n):
                member, key = ids[i % len(ids)], f"rawcpu-{run_id}-{run}-{i}"
                with conn.transaction():
                    account = conn.execute(_RAW[0], [t, member]).fetchone()[0]
                    purchase = conn.execute(_RAW[1], [t, member, store_id, key]).fetchone()[0]
                    conn.execute(_RAW[2], [t, purchase, t, purchase])
                    entry = conn.execute(
                        _RAW[3], [t, account, member, purchase, f"purchase:{key}:earn"]
                    ).fetchone()[0]
                    conn.execute(_RAW[4], [t, account, entry])
                    conn.execute(_RAW[5], [account])
            b1, c1 = _backend_cpu_seconds(pid), time.process_time()
            raw.append((1000 * (c1 - c0) / args.n, 1000 * (b1 - b0) / args.n))
    for (sp, sb), (rp, rb) in zip(service, raw, strict=True):
        print(
            f"  run: service Python {sp:.2f} + backend {sb:.2f} ms | "
            f"raw SQL Python {rp:.2f} + backend {rb:.2f} ms"
        )

    def med(rows, i):
        return statistics.median(r[i] for r in rows)

    s_total, r_total = med(service, 0) + med(service, 1), med(raw, 0) + med(raw, 1)
    print(
        f"CPU per purchase posting, median of {args.runs} runs of {args.n}: service layer "
        f"{med(service, 0):.2f} ms Python + {med(service, 1):.2f} ms PostgreSQL = {s_total:.2f} ms"
        f" | raw SQL {med(raw, 0):.2f} + {med(raw, 1):.2f} = {r_total:.2f} ms "
        f"(ratio {r_total / s_total:.2f})"
    )


# --- API --------------------------------------------------------------------------------------


def _api_client(args):
    port, key, members, store, n, clients, run_id = args
    latencies: list[float] = []
    lock = threading.Lock()
    per = n // clients

    def client(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in range(per):
            body = json.dumps(
                {
                    "member": members[(index * per + i) % len(members)],
                    "store": store,
                    "lines": [
                        {"list_amount": "128.50", "category": "goods"},
                        {"list_amount": "20.00", "category": "x"},
                    ],
                }
            )
            started = time.perf_counter()
            conn.request(
                "POST",
                f"/api/v1/{TENANT}/purchases/",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Api-Key {key}",
                    "Idempotency-Key": f"api-{run_id}-{index}-{i}",
                },
            )
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 201:
                raise RuntimeError(f"HTTP {response.status}")
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return len(ordered) / elapsed, ordered[int(len(ordered) * 0.95)], statistics.median(ordered)


def _wrk(args, raw_key, members, store, run_id):
    """One run of wrk (C, epoll: the load generator costs little CPU of the two cores) with
    ``bench/api_purchases.lua``: ``args.clients`` connections for ``args.seconds`` seconds."""
    if members != list(range(members[0], members[0] + len(members))):
        raise SystemExit("wrk load needs the bench members' ids to be consecutive")
    finished = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(args.clients),
            "-d",
            f"{args.seconds}s",
            "-s",
            str(ROOT / "bench" / "api_purchases.lua"),
            f"http://127.0.0.1:{args.port}",
        ],
        env={
            **os.environ,
            "BENCH_API_PATH": f"/api/v1/{TENANT}/purchases/",
            "BENCH_API_KEY": raw_key,
            "BENCH_STORE": str(store),
            "BENCH_MEMBERS": f"{members[0]}:{len(members)}",
            "BENCH_RUN": run_id,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(row for row in finished.stdout.splitlines() if row.startswith("WRK "))
    figures = dict(part.split("=") for part in line.split()[1:])
    if int(figures["errors"]):
        raise RuntimeError(f"wrk: {figures['errors']} failed requests\n{finished.stdout}")
    rate = int(figures["requests"]) / float(figures["seconds"])
    return rate, float(figures["p95_ms"]), float(figures["p50_ms"])


def cmd_api(args):
    _setup()
    _ensure_accounts()
    from core import tenancy
    from core.models import ApiKey, Store
    from membership.models import Member

    tenant = _tenant()
    with tenancy.tenant_context(tenant):
        api_key = ApiKey(name=f"bench {uuid.uuid4().hex[:6]}")
        raw_key = api_key.issue()
        api_key.save()
        store = Store.objects.get(code="main").pk
        members = list(Member.objects.order_by("pk").values_list("pk", flat=True)[:10000])
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{args.port}",
            "-w",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false"},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        results, raw = [], []
        ctx = multiprocessing.get_context("spawn")
        for _run in range(args.runs):
            run_id = uuid.uuid4().hex[:8]
            if args.load == "wrk":
                results.append(_wrk(args, raw_key, members, store, run_id))
            else:
                with ctx.Pool(1) as pool:  # the load comes from a second process
                    results.append(
                        pool.apply(
                            _api_client,
                            ((args.port, raw_key, members, store, args.n, args.clients, run_id),),
                        )
                    )
            raw.append(_parallel(_raw_worker, args.workers, args.n // 2))
            rate, p95, p50 = results[-1]
            print(
                f"  run: {rate:6.0f} req/s p50 {p50:5.1f} ms p95 {p95:5.1f} ms | "
                f"raw SQL {raw[-1]:.0f}/s"
            )
        print(
            f"API purchases, load from {args.load}, "
            f"{args.clients} clients, {args.workers} gunicorn {args.worker_class} "
            f"workers x {args.threads} threads, "
            f"{args.n} requests per run, median of {args.runs}: "
            f"{statistics.median(r[0] for r in results):.0f} req/s, "
            f"p50 {statistics.median(r[2] for r in results):.1f} ms, "
            f"p95 {statistics.median(r[1] for r in results):.1f} ms | "
            f"raw SQL writes {statistics.median(raw):.0f}/s"
        )
    finally:
        server.terminate()
        server.wait()


# --- expiry -----------------------------------------------------------------------------------

_EXPIRY_TENANT = "bench-expiry"


def cmd_expiry_load(args):
    """One tenant with ``accounts`` members, ``lots`` lots of which ``due`` fall due on DUE_DAY
    (spread over 1,000 days before it) and the rest later. Lots point at one earn entry per
    account: the job neither reads nor checks that."""
    _setup()
    from core.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=_EXPIRY_TENANT, defaults={"name": "Bench expiry"})
    t = tenant.pk
    accounts = args.accounts
    started = time.perf_counter()
    with _db() as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        with conn.transaction():
            # a previous load of this bench tenant, whose rows reference only each other: the
            # foreign-key triggers are skipped (no index serves the checks of deleting entries)
            conn.execute("SET LOCAL session_replication_role = replica")
            for table in ("allocation", "lot", "ledgerentry", "pointsaccount"):
                conn.execute(f"DELETE FROM points_{table} WHERE tenant_id = %s", [t])
            conn.execute("DELETE FROM membership_member WHERE tenant_id = %s", [t])
        conn.execute(
            "INSERT INTO membership_member (tenant_id, name, gender, phone, id_type, "
            "id_number_encrypted, id_number_digest, id_number_last4, email, employer, address, "
            "notes, joined_on, status, card_number, language, created_at) "
            "SELECT %s, 'm' || g, '', '', '', '', '', '', '', '', '', '', '2024-01-01', 'active', "
            "'e' || g, '', now() FROM generate_series(1, %s) g",
            [t, accounts],
        )
        conn.execute(
            "INSERT INTO points_pointsaccount (tenant_id, member_id, balance, debt, updated_at) "
            "SELECT tenant_id, id, 0, 0, now() FROM membership_member WHERE tenant_id = %s",
            [t],
        )
        conn.execute(
            "INSERT INTO points_ledgerentry (tenant_id, account_id, member_id, kind, reason, "
            "points, note, idempotency_key, fingerprint, effective_on, created_at) "
            "SELECT tenant_id, id, member_id, 'earn', 'task', 0, '', 'bench-seed:' || id, '', "
            "'2024-01-01', now() FROM points_pointsaccount WHERE tenant_id = %s",
            [t],
        )
        # lot i: account i % accounts; due on DUE_DAY for every (lots/due)-th lot
        conn.execute("DROP TABLE IF EXISTS bench_accounts")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_accounts AS SELECT row_number() OVER (ORDER BY a.id) - 1 "
            "AS n, a.id AS account_id, e.id AS entry_id FROM points_pointsaccount a "
            "JOIN points_ledgerentry e ON e.account_id = a.id WHERE a.tenant_id = %s",
            [t],
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_accounts (n)")
        step = args.lots // args.due
        # Bulk load: the lot table's secondary indexes are dropped and rebuilt afterwards, and
        # the (deferred) foreign-key triggers are skipped for this one statement, whose rows
        # reference accounts and entries created just above. All in one transaction: a failure
        # leaves the table as it was, indexes included.
        with conn.transaction():
            index_defs = conn.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'points_lot' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            ).fetchall()
            for name, _definition in index_defs:
                conn.execute(f'DROP INDEX "{name}"')
            conn.execute("SET LOCAL session_replication_role = replica")
            if args.layout == "scattered":
                # every (lots/due)-th lot is due: each heap page holds due lots (worst case)
                expires = (
                    "CASE WHEN g %% %(step)s = 0 THEN %(day)s::date - (g %% 3) "
                    "ELSE %(day)s::date + 1 + (g %% 700) END"
                )
                earned = "%(day)s::date - 400"
            else:
                # in earning order, as lots are written: the first `due` lots were earned a
                # year before DUE_DAY and are due, the later ones expire over the next 700 days
                expires = (
                    "CASE WHEN g < %(due)s THEN %(day)s::date - (g %% 3) "
                    "ELSE %(day)s::date + 1 + ((g - %(due)s)::bigint * 700 / %(lots)s)::int END"
                )
                earned = f"({expires}) - 365"
            conn.execute(
                "INSERT INTO points_lot (tenant_id, account_id, entry_id, points, remaining, "
                "earned_at, expires_at, source) "
                f"SELECT %(t)s, b.account_id, b.entry_id, 10, 10, {earned}, {expires}, 'bench' "
                "FROM generate_series(0, %(lots)s - 1) g "
                "JOIN bench_accounts b ON b.n = g %% %(acc)s ORDER BY g",
                {
                    "t": t,
                    "day": DUE_DAY,
                    "step": step,
                    "due": args.due,
                    "lots": args.lots,
                    "acc": accounts,
                },
            )
            conn.execute("SET LOCAL session_replication_role = origin")
            for _name, definition in index_defs:
                conn.execute(definition)
        conn.execute(
            "UPDATE points_pointsaccount a SET balance = s.total FROM (SELECT account_id, "
            "sum(remaining) AS total FROM points_lot WHERE tenant_id = %s GROUP BY account_id) s "
            "WHERE a.id = s.account_id",
            [t],
        )
        conn.execute(
            "UPDATE points_ledgerentry e SET points = a.balance FROM points_pointsaccount a "
            "WHERE e.account_id = a.id AND e.tenant_id = %s",
            [t],
        )
        conn.execute("DROP TABLE bench_accounts")
        conn.execute("VACUUM ANALYZE points_lot")
        conn.execute("VACUUM ANALYZE points_pointsaccount")
        conn.execute("VACUUM ANALYZE points_ledgerentry")
        due = conn.execute(
            "SELECT count(*) FROM points_lot WHERE tenant_id = %s AND expires_at <= %s",
            [t, DUE_DAY],
        ).fetchone()[0]
        total = conn.execute(
            "SELECT count(*) FROM points_lot WHERE tenant_id = %s", [t]
        ).fetchone()[0]
    print(f"loaded {total} lots, {due} due on {DUE_DAY}, in {time.perf_counter() - started:.0f} s")


def _reset_expiry(conn, t):
    """Undo an expiry run: delete its entries and allocations, refill the lots and balances.

    The ledger is append-only, so no index serves the foreign-key checks of deleting entries
    (lots and allocations reference them): the deletes skip those triggers (they remove only
    what the run added, whose allocations go first)."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            "DELETE FROM points_allocation WHERE tenant_id = %s AND entry_id IN (SELECT id FROM "
            "points_ledgerentry WHERE tenant_id = %s AND kind = 'expire')",
            [t, t],
        )
        conn.execute(
            "UPDATE points_lot SET remaining = points WHERE tenant_id = %s AND remaining = 0", [t]
        )
        conn.execute("DELETE FROM points_ledgerentry WHERE tenant_id = %s AND kind = 'expire'", [t])
    conn.execute(
        "UPDATE points_pointsaccount a SET balance = s.total FROM (SELECT account_id, "
        "sum(remaining) AS total FROM points_lot WHERE tenant_id = %s GROUP BY account_id) s "
        "WHERE a.id = s.account_id AND a.balance <> s.total",
        [t],
    )
    conn.execute("VACUUM ANALYZE points_lot")
    conn.execute("VACUUM ANALYZE points_ledgerentry")
    conn.execute("VACUUM ANALYZE points_allocation")
    conn.execute("CHECKPOINT")


_PLAIN = """
WITH due AS (
    SELECT l.id, l.account_id, l.remaining, a.member_id FROM points_lot l
    JOIN points_pointsaccount a ON a.id = l.account_id
    WHERE l.tenant_id = %(t)s AND l.remaining > 0 AND l.expires_at <= %(day)s
), per_account AS (
    SELECT account_id, member_id, min(id) AS first_lot, sum(remaining) AS total
    FROM due GROUP BY account_id, member_id
), entries AS (
    INSERT INTO points_ledgerentry (tenant_id, account_id, member_id, kind, reason, points, note,
                                    idempotency_key, fingerprint, effective_on, created_at)
    SELECT %(t)s, account_id, member_id, 'expire', 'expiry', -total, '', 'expire:' || first_lot,
           '', %(day)s, now() FROM per_account
    RETURNING id, account_id, points
), done AS (
    SELECT e.id AS entry_id, d.id AS lot_id, d.remaining
    FROM entries e JOIN due d ON d.account_id = e.account_id
), allocations AS (
    INSERT INTO points_allocation (tenant_id, entry_id, lot_id, points)
    SELECT %(t)s, entry_id, lot_id, remaining FROM done
), lots AS (
    UPDATE points_lot l SET remaining = 0 FROM done WHERE l.id = done.lot_id
)
UPDATE points_pointsaccount a SET balance = a.balance + e.points
FROM entries e WHERE a.id = e.account_id
"""


def cmd_expiry(args):
    _setup()
    from core import tenancy
    from core.models import Tenant
    from points import expiry

    tenant = Tenant.objects.get(slug=_EXPIRY_TENANT)
    job, plain = [], []
    with _db() as conn:
        _reset_expiry(conn, tenant.pk)
        for _run in range(args.runs):
            started = time.perf_counter()
            conn.execute(_PLAIN, {"t": tenant.pk, "day": DUE_DAY})
            plain.append(time.perf_counter() - started)
            _reset_expiry(conn, tenant.pk)
            with tenancy.tenant_context(tenant):
                started = time.perf_counter()
                run = expiry.expire_due_lots(DUE_DAY, batch_size=args.batch)
                job.append(time.perf_counter() - started)
                again = expiry.expire_due_lots(DUE_DAY, batch_size=args.batch)
            print(
                f"  run: job {job[-1]:5.1f} s ({run.lots} lots, {run.batches} batches; "
                f"second run {again.lots} lots) | plain SQL {plain[-1]:5.1f} s"
            )
            _reset_expiry(conn, tenant.pk)
    print(
        f"expiry of the due lots, batch {args.batch}, median of {args.runs}: "
        f"job {statistics.median(job):.1f} s | one plain SQL statement "
        f"{statistics.median(plain):.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--members", type=int, default=20000)
    p = sub.add_parser("service")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=3000)
    p.add_argument("--procs", type=int, default=4)
    p = sub.add_parser("cpu")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=500)
    p = sub.add_parser("api")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--port", type=int, default=8771)
    p.add_argument("--worker-class", default="sync", help="gunicorn worker class: sync, gthread")
    p.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    p.add_argument(
        "--load",
        choices=["python", "wrk"],
        default="python",
        help="load generator: python (16 threads of http.client, --n requests) or wrk "
        "(apt-get install wrk; --seconds per run)",
    )
    p.add_argument("--seconds", type=int, default=15, help="length of a wrk run")
    p = sub.add_parser("expiry-load")
    p.add_argument("--lots", type=int, default=10_000_000)
    p.add_argument("--due", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=200_000)
    p.add_argument(
        "--layout",
        choices=["earned", "scattered"],
        default="earned",
        help="earned: lots in the order they were earned (due lots together, as in production); "
        "scattered: every (lots/due)-th lot due, so every heap page holds due lots",
    )
    p = sub.add_parser("expiry")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch", type=int, default=20000)
    args = parser.parse_args()
    {
        "load": cmd_load,
        "service": cmd_service,
        "cpu": cmd_cpu,
        "api": cmd_api,
        "expiry-load": cmd_expiry_load,
        "expiry": cmd_expiry,
    }[args.command](args)


if __name__ == "__main__":
    main()
