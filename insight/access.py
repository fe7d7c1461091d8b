"""Who sees which report, and for which stores (capabilities in core/roles.py):
``reports.view`` (owners, managers) every report; ``reports.store_counts`` (also front desk)
the members and sales counts; ``reports.complaints`` (also customer service) the complaints
part. Without ``reports.all_stores`` the store is forced to the staff member's home store."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.roles import role_has

from .reports import REPORTS, Report


def may_see(role, report: Report) -> bool:
    """``role`` is a StaffRole, or None for an API key (which may call every endpoint)."""
    return role is None or role_has(role.role, report.capability)


def visible_reports(role) -> list[Report]:
    return [report for report in REPORTS.values() if may_see(role, report)]


def store_for(role, store):
    """The store the figures are for: the one asked for, or the home store of a role that may
    see its own store only (refused when it has none)."""
    if role is None or role_has(role.role, "reports.all_stores"):
        return store
    if role.store_id is None:
        raise PermissionDenied(_("Your role has no home store, so it has no figures to show."))
    return role.store
