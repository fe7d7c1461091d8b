from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints and suggestions")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from membership.hooks import Panel, erasers, panels

        from .deadlines import forget_corrections
        from .erasure import erase_member_tickets
        from .models import CalendarDay
        from .panels import member_tickets_panel

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: forget_corrections(),
                sender=CalendarDay,
                weak=False,
                dispatch_uid=f"calendar-day-{signal is post_save}",
            )

        erasers.register("complaints", erase_member_tickets)
        panels.register(
            "complaints", Panel("complaints/_member_panel.html", member_tickets_panel), order=40
        )
