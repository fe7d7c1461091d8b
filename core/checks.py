from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, Warning, register
from django.core.files.storage import storages

from . import keys


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error("SECRET_KEY is the development default.", hint="Set SECRET_KEY.", id="core.E001")
        ]
    return []


@register(Tags.security, deploy=True)
def pii_keys_are_set(app_configs, **kwargs):
    """The personal-data keys must be keys of their own, not the development defaults derived
    from SECRET_KEY: otherwise rotating SECRET_KEY (a routine step after a leak) makes every
    encrypted ID number unreadable and every lookup digest wrong, and anyone who learns
    SECRET_KEY can decrypt them."""
    derived = []
    if keys.derived_key(keys.ENCRYPTION, settings.SECRET_KEY) in settings.PII_ENCRYPTION_KEYS:
        derived.append("PII_ENCRYPTION_KEYS")
    if keys.derived_key(keys.LOOKUP, settings.SECRET_KEY) == settings.PII_HMAC_KEY:
        derived.append("PII_HMAC_KEY")
    if not derived:
        return []
    return [
        Warning(
            f"{' and '.join(derived)} {'is' if len(derived) == 1 else 'are'} derived from "
            "SECRET_KEY (the development default).",
            hint=(
                "Set PII_ENCRYPTION_KEYS (a Fernet key) and PII_HMAC_KEY to keys of their own and "
                "keep them out of the database backups; see docs/members.md. Changing SECRET_KEY "
                "would otherwise make the stored ID numbers unreadable."
            ),
            id="core.W001",
        )
    ]


@register(Tags.staticfiles)
def static_files_are_collected(app_configs, **kwargs):
    """Without DEBUG the static files are served from their manifest (hashed names, see
    ``STORAGES``): before ``collectstatic`` has written it, every page that links a stylesheet
    fails with a server error. Say so when the server starts instead."""
    storage = storages.create_storage(settings.STORAGES["staticfiles"])
    if not isinstance(storage, ManifestFilesMixin) or storage.exists(storage.manifest_name):
        return []
    return [
        Warning(
            "Static files are not collected: without DEBUG every page would fail.",
            hint=(
                "Run `python manage.py collectstatic --noinput` first (`make serve` does), or "
                "set DEBUG=1 for development (`make run`)."
            ),
            id="core.W002",
        )
    ]
