from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Members")

    def ready(self):
        from core.hooks import actor_names
        from notifications import hooks as notifications

        from . import reminders, selectors

        actor_names.register("member", selectors.member_name)
        notifications.reminder_sources.register("birthday", reminders.birthday_greetings)
        notifications.reminder_sources.register(
            "membership_expiring", reminders.membership_expiring
        )
        notifications.broadcast_audience.register(reminders.audience)
        notifications.phone_lookup.register(selectors.member_ids_with_phone)
