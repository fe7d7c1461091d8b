from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints and suggestions")

    def ready(self):
        from membership.erasure import register_eraser
        from membership.panels import register_panel

        from .erasure import erase_member_tickets
        from .panels import member_tickets_panel

        register_eraser("complaints", erase_member_tickets)
        register_panel(
            "complaints", "complaints/_member_panel.html", member_tickets_panel, order=40
        )
