from core.admin_sites import TenantModelAdmin, register

from .models import Compensation, DeadlinePolicy, ReturnVisit, Ticket, TicketEvent


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
