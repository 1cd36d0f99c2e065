"""The access log, change history, outbox and idempotency store leave accounts' state.

audit's and core's 0001 took the models over; their tables, rows, indexes and triggers stay where
they are, so this drops the models from accounts' migration state only.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_access_log_hmac_chain"),
        ("audit", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AccessLog"),
                migrations.DeleteModel(name="ChangeRecord"),
                migrations.DeleteModel(name="OutboxMessage"),
                migrations.DeleteModel(name="IdempotencyRecord"),
            ],
            database_operations=[],
        ),
    ]
