"""The state machines of points: which status may follow which, and who may make the step.

Redemptions: pending approval → approved → fulfilled (by staff, or when one of its coupons is
used); pending → rejected; pending or approved → cancelled. A rejected or cancelled redemption
gives its points back. Adjustment requests: pending → approved (posted) or rejected. Purchases:
completed → partly refunded → refunded, following the refunds (never set by hand).

As in ``complaints.workflow``, a step is a row of a table (source, target, capability); the
actions claim a row with a compare-and-set on the step's sources (``sources``), so a status that
moved on meanwhile is refused like any step the table does not hold: ``InvalidTransition``, 409.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import AdjustmentStatus, PurchaseStatus, RedemptionStatus

APPROVE = "points.approve"
POST = "points.post"


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    capability: str
    label: object


REDEMPTION = [
    Step(RedemptionStatus.PENDING, RedemptionStatus.APPROVED, APPROVE, _("Approve")),
    Step(RedemptionStatus.PENDING, RedemptionStatus.REJECTED, APPROVE, _("Reject")),
    Step(RedemptionStatus.APPROVED, RedemptionStatus.FULFILLED, APPROVE, _("Hand over")),
    Step(RedemptionStatus.PENDING, RedemptionStatus.CANCELLED, APPROVE, _("Cancel")),
    Step(RedemptionStatus.APPROVED, RedemptionStatus.CANCELLED, APPROVE, _("Cancel")),
]

ADJUSTMENT = [
    Step(AdjustmentStatus.PENDING, AdjustmentStatus.APPROVED, APPROVE, _("Approve")),
    Step(AdjustmentStatus.PENDING, AdjustmentStatus.REJECTED, APPROVE, _("Reject")),
]

PURCHASE = [
    Step(PurchaseStatus.COMPLETED, PurchaseStatus.PARTLY_REFUNDED, POST, _("Refund")),
    Step(PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED, POST, _("Refund")),
    Step(PurchaseStatus.PARTLY_REFUNDED, PurchaseStatus.PARTLY_REFUNDED, POST, _("Refund")),
    Step(PurchaseStatus.PARTLY_REFUNDED, PurchaseStatus.REFUNDED, POST, _("Refund")),
]


def step(table: list[Step], source: str, target: str) -> Step | None:
    return next((s for s in table if (s.source, s.target) == (source, target)), None)


def sources(table: list[Step], target: str) -> tuple[str, ...]:
    """The statuses ``target`` may follow: the compare-and-set of a claim."""
    return tuple(s.source for s in table if s.target == target)


def next_steps(table: list[Step], source: str) -> list[Step]:
    return [s for s in table if s.source == source]
