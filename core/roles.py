"""Staff roles per tenant and what each may do.

Views and API endpoints name a capability; a capability lists the roles that hold it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    FRONT_DESK = "front_desk", _("Front desk")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")


ALL_ROLES = frozenset(Role)
MANAGERS = frozenset({Role.OWNER, Role.MANAGER})

CAPABILITIES: dict[str, frozenset[str]] = {
    "tenant.view": ALL_ROLES,
    "stores.view": ALL_ROLES,
    "stores.edit": MANAGERS,
    "admin.access": MANAGERS,
    "api_keys.manage": frozenset({Role.OWNER}),
    "members.view": ALL_ROLES,
    "members.edit": frozenset({Role.OWNER, Role.MANAGER, Role.FRONT_DESK}),
    "members.reveal_pii": MANAGERS,
    "members.approve": MANAGERS,
    "members.import": MANAGERS,
    "members.export": MANAGERS,
    "points.post": frozenset({Role.OWNER, Role.MANAGER, Role.FRONT_DESK}),
    "points.approve": MANAGERS,
    "tiers.manage": MANAGERS,
    "notifications.view": ALL_ROLES,
    "notifications.manage": MANAGERS,
    "complaints.work": frozenset({Role.OWNER, Role.MANAGER, Role.CUSTOMER_SERVICE}),
    "complaints.record": ALL_ROLES,
    "complaints.approve": MANAGERS,
    "reports.view": MANAGERS,
    # The dashboard (insight/access.py): front desk sees its own store's counts, customer
    # service the complaints part; reports.view above is every report.
    "reports.store_counts": frozenset({Role.OWNER, Role.MANAGER, Role.FRONT_DESK}),
    "reports.complaints": frozenset({Role.OWNER, Role.MANAGER, Role.CUSTOMER_SERVICE}),
    "reports.all_stores": frozenset({Role.OWNER, Role.MANAGER, Role.CUSTOMER_SERVICE}),
}


def role_has(role: str | None, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}; add it to core.roles.CAPABILITIES.")
    return role is not None and role in CAPABILITIES[capability]
