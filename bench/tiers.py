"""Tier recalculation benchmark: one tenant, 1,000,000 members, 5,000,000 purchases.

    # 1. a separate database (bench_tiers), migrated and bulk-loaded with generate_series
    python bench/tiers.py load --members 1000000 --purchases 5000000
    # (after a change of the tiers migrations: python bench/tiers.py ladder)
    # 2. the set-based recalculation (few changes, most change), the plain one-statement SQL
    #    reference, and the Python-loop baseline on a sample, extrapolated
    python bench/tiers.py run --runs 3 --sample 2000

Everything uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_tiers),
never the test or development database. ``recalc.recalculate`` writes no messages (the action
does); their cost is measured on the changes of a small run, and at full size by:

    # 3. the tier-change messages of a mass settlement: 500,000 changes written to the outbox
    #    by tiers.actions.notify_changes (notifications' one bulk writer), beside one raw
    #    INSERT … SELECT writing the same rows (database bench_tier_messages by default)
    python bench/tiers.py messages-load --changes 500000
    python bench/tiers.py messages --runs 3
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_DEFAULT_DB = (
    "bench_tier_messages" if sys.argv[1:2] in (["messages"], ["messages-load"]) else "bench_tiers"
)
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{_DEFAULT_DB}"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("REDIS_URL", None)

AS_OF = datetime.date(2027, 3, 31)
BOUNDARY = datetime.date(2027, 4, 1)


def _setup():
    import django

    django.setup()


def _create_database():
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


LOAD_SQL = """
-- bench_tiers holds nothing but this benchmark: empty every tenant-owned table
TRUNCATE core_tenant, tiers_tierchange, notifications_message CASCADE;
INSERT INTO core_tenant (name, slug, currency, time_zone, phone_region, default_language,
  is_active, created_at)
VALUES ('Bench tiers', 'bench-tiers', 'CNY', 'Asia/Shanghai', 'CN', 'zh-hans', true, now());
INSERT INTO core_store (tenant_id, name, code, address, phone, is_active)
SELECT id, 'Store', 'main', '', '', true FROM core_tenant WHERE slug = 'bench-tiers';
INSERT INTO membership_member (tenant_id, name, gender, phone, id_type, id_number_encrypted,
  id_number_digest, id_number_last4, email, employer, address, notes, joined_on, status,
  card_number, created_at, referrer_id)
SELECT t.id, 'M' || i, '', '+86139' || lpad(i::text, 8, '0'), '', '', '', '', '', '', '', '',
  DATE '2024-01-01', 'active', '8' || lpad(i::text, 9, '0'), now(), NULL
FROM core_tenant t, generate_series(1, %(members)s) i WHERE t.slug = 'bench-tiers';
"""

PURCHASES_SQL = """
INSERT INTO points_purchase (tenant_id, member_id, store_id, occurred_at, list_amount,
  discount_amount, amount_due, points_used, points_value, amount_paid, points_earned,
  refunded_amount, refunded_due, points_reversed, points_returned, status, idempotency_key,
  fingerprint, created_at)
SELECT t.id, m0 + 1 + (hashint(i) %% %(members)s), s.id,
  TIMESTAMPTZ '2025-04-01 00:00+08' + (hashint(i * 7) %% 730) * INTERVAL '1 day',
  a, 0, a, 0, 0, a, 0, 0, 0, 0, 0, 'completed', 'b' || i, '', now()
FROM core_tenant t JOIN core_store s ON s.tenant_id = t.id,
  (SELECT min(id) - 1 AS m0 FROM membership_member) mm,
  generate_series(1, %(purchases)s) i,
  LATERAL (SELECT ((hashint(i * 13) %% 200000) / 100.0)::numeric(12, 2) AS a) amount
