from django.conf import settings


def broker_status() -> dict:
    """Ping the Celery broker. With no broker configured tasks run in-process."""
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.startswith("memory://"):
        return {"ok": True, "mode": "in-process"}
    import redis  # reason: only with a Redis broker configured

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:  # any failure means "down"; the message says which
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "mode": "redis"}
