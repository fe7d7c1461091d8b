from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints and suggestions")

    def ready(self):
        from membership.panels import register_panel

        from .panels import member_tickets_panel

        register_panel(
            "complaints", "complaints/_member_panel.html", member_tickets_panel, order=40
        )
