"""Install the signed-note guards on PostgreSQL (see notes/guards.py).

On SQLite the same guards are installed after every migrate by notes.apps, not here.
"""

from django.db import migrations

from notes import guards


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        guards.install_postgres(schema_editor)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        guards.uninstall_postgres(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_builtin_service_types")]
    operations = [migrations.RunPython(install, uninstall)]
