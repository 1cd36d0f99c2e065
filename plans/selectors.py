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
    # A page loaded for one objective's answer (load_objective_part): the pks of all the plan's
    # current interventions in order, whose place (the move buttons) the few read in full keep; and
    # every current objective, read lightly, which the thread lists.
    intervention_order: list[int] | None = None
    thread_objectives: list[Objective] | None = None
    # And the pks of the saved objective's goal's objectives in order, for its place among them.
    objective_order: dict[int, list[int]] | None = None

    @property
    def objectives(self) -> list[Objective]:
        """The plan's current objectives in the page's order (those the golden thread lists)."""
        if self.thread_objectives is not None:
            return self.thread_objectives
        return [view.objective for _, views in self.goals for view in views]

    def objective_place(self, objective: Objective) -> tuple[bool, bool]:
        """Whether it is first and last among its goal's objectives (its move buttons), on a page
        loaded for one objective's answer; the whole page knows it from its lists."""
        order = self.objective_order[objective.goal_id]
        index = order.index(objective.pk)
        return index == 0, index == len(order) - 1

    def intervention_place(self, intervention: Intervention) -> tuple[bool, bool]:
        """Whether it is first and last in the plan's list of interventions (its move buttons)."""
        order = self.intervention_order
        if order is None:
            order = [i.pk for i in self.interventions]
        index = order.index(intervention.pk)
        return index == 0, index == len(order) - 1

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


def load_objective_part(plan: TreatmentPlan, objective: Objective, *, today: dt.date) -> PlanPage:
    """A draft's page as far as the answer to a save of one objective shows it: that objective (as
    load_plan_page builds it, so its fragment has the same key and content) in its place among its
    goal's objectives, the interventions that serve it in their places in the plan's list, the
    counts of the clients'-words note, and the golden thread over the whole plan. The thread needs
    of the other objectives only their ids, versions, statements and links, read as rows in a fixed
    number of queries, so what the answer costs hardly grows with the plan."""
    page = _load_plan_page(plan, today=today, only_goal=objective.goal_id, only_objective=objective.pk)
    formulation = plan.formulation
    goal_order = {goal.pk: index for index, (goal, _) in enumerate(page.goals)}
    objectives = sorted(
        Objective.objects.current()
        .filter(goal_id__in=goal_order)
        .only(
            "pk", "version", "lineage", "goal_id", "order", "statement", "clients_words", "addresses_relational_pattern"
        ),
        key=lambda o: goal_order[o.goal_id],
    )
    ids = [o.pk for o in objectives]
    page.counts = _clients_words_counts([goal for goal, _ in page.goals], [o.clients_words for o in objectives])
    conflicts_of = _links(Objective.conflicts.through, "coreconflict_id", ids)
    defenses_of = _links(Objective.defenses.through, "defenseobservation_id", ids)
    current_interventions = plan.interventions.current()
    served = set(
        Intervention.objectives.through.objects.filter(
            intervention__in=current_interventions, objective_id__in=ids
        ).values_list("objective_id", flat=True)
    )
    page.conflicts = list(formulation.conflicts.current().select_related("conflict_type"))
    page.defenses = list(formulation.defenses.current().select_related("mechanism"))
    page.thread = _thread(formulation, page.conflicts, page.defenses, objectives, conflicts_of, defenses_of)
    page.loose_objectives = [
        o for o in objectives if not (conflicts_of.get(o.pk) or defenses_of.get(o.pk) or o.addresses_relational_pattern)
    ]
    page.unserved_objectives = [o for o in objectives if o.pk not in served]
    page.intervention_order = list(current_interventions.values_list("pk", flat=True))
    page.thread_objectives = objectives
    page.objective_order = {objective.goal_id: [o.pk for o in objectives if o.goal_id == objective.goal_id]}
    return page


def _clients_words_counts(goals: list[Goal], objective_words: list[str]) -> tuple[int, int]:
    """How many goals and objectives lack the client's words, and how many there are."""
    missing = sum(1 for g in goals if not g.clients_words) + sum(1 for w in objective_words if not w)
    return missing, len(goals) + len(objective_words)


def _links(through, column: str, objective_ids: list[int]) -> dict[int, set[int]]:
    """Each objective's linked item ids, from a link table's rows."""
    linked: dict[int, set[int]] = {}
    for objective_id, item_id in through.objects.filter(objective_id__in=objective_ids).values_list(
        "objective_id", column
    ):
        linked.setdefault(objective_id, set()).add(item_id)
    return linked


def _thread(formulation, conflicts, defenses, objectives, conflicts_of, defenses_of) -> list[ThreadItem]:
    """Each formulation item with the objectives that work on it, in the formulation's order."""
    thread = []
    for conflict in conflicts:
        works_on = [o for o in objectives if conflict.pk in conflicts_of.get(o.pk, ())]
        thread.append(ThreadItem("Conflict", conflict.conflict_type.name, conflict.get_intensity_display(), works_on))
    for defense in defenses:
        works_on = [o for o in objectives if defense.pk in defenses_of.get(o.pk, ())]
        thread.append(ThreadItem("Defense", defense.mechanism.name, defense.mechanism.get_level_display(), works_on))
    if formulation.has_relational_pattern:
        works_on = [o for o in objectives if o.addresses_relational_pattern]
        thread.append(ThreadItem("Relational pattern", "CCRT", formulation.ccrt_wish[:80], works_on))
    return thread


def _load_plan_page(
    plan: TreatmentPlan, *, today: dt.date, only_goal: int | None = None, only_objective: int | None = None
) -> PlanPage:
    formulation = plan.formulation
    current_objectives = Objective.objects.current().prefetch_related(
        "presenting_problems",
        Prefetch("conflicts", queryset=CoreConflict.objects.select_related("conflict_type")),
        Prefetch("defenses", queryset=DefenseObservation.objects.select_related("mechanism")),
    )
    interventions = plan.interventions.current()
    counts = None
    if only_objective is not None:
        current_objectives = current_objectives.filter(pk=only_objective)
        # Only those that serve it: they are named on it, and redrawn with it.
        interventions = interventions.filter(objectives=only_objective)
    elif only_goal is not None:
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
        if only_objective is None:
            # An objective's part counts from the plan's objectives it reads anyway (load_objective_part).
            words = Objective.objects.current().filter(goal__in=[g.pk for g in goals]).values_list("clients_words")
            counts = _clients_words_counts(goals, [w for (w,) in words])
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
    if only_goal is None:
        conflicts_of = {o.pk: {c.pk for c in o.conflicts.all()} for o in all_objectives}
        defenses_of = {o.pk: {d.pk for d in o.defenses.all()} for o in all_objectives}
        thread = _thread(formulation, conflicts, defenses, all_objectives, conflicts_of, defenses_of)
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
        interventions=interventions if only_goal is None or only_objective is not None else [],
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
