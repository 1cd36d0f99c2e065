"""Built-in service types; each practice may add its own beside them."""

from django.db import migrations

SERVICE_TYPES = [
    ("intake", "Intake"),
    ("individual", "Individual"),
    ("couple", "Couple"),
    ("family", "Family"),
    ("group", "Group"),
]


def add(apps, schema_editor):
    # Idempotent: tests/conftest.py runs it again after a transactional test's flush.
    ServiceType = apps.get_model("notes", "ServiceType")
    for order, (code, name) in enumerate(SERVICE_TYPES):
        ServiceType.objects.update_or_create(practice=None, code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
