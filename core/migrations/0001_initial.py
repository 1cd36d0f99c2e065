"""The outbox and the idempotency store move from accounts to core, their tables kept.

State only: the tables `accounts_outboxmessage` and `accounts_idempotencyrecord` (and their index
and constraint) stay as accounts' migrations 0005 and 0007 made them, rows and all; accounts'
0009 drops the models from accounts' state. Their content types follow them to the new label, so
no stale or duplicate content type (and permission) is left behind.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types

class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0008_access_log_hmac_chain"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("task", models.CharField(max_length=200)),
                        ("args", models.JSONField(default=list)),
                        ("kwargs", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=200)),
                    ],
                    options={
                        "db_table": "accounts_outboxmessage",
                        "ordering": ["created_at", "pk"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)), fields=["created_at"], name="outbox_unsent"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("scope", models.CharField(help_text="Method and path, e.g. 'POST /api/v1/goals/'.", max_length=255)),
                        ("key_hash", models.CharField(max_length=64)),
                        ("fingerprint", models.CharField(help_text="SHA-256 of the request body as parsed.", max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("headers", models.JSONField(blank=True, default=dict)),
                        ("body", models.BinaryField(blank=True, default=b"")),
                        ("messages", models.JSONField(blank=True, default=list)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_idempotencyrecord",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "scope", "key_hash"), name="idempotency_key_once_per_user_route"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(model_names=("outboxmessage", "idempotencyrecord"), source="accounts", target="core"),
    ]
