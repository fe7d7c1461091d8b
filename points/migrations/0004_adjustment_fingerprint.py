"""Adjustment requests get the fingerprint every other posting has, so one idempotency mechanism
(``points.actions.idempotency``) serves them all; existing requests get theirs computed as
``points.ledger.fingerprint("adjustment", member, points, reason)`` does."""

import hashlib
import json

from django.db import migrations, models


def fill_fingerprints(apps, schema_editor):
    AdjustmentRequest = apps.get_model("points", "AdjustmentRequest")
    for request in AdjustmentRequest.objects.only("member_id", "points", "reason").iterator():
        parts = ("adjustment", request.member_id, request.points, request.reason)
        payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
        request.fingerprint = hashlib.sha256(payload.encode()).hexdigest()
        request.save(update_fields=["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_lean_ledger_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="adjustmentrequest",
            name="fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(fill_fingerprints, migrations.RunPython.noop),
    ]
