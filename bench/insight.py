"""Dashboard benchmark (issue 17): every report and the whole dashboard page for one year and
all stores on one large tenant, beside the plain aggregate query over the raw table measured
in the same run.

    python bench/insight.py load --members 1000000 --purchases 5000000 --lots 10000000
    python bench/insight.py run --runs 5

The load writes set-based SQL (generate_series) straight into the tables: members over 5 stores,
purchases spread over 2025-2026 with one earn entry each, lots spread over the next 400 days of
expiry, 20,000 tickets and 200,000 messages. Everything uses BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_insight), never the test or development database.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_insight"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)
TENANT = "bench-insight"


def _setup():
    import django

    django.setup()


def _db():
    import psycopg

    return psycopg.connect(DATABASE_URL, autocommit=True)


def cmd_load(args):
    import psycopg

    db_name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone():
            conn.execute(f'CREATE DATABASE "{db_name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    _setup()
    from django.contrib.auth import get_user_model

    from core import tenancy
    from core.models import StaffRole, Store, Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT, defaults={"name": "Bench insight"})
    user, _ = get_user_model().objects.get_or_create(username="bench-insight-owner")
    with tenancy.tenant_context(tenant):
        for i in range(5):
            Store.objects.get_or_create(code=f"s{i}", defaults={"name": f"Store {i}"})
        StaffRole.objects.get_or_create(user=user, defaults={"role": "owner"})
        stores = list(Store.objects.order_by("pk").values_list("pk", flat=True))
    t = tenant.pk
    started = time.perf_counter()
    with _db() as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            for table in (
                "points_lot",
                "points_ledgerentry",
                "points_purchase",
                "points_pointsaccount",
                "complaints_ticket",
                "notifications_message",
                "membership_member",
            ):
                conn.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [t])
        step = "load members"
        conn.execute(
            "INSERT INTO membership_member (tenant_id, store_id, name, gender, phone, id_type, "
            "id_number_encrypted, id_number_digest, id_number_last4, email, employer, address, "
            "notes, joined_on, status, card_number, language, created_at) "
            "SELECT %s, (%s::bigint[])[1 + g %% 5], 'm' || g, '', '', '', '', '', '', '', '', "
            "'', '', date '2020-01-01' + (g %% 2500), "
            "CASE WHEN g %% 50 = 0 THEN 'expired' WHEN g %% 97 = 0 THEN 'terminated' "
            "ELSE 'active' END, 'b' || g, '', now() FROM generate_series(1, %s) g",
            [t, stores, args.members],
        )
        print(step, f"{time.perf_counter() - started:.0f} s", flush=True)
        conn.execute(
            "INSERT INTO points_pointsaccount (tenant_id, member_id, balance, debt, updated_at) "
            "SELECT tenant_id, id, 100 + id %% 900, 0, now() FROM membership_member "
            "WHERE tenant_id = %s",
            [t],
        )
        conn.execute("DROP TABLE IF EXISTS bench_members")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_members AS SELECT row_number() OVER (ORDER BY m.id) - 1 "
            "AS n, m.id AS member_id, a.id AS account_id FROM membership_member m "
            "JOIN points_pointsaccount a ON a.member_id = m.id WHERE m.tenant_id = %s",
            [t],
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_members (n)")
        members = args.members
        # purchase g: a member picked by a multiplicative hash (some buy often, most rarely),
        # at a time spread over two years (2025-01-01 .. 2026-12-31)
        conn.execute(
            "INSERT INTO points_purchase (tenant_id, member_id, store_id, occurred_at, "
            "list_amount, discount_amount, amount_due, points_used, points_value, amount_paid, "
            "points_earned, refunded_amount, refunded_due, points_reversed, points_returned, "
            "status, idempotency_key, fingerprint, created_at) "
            "SELECT %s, b.member_id, (%s::bigint[])[1 + g %% 5], "
            "timestamptz '2025-01-01 00:00+08' + (g::bigint * 12619 %% 63072000) * interval '1 s', "
            "50 + g %% 500, 0, 50 + g %% 500, CASE WHEN g %% 10 = 0 THEN 20 ELSE 0 END, "
            "CASE WHEN g %% 10 = 0 THEN 20 ELSE 0 END, 50 + g %% 500 - "
            "CASE WHEN g %% 10 = 0 THEN 20 ELSE 0 END, 50 + g %% 500, 0, 0, 0, 0, 'completed', "
            "'bench:' || g, '', now() "
            "FROM generate_series(1, %s) g JOIN bench_members b ON b.n = (g::bigint * 7919 %% %s)",
            [t, stores, args.purchases, members],
        )
        print("purchases", f"{time.perf_counter() - started:.0f} s", flush=True)
        conn.execute(
            "INSERT INTO points_ledgerentry (tenant_id, account_id, member_id, purchase_id, kind, "
            "reason, points, note, idempotency_key, fingerprint, effective_on, created_at) "
            "SELECT p.tenant_id, b.account_id, p.member_id, p.id, 'earn', 'purchase', "
            "p.points_earned, '', 'bench-earn:' || p.id, '', "
            "(p.occurred_at AT TIME ZONE 'Asia/Shanghai')::date, now() "
            "FROM points_purchase p JOIN bench_members b ON b.member_id = p.member_id "
            "WHERE p.tenant_id = %s",
            [t],
        )
        print("ledger", f"{time.perf_counter() - started:.0f} s", flush=True)
        conn.execute(
            "INSERT INTO points_lot (tenant_id, account_id, entry_id, points, remaining, "
            "earned_at, expires_at, source) "
            "SELECT e.tenant_id, e.account_id, e.id, 100, CASE WHEN e.id %% 3 = 0 THEN 0 "
            "ELSE 100 END, e.effective_on, current_date + (e.id %% 400)::int, '' "
            "FROM (SELECT * FROM points_ledgerentry WHERE tenant_id = %s ORDER BY id LIMIT %s) e",
            [t, args.lots],
        )
        print("lots", f"{time.perf_counter() - started:.0f} s", flush=True)
        conn.execute(
            "INSERT INTO complaints_ticket (tenant_id, store_id, kind, channel, contact_name, "
            "contact_phone, recorded_via, description, priority, status, resolution, "
            "deadline_days, due_at, warn_at, escalation, created_at, replied_at, rating, "
            "rating_comment) "
            "SELECT %s, (%s::bigint[])[1 + g %% 5], "
            "(ARRAY['complaint','suggestion','inquiry'])[1 + g %% 3], 'phone', 'c' || g, '', "
            "'staff', "
            "'d', 'normal', CASE WHEN g %% 10 = 0 THEN 'new' ELSE 'closed' END, '', 5, "
            "t + interval '5 days', t + interval '4 days', 0, t, "
            "CASE WHEN g %% 10 = 0 THEN NULL ELSE t + (g %% 8) * interval '1 day' END, "
            "CASE WHEN g %% 4 = 0 THEN 1 + g %% 5 END, '' "
            "FROM generate_series(1, %s) g, "
            "LATERAL (SELECT timestamptz '2025-01-01 00:00+08' + g * interval '50 min') AS x(t)",
            [t, stores, args.tickets],
        )
        conn.execute(
            "INSERT INTO notifications_message (tenant_id, member_id, channel, purpose, template, "
            "language, recipient, subject, body, redacted_body, dedupe_key, status, attempts, "
            "last_error, due_at, provider_message_id, created_at) "
            "SELECT %s, g, (ARRAY['sms','email'])[1 + g %% 2], 'service', "
            "(ARRAY['welcome','birthday','points_expiring'])[1 + g %% 3], 'zh-hans', 'r', '', "
            "'b', '', 'bench:' || g, (ARRAY['sent','sent','sent','failed','skipped'])[1 + g %% 5], "
            "1, CASE WHEN g %% 5 = 4 THEN 'no consent' ELSE '' END, now(), '', "
            "timestamptz '2025-01-01 00:00+08' + g * interval '5 min' "
            "FROM generate_series(1, %s) g",
            [t, args.messages],
        )
        conn.execute("DROP TABLE bench_members")
        conn.execute("VACUUM ANALYZE")
    print(
        f"tenant {TENANT}: {args.members} members, {args.purchases} purchases, "
        f"{args.lots} lots; loaded in {time.perf_counter() - started:.0f} s"
    )


def _timed(fn, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def cmd_run(args):
    _setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from core import tenancy
    from core.models import Tenant
    from insight.periods import period_around
    from insight.reports import REPORTS

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    tenant = Tenant.objects.get(slug=TENANT)
    year = period_around("year", args.year)
    print(f"period {year.start} .. {year.end}, all stores; {args.runs} runs; ms median / p95")
    with tenancy.tenant_context(tenant), timezone.override(tenant.time_zone):
        start, end = year.bounds()
        raw = (
            "SELECT sum(amount_due - refunded_due), count(*), count(DISTINCT member_id) "
            "FROM points_purchase WHERE tenant_id = %s AND occurred_at >= %s AND occurred_at < %s"
        )

        def plain():
            with connection.cursor() as cursor:
                cursor.execute(raw, [tenant.pk, start, end])
                cursor.fetchall()

        median, p95 = _timed(plain, args.runs)
        print(f"{'plain SQL: sales aggregate':40} {median:8.0f} {p95:8.0f}")
        for key, report in REPORTS.items():
            median, p95 = _timed(lambda r=report: r.build(year, None), args.runs)
            print(f"{'report ' + key:40} {median:8.0f} {p95:8.0f}")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-insight-owner"))
    url = f"/t/{TENANT}/insight/?period=year&date={args.year.isoformat()}"

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    median, p95 = _timed(page, args.runs)
    print(f"{'dashboard page (signed in, in-process)':40} {median:8.0f} {p95:8.0f}")


def main():
    import datetime

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--members", type=int, default=1_000_000)
    load.add_argument("--purchases", type=int, default=5_000_000)
    load.add_argument("--lots", type=int, default=10_000_000)
    load.add_argument("--tickets", type=int, default=20_000)
    load.add_argument("--messages", type=int, default=200_000)
    run = sub.add_parser("run")
    run.add_argument("--runs", type=int, default=5)
    run.add_argument("--year", type=datetime.date.fromisoformat, default=datetime.date(2026, 6, 1))
    args = parser.parse_args()
    {"load": cmd_load, "run": cmd_run}[args.command](args)


if __name__ == "__main__":
    main()
