from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from membership.hooks import Panel, panels
        from notifications.hooks import reminder_sources

        from . import selectors, tasks  # noqa: F401  (Celery tasks; the rules cache's receivers)
        from .panels import member_panel
        from .reminders import points_expiring

        panels.register("points", Panel("points/_member_panel.html", member_panel), order=20)

        reminder_sources.register("points_expiring", points_expiring)
