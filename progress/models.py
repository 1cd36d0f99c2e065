"""Progress reviews, what each found for the plan's objectives, recorded outcome-measure scores and the
review scheduler's runs. The models moved here from plans and kept their tables (db_table)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.access import CaseloadQuerySet
from core.dates import ClinicalDateField


class MeasureScoreQuerySet(CaseloadQuerySet):
    client_path = "client"


class MeasureScore(models.Model):
    """A recorded outcome-measure score, at a review or at any session."""

    class Source(models.TextChoices):
        CLINICIAN = "clinician", "Clinician-entered"
        # Answered by the client through a client link (issue 15), scored the same way.
        CLIENT = "client", "Client-reported"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="measure_scores")
    definition = models.ForeignKey("plans.MeasureDefinition", on_delete=models.PROTECT, related_name="scores")
    plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="scores"
    )
    review = models.ForeignKey("ProgressReview", null=True, blank=True, on_delete=models.PROTECT, related_name="scores")
    recorded_on = ClinicalDateField()
    item_scores = models.JSONField(default=list, blank=True)
    total = models.IntegerField()
    band = models.CharField(max_length=40, blank=True)
    # PHQ-9 item 9 above 0: thoughts of self-harm. Shown wherever the score is.
    risk_flag = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeasureScoreQuerySet.as_manager()

    class Meta:
        # Moved from plans with its table, index and constraint names (progress/migrations/0001_initial.py).
        db_table = "plans_measurescore"
        ordering = ["recorded_on", "created_at"]
        indexes = [models.Index(fields=["client", "definition", "recorded_on"], name="plans_measu_client__3e637e_idx")]

    def __str__(self) -> str:
        return f"{self.definition.name} {self.total} on {self.recorded_on}"

    @property
    def is_client_reported(self) -> bool:
        return self.source == self.Source.CLIENT


class CcrtJudgement(models.TextChoices):
    NOT_RECORDED = "", "Not reviewed"
    CONFIRMED = "confirmed", "Confirmed as the plan states it"
    EDITED = "edited", "Edited from the episodes"


class ProgressReviewQuerySet(CaseloadQuerySet):
    client_path = "plan__client"

    def open(self):
        return self.filter(status__in=ProgressReview.OPEN_STATUSES)


class ProgressReview(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue the plan unchanged"
        REVISE = "revise", "Revise the plan (start an amendment)"
        DISCHARGE = "discharge", "Discharge (close the plan and discharge the client)"

    OPEN_STATUSES = ("scheduled", "due", "overdue")
    CcrtJudgement = CcrtJudgement

    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="reviews")
    # The plan's next review date when it was scheduled (computed, like that date).
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = ClinicalDateField(null=True, blank=True)
    alliance_bond = models.PositiveSmallIntegerField("bond", null=True, blank=True)
    alliance_goals = models.PositiveSmallIntegerField("agreement on goals", null=True, blank=True)
    alliance_tasks = models.PositiveSmallIntegerField("agreement on tasks", null=True, blank=True)
    alliance_note = models.TextField("ruptures or resistance", max_length=4000, blank=True)
    summary = models.TextField(max_length=8000, blank=True)
    decision = models.CharField(max_length=12, choices=Decision, blank=True)
    # The clinician's judgement of the plan's CCRT against the episodes told since the last review.
    # A signed plan's formulation never changes in place, so the judgement is the review's: an edited
    # CCRT is kept here and carried into the amendment when the review decides to revise the plan.
    ccrt_judgement = models.CharField("CCRT", max_length=12, choices=CcrtJudgement, blank=True)
    ccrt_wish = models.TextField("wish", max_length=2000, blank=True)
    ccrt_response_of_other = models.TextField("response of other", max_length=2000, blank=True)
    ccrt_response_of_self = models.TextField("response of self", max_length=2000, blank=True)

    objects = ProgressReviewQuerySet.as_manager()

    class Meta:
        db_table = "plans_progressreview"
        ordering = ["due_date", "pk"]
        constraints = [
            # Makes scheduling idempotent: one review per plan version and due date, however often it runs.
            models.UniqueConstraint(fields=["plan", "due_date"], name="review_one_per_plan_and_due_date"),
            models.CheckConstraint(
                condition=Q(alliance_bond__isnull=True) | Q(alliance_bond__gte=1, alliance_bond__lte=5),
                name="review_alliance_bond_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(alliance_goals__isnull=True) | Q(alliance_goals__gte=1, alliance_goals__lte=5),
                name="review_alliance_goals_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(alliance_tasks__isnull=True) | Q(alliance_tasks__gte=1, alliance_tasks__lte=5),
                name="review_alliance_tasks_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="plans_progr_status_884067_idx")]

    def __str__(self) -> str:
        return f"Review of {self.plan} due {self.due_date}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ObjectiveProgressQuerySet(CaseloadQuerySet):
    client_path = "review__plan__client"


class ObjectiveProgress(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PROGRESSING = "progressing", "Progressing"
        PARTIALLY_MET = "partially_met", "Partially met"
        MET = "met", "Met"
        REVISED = "revised", "Revised"
        DISCONTINUED = "discontinued", "Discontinued"

    review = models.ForeignKey(ProgressReview, on_delete=models.PROTECT, related_name="entries")
    objective = models.ForeignKey("plans.Objective", on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=20, choices=Status)
    rating = models.PositiveSmallIntegerField("progress (%)")
    evidence = models.TextField("evidence observed", max_length=4000, blank=True)
    # What the bound measure said at the review, e.g. "improving".
    achievement = models.CharField(max_length=20, blank=True)

    objects = ObjectiveProgressQuerySet.as_manager()

    class Meta:
        db_table = "plans_objectiveprogress"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "objective"], name="progress_one_per_objective_per_review"),
            models.CheckConstraint(condition=Q(rating__lte=100), name="progress_rating_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.objective}: {self.get_status_display()}"


class ReviewSchedulerRun(models.Model):
    """One practice's daily scheduler run; finished_at stays empty if a worker died mid-run."""

    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    run_date = ClinicalDateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    marked_due = models.PositiveIntegerField(default=0)
    marked_overdue = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "plans_reviewschedulerrun"
        constraints = [models.UniqueConstraint(fields=["practice", "run_date"], name="scheduler_run_once_per_day")]

    def __str__(self) -> str:
        return f"Review scheduler for {self.practice} on {self.run_date}"


