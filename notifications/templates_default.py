"""Default message texts, until per-tenant templates exist (the notifications issue)."""

from django.utils.translation import gettext as _

DEFAULTS = {
    "registration": (
        lambda: _("Welcome to %(tenant)s"),
        lambda: _(
            "Welcome to %(tenant)s. Your member card is %(card_number)s. Sign in with your "
            "phone number and the initial password %(password)s, and change it at first sign-in."
        ),
    ),
    # Context: tenant, number, kind, status, text (what happened, already translated).
    "complaint_update": (
        lambda: _("%(tenant)s: your %(kind)s %(number)s"),
        lambda: _("%(tenant)s · %(kind)s %(number)s (%(status)s): %(text)s"),
    ),
}


def render(template: str, context: dict) -> tuple[str, str]:
    subject, body = DEFAULTS[template]
    return subject() % context, body() % context
