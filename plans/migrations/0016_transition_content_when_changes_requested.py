"""What a supervisor read when they asked for changes, kept with their request.

Until now only the author's signature held it, and that signature is voided by the request and
loses any tie to it once the plan is resubmitted. The backfill copies, for each earlier request,
the JSON of the author's signature it voided (the last one given before the request).
"""

from django.db import migrations, models


def from_voided_signatures(apps, schema_editor):
    PlanTransition = apps.get_model("plans", "PlanTransition")
    Signature = apps.get_model("plans", "Signature")
    for transition in PlanTransition.objects.filter(to_status="changes_requested", content_when_changes_requested=""):
        signed = (
            Signature.objects.filter(
                plan_id=transition.plan_id, meaning="authored", signed_at__lte=transition.created_at
            )
            .exclude(canonical_json="")
            .order_by("-signed_at", "-pk")
            .values_list("canonical_json", flat=True)
            .first()
        )
        if signed:
            PlanTransition.objects.filter(pk=transition.pk).update(content_when_changes_requested=signed)


class Migration(migrations.Migration):
    dependencies = [("plans", "0015_signature_method")]

    operations = [
        migrations.AddField(
            model_name="plantransition",
            name="content_when_changes_requested",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(from_voided_signatures, migrations.RunPython.noop),
    ]
