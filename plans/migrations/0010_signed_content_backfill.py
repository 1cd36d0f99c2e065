"""Give every version submitted before quotes existed its own copy of what it quotes.

The copy is taken from the client's record as it is now: for a version whose chart number or
presenting problems were edited after signing, that is not what was signed, and
`manage.py verify_signatures` reports it (the signature's hash no longer matches). Signatures
themselves are not touched here: their canonical JSON is filled in, where the content still
hashes to the signed hash, by `manage.py verify_signatures --store-missing`.

On PostgreSQL this runs before migration 0011 puts the guard on the new table; on SQLite the
guards are dropped for the length of a migrate (plans/lifecycle/guards.py).
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

LOCKED = ("in_review", "active", "superseded", "closed")
PROBLEM_FIELDS = (
    "title",
    "diagnosis_code",
    "diagnosis_label",
    "severity",
    "clients_words",
    "observed_symptoms",
    "onset",
    "duration",
    "functional_impact",
)


def backfill(apps, schema_editor):
    TreatmentPlan = apps.get_model("plans", "TreatmentPlan")
    PlanQuote = apps.get_model("plans", "PlanQuote")
    Objective = apps.get_model("plans", "Objective")
    PresentingProblem = apps.get_model("clients", "PresentingProblem")
    plans = TreatmentPlan.objects.filter(status__in=LOCKED, quote__isnull=True).select_related("client")
    for plan in plans.iterator():
        on_plan = set(plan.presenting_problems.values_list("pk", flat=True))
        linked = Objective.objects.filter(goal__plan=plan).values("presenting_problems")
        problems = PresentingProblem.objects.filter(Q(pk__in=on_plan) | Q(pk__in=linked)).distinct()
        records = []
        for p in problems.order_by("created_at", "pk"):
            record = {"id": p.pk, "on_plan": p.pk in on_plan} | {name: getattr(p, name) for name in PROBLEM_FIELDS}
            record["created_at"] = p.created_at.isoformat()
            record["archived_at"] = p.archived_at.isoformat() if p.archived_at else None
            records.append(record)
        PlanQuote.objects.create(
            plan=plan, chart_number=plan.client.chart_number, problems=records, taken_at=timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0009_signed_content_quotes"),
        ("clients", "0001_initial"),
    ]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
