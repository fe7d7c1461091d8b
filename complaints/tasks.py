"""The escalation sweep, run by beat every few minutes per tenant through ``core.tasks.fan_out``.

Idempotent: the escalation level is a column raised by compare-and-set, so a repeated or
concurrent sweep escalates nothing twice. The deadline is a column; nothing is scheduled ahead.
"""

from core.tasks import tenant_task

from . import actions


@tenant_task("complaints.escalate_due_tickets")
def escalate_due_tickets(*, tenant_id: int, period: str = "") -> int:
    return len(actions.do_escalate_due())
