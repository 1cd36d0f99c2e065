"""Reading a whole plan in a fixed number of queries, whatever its size."""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Prefetch

from formulation.models import CoreConflict, DefenseObservation
from plans.editor.smart import Finding, check_objective
from plans.lifecycle import canonical, quotes
from plans.models import Goal, Intervention, Objective, Signature, TreatmentPlan


@dataclass
class ObjectiveView:
    objective: Objective
    findings: list[Finding]
    interventions: list[Intervention] = field(default_factory=list)
    # The problems it is linked to, as the version quotes them (plans/lifecycle/quotes.py).
    problems: list = field(default_factory=list)

    @property
    def tied_to_formulation(self) -> bool:
        o = self.objective
        return bool(o.conflicts.all() or o.defenses.all() or o.addresses_relational_pattern)


@dataclass
class ThreadItem:
    """A formulation item and the objectives that work on it."""

    kind: str
    label: str
    detail: str
    objectives: list[Objective]


@dataclass
class PlanPage:
    plan: TreatmentPlan
    goals: list[tuple[Goal, list[ObjectiveView]]]
    interventions: list[Intervention]
    conflicts: list[CoreConflict]
    defenses: list[DefenseObservation]
    problems: list
    thread: list[ThreadItem]
    loose_objectives: list[Objective]
    unserved_objectives: list[Objective]
    comments: dict[str, list] = field(default_factory=dict)
    # A page loaded for one goal's frame (load_goal_part): how many of the plan's goals and objectives
    # lack the client's words, and how many there are.
    counts: tuple[int, int] | None = None

    @property
    def objectives(self) -> list[Objective]:
        return [view.objective for _, views in self.goals for view in views]

    @property
    def items_in_clinical_words(self) -> list[Goal | Objective]:
        """Goals and objectives with no text in the client's words: the client version reads their
        clinical statement instead (records/client_version.py), and the editor says so."""
        items = []
        for goal, views in self.goals:
            items += [goal] if not goal.clients_words else []
            items += [view.objective for view in views if not view.objective.clients_words]
        return items

    @property
    def clients_words_missing(self) -> int:
        return self.counts[0] if self.counts is not None else len(self.items_in_clinical_words)

    @property
    def item_count(self) -> int:
        return self.counts[1] if self.counts is not None else sum(1 + len(views) for _, views in self.goals)

    @property
    def unaddressed_items(self) -> list[ThreadItem]:
        return [item for item in self.thread if not item.objectives]


def plan_queryset():
    return TreatmentPlan.objects.select_related(
        "client__practice", "author", "formulation", "client__primary_clinician", "quote"
    )


# A client's plan is still in play in these: a new plan beside it is a second, parallel plan.
OPEN_STATUSES = (
    TreatmentPlan.Status.DRAFT,
    TreatmentPlan.Status.IN_REVIEW,
    TreatmentPlan.Status.CHANGES_REQUESTED,
    TreatmentPlan.Status.ACTIVE,
)


def open_plans_of(client, *, user) -> list[TreatmentPlan]:
    """The client's plans still in play, newest version first, each with whether it awaits an amendment."""
    plans = list(
        TreatmentPlan.objects.visible_to(user)
        .filter(client=client, status__in=OPEN_STATUSES)
        .select_related("next_version")
        .order_by("-version_number", "-pk")
    )
    for plan in plans:
        # An active version with no amendment under way is amended rather than replaced.
        plan.amendable = plan.status == TreatmentPlan.Status.ACTIVE and not hasattr(plan, "next_version")
    return plans


def load_plan_page(plan: TreatmentPlan, *, today: dt.date, content_hash: str | None = None) -> PlanPage:
    """The whole plan. A final (immutable) version's page is cached under its content hash as
    computed from the database for this request (pass it in when it is already known, else it is
    computed here), so a cached page is only ever served for exactly the content the database holds
    now; a comment or the day turning also makes a new page."""
    if not plan.is_final:
        return _load_plan_page(plan, today=today)

    key = locked_page_key(plan, today, content_hash=content_hash)
    page = cache.get(key)
    if page is None:
        page = _load_plan_page(plan, today=today)
        cache.set(key, page, 60 * 60)
    page.plan = plan
    return page


def locked_page_key(plan: TreatmentPlan, today: dt.date, *, content_hash: str | None = None) -> str:
    """What a final version's page depends on: its content as the database holds it now (the
    canonical hash, computed afresh), the day (SMART checks look at dates) and its comments."""
    cached = getattr(plan, "_locked_page_key", None)
    if cached and cached[0] == (today, content_hash):
        return cached[1]
    current = content_hash or canonical.content_hash(plan)
    stamp = plan.comments.aggregate(n=Count("pk"), c=Max("created_at"), r=Max("resolved_at"))
    depends_on = (
        f"{plan.lineage}:{plan.version_number}:{plan.status}:{current}:{today}:{stamp['n']}:{stamp['c']}:{stamp['r']}"
    )
    key = f"plan-page:v2:{plan.pk}:" + hashlib.sha256(depends_on.encode()).hexdigest()
    plan._locked_page_key = ((today, content_hash), key)
    return key


def load_goal_part(plan: TreatmentPlan, goal_id: int, *, today: dt.date) -> PlanPage:
    """A draft's page as far as one goal's frame shows it, for the answer to a save of that goal:
    every goal, only that one with its objectives, each built as load_plan_page builds it (so their
    fragments have the same keys and content), and the counts of the clients'-words note over the
    whole plan; no formulation items, golden thread or intervention list. What it reads does not
    grow with the other goals' objectives or the plan's interventions."""
    return _load_plan_page(plan, today=today, only_goal=goal_id)


