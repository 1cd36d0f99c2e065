"""PHQ-9 and GAD-7, both free to use, with their published severity bands."""

from django.db import migrations

MEASURES = [
    {
        "code": "phq9",
        "name": "PHQ-9",
        "item_count": 9,
        "item_max": 3,
        "min_score": 0,
        "max_score": 27,
        "direction": "lower",
        "bands": [[0, 4, "minimal"], [5, 9, "mild"], [10, 14, "moderate"], [15, 19, "moderately severe"], [20, 27, "severe"]],
    },
    {
        "code": "gad7",
        "name": "GAD-7",
        "item_count": 7,
        "item_max": 3,
        "min_score": 0,
        "max_score": 21,
        "direction": "lower",
        "bands": [[0, 4, "minimal"], [5, 9, "mild"], [10, 14, "moderate"], [15, 21, "severe"]],
    },
]


def add(apps, schema_editor):
    MeasureDefinition = apps.get_model("plans", "MeasureDefinition")
    for fields in MEASURES:
        MeasureDefinition.objects.update_or_create(practice=None, code=fields["code"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_progress_reviews")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
