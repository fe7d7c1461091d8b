from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from membership.panels import register_panel

        from . import selectors, tasks  # noqa: F401  (Celery tasks; the rules cache's receivers)
        from .panels import member_panel

        register_panel("points", "points/_member_panel.html", member_panel, order=20)
        from notifications.registry import register_reminder_source

        from .reminders import points_expiring

        register_reminder_source("points_expiring", points_expiring)
