import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    TreatmentPlan = apps.get_model("plans", "TreatmentPlan")
    Client = apps.get_model("clients", "Client")
    for client_id, practice_id in Client.objects.values_list("pk", "practice_id"):
        TreatmentPlan.objects.filter(client_id=client_id).update(practice_id=practice_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit"),
        ("clients", "0001_initial"),
        ("plans", "0007_bulk_exports"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatmentplan",
            name="practice",
            field=models.ForeignKey(
                editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="accounts.practice",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="treatmentplan",
            name="practice",
            field=models.ForeignKey(
                editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.practice"
            ),
        ),
        migrations.RemoveIndex(model_name="treatmentplan", name="plan_active_next_review_idx"),
        migrations.AddIndex(
            model_name="treatmentplan",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["practice", "next_review_date"],
                name="plan_active_review_by_practice",
            ),
        ),
    ]
