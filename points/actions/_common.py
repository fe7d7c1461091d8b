"""What every points action shares: the own-account rule, the local dates
and expiry of new points, and the compare-and-set claim of a status step."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core import tenancy
from membership.models import Member

from .. import workflow
from ..ledger import InvalidTransition, OwnAccount
from ..rules import expiry_date
from ..selectors import rules_snapshot

# ``expires_at`` not given: the tenant's expiry policy decides (an opening balance gives its own,
# which may be None: never)
UNSET = object()


def check_not_own(member: Member, actor) -> None:
    if actor is not None and member.staff_user_id and member.staff_user_id == actor.pk:
        raise OwnAccount(
            _("Staff may not post adjustments or redemptions to their own member account."),
            code="own_account",
        )


def expiry_for(member: Member, earned_on: datetime.date, settings=None) -> datetime.date | None:
    settings = settings or rules_snapshot().settings
    return expiry_date(
        settings.expiry_policy,
        earned_on=earned_on,
        joined_on=member.joined_on,
        months=settings.expiry_months,
        period=settings.expiry_period,
    )


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, tenancy.current_tenant().tzinfo).date()


def claim(row, table: list[workflow.Step], target: str, **changes) -> None:
    """Move ``row`` to ``target`` if the workflow table allows it from the status it has now: one
    ``UPDATE … WHERE status IN (sources)``, so of two concurrent steps only one succeeds; the
    other (and any step the table does not hold) is refused with ``InvalidTransition``."""
    model = type(row)
    claimed = model.objects.filter(pk=row.pk, status__in=workflow.sources(table, target))
    if not claimed.update(status=target, **changes):
        raise refusal(model.objects.get(pk=row.pk), target)
    row.status = target


def refusal(row, target: str) -> InvalidTransition:
    status = type(row)._meta.get_field("status")
    return InvalidTransition(
        _("A %(what)s that is “%(status)s” cannot become “%(target)s”.")
        % {
            "what": type(row)._meta.verbose_name,
            "status": row.get_status_display(),
            "target": dict(status.choices).get(target, target),
        },
        field="status",
    )
