"""Prove, per tenant, that every cached balance equals its entries and its lots.

For each account: ``balance - debt == sum(entries.points)`` and ``balance == sum(lots.remaining)``;
for each lot: ``remaining == points - sum(allocations.points)``. Exits 1 listing every mismatch.
"""

from django.core.management.base import BaseCommand, CommandError

from core import tenancy
from core.models import Tenant
from points.reconcile import mismatches


class Command(BaseCommand):
    help = "Check cached points balances against ledger entries and lots."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (slug).")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
        found = 0
        for each in tenants:
            with tenancy.tenant_context(each):
                for problem in mismatches():
                    found += 1
                    self.stdout.write(f"{each.slug}: {problem}")
        if found:
            raise CommandError(f"{found} mismatch(es) found.")
        self.stdout.write(self.style.SUCCESS("Points reconcile: no mismatches."))