class ClientAllianceRatingQuerySet(CaseloadQuerySet):
    client_path = "client"


class ClientAllianceRating(models.Model):
    """The alliance as the client rates it (issue 15), on the same three 1-5 dimensions the clinician
    rates at review, so the two can be laid side by side. Answered through a client link; progress
    keeps only the link's id, as participation sits above it."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="alliance_ratings")
    # The plan version active when the client answered, if any.
    plan = models.ForeignKey("plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    bond = models.PositiveSmallIntegerField()
    goals = models.PositiveSmallIntegerField("agreement on goals")
    tasks = models.PositiveSmallIntegerField("agreement on tasks")
    comment = models.TextField(max_length=2000, blank=True)
    recorded_on = ClinicalDateField()
    # The participation.ClientLink it came through (a plain id: progress does not import participation).
    source_link_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientAllianceRatingQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_on", "created_at", "pk"]
        indexes = [models.Index(fields=["client", "recorded_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(bond__gte=1, bond__lte=5), name="client_alliance_bond_1_to_5"),
            models.CheckConstraint(condition=Q(goals__gte=1, goals__lte=5), name="client_alliance_goals_1_to_5"),
            models.CheckConstraint(condition=Q(tasks__gte=1, tasks__lte=5), name="client_alliance_tasks_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"Client-rated alliance {self.bond}/{self.goals}/{self.tasks} on {self.recorded_on}"

    @property
    def values(self) -> tuple[int, int, int]:
        return (self.bond, self.goals, self.tasks)
