"""Points' reminder source for the notifications app: points that expire in N days.

Registered from ``PointsConfig.ready()``. One set-based query per tenant and day: the lots that
expire on (local date + the tenant's lead days), summed per member.
"""

import datetime

from django.db.models import Sum

from membership.models import MemberStatus
from notifications.hooks import ReminderItem
from notifications.selectors import reach

from .models import Lot


def points_expiring(tenant, local_date: datetime.date, settings):
    expires_on = local_date + datetime.timedelta(days=settings.points_lead_days)
    rows = (
        Lot.objects.filter(
            expires_at=expires_on,
            remaining__gt=0,
            account__member__status=MemberStatus.ACTIVE,
        )
        .values(
            "account__member_id",
            "account__member__name",
            "account__member__phone",
            "account__member__email",
            "account__member__language",
        )
        .annotate(points=Sum("remaining"))
        .order_by("account__member_id")
    )
    for row in rows.iterator(chunk_size=2000):
        to = reach(
            phone=row["account__member__phone"],
            email=row["account__member__email"],
            language=row["account__member__language"],
        )
        if to is None:
            continue
        member_id = row["account__member_id"]
        yield ReminderItem(
            member_id=member_id,
            channel=to.channel,
            recipient=to.recipient,
            language=to.language,
            template="points_expiring",
            context={
                "tenant": tenant.name,
                "name": row["account__member__name"],
                "points": row["points"],
                "expires_on": expires_on.isoformat(),
            },
            dedupe_key=f"points_expiring:{member_id}:{expires_on.isoformat()}",
        )
