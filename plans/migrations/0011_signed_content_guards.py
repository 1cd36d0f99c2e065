"""Extend the signed-plan guards on PostgreSQL (see plans/lifecycle/guards.py): what a version quotes
(plans_planquote) is guarded like its other content, and a signature's canonical JSON can be
filled in once but never changed. On SQLite, plans.apps installs the same guards after migrate."""

from django.db import migrations

from plans.lifecycle import guards


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        guards.install_postgres(
            schema_editor,
            {"plans_planquote": guards.CONTENT_TABLES["plans_planquote"]},
            signature_columns=guards.SIGNATURE_COLUMNS_0011,
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS psyplan_guard ON plans_planquote;")
        guards.install_postgres(schema_editor, {}, stored_json=False, signature_columns=guards.SIGNATURE_COLUMNS_0011)


class Migration(migrations.Migration):
    dependencies = [("plans", "0010_signed_content_backfill")]
    operations = [migrations.RunPython(install, uninstall)]
