"""Set-based recalculation: one tenant's members in a few SQL statements.

``decisions_sql`` builds one SELECT that computes, for every active member of the tenant (or
one member), the metrics every rule in force needs (one pass over purchases with a FILTER per
rule, one over earn entries, one over referrals, grants and paid plans), the qualifying tier
(the highest tier whose rule group matches, else the entry tier) and the rule that decided it,
and compares it with the current ``MemberTier`` row to decide the new tier and the retention
count; each rule kind's condition is one entry of ``RULE_SQL``. ``recalculate`` applies the
rows that change in the same statement (data-modifying CTEs over the materialized decision):
INSERT … SELECT into ``TierChange``, an upsert of ``MemberTier``; it returns the changes and
the validity the upgrades give, and ``tiers.actions`` sends the messages and records the
validity (this module imports no action).
``dry_run`` runs the same SELECT and only counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import tenancy
from membership.models import Member
from points.models import LedgerEntry, Purchase

from . import selectors
from .models import (
    Match,
    MemberTier,
    PaidPlan,
    RuleKind,
    Tier,
    TierChange,
    TierGrant,
    TierPurchase,
    TierRule,
)
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


# Table names from the models, never written out.
MEMBER = Member._meta.db_table
PURCHASE = Purchase._meta.db_table
LEDGER = LedgerEntry._meta.db_table
TIER = Tier._meta.db_table
MEMBER_TIER = MemberTier._meta.db_table
TIER_CHANGE = TierChange._meta.db_table
TIER_GRANT = TierGrant._meta.db_table
TIER_PURCHASE = TierPurchase._meta.db_table
PAID_PLAN = PaidPlan._meta.db_table


class _Query:
    """What the rules of a ladder need: the parameters, the metric columns (rules over the
    same window share one aggregate) and the per-member sources to join."""

    def __init__(self, plan: Plan, params: dict):
        self.plan, self.params = plan, params
        self.purchase_cols: dict = {}  # (aggregate, window start) -> column
        self.purchase_exprs: list[str] = []
        self.entry_cols: dict = {}  # window start -> column
        self.entry_exprs: list[str] = []
        self.sources: set[str] = set()

    def window(self, key: str, rule):
        start, _end = window_bounds(rule, self.plan.as_of)
        if start is not None:
            self.params[f"{key}_start"] = local_start(start)
            self.params[f"{key}_day"] = start
        return start

    def purchase_metric(self, aggregate: str, key: str, start) -> str:
        if (aggregate, start) not in self.purchase_cols:
            column = f"{key}_{aggregate.lower()}"
            where = f" FILTER (WHERE occurred_at >= %({key}_start)s)" if start else ""
            self.purchase_cols[(aggregate, start)] = column
            self.purchase_exprs.append(
                f"{aggregate}(amount_paid - refunded_amount){where} AS {column}"
            )
        self.sources.add("p")
        return f"p.{self.purchase_cols[(aggregate, start)]}"


def _purchases(aggregate: str):
    def condition(query: _Query, tier, rule, key: str) -> str:
        column = query.purchase_metric(aggregate, key, query.window(key, rule))
        query.params[f"{key}_min"] = rule.amount or 0
        return f"COALESCE({column}, 0) >= %({key}_min)s"

    return condition


def _points(query: _Query, tier, rule, key: str) -> str:
    start = query.window(key, rule)
    if start not in query.entry_cols:
        where = f" FILTER (WHERE effective_on >= %({key}_day)s)" if start else ""
        query.entry_cols[start] = f"{key}_points"
        query.entry_exprs.append(f"SUM(points){where} AS {key}_points")
    query.sources.add("e")
    query.params[f"{key}_min"] = rule.count or 0
    return f"COALESCE(e.{query.entry_cols[start]}, 0) >= %({key}_min)s"


def _referrals(query: _Query, tier, rule, key: str) -> str:
    query.params[f"{key}_min"] = rule.count or 0
    query.sources.add("r")
    if rule.paying_referrals_only:
        query.sources.add("r_paying")
        return f"COALESCE(r.paying, 0) >= %({key}_min)s"
    return f"COALESCE(r.referred, 0) >= %({key}_min)s"


def _paid_plan(query: _Query, tier, rule, key: str) -> str:
    query.sources.add("pp")
    return f"COALESCE({int(tier.pk)} = ANY(pp.tiers), false)"


def _grant(query: _Query, tier, rule, key: str) -> str:
    query.sources.add("g")
    return f"COALESCE({int(tier.pk)} = ANY(g.tiers), false)"


# One entry per rule kind: (query, tier, rule, parameter key) -> the SQL condition that the
# member meets the rule, registering the metric it reads on the query.
RULE_SQL = {
    RuleKind.SPEND: _purchases("SUM"),
    RuleKind.SINGLE_PURCHASE: _purchases("MAX"),
    RuleKind.POINTS: _points,
    RuleKind.REFERRALS: _referrals,
    RuleKind.PAID_PLAN: _paid_plan,
    RuleKind.GRANT: _grant,
}


def _tier_cases(query: _Query, tiers) -> tuple[list[str], list[str]]:
    """The CASE branches that pick the qualifying tier and the rule that decided it."""
    tier_cases, rule_cases = [], []
    for tier, rules in tiers:
        if tier.is_entry or not rules:
            continue
        oks = [
            RULE_SQL[rule.kind](query, tier, rule, f"r{tier.pk}_{i}")
            for i, rule in enumerate(rules)
        ]
        joiner = " AND " if tier.match == Match.ALL else " OR "
        matched = "(" + joiner.join(oks) + ")"
        tier_cases.append(f"WHEN {matched} THEN {int(tier.pk)}")
        if tier.match == Match.ALL:
            deciding = str(int(rules[0].pk)) if rules[0].pk else "NULL"
        else:
            deciding = (
                "CASE "
                + " ".join(
                    f"WHEN {ok} THEN {int(rule.pk) if rule.pk else 'NULL'}"
                    for ok, rule in zip(oks, rules, strict=True)
                )
                + " END"
            )
        rule_cases.append(f"WHEN {matched} THEN {deciding}")
    return tier_cases, rule_cases


def _sources(query: _Query) -> tuple[list[str], list[str]]:
    """The CTEs of the per-member metrics the rules read, and their joins."""
    params, one = query.params, query.plan.member_id is not None
    only_member = "AND member_id = %(member)s" if one else ""
    ctes, joins = [], []
    if "p" in query.sources:
        # When every rule over purchases has a window, read only from the earliest start.
        starts = [start for _agg, start in query.purchase_cols]
        floor = ""
        if None not in starts:
            params["purchase_floor"] = local_start(min(starts))
            floor = "AND occurred_at >= %(purchase_floor)s"
        ctes.append(f"""p AS (
            SELECT member_id, {", ".join(query.purchase_exprs)} FROM {PURCHASE}
            WHERE tenant_id = %(tenant)s AND occurred_at < %(end_at)s {floor} {only_member}
            GROUP BY member_id
        )""")
    if "e" in query.sources:
        floor = ""
        if None not in query.entry_cols:
            params["entry_floor"] = min(query.entry_cols)
            floor = "AND effective_on >= %(entry_floor)s"
        ctes.append(f"""e AS (
            SELECT member_id, {", ".join(query.entry_exprs)} FROM {LEDGER}
            WHERE tenant_id = %(tenant)s AND kind = 'earn' AND effective_on <= %(as_of)s
            {floor} {only_member}
            GROUP BY member_id
        )""")
    if "r" in query.sources:
        paying = (
            f"""COUNT(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM {PURCHASE} pu WHERE pu.tenant_id = %(tenant)s
                AND pu.member_id = ref.id AND pu.occurred_at < %(end_at)s
                AND pu.amount_paid > pu.refunded_amount))"""
            if "r_paying" in query.sources
            else "0"
        )
        ctes.append(f"""r AS (
            SELECT referrer_id AS member_id, COUNT(*) AS referred, {paying} AS paying
            FROM {MEMBER} ref
            WHERE tenant_id = %(tenant)s AND referrer_id IS NOT NULL AND joined_on <= %(as_of)s
            {"AND referrer_id = %(member)s" if one else ""}
            GROUP BY referrer_id
        )""")
    if "g" in query.sources:
        ctes.append(f"""g AS (
            SELECT member_id, array_agg(tier_id) AS tiers FROM {TIER_GRANT}
            WHERE tenant_id = %(tenant)s AND revoked_at IS NULL AND starts_on <= %(as_of)s
            AND (until_revoked OR ends_on > %(as_of)s) {only_member}
            GROUP BY member_id
        )""")
    if "pp" in query.sources:
        ctes.append(f"""pp AS (
            SELECT tp.member_id, array_agg(pl.tier_id) AS tiers
            FROM {TIER_PURCHASE} tp JOIN {PAID_PLAN} pl ON pl.id = tp.plan_id
            WHERE tp.tenant_id = %(tenant)s AND tp.status = 'active'
            AND tp.starts_on <= %(as_of)s AND tp.ends_on > %(as_of)s
            {"AND tp.member_id = %(member)s" if one else ""}
            GROUP BY tp.member_id
        )""")
    for name in ("p", "e", "r", "g", "pp"):
        if name in query.sources:
            joins.append(f"LEFT JOIN {name} ON {name}.member_id = m.member_id")
    return ctes, joins


def decisions_sql(plan: Plan, *, proposed: dict | None = None) -> tuple[str, dict]:
    """One SELECT: for every active member of the tenant (or ``plan.member_id``) whose tier or
    retention count changes, the qualifying tier and rule, the current and the new tier."""
    tenant = tenancy.current_tenant()
    config = selectors.settings()
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
    query = _Query(plan, params)
    tier_cases, rule_cases = _tier_cases(query, tiers)
    metric_ctes, joins = _sources(query)
    members = f"""m AS (
        SELECT id AS member_id FROM {MEMBER}
        WHERE tenant_id = %(tenant)s AND status = 'active'
        {"AND id = %(member)s" if plan.member_id else ""}
    )"""
    q_tier = f"CASE {' '.join(tier_cases)} ELSE %(entry)s END" if tier_cases else "%(entry)s"
    q_rule = f"CASE {' '.join(rule_cases)} END" if rule_cases else "NULL::bigint"
    qualifying = f"""q AS (
        SELECT m.member_id, {q_tier} AS q_tier, {q_rule} AS q_rule
        FROM m {" ".join(joins)}
    )"""
    current = f"""s AS (
        SELECT q.member_id, q.q_tier, q.q_rule, qt.rank AS q_rank,
               COALESCE(mt.tier_id, %(entry)s) AS cur_tier,
               COALESCE(ct.rank, %(entry_rank)s) AS cur_rank,
               COALESCE(mt.missed_cycles, 0) AS missed,
               COALESCE(ct.retention_cycles, %(retention)s) AS retention,
               mt.id IS NOT NULL AS has_row
        FROM q JOIN {TIER} qt ON qt.id = q.q_tier
        LEFT JOIN {MEMBER_TIER} mt
            ON mt.tenant_id = %(tenant)s AND mt.member_id = q.member_id
        LEFT JOIN {TIER} ct ON ct.id = mt.tier_id
    )"""
    decided = """d AS (
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
    )"""
    sql = (
        "WITH "
        + ",\n".join([members, *metric_ctes, qualifying, current, decided])
        + f"""
        SELECT d.*, nt.rank AS new_rank FROM d
            JOIN {TIER} nt ON nt.tenant_id = %(tenant)s AND nt.id = d.new_tier
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
    # Upgrades that move the membership's end: (member id, new valid-until or None for
    # lifetime), for the action to apply and record (``membership.actions.do_extend_validity``).
    extensions: list = field(default_factory=list)


