"""Ticket events written before ``core.actors`` named staff by their name and members as
"member <name>" / "会员 <name>": relabel them ``staff #<user id>`` and ``member #<id>``."""

from django.db import migrations

STAFF = (
    "UPDATE complaints_ticketevent SET actor_label = 'staff #' || actor_id "
    "WHERE actor_id IS NOT NULL AND actor_label NOT LIKE 'staff #%'"
)
MEMBERS = """
UPDATE complaints_ticketevent e SET actor_label = 'member #' || t.member_id
FROM complaints_ticket t JOIN membership_member m ON m.id = t.member_id
WHERE e.ticket_id = t.id AND e.actor_id IS NULL AND m.name <> ''
  AND e.actor_label IN ('member ' || m.name, '会员 ' || m.name)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_deadline_bounds"),
        ("membership", "0009_actor_labels"),
    ]

    operations = [
        migrations.RunSQL(STAFF, migrations.RunSQL.noop),
        migrations.RunSQL(MEMBERS, migrations.RunSQL.noop),
    ]
