from django import forms

from . import tenancy


class TenantModelForm(forms.ModelForm):
    """A model form for a tenant-owned model whose form does not show ``tenant``.

    Django skips unique checks that involve a field missing from the form, and every unique
    constraint here leads with ``tenant``; so the instance gets the active tenant up front and
    ``tenant`` is kept in validation, which makes a duplicate a clear field error.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = tenancy.current_tenant_or_none()
        if self.instance.tenant_id is None and tenant is not None:
            self.instance.tenant = tenant

    def _get_validation_exclusions(self):
        exclusions = super()._get_validation_exclusions()
        if self.instance.tenant_id is not None:
            exclusions.discard("tenant")
        return exclusions
