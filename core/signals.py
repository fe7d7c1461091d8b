"""Keep the cached tenant and staff-role lookups (core.selectors) in step with their rows."""

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from . import tenancy
from .models import StaffRole, Store, Tenant
from .selectors import forget_staff_roles, forget_tenant


@receiver(pre_save, sender=Tenant)
def _remember_old_slug(sender, instance, **kwargs):
    instance._slug_before = (
        Tenant.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Tenant)
@receiver(post_delete, sender=Tenant)
def _tenant_changed(sender, instance, **kwargs):
    forget_tenant(*{instance.slug, getattr(instance, "_slug_before", None) or instance.slug})


@receiver(pre_save, sender=StaffRole)
def _remember_old_holder(sender, instance, **kwargs):
    instance._holder_before = (
        StaffRole.dangerously_unscoped.filter(pk=instance.pk)
        .values_list("tenant_id", "user_id")
        .first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=StaffRole)
@receiver(post_delete, sender=StaffRole)
def _role_changed(sender, instance, **kwargs):
    forget_staff_roles(instance.tenant_id, [instance.user_id])
    before = getattr(instance, "_holder_before", None)
    if before and before != (instance.tenant_id, instance.user_id):
        # the role moved to another user: the one who held it must lose it at once too
        forget_staff_roles(before[0], [before[1]])


@receiver(post_save, sender=Store)
@receiver(pre_delete, sender=Store)  # before the roles' store is set to NULL
def _store_changed(sender, instance, **kwargs):
    with tenancy.tenant_context(Tenant(pk=instance.tenant_id)):
        users = list(
            StaffRole.objects.filter(store_id=instance.pk).values_list("user_id", flat=True)
        )
    if users:
        forget_staff_roles(instance.tenant_id, users)
