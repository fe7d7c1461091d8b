"""Texts rendered by ``notifications.templates_default`` for the "complaint_update" template,
repeated here so that complaints' catalogue translates them (notifications has no catalogue)."""

from django.utils.translation import gettext_noop

OUTBOX_TEXTS = [
    gettext_noop("%(tenant)s: your %(kind)s %(number)s"),
    gettext_noop("%(tenant)s · %(kind)s %(number)s (%(status)s): %(text)s"),
]