def recalculate(plan: Plan) -> Outcome:
    """Apply ``plan`` to the active tenant's tiers and return what changed: the counts, the new
    ``TierChange`` ids and the validity the upgrades give. The caller (``tiers.actions``) sends
    the messages and extends the validity, in the same transaction."""
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
                INSERT INTO {TIER_CHANGE} (tenant_id, member_id, from_tier_id, to_tier_id,
                    rule_id, reason, effective_on, cycle, created_at)
                SELECT %(tenant)s, member_id, cur_tier, new_tier,
                    CASE WHEN new_tier = q_tier THEN q_rule END,
                    CASE WHEN new_rank > cur_rank THEN 'qualified' ELSE 'not_qualified' END,
                    %(effective_on)s, %(cycle)s, %(now)s
                FROM c WHERE new_tier <> cur_tier
                RETURNING id
            ),
            member_tiers AS (
                INSERT INTO {MEMBER_TIER} (tenant_id, member_id, tier_id, since,
                    missed_cycles, rule_id, updated_at)
                SELECT %(tenant)s, member_id, new_tier,
                    %(effective_on)s, new_missed,
                    CASE WHEN new_tier = q_tier THEN q_rule END, %(now)s
                FROM c
                ON CONFLICT (tenant_id, member_id) DO UPDATE SET
                    since = CASE WHEN {MEMBER_TIER}.tier_id <> EXCLUDED.tier_id
                        THEN EXCLUDED.since ELSE {MEMBER_TIER}.since END,
                    rule_id = CASE WHEN {MEMBER_TIER}.tier_id <> EXCLUDED.tier_id
                        THEN EXCLUDED.rule_id ELSE {MEMBER_TIER}.rule_id END,
                    tier_id = EXCLUDED.tier_id,
                    missed_cycles = EXCLUDED.missed_cycles,
                    updated_at = EXCLUDED.updated_at
            ),
            -- An upgrade starts the new tier's membership validity (lifetime: no end).
            validity AS (
                SELECT mem.id, v.valid_until
                FROM c JOIN {TIER} t ON t.id = c.new_tier
                JOIN {MEMBER} mem ON mem.tenant_id = %(tenant)s AND mem.id = c.member_id
                CROSS JOIN LATERAL (SELECT CASE WHEN t.validity_months IS NULL THEN NULL
                    ELSE GREATEST(mem.valid_until, (%(effective_on)s::date
                        + make_interval(months => t.validity_months))::date)
                    END AS valid_until) v
                WHERE c.new_rank > c.cur_rank
                  AND mem.valid_until IS DISTINCT FROM v.valid_until
            )
            SELECT COUNT(*) FILTER (WHERE new_rank > cur_rank),
                   COUNT(*) FILTER (WHERE new_rank < cur_rank),
                   COUNT(*) FILTER (WHERE new_tier = cur_tier),
                   (SELECT array_agg(id ORDER BY id) FROM changes),
                   (SELECT array_agg(id ORDER BY id) FROM validity),
                   (SELECT array_agg(valid_until ORDER BY id) FROM validity)
            FROM c""",
            params,
        )
        up, down, kept, change_ids, extended, ends = cursor.fetchone()
    extensions = list(zip(extended or [], ends or [], strict=True))
    return Outcome(up, down, kept, change_ids or [], extensions)


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
