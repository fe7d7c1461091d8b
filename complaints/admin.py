from django.contrib import admin

from core.admin_sites import ReadOnlyTenantAdmin, TenantModelAdmin, platform_admin_site, register

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


@register(Ticket)
class TicketAdmin(ReadOnlyTenantAdmin):
    list_display = ["__str__", "status", "store", "due_at", "escalation", "created_at"]
    list_filter = ["status", "kind", "escalation"]
    raw_id_fields = ["member"]


@register(TicketEvent)
class TicketEventAdmin(ReadOnlyTenantAdmin):
    list_display = ["ticket", "type", "from_status", "to_status", "actor_label", "created_at"]


@register(Compensation)
class CompensationAdmin(ReadOnlyTenantAdmin):
    list_display = ["ticket", "kind", "points", "description", "created_at"]


@register(ReturnVisit)
class ReturnVisitAdmin(ReadOnlyTenantAdmin):
    list_display = ["member", "channel", "visited_at", "ticket"]
    raw_id_fields = ["member", "ticket"]