def _load_plan_page(plan: TreatmentPlan, *, today: dt.date, only_goal: int | None = None) -> PlanPage:
    formulation = plan.formulation
    current_objectives = Objective.objects.current().prefetch_related(
        "presenting_problems",
        Prefetch("conflicts", queryset=CoreConflict.objects.select_related("conflict_type")),
        Prefetch("defenses", queryset=DefenseObservation.objects.select_related("mechanism")),
    )
    interventions = plan.interventions.current()
    counts = None
    if only_goal is not None:
        current_objectives = current_objectives.filter(goal_id=only_goal)
        # Only those that serve one of its objectives: they are named on them.
        interventions = interventions.filter(
            pk__in=Intervention.objects.filter(objectives__goal_id=only_goal, objectives__removed_at__isnull=True)
        )
    goals = list(plan.goals.current().prefetch_related(Prefetch("objectives", queryset=current_objectives)))
    interventions = list(
        interventions.select_related("technique").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.current())
        )
    )
    if only_goal is not None:
        words = list(
            Objective.objects.current().filter(goal__in=[g.pk for g in goals]).values_list("clients_words", flat=True)
        )
        missing = sum(1 for g in goals if not g.clients_words) + sum(1 for w in words if not w)
        counts = (missing, len(goals) + len(words))
        conflicts, defenses = [], []
    else:
        conflicts = list(formulation.conflicts.current().select_related("conflict_type"))
        defenses = list(formulation.defenses.current().select_related("mechanism"))
    problems = quotes.plan_problems(plan)
    quoted = quotes.quoted_problems(plan)

    serving: dict[int, list[Intervention]] = {}
    for intervention in interventions:
        for objective in intervention.objectives.all():
            serving.setdefault(objective.pk, []).append(intervention)

    goal_views = []
    for goal in goals:
        views = []
        for objective in goal.objectives.all():
            findings = check_objective(
                statement=objective.statement,
                measure=objective.measure,
                target=objective.target,
                baseline=objective.baseline,
                target_date=objective.target_date,
                has_goal=True,
                problem_count=len(objective.presenting_problems.all()),
                plan_start=plan.start_date,
                plan_horizon=plan.horizon_date,
                today=today,
            )
            linked = list(objective.presenting_problems.all())
            if quoted is not None:
                linked = [quoted.get(p.pk, p) for p in linked]
            views.append(ObjectiveView(objective, findings, serving.get(objective.pk, []), linked))
        goal_views.append((goal, views))

    all_objectives = [view.objective for _, views in goal_views for view in views]
    thread = []
    for conflict in conflicts:
        works_on = [o for o in all_objectives if any(c.pk == conflict.pk for c in o.conflicts.all())]
        thread.append(ThreadItem("Conflict", conflict.conflict_type.name, conflict.get_intensity_display(), works_on))
    for defense in defenses:
        works_on = [o for o in all_objectives if any(d.pk == defense.pk for d in o.defenses.all())]
        thread.append(ThreadItem("Defense", defense.mechanism.name, defense.mechanism.get_level_display(), works_on))
    if formulation.has_relational_pattern and only_goal is None:
        works_on = [o for o in all_objectives if o.addresses_relational_pattern]
        thread.append(ThreadItem("Relational pattern", "CCRT", formulation.ccrt_wish[:80], works_on))
    loose = [view.objective for _, views in goal_views for view in views if not view.tied_to_formulation]
    unserved = [view.objective for _, views in goal_views for view in views if not view.interventions]
    comments: dict[str, list] = {}
    for comment in plan.comments.unresolved().select_related("author"):
        comments.setdefault(f"{comment.anchor_kind}:{comment.anchor_key}", []).append(comment)
    return PlanPage(
        comments=comments,
        plan=plan,
        goals=goal_views,
        # A goal's part lists none: those read above are named on its objectives only.
        interventions=interventions if only_goal is None else [],
        conflicts=conflicts,
        defenses=defenses,
        problems=problems,
        thread=thread,
        loose_objectives=loose if only_goal is None else [],
        unserved_objectives=unserved if only_goal is None else [],
        counts=counts,
    )


@dataclass
class SigningSummary:
    """What a signer of this version is shown before signing it (the review step)."""

    plan: TreatmentPlan
    chart_number: str
    content_hash: str
    problems: int
    goals: list[Goal]
    objectives: int
    interventions: int
    authored_by: str = ""


def signing_summary(plan: TreatmentPlan) -> SigningSummary:
    """The version in brief, and the hash of its content as the database holds it now: the step
    posts the hash back, so what is signed is what was shown."""
    goals = list(plan.goals.current())
    authored = plan.signatures.valid().filter(meaning=Signature.Meaning.AUTHORED).select_related("signer").first()
    return SigningSummary(
        plan=plan,
        chart_number=quotes.chart_number(plan),
        content_hash=canonical.content_hash(plan),
        problems=plan.presenting_problems.count(),
        goals=goals,
        objectives=Objective.objects.current().filter(goal__plan=plan, goal__removed_at__isnull=True).count(),
        interventions=plan.interventions.current().count(),
        authored_by=(
            ", ".join(part for part in (authored.printed_name, authored.credentials) if part) if authored else ""
        ),
    )
