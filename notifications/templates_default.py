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
    "tier_change": (
        lambda: _("Your %(tenant)s membership tier"),
        lambda: _(
            "Dear %(name)s, your membership tier at %(tenant)s changes from %(from_tier)s to "
            "%(to_tier)s on %(effective_on)s."
        ),
    ),
}


def render(template: str, context: dict) -> tuple[str, str]:
    subject, body = DEFAULTS[template]
    return subject() % context, body() % context
