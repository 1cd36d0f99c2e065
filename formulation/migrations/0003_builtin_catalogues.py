"""Built-in catalogues: OPD-2 conflict types and DMRS defenses by maturity level."""

from django.db import migrations

CONFLICT_TYPES = [
    ("individuation-dependency", "Individuation vs dependency", "Closeness and distance: needing others versus needing to be separate.", True),
    ("submission-control", "Submission vs control", "Yielding versus dominating in relationships.", True),
    ("care-self-sufficiency", "Desire for care vs self-sufficiency", "Longing to be looked after versus insisting on needing no one.", True),
    ("self-worth", "Self-worth", "Fragile self-esteem defended by devaluing the self or others.", True),
    ("guilt", "Guilt", "Taking on or refusing blame; self-reproach versus blaming others.", True),
    ("oedipal", "Oedipal", "Rivalry, recognition and sexuality; being attractive and competing.", True),
    ("identity", "Identity", "Dissonance between parts of the self and roles.", True),
    (
        "limited-perception",
        "Limited perception of conflicts and feelings",
        "Conflicts and feelings are not perceived; not assessable as a conflict.",
        False,
    ),
]

DEFENSES = {
    7: ["Affiliation", "Altruism", "Anticipation", "Humour", "Self-assertion", "Self-observation", "Sublimation", "Suppression"],
    6: ["Isolation of affect", "Intellectualization", "Undoing"],
    5: ["Repression", "Dissociation", "Reaction formation", "Displacement"],
    4: ["Devaluation", "Idealization", "Omnipotence"],
    3: ["Denial", "Projection", "Rationalization", "Autistic fantasy"],
    2: ["Splitting of self or other images", "Projective identification"],
    1: ["Acting out", "Help-rejecting complaining", "Passive aggression"],
}


def add(apps, schema_editor):
    ConflictType = apps.get_model("formulation", "ConflictType")
    DefenseMechanism = apps.get_model("formulation", "DefenseMechanism")
    for order, (code, name, description, assessable) in enumerate(CONFLICT_TYPES):
        ConflictType.objects.update_or_create(
            practice=None,
            code=code,
            defaults={"name": name, "description": description, "assessable_as_conflict": assessable, "order": order},
        )
    for level, names in DEFENSES.items():
        for name in names:
            DefenseMechanism.objects.update_or_create(practice=None, name=name, defaults={"level": level})


class Migration(migrations.Migration):
    dependencies = [("formulation", "0002_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
