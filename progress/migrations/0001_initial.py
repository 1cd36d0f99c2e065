# Moves the progress models out of plans without touching their tables: the state is created here
# after plans/0013_progress_and_records_move_out has deleted it there; the rows stay where they are.
# Deleted first, created second: no migration state holds the model in both apps, so a partial
# migrate never makes post_migrate create a second content type for it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0002_lifecycle"),
        ("clients", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("plans", "0013_progress_and_records_move_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProgressReview",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("due_date", models.DateField()),
                        ("status", models.CharField(choices=[("scheduled", "Scheduled"), ("due", "Due"), ("overdue", "Overdue"), ("completed", "Completed"), ("cancelled", "Cancelled")], default="scheduled", max_length=12)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("notified_at", models.DateTimeField(blank=True, null=True)),
                        ("escalated_at", models.DateTimeField(blank=True, null=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                        ("completed_on", models.DateField(blank=True, null=True)),
                        ("alliance_bond", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="bond")),
                        ("alliance_goals", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="agreement on goals")),
                        ("alliance_tasks", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="agreement on tasks")),
                        ("alliance_note", models.TextField(blank=True, max_length=4000, verbose_name="ruptures or resistance")),
                        ("summary", models.TextField(blank=True, max_length=8000)),
                        ("decision", models.CharField(blank=True, choices=[("continue", "Continue the plan unchanged"), ("revise", "Revise the plan (start an amendment)"), ("discharge", "Discharge (close the plan and discharge the client)")], max_length=12)),
                        ("completed_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("plan", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reviews", to="plans.treatmentplan")),
                    ],
                    options={
                        "db_table": "plans_progressreview",
                        "ordering": ["due_date", "pk"],
                        "indexes": [models.Index(fields=["status", "due_date"], name="plans_progr_status_884067_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=("plan", "due_date"), name="review_one_per_plan_and_due_date"),
                            models.CheckConstraint(condition=models.Q(("alliance_bond__isnull", True), models.Q(("alliance_bond__gte", 1), ("alliance_bond__lte", 5)), _connector="OR"), name="review_alliance_bond_1_to_5"),
                            models.CheckConstraint(condition=models.Q(("alliance_goals__isnull", True), models.Q(("alliance_goals__gte", 1), ("alliance_goals__lte", 5)), _connector="OR"), name="review_alliance_goals_1_to_5"),
                            models.CheckConstraint(condition=models.Q(("alliance_tasks__isnull", True), models.Q(("alliance_tasks__gte", 1), ("alliance_tasks__lte", 5)), _connector="OR"), name="review_alliance_tasks_1_to_5"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="MeasureScore",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("recorded_on", models.DateField()),
                        ("item_scores", models.JSONField(blank=True, default=list)),
                        ("total", models.IntegerField()),
                        ("band", models.CharField(blank=True, max_length=40)),
                        ("risk_flag", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("client", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="measure_scores", to="clients.client")),
                        ("definition", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="scores", to="plans.measuredefinition")),
                        ("plan", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="scores", to="plans.treatmentplan")),
                        ("recorded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("review", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="scores", to="progress.progressreview")),
                    ],
                    options={
                        "db_table": "plans_measurescore",
                        "ordering": ["recorded_on", "created_at"],
                        "indexes": [models.Index(fields=["client", "definition", "recorded_on"], name="plans_measu_client__3e637e_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="ObjectiveProgress",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("status", models.CharField(choices=[("not_started", "Not started"), ("progressing", "Progressing"), ("partially_met", "Partially met"), ("met", "Met"), ("revised", "Revised"), ("discontinued", "Discontinued")], max_length=20)),
                        ("rating", models.PositiveSmallIntegerField(verbose_name="progress (%)")),
                        ("evidence", models.TextField(blank=True, max_length=4000, verbose_name="evidence observed")),
                        ("achievement", models.CharField(blank=True, max_length=20)),
                        ("objective", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="progress", to="plans.objective")),
                        ("review", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="progress.progressreview")),
                    ],
                    options={
                        "db_table": "plans_objectiveprogress",
                        "ordering": ["pk"],
                        "constraints": [
                            models.UniqueConstraint(fields=("review", "objective"), name="progress_one_per_objective_per_review"),
                            models.CheckConstraint(condition=models.Q(("rating__lte", 100)), name="progress_rating_at_most_100"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ReviewSchedulerRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("run_date", models.DateField()),
                        ("started_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("created", models.PositiveIntegerField(default=0)),
                        ("marked_due", models.PositiveIntegerField(default=0)),
                        ("marked_overdue", models.PositiveIntegerField(default=0)),
                        ("escalated", models.PositiveIntegerField(default=0)),
                        ("practice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.practice")),
                    ],
                    options={
                        "db_table": "plans_reviewschedulerrun",
                        "constraints": [models.UniqueConstraint(fields=("practice", "run_date"), name="scheduler_run_once_per_day")],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(model_names=("measurescore", "progressreview", "objectiveprogress", "reviewschedulerrun"), source="plans", target="progress"),
    ]
