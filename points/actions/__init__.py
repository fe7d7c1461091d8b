"""Writes of the points app: atomic ``do_*`` functions returning model objects, one module per
use case (as Zulip's ``zerver/actions/``):

* ``purchases``: the quote and the posting of a purchase, the referral bonus;
* ``refunds``: refunds of lines, amounts or the rest;
* ``awards``: points without a purchase;
* ``adjustments``: manual adjustments and their approval;
* ``redemptions``: rewards redeemed, and the steps of a redemption;
* ``coupons``: coupons issued and used;
* ``opening_balances``: balances imported with their original dates;
* ``idempotency``: posting once per key (``post_once`` and its two leaner variants);
* ``_common``: the actor, the own-account rule, dates, the claim of a workflow step.

Every posting takes an idempotency key, unique per tenant (``idempotency``). Keys of the entries
a composite action writes are derived from its key (``purchase:<key>:earn``,
``refund:<key>:reverse``, …). Callers import from here: ``from points.actions import do_refund``.
"""

from ..ledger import (
    IdempotencyConflict,
    InsufficientPoints,
    InvalidTransition,
    OwnAccount,
    PointsError,
)
from .adjustments import do_decide_adjustment, do_request_adjustment
from .awards import do_award_points
from .coupons import do_use_coupon
from .opening_balances import do_import_opening_balances, find_member
from .purchases import do_record_purchase, quote_for
from .redemptions import (
    do_cancel_redemption,
    do_decide_redemption,
    do_fulfil_redemption,
    do_redeem_reward,
    do_transition_redemption,
)
from .refunds import do_refund

__all__ = [
    "IdempotencyConflict",
    "InsufficientPoints",
    "InvalidTransition",
    "OwnAccount",
    "PointsError",
    "do_award_points",
    "do_cancel_redemption",
    "do_decide_adjustment",
    "do_decide_redemption",
    "do_fulfil_redemption",
    "do_import_opening_balances",
    "do_record_purchase",
    "do_redeem_reward",
    "do_refund",
    "do_request_adjustment",
    "do_transition_redemption",
    "do_use_coupon",
    "find_member",
    "quote_for",
]
