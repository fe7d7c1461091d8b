"""Posting once per idempotency key.

Every posting takes a key, unique per tenant: the same key with the same content returns the
first result and posts nothing; the same key with different content is refused
(``IdempotencyConflict``). Three ways to do it, named for what they leave out; each runs
``post()`` unless the key was used and otherwise returns the first row (``same_or_conflict``).
A concurrent first use fails on the unique index and gets the winner's row.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..ledger import PointsError, same_or_conflict

MAX_KEY = 150

# what ``post`` of ``post_once_without_savepoint`` returns when the key was taken
KEY_TAKEN = object()


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise PointsError(_("An idempotency key of 1 to 150 characters is required."))
    return key


def post_once(model, key: str, print_: str, post):
    """Look the key up first; post in a savepoint, so a refusal inside ``post`` (or a
    concurrent first use) leaves the caller's transaction usable."""
    existing = model.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return same_or_conflict(existing, print_)
    return post_once_without_lookup(model, key, print_, post)


def post_once_without_lookup(model, key: str, print_: str, post):
    """``post_once`` without the look-up (one query less per posting), for a ``post`` that
    inserts its keyed row before anything a repeat could fail on, so that a repeat always
    reaches the unique index (or returns ``KEY_TAKEN``, as below)."""
    try:
        with transaction.atomic():
            result = post()
    except IntegrityError:
        existing = model.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return same_or_conflict(existing, print_)
    return _first_result(model, key, print_, result)


def post_once_without_savepoint(model, key: str, print_: str, post):
    """``post_once_without_lookup`` without a savepoint around ``post`` (inside a transaction,
    the API's, two round trips less per posting), for a ``post`` that cannot fail on the key:
    it inserts ``ON CONFLICT DO NOTHING`` and returns ``KEY_TAKEN`` when the key was used, and
    refuses nothing after its first write."""
    with transaction.atomic(savepoint=False):
        result = post()
    return _first_result(model, key, print_, result)


def _first_result(model, key: str, print_: str, result):
    if result is KEY_TAKEN:
        return same_or_conflict(model.objects.get(idempotency_key=key), print_)
    return result
