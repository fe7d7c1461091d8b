import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import tenancy
from .roles import Role


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Tenant(models.Model):
    """One business. A platform table: it is not itself scoped."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[_validate_time_zone]
    )
    phone_region = models.CharField(_("phone region"), max_length=2, default="CN")
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self):
        return timezone.now().astimezone(self.tzinfo)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Fails closed: with no active tenant every query raises ``NoActiveTenant``."""

    def get_queryset(self):
        scope = tenancy.current_scope()
        if scope is None:
            raise tenancy.NoActiveTenant(
                f"{self.model.__name__} is tenant-owned and no tenant is active."
            )
        queryset = super().get_queryset()
        if scope is tenancy.ALL_TENANTS:
            return queryset
        return queryset.filter(tenant=scope)


def unindexed_tenant(**options):
    """The ``tenant`` field of a busy table whose every index leads with the tenant: the
    single-column index Django adds to a foreign key would be written by every insert (and every
    update that moves a row) and serve no query that those indexes do not. ``options`` go to the
    ``ForeignKey`` (tiers' bulk tables also drop the constraint: ``db_constraint=False``)."""
    return models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
        **options,
    )


class TenantOwnedModel(models.Model):
    """Base for every tenant-owned table: a non-null tenant and a scoped default manager."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )

    dangerously_unscoped = models.Manager()
    objects = TenantManager()  # the default manager (Meta.default_manager_name)

    class Meta:
        abstract = True
        default_manager_name = "objects"
        base_manager_name = "dangerously_unscoped"

    def save(self, *args, **kwargs):
        active = tenancy.current_tenant_or_none()
        if self.tenant_id is None:
            self.tenant = tenancy.current_tenant()
        elif active is not None and active.pk != self.tenant_id:
            raise tenancy.NoActiveTenant(
                f"Refusing to save a {type(self).__name__} of tenant {self.tenant_id} "
                f"while tenant {active.pk} is active."
            )
        super().save(*args, **kwargs)


class Store(TenantOwnedModel):
    """A branch, store or department of a tenant (门店 / 部门)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=30)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="store_code_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class StaffRole(TenantOwnedModel):
    """A person's role in one tenant. A person may hold one role in each of several tenants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_roles",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    store = models.ForeignKey(
        Store,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("home store"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_role_per_user_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class ApiKey(TenantOwnedModel):
    """A tenant's API key. Only a SHA-256 of the secret is stored; the key is shown once."""

    PREFIX = "mk"

    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("key id"), max_length=16, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "key_id"], name="api_key_id_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.key_id}_…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def split(cls, raw_key: str) -> tuple[str, str] | None:
        parts = raw_key.strip().split("_")
        if len(parts) != 3 or parts[0] != cls.PREFIX or not parts[1] or not parts[2]:
            return None
        return parts[1], parts[2]

    def issue(self) -> str:
        """Give this (unsaved) key a fresh id and secret; return the full key to show once."""
        self.key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32).replace("_", "x")
        self.secret_hash = self.hash_secret(secret)
        return f"{self.PREFIX}_{self.key_id}_{secret}"

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, self.hash_secret(secret))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(TenantOwnedModel):
    """The first response to a POST that carried an ``Idempotency-Key``, replayed on repeats."""

    tenant = unindexed_tenant()  # the unique (tenant, key) index leads with it

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    # The first response as it was sent: its body (rendered JSON, so text) and the headers the
    # view set (Content-Type, Location, …), replayed unchanged.
    response_content = models.TextField(null=True)
    response_headers = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "key"], name="idempotency_key_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.key


class PeriodicRun(models.Model):
    """One row per (job, period, scope). A periodic job claims its period before it runs, so a
    second scheduler started by mistake finds the period taken and does nothing. ``scope`` is
    ``"*"`` for a platform-wide run or ``"t<tenant id>"`` for one tenant's share of it; it is a
    platform table, not tenant-owned, because the fan-out itself spans tenants."""

    job = models.CharField(max_length=100)
    period = models.CharField(max_length=40)
    scope = models.CharField(max_length=20, default="*")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period", "scope"], name="periodic_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period} {self.scope}"

    @classmethod
    def claim(cls, job: str, period: str, tenant_id: int | None = None) -> bool:
        """True for the first caller of (job, period, tenant); False for every later one."""
        scope = "*" if tenant_id is None else f"t{tenant_id}"
        _, created = cls.objects.get_or_create(job=job, period=period, scope=scope)
        return created
