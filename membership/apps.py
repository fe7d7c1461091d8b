from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Members")

    def ready(self):
        from notifications.registry import (
            register_audience,
            register_phone_lookup,
            register_reminder_source,
        )

        from . import reminders, selectors

        register_reminder_source("birthday", reminders.birthday_greetings)
        register_reminder_source("membership_expiring", reminders.membership_expiring)
        register_audience(reminders.audience)
        register_phone_lookup(selectors.member_ids_with_phone)
