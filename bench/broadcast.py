"""Benchmark: a broadcast to N recipients (default 100,000), queued then delivered.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_notify \\
    REDIS_URL=redis://127.0.0.1:6379/3 \\
    /work/main/.venv/bin/python bench/broadcast.py --recipients 100000 --runs 3 --workers 2

It creates (if needed) and migrates the bench database, seeds a bench audience table and
marketing opt-ins, registers an audience that streams that table, and per run:
1. expands one due broadcast (``do_expand_broadcast``) and times it: outbox rows written in
   batches and delivery tasks queued on the real Redis broker (one task per 500 ids);
2. lets ``--workers`` real Celery worker processes deliver to the file backend under the
   tenant's rate limit (``--rate`` per minute), running the tenant's sweep every 5 s as beat
   would every minute, and times it until every row is SENT;
3. reports messages/s and the PostgreSQL sessions (connections) opened and transactions
   committed in the bench database during the run (``pg_stat_database``).
A baseline in the same run: ``do_enqueue_message`` one row at a time for a sample, rolled back.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
QUEUE = "bench_notify"
OUTBOX = Path(os.environ.setdefault("NOTIFICATIONS_OUTBOX_DIR", "/tmp/bench_notify_outbox"))


def ensure_database():
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=int, default=60_000, help="tenant limit per minute")
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument(
        "--queue-runs",
        type=int,
        default=3,
        help="extra runs that time only the expansion, rolled back (no task is sent)",
    )
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or "bench" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a bench database (…/bench_notify) and REDIS_URL.")
    db_name = ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from config.celery import app
    from core import tenancy
    from core.models import Tenant
    from notifications.actions import do_expand_broadcast, do_sweep
    from notifications.hooks import Recipient, broadcast_audience
    from notifications.models import Broadcast, BroadcastStatus, NotificationSettings
    from notifications.outbox import do_enqueue_message
    from notifications.selectors import Address

    call_command("migrate", verbosity=0)
    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench Tea"})
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_recipient (id bigint PRIMARY KEY, phone text, "
            "language text)"
        )
        cursor.execute("SELECT count(*) FROM bench_recipient")
        if cursor.fetchone()[0] != args.recipients:
            cursor.execute("TRUNCATE bench_recipient")
            cursor.execute(
                "INSERT INTO bench_recipient SELECT g, '+86138' || lpad(g::text, 8, '0'), "
                "CASE WHEN g %% 3 = 0 THEN 'en' ELSE 'zh-hans' END "
                "FROM generate_series(1, %s) g",
                [args.recipients],
            )
        cursor.execute("DELETE FROM notifications_consent WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(
            "INSERT INTO notifications_consent (tenant_id, member_id, channel, purpose, granted, "
            "updated_at) SELECT %s, id, 'sms', 'marketing', true, now() FROM bench_recipient",
            [tenant.pk],
        )

        cursor.execute("ANALYZE")  # fresh statistics after the bulk seed, as autovacuum would

    def audience(tenant, segment):
        with connection.chunked_cursor() as cursor:
            cursor.execute("SELECT id, phone, language FROM bench_recipient ORDER BY id")
            while rows := cursor.fetchmany(5000):
                for member_id, phone, language in rows:
                    yield Recipient(member_id=member_id, sms=phone, language=language)

    broadcast_audience.register(audience)
    app.conf.task_always_eager = False
    # Its own queue, so that the bench never takes (or purges) a test run's tasks.
    app.conf.task_default_queue = QUEUE

    def stats():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sessions, xact_commit FROM pg_stat_database WHERE datname = %s", [db_name]
            )
            return cursor.fetchone()

    def pending_rows():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM notifications_message WHERE tenant_id = %s "
                "AND status <> 'sent'",
                [tenant.pk],
            )
            return cursor.fetchone()[0]

    results = []
    for run in range(args.runs):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE notifications_message")
            cursor.execute("DELETE FROM notifications_broadcast")
        shutil.rmtree(OUTBOX, ignore_errors=True)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
        with tenancy.tenant_context(tenant):
            NotificationSettings.objects.update_or_create(
                tenant=tenant,
                defaults={
                    "rate_per_minute": args.rate,
                    # no quiet hours, marketing window or daily cap: the bench measures
                    # writing and delivering, at whatever time of day it runs
                    "quiet_start": "00:00",
                    "quiet_end": "00:00",
                    "marketing_start": "00:00",
                    "marketing_end": "00:00",
                    "marketing_sms_daily_cap": 0,
                },
            )
            broadcast = Broadcast.objects.create(
                name=f"bench {run}",
                channel="sms",
                purpose="marketing",
                text="Double points this weekend",
                send_at=timezone.now(),
                status=BroadcastStatus.SCHEDULED,
            )
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "-Q",
                    QUEUE,
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel=WARNING",
                    "-n",
                    f"bench{i}@%h",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
            )
            for i in range(args.workers)
        ]
        # Start the clock only when every worker answers: their start-up is not the run's.
        while len(app.control.ping(timeout=1.0)) < args.workers:
            time.sleep(0.5)
        connection.close()
        sessions0, commits0 = stats()
        start = time.perf_counter()
        with tenancy.tenant_context(tenant):
            written = do_expand_broadcast(broadcast.pk)  # commits, then queues the tasks
        queued = time.perf_counter() - start
        last_sweep = time.perf_counter()
        while pending_rows() > 0:
            time.sleep(0.5)
            if time.perf_counter() - last_sweep > 5:  # beat's minute sweep, compressed
                with tenancy.tenant_context(tenant):
                    do_sweep()
                last_sweep = time.perf_counter()
        delivered = time.perf_counter() - start
        sessions1, commits1 = stats()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        files = len(list((OUTBOX / "sms").glob("*.json")))
        result = {
            "written": written,
            "queue_s": queued,
            "total_s": delivered,
            "deliver_s": delivered - queued,
            "msg_per_s": written / (delivered - queued),
            "sessions": sessions1 - sessions0,
            "commits": commits1 - commits0,
            "files": files,
        }
        print(
            f"run {run + 1}: "
            + ", ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()
            ),
            flush=True,
        )
        assert files == written == args.recipients, "every recipient gets exactly one file"
        results.append(result)

    # Expansion only, rolled back: the rows and the task batches are built, nothing is kept.
    queue_only = []
    for run in range(args.queue_runs):
        with tenancy.tenant_context(tenant), transaction.atomic():
            broadcast = Broadcast.objects.create(
                name=f"queue-only {run}",
                channel="sms",
                purpose="marketing",
                text="x",
                send_at=timezone.now(),
                status=BroadcastStatus.SCHEDULED,
            )
            start = time.perf_counter()
            do_expand_broadcast(broadcast.pk)
            queue_only.append(time.perf_counter() - start)
            transaction.set_rollback(True)
        print(f"queue-only run {run + 1}: {queue_only[-1]:.2f} s", flush=True)

    # Baseline: one do_enqueue_message per recipient (each renders and inserts on its own).
    with tenancy.tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, phone FROM bench_recipient ORDER BY id LIMIT %s", [args.baseline]
        )
        sample = cursor.fetchall()
        start = time.perf_counter()
        with transaction.atomic():
            for member_id, phone in sample:
                do_enqueue_message(
                    template="broadcast",
                    to=Address("sms", phone, "zh-hans"),
                    context={"message": "Double points"},
                    dedupe_key=f"baseline:{member_id}",
                    member_id=member_id,
                    purpose="marketing",
                )
            baseline = time.perf_counter() - start
            transaction.set_rollback(True)  # nothing kept, no task sent
    assert pending_rows() == 0  # the rolled-back baseline left nothing

    def median(key):
        return statistics.median(r[key] for r in results)

    print(
        f"\nmedian of {len(results)} runs, {args.recipients} recipients, {args.workers} workers, "
        f"rate limit {args.rate}/min:\n"
        f"  queued (rows + tasks) {median('queue_s'):.2f} s "
        f"({args.recipients / median('queue_s'):.0f} rows/s)\n"
        f"  delivered             {median('deliver_s'):.2f} s ({median('msg_per_s'):.0f} msg/s)"
        " after queuing (overstated: delivery starts with the first committed batch)\n"
        f"  start to every SENT   {median('total_s'):.2f} s "
        f"({args.recipients / median('total_s'):.0f} msg/s overall)\n"
        f"  connections opened    {median('sessions'):.0f}, "
        f"transactions committed {median('commits'):.0f}\n"
        f"queue-only (rolled back), median of {len(queue_only)}: "
        f"{statistics.median(queue_only) if queue_only else float('nan'):.2f} s\n"
        f"baseline: one do_enqueue_message at a time, {args.baseline} rows: {baseline:.2f} s "
        f"({args.baseline / baseline:.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
