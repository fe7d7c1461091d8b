from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Tenants and staff")

    def ready(self):
        from . import checks, selectors  # noqa: F401  (system checks; the caches' receivers)
        from .actors import staff_name
        from .hooks import actor_names

        actor_names.register("staff", staff_name)
