from django.contrib import admin

from core.admin_sites import TenantModelAdmin, platform_admin_site, register

from .models import CalendarDay, Compensation, DeadlinePolicy, ReturnVisit, Ticket, TicketEvent


@admin.register(CalendarDay, site=platform_admin_site)
class CalendarDayAdmin(admin.ModelAdmin):
    """The national calendar's corrections: superusers only (the platform admin)."""

    list_display = ["day", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"


@register(DeadlinePolicy)
class DeadlinePolicyAdmin(TenantModelAdmin):
    list_display = ["kind", "working_days"]


class ReadOnlyAdmin(TenantModelAdmin):
    """Rows written only by actions (complaints.actions): shown, never edited here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "store", "due_at", "escalation", "created_at"]
    list_filter = ["status", "kind", "escalation"]
    raw_id_fields = ["member"]


@register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "type", "from_status", "to_status", "actor_label", "created_at"]


@register(Compensation)
class CompensationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "points", "description", "created_at"]


@register(ReturnVisit)
class ReturnVisitAdmin(ReadOnlyAdmin):
    list_display = ["member", "channel", "visited_at", "ticket"]
    raw_id_fields = ["member", "ticket"]
