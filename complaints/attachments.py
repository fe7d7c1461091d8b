"""Image attachments: checked by content (Pillow), not by name or declared type.

Files live under MEDIA_ROOT in ``complaints/t<tenant>/<ticket>/<random>.<ext>`` and are served
only by ``complaints.views.attachment`` (a tenant view), never from /media/ directly.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .models import Attachment

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_TICKET = 6
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}


def check_image(upload) -> tuple[str, str]:
    """``(content_type, extension)`` of an acceptable image; raises ValidationError otherwise."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(name)s is not a picture (JPEG, PNG, WebP or GIF).") % {"name": upload.name},
            code="not_an_image",
        ) from None
    finally:
        upload.seek(0)
    if kind not in ALLOWED_FORMATS or width * height > MAX_PIXELS:
        raise ValidationError(
            _("%(name)s is not a picture (JPEG, PNG, WebP or GIF).") % {"name": upload.name},
            code="not_an_image",
        )
    return ALLOWED_FORMATS[kind]


def check_uploads(uploads, *, already: int = 0) -> None:
    if already + len(uploads) > MAX_PER_TICKET:
        raise ValidationError(
            _("At most %(count)d pictures per ticket.") % {"count": MAX_PER_TICKET},
            code="too_many",
        )
    for upload in uploads:
        check_image(upload)


def store_attachment(ticket, upload):

    if ticket.attachments.count() >= MAX_PER_TICKET:
        raise ValidationError(
            _("At most %(count)d pictures per ticket.") % {"count": MAX_PER_TICKET},
            code="too_many",
        )
    content_type, extension = check_image(upload)
    original = (upload.name or "")[:200]
    attachment = Attachment(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        content_type=content_type,
        size=upload.size,
        original_name=original,
    )
    attachment.file.save(f"upload{extension}", upload, save=False)
    attachment.save()
    return attachment
