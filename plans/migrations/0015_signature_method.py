"""How a client's agreement was given (issue 15: in session, or through a client link).

Every client agreement before this was recorded by the clinician in session, so those rows say
so; staff signatures stay blank. The backfill runs under the guard as it was (which did not know
the column), then the signature guard is reinstalled with the method among what cannot change.
On SQLite the guards are dropped around migrate and reinstalled after it (plans/lifecycle/guards.py).
"""

from django.db import migrations, models

from plans.lifecycle import guards


def in_session(apps, schema_editor):
    Signature = apps.get_model("plans", "Signature")
    # A voided signature cannot be updated at all; client agreements are never voided.
    Signature.objects.filter(meaning="client_agreement", voided_at__isnull=True).update(signing_method="in_session")


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        guards.install_postgres(schema_editor, {})


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        guards.install_postgres(schema_editor, {}, signature_columns=guards.SIGNATURE_COLUMNS_0011)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0014_clients_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="signing_method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("in_session", "In session, recorded by the clinician"),
                    ("client_link", "Through a client link, typed by the client"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.RunPython(in_session, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
