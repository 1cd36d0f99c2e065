"""The access log and the change history move from accounts to audit, their tables kept.

State only: `accounts_accesslog` and `accounts_changerecord`, with their rows, indexes, the
append-only and history triggers of accounts' migration 0004 and the HMAC chain of 0008, stay as
they are; accounts' 0009 drops the models from accounts' state. Their content types follow them to
the new label, so no stale or duplicate content type (and permission) is left behind.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types

class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # 0008 re-chains the log through accounts' historical AccessLog: it runs before the move.
        ("accounts", "0008_access_log_hmac_chain"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AccessLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True)),
                        ("actor_email", models.CharField(blank=True, max_length=254)),
                        ("action", models.CharField(db_index=True, max_length=40)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[("ok", "Succeeded"), ("denied", "Denied"), ("failed", "Failed")],
                                default="ok",
                                max_length=10,
                            ),
                        ),
                        ("object_type", models.CharField(blank=True, max_length=40)),
                        ("object_id", models.CharField(blank=True, max_length=64)),
                        ("client_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=300)),
                        ("detail", models.CharField(blank=True, max_length=300)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "practice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.practice",
                            ),
                        ),
                        (
                            "subject_practice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.practice",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_accesslog",
                        "ordering": ["-at", "-pk"],
                        "indexes": [
                            models.Index(fields=["practice", "at"], name="accounts_ac_practic_f4cd2b_idx"),
                            models.Index(fields=["subject_practice", "at"], name="accounts_ac_subject_998bd1_idx"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ChangeRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True)),
                        ("table", models.CharField(max_length=63)),
                        ("row_id", models.CharField(max_length=64)),
                        ("operation", models.CharField(max_length=6)),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_changerecord",
                        "ordering": ["-at", "-pk"],
                        "indexes": [models.Index(fields=["table", "row_id"], name="accounts_ch_table_416dcb_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(model_names=("accesslog", "changerecord"), source="accounts", target="audit"),
    ]
