from django.db import migrations, models


class Migration(migrations.Migration):
    """Idempotency records keep the first response's rendered bytes (and its headers) instead of
    its data as jsonb, which reordered the keys of a replayed body. Records written before keep
    their body as jsonb's text with a JSON content type (their original bytes are gone)."""

    dependencies = [
        ("core", "0002_idempotency_record_unindexed_tenant"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_content",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_headers",
            field=models.JSONField(null=True),
        ),
        migrations.RunSQL(
            "UPDATE core_idempotencyrecord SET response_content = response_body::text, "
            """response_headers = '{"Content-Type": "application/json"}'::jsonb """
            "WHERE status_code IS NOT NULL",
            reverse_sql=(
                "UPDATE core_idempotencyrecord SET response_body = response_content::jsonb "
                "WHERE response_content IS NOT NULL AND response_content <> ''"
            ),
        ),
        migrations.RemoveField(
            model_name="idempotencyrecord",
            name="response_body",
        ),
    ]
