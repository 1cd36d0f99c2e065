"""Install the signed-plan guards on PostgreSQL (see plans/lifecycle/guards.py).

On SQLite the same guards are installed after every migrate by plans.apps, not here.
"""

import uuid

from django.db import migrations

from plans.lifecycle import guards


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The guards as they were at this migration (later ones extend them).
        guards.install_postgres(
            schema_editor, guards.CONTENT_TABLES_0004, stored_json=False, signature_columns=guards.SIGNATURE_COLUMNS_0011
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in [*guards.CONTENT_TABLES_0004, "plans_treatmentplan", "plans_signature"]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_guard ON {table};")


def distinct_lineages(apps, schema_editor):
    """AddField gave existing rows one shared default; each row needs its own lineage."""
    for app, model in [
        ("plans", "TreatmentPlan"),
        ("plans", "Goal"),
        ("plans", "Objective"),
        ("plans", "Intervention"),
        ("formulation", "CoreConflict"),
        ("formulation", "DefenseObservation"),
    ]:
        Model = apps.get_model(app, model)
        for pk in Model.objects.values_list("pk", flat=True):
            Model.objects.filter(pk=pk).update(lineage=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_lifecycle"),
        ("formulation", "0004_lifecycle"),
    ]
    operations = [
        migrations.RunPython(distinct_lineages, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
