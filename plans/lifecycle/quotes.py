"""What a version quotes from its client's record, frozen when the version is.

A plan quotes the client's chart number and the presenting problems it (and its objectives)
addresses. Those live on the client's record, which stays editable after a plan is signed:
a chart number is corrected, a problem is renamed or recoded. So at submission the version
takes its own copy (`PlanQuote`), and from then on everything that shows or signs the version
reads the copy: the canonical content, the plan page, the PDF and the FHIR bundle. Drafts,
and the next version started by an amendment, read the client's record as it is now.

The copy is guarded like the rest of the signed content: the model refuses to save it once the
version is locked, and so do the database triggers (plans/lifecycle/guards.py).
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from clients.models import PresentingProblem
from plans.models import Objective, PlanQuote, TreatmentPlan

# The presenting problem's fields a version shows, and so copies.
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


def _problem_record(problem: PresentingProblem, *, on_plan: bool) -> dict:
    record = {"id": problem.pk, "on_plan": on_plan} | {name: getattr(problem, name) for name in PROBLEM_FIELDS}
    record["created_at"] = problem.created_at.isoformat()
    record["archived_at"] = problem.archived_at.isoformat() if problem.archived_at else None
    return record


def freeze(plan: TreatmentPlan) -> PlanQuote:
    """Copy what the version quotes, as it reads now. Called at submission, while the version is
    still a draft in the database (a locked version's copy can no longer be written); a version
    returned for changes and submitted again takes a fresh copy."""
    on_plan = set(plan.presenting_problems.values_list("pk", flat=True))
    linked = Objective.objects.filter(goal__plan=plan).values("presenting_problems")
    problems = (
        PresentingProblem.objects.filter(Q(pk__in=on_plan) | Q(pk__in=linked)).distinct().order_by("created_at", "pk")
    )
    quote, _ = PlanQuote.objects.update_or_create(
        plan=plan,
        defaults={
            "chart_number": plan.client.chart_number,
            "problems": [_problem_record(p, on_plan=p.pk in on_plan) for p in problems],
            "taken_at": timezone.now(),
        },
    )
    plan.quote = quote
    return quote


def quote_of(plan: TreatmentPlan) -> PlanQuote | None:
    """The version's own copy, if it is frozen (locked) and has one; None for drafts, which
    quote the client's record as it is now."""
    if not plan.is_locked:
        return None
    try:
        return plan.quote
    except PlanQuote.DoesNotExist:
        return None


def _as_problem(plan: TreatmentPlan, record: dict) -> PresentingProblem:
    """An unsaved PresentingProblem carrying the copied values, so templates and exports read it
    exactly as they read a live one."""
    problem = PresentingProblem(
        id=record["id"], client_id=plan.client_id, **{name: record[name] for name in PROBLEM_FIELDS}
    )
    problem.created_at = dt.datetime.fromisoformat(record["created_at"])
    problem.archived_at = dt.datetime.fromisoformat(record["archived_at"]) if record["archived_at"] else None
    return problem


def quoted_problems(plan: TreatmentPlan) -> dict[int, PresentingProblem] | None:
    """Every problem the frozen version quotes, by id; None for a version that quotes live data."""
    quote = quote_of(plan)
    if quote is None:
        return None
    return {record["id"]: _as_problem(plan, record) for record in quote.problems}


def plan_problems(plan: TreatmentPlan) -> list[PresentingProblem]:
    """The problems the version addresses, in the order the page shows them."""
    quote = quote_of(plan)
    if quote is None:
        return list(plan.presenting_problems.all())
    return [_as_problem(plan, record) for record in quote.problems if record["on_plan"]]


def chart_number(plan: TreatmentPlan) -> str:
    quote = quote_of(plan)
    return quote.chart_number if quote is not None else plan.client.chart_number
