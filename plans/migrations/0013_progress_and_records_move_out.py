# The progress models moved to progress/ and the bulk-export models to records/, with their tables:
# only Django's idea of where they live changes here, no table or row is touched. progress/0001_initial
# and records/0001_initial create them in their new apps (and move their content types) right after.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0012_plan_template_provenance"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ObjectiveProgress"),
                migrations.DeleteModel(name="MeasureScore"),
                migrations.DeleteModel(name="ProgressReview"),
                migrations.DeleteModel(name="ReviewSchedulerRun"),
                migrations.DeleteModel(name="BulkExportItem"),
                migrations.DeleteModel(name="BulkExport"),
            ],
            database_operations=[],
        ),
    ]
