# Moves the bulk-export models out of plans without touching their tables: the state is created here
# after plans/0013_progress_and_records_move_out has deleted it there; the rows stay where they are.
# Deleted first, created second: no migration state holds the model in both apps, so a partial
# migrate never makes post_migrate create a second content type for it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0002_lifecycle"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("plans", "0013_progress_and_records_move_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BulkExport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("client_status", models.CharField(blank=True, help_text="Empty for all clients.", max_length=12)),
                        ("date_from", models.DateField(blank=True, null=True)),
                        ("date_to", models.DateField(blank=True, null=True)),
                        ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("finished", "Finished"), ("expired", "Expired")], default="queued", max_length=10)),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("zip_path", models.CharField(blank=True, max_length=300)),
                        ("zip_sha256", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("clinician", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("practice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.practice")),
                        ("requested_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "plans_bulkexport", "ordering": ["-created_at"]},
                ),
                migrations.CreateModel(
                    name="BulkExportItem",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("done", "Done"), ("failed", "Failed")], default="pending", max_length=10)),
                        ("file_name", models.CharField(blank=True, max_length=200)),
                        ("file_path", models.CharField(blank=True, max_length=300)),
                        ("sha256", models.CharField(blank=True, max_length=64)),
                        ("pages", models.PositiveIntegerField(default=0)),
                        ("error", models.CharField(blank=True, max_length=300)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("export", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="items", to="records.bulkexport")),
                        ("plan", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="plans.treatmentplan")),
                    ],
                    options={
                        "db_table": "plans_bulkexportitem",
                        "ordering": ["pk"],
                        "constraints": [models.UniqueConstraint(fields=("export", "plan"), name="export_item_once_per_plan")],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(model_names=("bulkexport", "bulkexportitem"), source="plans", target="records"),
    ]
