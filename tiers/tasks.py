"""Periodic and on-demand tier work. Beat sends ``fan_out("tiers.settle_cycle",
"hour")``; each tenant's run acts only on the first day of its cycle in its own time zone and
claims that cycle, so it runs once per cycle however often beat fires."""

from core import tenancy
from core.models import PeriodicRun
from core.tasks import tenant_task

from . import actions, cycles, selectors


@tenant_task("tiers.settle_cycle")
def settle_cycle(*, tenant_id: int, period: str = "") -> int:
    """At a cycle boundary: the set-based recalculation, then lapse memberships not renewed."""
    tenant = tenancy.current_tenant()
    today = tenant.local_now().date()
    settings = selectors.settings()
    changed = 0
    if cycles.is_boundary(today, settings.cycle) and PeriodicRun.claim(
        "tiers.settle_cycle", cycles.cycle_label(today, settings.cycle), tenant_id
    ):
        outcome = actions.do_run_cycle(today)
        changed = outcome.up + outcome.down
    if PeriodicRun.claim("tiers.lapse", today.isoformat(), tenant_id):
        actions.do_lapse_expired()
    return changed


@tenant_task("tiers.check_member")
def check_member(*, tenant_id: int, member_id: int) -> int:
    """After a purchase: upgrade at once when the tenant's upgrades are immediate."""
    outcome = actions.do_recalculate_member(member_id)
    return outcome.up
