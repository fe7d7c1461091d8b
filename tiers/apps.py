from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")

    def ready(self):
        from membership.panels import register_panel

        from .views import panel_context

        register_panel("tiers", "tiers/_member_panel.html", panel_context, order=10)
