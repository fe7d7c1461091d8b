from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import demo, tenancy


class Command(BaseCommand):
    help = "Load the demo tenants, their stores and staff (and each app's demo data). Idempotent."

    def handle(self, *args, **options):
        notices = []
        with transaction.atomic():
            demo.ensure_operator()
            for spec in demo.TENANTS:
                tenant = demo.load_core(spec)
                with tenancy.tenant_context(tenant):
                    demo.load_stores_and_staff(tenant, spec)
                    for app_config in apps.get_app_configs():
                        module_name = f"{app_config.name}.demo"
                        if app_config.name == "core" or find_spec(module_name) is None:
                            continue
                        module = import_module(module_name)
                        module.load(tenant, spec)
                        notice = getattr(module, "NOTICE", "")
                        if notice and notice not in notices:
                            notices.append(notice)
                self.stdout.write(f"  {tenant.name}  →  /t/{tenant.slug}/")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            "Staff sign-in at /accounts/login/ — users "
            + ", ".join(username for username, *_ in demo.STAFF)
            + f" (one role each, in every demo business) and the platform operator "
            f"'{demo.OPERATOR}'; password for all: {demo.DEMO_PASSWORD}"
        )
        for notice in notices:  # e.g. how a member signs in to the portal (portal/demo.py)
            self.stdout.write(notice)
