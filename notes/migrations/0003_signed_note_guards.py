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
    elif schema_editor.connection.vendor == "sqlite":
        # Installed after migrate (notes.apps); migrating back past here rebuilds the tables they name.
        with schema_editor.connection.cursor() as cursor:
            guards.drop_sqlite(cursor)


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_builtin_service_types")]
    operations = [migrations.RunPython(install, uninstall)]
