"""Rows written before ``core.actors`` named staff by username: relabel them by the one rule
(``staff #<user id>``) wherever the user is known, so that no log keeps a person's name."""

from django.db import migrations

SQL = [
    f"UPDATE membership_{table} SET actor = 'staff #' || user_id "
    "WHERE user_id IS NOT NULL AND actor NOT LIKE 'staff #%'"
    for table in ("memberchange", "piiaccesslog")
]


class Migration(migrations.Migration):
    dependencies = [("membership", "0008_phone_search_indexes")]

    operations = [migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in SQL]
