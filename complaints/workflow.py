"""The ticket state machine: which status may follow which, and who may make the step.

new → acknowledged → investigating → resolution proposed → approved (manager) → replied →
confirmed by the member → closed. A manager may send a proposal back to investigating; a
replied or closed ticket may be reopened (back to investigating).

``STAFF`` maps each allowed step to the capability (``core.roles``) a staff member needs;
``MEMBER`` lists the steps a member may make themselves (portal, API on their behalf).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Status

WORK = "complaints.work"
APPROVE = "complaints.approve"


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    capability: str
    label: object
    needs_note: bool = False


STEPS = [
    Step(Status.NEW, Status.ACKNOWLEDGED, WORK, _("Acknowledge")),
    Step(Status.ACKNOWLEDGED, Status.INVESTIGATING, WORK, _("Start investigating")),
    Step(Status.INVESTIGATING, Status.PROPOSED, WORK, _("Propose a resolution"), True),
    Step(Status.PROPOSED, Status.APPROVED, APPROVE, _("Approve the resolution")),
    Step(Status.PROPOSED, Status.INVESTIGATING, APPROVE, _("Send back"), True),
    Step(Status.APPROVED, Status.REPLIED, WORK, _("Reply to the member"), True),
    Step(Status.REPLIED, Status.CONFIRMED, WORK, _("Member confirmed")),
    Step(Status.CONFIRMED, Status.CLOSED, WORK, _("Close")),
    Step(Status.REPLIED, Status.INVESTIGATING, WORK, _("Reopen"), True),
    Step(Status.CLOSED, Status.INVESTIGATING, WORK, _("Reopen"), True),
]

STAFF: dict[tuple[str, str], Step] = {(s.source, s.target): s for s in STEPS}

MEMBER: frozenset[tuple[str, str]] = frozenset(
    {
        (Status.REPLIED, Status.CONFIRMED),  # "yes, that settles it"
        (Status.REPLIED, Status.INVESTIGATING),  # "no, it does not": reopen
    }
)


def step(source: str, target: str) -> Step | None:
    return STAFF.get((source, target))


def next_steps(source: str) -> list[Step]:
    return [s for s in STEPS if s.source == source]


def is_reopen(source: str, target: str) -> bool:
    return target == Status.INVESTIGATING and source in (Status.REPLIED, Status.CLOSED)
