from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import tenancy
from core.admin_sites import PreviewBeforeSaveMixin, ReadOnlyTenantAdmin, TenantModelAdmin, register

from .models import (
    Broadcast,
    BroadcastStatus,
    Consent,
    ConsentChange,
    Message,
    MessageTemplate,
    NotificationSettings,
)
from .templates_default import SPECS, default_texts
from .templates_default import render as render_message


@register(Message)
class MessageAdmin(ReadOnlyTenantAdmin):
    """The delivery log: read-only; rows change only through delivery."""

    capability = "notifications.view"
    list_display = [
        "created_at",
        "member_id",
        "template",
        "channel",
        "purpose",
        "recipient",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = [
        "status",
        "channel",
        "purpose",
        "template",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["recipient", "dedupe_key", "=member_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = [
        "member_id",
        "channel",
        "purpose",
        "template",
        "language",
        "recipient",
        "subject",
        "body",
        "dedupe_key",
        "status",
        "attempts",
        "last_error",
        "due_at",
        "leased_until",
        "provider_message_id",
        "created_at",
        "sent_at",
    ]
    exclude = ["claim_token", "redacted_body"]


@register(MessageTemplate)
class MessageTemplateAdmin(PreviewBeforeSaveMixin, TenantModelAdmin):
    """Editable texts; a template using an undeclared variable is refused on save."""

    capability = "notifications.manage"
    list_display = ["key", "language", "subject", "updated_at"]
    list_filter = ["key", "language"]
    fields = ["key", "language", "subject", "body", "variables", "default_text", "sample_preview"]
    readonly_fields = ["variables", "default_text", "sample_preview"]

    change_form_template = "notifications/admin/template_change_form.html"

    def preview(self, request, object_id, form_url, extra_context):
        """The texts as typed, rendered with the sample values, before anything is saved; None
        when the form is invalid (the ordinary form then shows why, and saves nothing)."""
        obj = self.get_object(request, object_id) if object_id else None
        allowed = (
            self.has_change_permission(request, obj)
            if object_id
            else self.has_add_permission(request)
        )
        if (object_id and obj is None) or not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=bool(object_id))(
            request.POST, request.FILES, instance=obj
        )
        if not form.is_valid():
            return None
        template = form.save(commit=False)
        subject, body, _redacted = render_message(
            template.key, SPECS[template.key].variables, language=template.language, custom=template
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Preview of the message"),
            "key_label": template.get_key_display(),
            "language": template.get_language_display(),
            "subject": subject,
            "body": body,
            "preview_fields": self.preview_fields(request),
            "save_label": _("Save the template"),
        }
        return render(request, "notifications/admin/template_preview.html", context)

    @admin.display(description=_("variables"))
    def variables(self, obj):
        if not obj or not obj.key:
            return _("Save once to see the variables of the chosen template.")
        return ", ".join(f"{{{{ {name} }}}}" for name in SPECS[obj.key].variables)

    @admin.display(description=_("default text"))
    def default_text(self, obj):
        if not obj or not obj.key:
            return "-"
        subject, body = default_texts(obj.key, obj.language or "en")
        return format_html("<strong>{}</strong><br><pre>{}</pre>", subject, body)

    @admin.display(description=_("preview (sample values)"))
    def sample_preview(self, obj):
        if not obj or not obj.pk:
            return _("Use “Preview with sample values” below to see it before saving.")
        subject, body, _redacted = render_message(
            obj.key, SPECS[obj.key].variables, language=obj.language, custom=obj
        )
        return format_html("<strong>{}</strong><br><pre>{}</pre>", subject, body)


@register(NotificationSettings)
class NotificationSettingsAdmin(TenantModelAdmin):
    capability = "notifications.manage"
    list_display = [
        "__str__",
        "sms_sender",
        "email_from",
        "quiet_start",
        "quiet_end",
        "rate_per_minute",
        "send_hour",
        "marketing_start",
        "marketing_end",
        "marketing_sms_daily_cap",
    ]

    def has_add_permission(self, request, *args):
        if tenancy.current_tenant_or_none() is not None and NotificationSettings.objects.exists():
            return False  # one row per tenant: edit it
        return super().has_add_permission(request, *args)


@register(Consent)
class ConsentAdmin(ReadOnlyTenantAdmin):
    """The current choices, read-only: every change goes through ``do_set_consent`` (the member
    page, the API, the portal, an SMS reply) so that it is kept in the consent history."""

    capability = "notifications.manage"
    list_display = ["member_id", "channel", "purpose", "granted", "updated_at"]
    list_filter = ["channel", "purpose", "granted"]
    search_fields = ["=member_id"]


@register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyTenantAdmin):
    """The consent history: insert-only."""

    capability = "notifications.manage"
    list_display = [
        "recorded_at",
        "member_id",
        "channel",
        "purpose",
        "granted",
        "source",
        "actor",
        "given_at",
    ]
    list_filter = ["channel", "purpose", "granted", "source"]
    search_fields = ["=member_id"]
    ordering = ["-recorded_at"]


@register(Broadcast)
class BroadcastAdmin(TenantModelAdmin):
    capability = "notifications.manage"
    list_display = ["name", "channel", "purpose", "send_at", "status", "queued_count"]
    list_filter = ["status", "channel"]
    readonly_fields = ["queued_count", "last_error"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":  # staff schedule or hold it; the sweep does the rest
            kwargs["choices"] = [
                (s.value, s.label) for s in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj and obj.status in (BroadcastStatus.DONE, BroadcastStatus.FAILED):
            fields += [
                "name",
                "channel",
                "purpose",
                "subject",
                "text",
                "segment",
                "send_at",
                "status",
            ]
        return fields