WHERE t.slug = 'bench-tiers';
"""

HASH_FN = """
CREATE OR REPLACE FUNCTION hashint(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT abs(hashtextextended(x::text, 42)) $$;
"""


def load(args):
    _create_database()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(HASH_FN)
        cursor.execute(LOAD_SQL, {"members": args.members})
        cursor.execute(PURCHASES_SQL, {"members": args.members, "purchases": args.purchases})
        cursor.execute("ANALYZE")
    print(
        f"loaded {args.members} members, {args.purchases} purchases in "
        f"{time.perf_counter() - started:.0f} s"
    )
    _ladder()


def ladder(args):
    """Recreate the tiers tables (the current migrations) and the ladder, keeping the members
    and purchases."""
    _setup()
    from django.core.management import call_command

    call_command("migrate", "tiers", "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    _ladder()


def _ladder():
    """ordinary (entry) → silver (12-month spend ≥ 2000) → gold (≥ 5000) → diamond (one
    purchase ≥ 1990 and ≥ 8000 in 12 months, all of)."""
    from core import tenancy
    from core.models import Tenant
    from tiers.models import Tier, TierRule, TierSettings

    tenant = Tenant.objects.get(slug="bench-tiers")
    with tenancy.tenant_context(tenant):
        TierSettings.objects.get_or_create(tenant=tenant)
        old = datetime.date(2020, 1, 1)
        Tier.objects.create(rank=0, code="ordinary", name_zh="普通", is_entry=True)
        silver = Tier.objects.create(rank=1, code="silver", name_zh="银卡")
        gold = Tier.objects.create(rank=2, code="gold", name_zh="金卡")
        diamond = Tier.objects.create(rank=3, code="diamond", name_zh="钻石", match="all")
        TierRule.objects.create(tier=silver, kind="spend", amount=2000, effective_from=old)
        TierRule.objects.create(tier=gold, kind="spend", amount=5000, effective_from=old)
        TierRule.objects.create(
            tier=diamond, kind="single_purchase", amount=1990, effective_from=old
        )
        TierRule.objects.create(tier=diamond, kind="spend", amount=8000, effective_from=old)


def _reset_tiers():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tiers_tierchange, tiers_membertier")
        cursor.execute("VACUUM ANALYZE tiers_membertier")


PLAIN_SQL = """
SELECT count(*) FROM (
  SELECT m.id, CASE WHEN COALESCE(p.spend, 0) >= 5000 THEN 2
                    WHEN COALESCE(p.spend, 0) >= 2000 THEN 1 ELSE 0 END AS rank
  FROM membership_member m
  LEFT JOIN (SELECT member_id, SUM(amount_paid - refunded_amount) AS spend
             FROM points_purchase WHERE tenant_id = %(t)s
               AND occurred_at >= %(start)s AND occurred_at < %(end)s GROUP BY member_id) p
    ON p.member_id = m.id
  WHERE m.tenant_id = %(t)s AND m.status = 'active'
) x WHERE rank > 0
"""


def _timed(func):
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def run(args):
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the other apps' tables, e.g. after a merge
    from django.db import connection, transaction

    from core import tenancy
    from core.models import Tenant
    from membership.models import Member
    from tiers import actions, recalc, rules
    from tiers.models import TierChange

    tenant = Tenant.objects.get(slug="bench-tiers")
    results = {"most": [], "few": [], "plain": [], "python_per_member": []}
    with tenancy.tenant_context(tenant):
        members = Member.objects.count()
        plan = recalc.Plan(as_of=AS_OF, effective_on=BOUNDARY, cycle="2027-03")
        for i in range(args.runs):
            _reset_tiers()
            seconds, outcome = _timed(lambda: recalc.recalculate(plan))
            results["most"].append(seconds)
            print(
                f"run {i + 1}: most change: {seconds:.1f} s (up {outcome.up}, down {outcome.down})"
            )
            seconds, outcome = _timed(lambda: recalc.recalculate(plan))
            results["few"].append(seconds)
            print(
                f"run {i + 1}: few change:  {seconds:.1f} s (up {outcome.up}, down {outcome.down})"
            )
            params = {
                "t": tenant.pk,
                "start": rules.local_start(datetime.date(2026, 4, 1)),
                "end": rules.local_start(BOUNDARY),
            }
            with transaction.atomic(), connection.cursor() as cursor:
                recalc._set_work_mem(cursor)  # the same memory as the set-based run
                seconds, _ = _timed(lambda p=params, c=cursor: c.execute(PLAIN_SQL, p))
            results["plain"].append(seconds)
            print(f"run {i + 1}: plain one-statement 12-month spend SQL: {seconds:.1f} s")
            sample = list(Member.objects.order_by("?").values_list("pk", flat=True)[: args.sample])
            sample_members = list(Member.objects.filter(pk__in=sample))
            started = time.perf_counter()
            for member in sample_members:
                rules.qualifying_tier(member, AS_OF)
            per_member = (time.perf_counter() - started) / len(sample_members)
            results["python_per_member"].append(per_member)
            print(
                f"run {i + 1}: Python loop: {per_member * 1000:.2f} ms per member on "
                f"{len(sample_members)} members -> {per_member * members:.0f} s extrapolated"
            )
        # outbox cost per change, on a small run of changes
        _reset_tiers()
        small = recalc.Plan(as_of=AS_OF, effective_on=BOUNDARY, cycle="2027-03")
        small_outcome = recalc.recalculate(small)
        ids = list(TierChange.objects.order_by("pk").values_list("pk", flat=True)[: args.sample])
        seconds, written = _timed(lambda: actions.notify_changes(ids))
        print(
            f"outbox: {written} tier_change messages in {seconds:.2f} s "
            f"({seconds / max(written, 1) * 1000:.2f} ms each); the run changed "
            f"{small_outcome.up + small_outcome.down}"
        )
    print()
    print(f"members {members}, runs {args.runs} (medians)")
    print(f"set-based, most change: {statistics.median(results['most']):.1f} s")
    print(f"set-based, few change:  {statistics.median(results['few']):.1f} s")
    print(f"plain one-statement SQL: {statistics.median(results['plain']):.1f} s")
    per_member = statistics.median(results["python_per_member"])
    print(
        f"Python loop (sample of {args.sample}, extrapolated): {per_member * 1000:.2f} ms/member"
        f" -> {per_member * members / 60:.0f} min for {members}"
    )


MESSAGES_LOAD_SQL = """
TRUNCATE core_tenant, tiers_tierchange, notifications_message CASCADE;
INSERT INTO core_tenant (name, slug, currency, time_zone, phone_region, default_language,
  is_active, created_at)
VALUES ('Bench tier messages', 'bench-tier-messages', 'CNY', 'Asia/Shanghai', 'CN', 'zh-hans',
  true, now());
INSERT INTO membership_member (tenant_id, name, gender, phone, id_type, id_number_encrypted,
  id_number_digest, id_number_last4, email, employer, address, notes, joined_on, status,
  card_number, created_at, referrer_id, language)
SELECT t.id, 'Member ' || i, '',
  CASE WHEN i %% 10 = 0 THEN '' ELSE '+86139' || lpad(i::text, 8, '0') END,
  '', '', '', '', 'm' || i || '@example.com', '', '', '', DATE '2024-01-01', 'active',
  '8' || lpad(i::text, 9, '0'), now(), NULL,
  (ARRAY['', 'en', 'zh-hans'])[1 + i %% 3]
FROM core_tenant t, generate_series(1, %(changes)s) i WHERE t.slug = 'bench-tier-messages';
"""

MESSAGES_CHANGES_SQL = """
INSERT INTO tiers_tierchange (tenant_id, member_id, from_tier_id, to_tier_id, rule_id, reason,
  effective_on, cycle, created_at)
SELECT m.tenant_id, m.id, %(entry)s, %(gold)s, NULL, 'qualified', DATE '2027-04-01', '2027-03',
  now()
FROM membership_member m WHERE m.tenant_id = %(tenant)s;
"""

# The reference: the same rows in one statement, the texts joined in SQL (English or Chinese,
# the member's name put in), no template, no consent, no Python per row.
MESSAGES_RAW_SQL = """
INSERT INTO notifications_message (tenant_id, member_id, channel, purpose, template, language,
  recipient, subject, body, redacted_body, dedupe_key, status, last_error, created_at, due_at,
  leased_until, attempts, provider_message_id)
SELECT c.tenant_id, c.member_id,
  CASE WHEN m.phone <> '' THEN 'sms' ELSE 'email' END, 'service', 'tier_change', l.language,
  CASE WHEN m.phone <> '' THEN m.phone ELSE m.email END,
  CASE WHEN l.language = 'en' THEN 'Your membership tier is now Gold'
       ELSE '您的会员等级已变更为金卡' END,
  CASE WHEN l.language = 'en' THEN m.name || ', your tenant membership tier changed to Gold.'
       ELSE m.name || ' 您在某店的会员等级已变更为金卡。' END,
  '', 'tier_change:' || c.id, 'pending', '', now(), now(), now() + interval '5 minutes', 0, ''
FROM tiers_tierchange c
JOIN membership_member m ON m.tenant_id = c.tenant_id AND m.id = c.member_id
CROSS JOIN LATERAL (SELECT COALESCE(NULLIF(m.language, ''), 'zh-hans') AS language) l
WHERE c.tenant_id = %(tenant)s
ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
"""


def messages_load(args):
    _create_database()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    from core import tenancy
    from core.models import Tenant
    from tiers.models import Tier

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(MESSAGES_LOAD_SQL, {"changes": args.changes})
    tenant = Tenant.objects.get(slug="bench-tier-messages")
    with tenancy.tenant_context(tenant):
        entry = Tier.objects.create(rank=0, code="ordinary", name_zh="普通", is_entry=True)
        gold = Tier.objects.create(rank=1, code="gold", name_zh="金卡", name_en="Gold")
        with connection.cursor() as cursor:
            cursor.execute(
                MESSAGES_CHANGES_SQL, {"entry": entry.pk, "gold": gold.pk, "tenant": tenant.pk}
            )
            cursor.execute("ANALYZE")
    print(
        f"loaded {args.changes} members and tier changes in {time.perf_counter() - started:.0f} s"
    )


def messages(args):
    _setup()
    from django.db import connection, transaction

    from core import tenancy
    from core.models import Tenant
    from notifications import tasks
    from tiers import actions
    from tiers.models import TierChange

    # Delivery tasks are queued on commit as in production, but not run here.
    tasks.deliver_messages.apply_async = lambda *a, **k: None
    tenant = Tenant.objects.get(slug="bench-tier-messages")
    results = {"notify": [], "raw": []}

    def empty_outbox():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE notifications_message")
            cursor.execute("VACUUM ANALYZE notifications_message")

    with tenancy.tenant_context(tenant):
        ids = list(TierChange.objects.order_by("pk").values_list("pk", flat=True))
        for i in range(args.runs):
            empty_outbox()

            def notify():
                with transaction.atomic():
                    return actions.notify_changes(ids)

            seconds, written = _timed(notify)
            results["notify"].append(seconds)
            print(f"run {i + 1}: notify_changes: {written} messages in {seconds:.1f} s")
            empty_outbox()

            def raw():
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(MESSAGES_RAW_SQL, {"tenant": tenant.pk})
                    return cursor.rowcount

            seconds, written = _timed(raw)
            results["raw"].append(seconds)
            print(f"run {i + 1}: raw INSERT … SELECT: {written} rows in {seconds:.1f} s")
    notify_median = statistics.median(results["notify"])
    raw_median = statistics.median(results["raw"])
    print()
    print(f"changes {len(ids)}, runs {args.runs} (medians)")
    print(f"notify_changes: {notify_median:.1f} s ({notify_median / len(ids) * 1e6:.0f} µs each)")
    print(f"raw INSERT … SELECT: {raw_median:.1f} s; ratio {notify_median / raw_median:.1f} times")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load")
    p_load.add_argument("--members", type=int, default=1_000_000)
    p_load.add_argument("--purchases", type=int, default=5_000_000)
    sub.add_parser("ladder")
    p_run = sub.add_parser("run")
    p_run.add_argument("--runs", type=int, default=3)
    p_run.add_argument("--sample", type=int, default=2000)
    p_messages_load = sub.add_parser("messages-load")
    p_messages_load.add_argument("--changes", type=int, default=500_000)
    p_messages = sub.add_parser("messages")
    p_messages.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    commands = {"load": load, "ladder": ladder, "run": run}
    commands.update({"messages-load": messages_load, "messages": messages})
    commands[args.command](args)


if __name__ == "__main__":
    main()
