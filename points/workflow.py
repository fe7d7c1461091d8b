"""The state machines of points: which status may follow which.

Redemptions: pending approval → approved → fulfilled (handed over by staff, or when its coupon is
used); pending → rejected; pending or approved → cancelled. A rejected or cancelled redemption
gives its points back. Adjustment requests: pending → approved (posted) or rejected. Purchases:
completed → partly refunded → refunded, following their refunds.

As in ``complaints.workflow``, the steps are a table; the actions claim a row with a
compare-and-set on the sources the table gives the target (``sources``), so a status that moved
on meanwhile is refused like any step the table does not hold: ``InvalidTransition``, 409. Every
step of a redemption or an adjustment is a manager's (``APPROVE``: the approvals page and the
API's ``redemptions/<id>/transition/``); refunds need ``points.post``.
"""

from dataclasses import dataclass

from .models import AdjustmentStatus, PurchaseStatus, RedemptionStatus

APPROVE = "points.approve"


@dataclass(frozen=True)
class Step:
    source: str
    target: str


REDEMPTION = [
    Step(RedemptionStatus.PENDING, RedemptionStatus.APPROVED),
    Step(RedemptionStatus.PENDING, RedemptionStatus.REJECTED),
    Step(RedemptionStatus.APPROVED, RedemptionStatus.FULFILLED),
    Step(RedemptionStatus.PENDING, RedemptionStatus.CANCELLED),
    Step(RedemptionStatus.APPROVED, RedemptionStatus.CANCELLED),
]

ADJUSTMENT = [
    Step(AdjustmentStatus.PENDING, AdjustmentStatus.APPROVED),
    Step(AdjustmentStatus.PENDING, AdjustmentStatus.REJECTED),
]

PURCHASE = [
    Step(PurchaseStatus.COMPLETED, PurchaseStatus.PARTLY_REFUNDED),
    Step(PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED),
    Step(PurchaseStatus.PARTLY_REFUNDED, PurchaseStatus.PARTLY_REFUNDED),
    Step(PurchaseStatus.PARTLY_REFUNDED, PurchaseStatus.REFUNDED),
]


def sources(table: list[Step], target: str) -> tuple[str, ...]:
    """The statuses ``target`` may follow: the compare-and-set of a claim."""
    return tuple(s.source for s in table if s.target == target)


def next_steps(table: list[Step], source: str) -> list[Step]:
    return [s for s in table if s.source == source]
