"""Set-based recalculation: one tenant's members in a few SQL statements.

``decisions_sql`` builds one SELECT that computes, for every active member of the tenant (or
one member), the metrics every rule in force needs (one pass over purchases with a FILTER per
rule, one over earn entries, one over referrals, grants and paid plans), the qualifying tier
(the highest tier whose rule group matches, else the entry tier) and the rule that decided it,
and compares it with the current ``MemberTier`` row to decide the new tier and the retention
count. ``recalculate`` applies the rows that change in the same statement (data-modifying
CTEs over the materialized decision): INSERT … SELECT into ``TierChange``, an upsert of
``MemberTier``, the membership validity of upgrades; then one outbox message per change.
``dry_run`` runs the same SELECT and only counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import tenancy

from .models import Match, RuleKind, Tier, TierRule, TierSettings
from .rules import local_start, rules_in_force, window_bounds


@dataclass
class Plan:
    """What one run may do."""

    as_of: datetime.date  # metrics count up to and including this day
    effective_on: datetime.date  # the date changes take effect
    allow_up: bool = True
    allow_down: bool = True
    cycle: str = ""
    member_id: int | None = None
    rules_on: datetime.date | None = None  # which rule versions; default as_of


def tier_settings() -> TierSettings:
    settings, _ = TierSettings.objects.get_or_create(tenant=tenancy.current_tenant())
    return settings


def ladder(rules_on: datetime.date, proposed: dict | None = None):
    """[(tier, [rules in force])] highest rank first, and the entry tier. ``proposed`` maps a
    tier id to a list of (possibly unsaved) rules that replace its stored ones."""
    tiers = list(Tier.objects.order_by("-rank"))
    rules = list(TierRule.objects.all())
    by_tier: dict[int, list] = {}
    for rule in rules:
        by_tier.setdefault(rule.tier_id, []).append(rule)
    if proposed:
        by_tier.update(proposed)
    entry = next((t for t in tiers if t.is_entry), None)
    return [(t, rules_in_force(t, rules_on, by_tier.get(t.pk, []))) for t in tiers], entry


def decisions_sql(plan: Plan, *, proposed: dict | None = None) -> tuple[str, dict]:
    tenant = tenancy.current_tenant()
    config = tier_settings()
    tiers, entry = ladder(plan.rules_on or plan.as_of, proposed)
    if entry is None:
        raise Tier.DoesNotExist("The tenant has no entry tier.")
    params: dict = {
        "tenant": tenant.pk,
        "as_of": plan.as_of,
        "end_at": local_start(plan.as_of + datetime.timedelta(days=1)),
        "entry": entry.pk,
        "entry_rank": entry.rank,
        "retention": config.retention_cycles,
        "allow_up": plan.allow_up,
        "allow_down": plan.allow_down,
        "member": plan.member_id,
    }
    purchase_cols: dict = {}
    entry_cols: dict = {}
    purchase_exprs: list[str] = []
    entry_exprs: list[str] = []
    need_referrals = need_paying = need_grants = need_plans = False
    tier_cases, rule_cases = [], []
    for tier, rules in tiers:
        if tier.is_entry or not rules:
            continue
        oks = []
        for i, rule in enumerate(rules):
            key = f"r{tier.pk}_{i}"
            start, _end = window_bounds(rule, plan.as_of)
            start_filter = ""
            if start is not None:
                params[f"{key}_start"] = local_start(start)
                params[f"{key}_day"] = start
            if rule.kind in (RuleKind.SPEND, RuleKind.SINGLE_PURCHASE):
                if start is not None:
                    start_filter = f"occurred_at >= %({key}_start)s"
                agg = "SUM" if rule.kind == RuleKind.SPEND else "MAX"
                where = f" FILTER (WHERE {start_filter})" if start_filter else ""
                # rules over the same window share one aggregate
                column = f"{key}_{agg.lower()}"
                if (agg, start) in purchase_cols:
                    column = purchase_cols[(agg, start)]
                else:
                    purchase_cols[(agg, start)] = column
                    purchase_exprs.append(
                        f"{agg}(amount_paid - refunded_amount){where} AS {column}"
                    )
                params[f"{key}_min"] = rule.amount or 0
                oks.append(f"COALESCE(p.{column}, 0) >= %({key}_min)s")
            elif rule.kind == RuleKind.POINTS:
                where = f" FILTER (WHERE effective_on >= %({key}_day)s)" if start else ""
                column = f"{key}_points"
                if start in entry_cols:
                    column = entry_cols[start]
                else:
                    entry_cols[start] = column
                    entry_exprs.append(f"SUM(points){where} AS {column}")
                params[f"{key}_min"] = rule.count or 0
                oks.append(f"COALESCE(e.{column}, 0) >= %({key}_min)s")
            elif rule.kind == RuleKind.REFERRALS:
                params[f"{key}_min"] = rule.count or 0
                if rule.paying_referrals_only:
                    need_paying = True
                    oks.append(f"COALESCE(r.paying, 0) >= %({key}_min)s")
                else:
                    need_referrals = True
                    oks.append(f"COALESCE(r.referred, 0) >= %({key}_min)s")
            elif rule.kind == RuleKind.PAID_PLAN:
                need_plans = True
                oks.append(f"COALESCE({tier.pk} = ANY(pp.tiers), false)")
            else:
                need_grants = True
                oks.append(f"COALESCE({tier.pk} = ANY(g.tiers), false)")
        joiner = " AND " if tier.match == Match.ALL else " OR "
        matched = "(" + joiner.join(oks) + ")"
        tier_cases.append(f"WHEN {matched} THEN {tier.pk}")
        if tier.match == Match.ALL:
            deciding = str(rules[0].pk) if rules[0].pk else "NULL"
        else:
            deciding = (
                "CASE "
                + " ".join(
                    f"WHEN {ok} THEN {rule.pk or 'NULL'}"
                    for ok, rule in zip(oks, rules, strict=True)
                )
                + " END"
            )
        rule_cases.append(f"WHEN {matched} THEN {deciding}")

    only_member = "AND member_id = %(member)s" if plan.member_id else ""
    # When every rule over purchases has a window, read only from the earliest window start.
    purchase_starts = [start for _agg, start in purchase_cols]
    purchase_floor = ""
    if purchase_starts and None not in purchase_starts:
        params["purchase_floor"] = local_start(min(purchase_starts))
        purchase_floor = "AND occurred_at >= %(purchase_floor)s"
    entry_floor = ""
    if entry_cols and None not in entry_cols:
        params["entry_floor"] = min(entry_cols)
        entry_floor = "AND effective_on >= %(entry_floor)s"
    ctes = [
        f"""m AS (
            SELECT id AS member_id FROM membership_member
            WHERE tenant_id = %(tenant)s AND status = 'active'
            {"AND id = %(member)s" if plan.member_id else ""}
        )"""
    ]
    joins = []
    if purchase_cols:
        ctes.append(f"""p AS (
            SELECT member_id, {", ".join(purchase_exprs)} FROM points_purchase
            WHERE tenant_id = %(tenant)s AND occurred_at < %(end_at)s {purchase_floor}
            {only_member}
            GROUP BY member_id
        )""")
        joins.append("LEFT JOIN p ON p.member_id = m.member_id")
    if entry_cols:
        ctes.append(f"""e AS (
            SELECT member_id, {", ".join(entry_exprs)} FROM points_ledgerentry
            WHERE tenant_id = %(tenant)s AND kind = 'earn' AND effective_on <= %(as_of)s
            {entry_floor}
            {only_member}
            GROUP BY member_id
        )""")
        joins.append("LEFT JOIN e ON e.member_id = m.member_id")
    if need_referrals or need_paying:
        paying = (
            """COUNT(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM points_purchase pu WHERE pu.tenant_id = %(tenant)s
                AND pu.member_id = ref.id AND pu.occurred_at < %(end_at)s
                AND pu.amount_paid > pu.refunded_amount))"""
            if need_paying
            else "0"
        )
        ctes.append(f"""r AS (
            SELECT referrer_id AS member_id, COUNT(*) AS referred, {paying} AS paying
            FROM membership_member ref
            WHERE tenant_id = %(tenant)s AND referrer_id IS NOT NULL AND joined_on <= %(as_of)s
            {"AND referrer_id = %(member)s" if plan.member_id else ""}
            GROUP BY referrer_id
        )""")
        joins.append("LEFT JOIN r ON r.member_id = m.member_id")
    if need_grants:
        ctes.append(f"""g AS (
            SELECT member_id, array_agg(tier_id) AS tiers FROM tiers_tiergrant
            WHERE tenant_id = %(tenant)s AND revoked_at IS NULL AND starts_on <= %(as_of)s
            AND (until_revoked OR ends_on > %(as_of)s) {only_member}
            GROUP BY member_id
        )""")
        joins.append("LEFT JOIN g ON g.member_id = m.member_id")
    if need_plans:
        ctes.append(f"""pp AS (
            SELECT tp.member_id, array_agg(pl.tier_id) AS tiers
            FROM tiers_tierpurchase tp JOIN tiers_paidplan pl ON pl.id = tp.plan_id
            WHERE tp.tenant_id = %(tenant)s AND tp.status = 'active'
            AND tp.starts_on <= %(as_of)s AND tp.ends_on > %(as_of)s
            {"AND tp.member_id = %(member)s" if plan.member_id else ""}
            GROUP BY tp.member_id
        )""")
        joins.append("LEFT JOIN pp ON pp.member_id = m.member_id")
    q_tier = f"CASE {' '.join(tier_cases)} ELSE %(entry)s END" if tier_cases else "%(entry)s"
    q_rule = f"CASE {' '.join(rule_cases)} END" if rule_cases else "NULL::bigint"
    ctes.append(f"""q AS (
        SELECT m.member_id, {q_tier} AS q_tier, {q_rule} AS q_rule
        FROM m {" ".join(joins)}
    )""")
    ctes.append("""s AS (
        SELECT q.member_id, q.q_tier, q.q_rule, qt.rank AS q_rank,
               COALESCE(mt.tier_id, %(entry)s) AS cur_tier,
               COALESCE(ct.rank, %(entry_rank)s) AS cur_rank,
               COALESCE(mt.missed_cycles, 0) AS missed,
               COALESCE(ct.retention_cycles, %(retention)s) AS retention,
               mt.id IS NOT NULL AS has_row
        FROM q JOIN tiers_tier qt ON qt.id = q.q_tier
        LEFT JOIN tiers_membertier mt
            ON mt.tenant_id = %(tenant)s AND mt.member_id = q.member_id
        LEFT JOIN tiers_tier ct ON ct.id = mt.tier_id
    )""")
    ctes.append("""d AS (
        SELECT s.*,
            CASE WHEN q_rank > cur_rank AND %(allow_up)s THEN q_tier
                 WHEN q_rank < cur_rank AND %(allow_down)s AND missed + 1 > retention
                     THEN q_tier
                 ELSE cur_tier END AS new_tier,
            CASE WHEN NOT %(allow_down)s THEN missed
                 WHEN q_rank >= cur_rank THEN 0
                 WHEN missed + 1 > retention THEN 0
                 ELSE missed + 1 END AS new_missed
        FROM s
    )""")
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + """
        SELECT d.*, nt.rank AS new_rank FROM d
            JOIN tiers_tier nt ON nt.tenant_id = %(tenant)s AND nt.id = d.new_tier
        WHERE d.new_tier <> d.cur_tier OR d.new_missed <> d.missed"""
    )
    return sql, params


def _set_work_mem(cursor) -> None:
    """A whole tenant's members are aggregated in hash tables (one group per member); with the
    default work_mem they spill to disk. Raised for this transaction only."""
    work_mem = getattr(settings, "TIERS_RECALC_WORK_MEM", "256MB")
    if work_mem and connection.vendor == "postgresql":
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])


@dataclass
class Outcome:
    up: int
    down: int
    kept: int  # members whose retention count changed but who keep their tier
    change_ids: list


def recalculate(plan: Plan, *, notify: bool = True) -> Outcome:
    """Apply ``plan`` to the active tenant. Returns the counts and the new ``TierChange`` ids."""
    sql, params = decisions_sql(plan)
    params.update(effective_on=plan.effective_on, cycle=plan.cycle, now=timezone.now())
    # One statement: the decision is computed once (a materialized CTE, in memory within the
    # raised work_mem) and applied by data-modifying CTEs, which PostgreSQL runs to completion
    # whether or not the final SELECT reads them. No temporary table is written and read back.
    with transaction.atomic(), connection.cursor() as cursor:
        _set_work_mem(cursor)
        cursor.execute(
            f"""WITH c AS MATERIALIZED ({sql}),
            changes AS (
                INSERT INTO tiers_tierchange (tenant_id, member_id, from_tier_id, to_tier_id,
                    rule_id, reason, effective_on, cycle, created_at)
                SELECT %(tenant)s, member_id, cur_tier, new_tier,
                    CASE WHEN new_tier = q_tier THEN q_rule END,
                    CASE WHEN new_rank > cur_rank THEN 'qualified' ELSE 'not_qualified' END,
                    %(effective_on)s, %(cycle)s, %(now)s
                FROM c WHERE new_tier <> cur_tier
                RETURNING id
            ),
            member_tiers AS (
                INSERT INTO tiers_membertier (tenant_id, member_id, tier_id, since,
                    missed_cycles, rule_id, updated_at)
                SELECT %(tenant)s, member_id, new_tier,
                    %(effective_on)s, new_missed,
                    CASE WHEN new_tier = q_tier THEN q_rule END, %(now)s
                FROM c
                ON CONFLICT (tenant_id, member_id) DO UPDATE SET
                    since = CASE WHEN tiers_membertier.tier_id <> EXCLUDED.tier_id
                        THEN EXCLUDED.since ELSE tiers_membertier.since END,
                    rule_id = CASE WHEN tiers_membertier.tier_id <> EXCLUDED.tier_id
                        THEN EXCLUDED.rule_id ELSE tiers_membertier.rule_id END,
                    tier_id = EXCLUDED.tier_id,
                    missed_cycles = EXCLUDED.missed_cycles,
                    updated_at = EXCLUDED.updated_at
            ),
            -- An upgrade starts the new tier's membership validity (lifetime: no end).
            validity AS (
                UPDATE membership_member mem SET valid_until = CASE
                    WHEN t.validity_months IS NULL THEN NULL
                    ELSE GREATEST(mem.valid_until,
                        (%(effective_on)s::date
                         + make_interval(months => t.validity_months))::date)
                    END
                FROM c JOIN tiers_tier t ON t.id = c.new_tier
                WHERE mem.tenant_id = %(tenant)s AND mem.id = c.member_id
                  AND c.new_rank > c.cur_rank
                  AND mem.valid_until IS DISTINCT FROM (CASE
                    WHEN t.validity_months IS NULL THEN NULL
                    ELSE GREATEST(mem.valid_until,
                        (%(effective_on)s::date
                         + make_interval(months => t.validity_months))::date)
                    END)
            )
            SELECT COUNT(*) FILTER (WHERE new_rank > cur_rank),
                   COUNT(*) FILTER (WHERE new_rank < cur_rank),
                   COUNT(*) FILTER (WHERE new_tier = cur_tier),
                   (SELECT array_agg(id ORDER BY id) FROM changes)
            FROM c""",
            params,
        )
        up, down, kept, change_ids = cursor.fetchone()
        change_ids = change_ids or []
        if notify and change_ids:
            from .actions import notify_changes

            notify_changes(change_ids)
    return Outcome(up, down, kept, change_ids)


@dataclass
class DryRun:
    up: int
    down: int
    sample_up: list
    sample_down: list


def dry_run(plan: Plan, *, proposed: dict | None = None, sample: int = 10) -> DryRun:
    """How many members ``plan`` would move up and down (and a sample of who); writes nothing."""
    sql, params = decisions_sql(plan, proposed=proposed)
    params["sample"] = sample
    with transaction.atomic(), connection.cursor() as cursor:
        _set_work_mem(cursor)
        cursor.execute(
            f"""WITH x AS ({sql})
                SELECT COUNT(*) FILTER (WHERE new_rank > cur_rank),
                       COUNT(*) FILTER (WHERE new_rank < cur_rank),
                       (array_agg(member_id ORDER BY member_id)
                           FILTER (WHERE new_rank > cur_rank))[1:%(sample)s],
                       (array_agg(member_id ORDER BY member_id)
                           FILTER (WHERE new_rank < cur_rank))[1:%(sample)s]
                FROM x""",
            params,
        )
        up, down, sample_up, sample_down = cursor.fetchone()
    return DryRun(up, down, sample_up or [], sample_down or [])
