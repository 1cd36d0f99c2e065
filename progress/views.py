"""Progress reviews and outcome measures in the browser, and the SVG charts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import get_editable_or_403, get_visible_or_404
from core.idempotency import once_per_form
from plans.models import MeasureDefinition, Objective, TreatmentPlan
from plans.selectors import plan_queryset
from progress import alliance, charts, measures, services
from progress.forms import MeasureForm, ReviewForm
from progress.models import MeasureScore, ObjectiveProgress, ProgressReview
from progress.selectors import bound_targets, review_evidence


def _objectives(plan: TreatmentPlan) -> list[Objective]:
    return list(
        Objective.objects.current()
        .filter(goal__plan=plan, goal__removed_at__isnull=True)
        .select_related("goal", "bound_measure")
        .order_by("goal__order", "goal__pk", "order", "pk")
    )


def _review_form(user, review: ProgressReview, objectives: list[Objective], data=None) -> ReviewForm:
    plan = review.plan
    scores = services.scores_for(user, plan.client_id)
    today = plan.client.practice.today()
    achievements = {o.pk: measures.achievement(o, scores, today) for o in objectives}
    available = list(MeasureDefinition.objects.available_to(plan.client.practice_id))
    formulation = plan.formulation
    ccrt = {part: getattr(formulation, f"ccrt_{part}") for part in services.CCRT_PARTS}
    form = ReviewForm(data, objectives=objectives, achievements=achievements, measures=available, ccrt=ccrt)
    form.achievements = {pk: measures.ACHIEVEMENT_LABELS.get(a) for pk, a in achievements.items() if a}
    form.recorded_scores = _scores_since(scores, _last_completed_review(plan))
    return form


# Enough to see the recent course without turning the form into the plan page's table.
SCORES_ON_REVIEW_FORM = 8


def _last_completed_review(plan: TreatmentPlan) -> ProgressReview | None:
    return (
        ProgressReview.objects.filter(
            plan__lineage=plan.lineage, plan__client_id=plan.client_id, status=ProgressReview.Status.COMPLETED
        )
        .order_by("-completed_on", "-pk")
        .first()
    )


def _scores_since(scores: list[MeasureScore], last_review: ProgressReview | None) -> list[MeasureScore]:
    """The scores recorded since the last review (the latest few otherwise), newest first, each
    marked in the template as the clinician's or client-reported."""
    newest = sorted(scores, key=lambda s: (s.recorded_on, s.created_at), reverse=True)
    if last_review is not None and last_review.completed_on is not None:
        since = [s for s in newest if s.recorded_on >= last_review.completed_on]
        newest = since or newest
    return newest[:SCORES_ON_REVIEW_FORM]


def _form_alliance(form: ReviewForm) -> alliance.Rating | None:
    """The clinician's alliance as this form has it (a submitted form sent back with errors)."""
    if not form.is_bound:
        return None

    def value(name: str) -> int | None:
        raw = form.data.get(name, "")
        return int(raw) if raw in {"1", "2", "3", "4", "5"} else None

    return alliance.Rating(value("alliance_bond"), value("alliance_goals"), value("alliance_tasks"))


def _review_alliance(review: ProgressReview, form: ReviewForm) -> alliance.ReviewAlliance:
    return alliance.review_alliance(
        client_id=review.plan.client_id,
        last_review=_last_completed_review(review.plan),
        clinician=_form_alliance(form),
    )


@login_required
@once_per_form
def review_complete(request, pk: int):
    review = get_object_or_404(
        ProgressReview.objects.visible_to(request.user).select_related("plan__client__practice", "plan__formulation"),
        pk=pk,
    )
    get_editable_or_403(TreatmentPlan.objects.all(), request.user, pk=review.plan_id)
    if not review.is_open:
        messages.info(request, f"This review is {review.get_status_display().lower()}.")
        return redirect("plans:detail", pk=review.plan_id)
    objectives = _objectives(review.plan)
    form = _review_form(request.user, review, objectives, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, amendment = services.complete_review(actor=request.user, review=review, record=form.review_record())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if amendment is not None:
                messages.success(request, "Review completed. An amendment was started from it: revise and sign it.")
                return redirect("plans:detail", pk=amendment.pk)
            messages.success(request, "Review completed. The next review date has moved on.")
            return redirect(f"/plans/{review.plan_id}/#reviews")
    # The notes since the last review, in view beside the inputs; none of it fills a rating.
    evidence = review_evidence(review.plan, objectives=objectives, user=request.user)
    context = {
        "review": review,
        "plan": review.plan,
        "form": form,
        "evidence": evidence,
        "alliance": _review_alliance(review, form),
    }
    return render(request, "progress/review_form.html", context)


@login_required
@require_POST
@once_per_form
def review_start(request, pk: int):
    plan = get_editable_or_403(plan_queryset(), request.user, pk=pk)
    try:
        review = services.start_review_now(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plans:detail", pk=plan.pk)
    return redirect("progress:review_complete", pk=review.pk)


@login_required
@once_per_form
def measure_record(request, pk: int, code: str):
    plan = get_editable_or_403(plan_queryset(), request.user, pk=pk)
    definition = get_object_or_404(MeasureDefinition.objects.available_to(plan.client.practice_id), code=code)
    form = MeasureForm(
        request.POST or None, definition=definition, initial={"recorded_on": plan.client.practice.today()}
    )
    if request.method == "POST" and form.is_valid():
        items = [form.cleaned_data[f"i{i}"] for i in range(definition.item_count)] if definition.item_count else None
        try:
            score = services.record_measure(
                actor=request.user,
                client=plan.client,
                definition=definition,
                recorded_on=form.cleaned_data["recorded_on"],
                items=items,
                total=form.cleaned_data.get("total"),
                plan=plan,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{definition.name} recorded: {score.total} ({score.band or 'no band'}).")
            if score.risk_flag:
                messages.warning(request, "PHQ-9 item 9 was answered above 0: assess risk today.")
            return redirect(f"/plans/{plan.pk}/#reviews")
    return render(request, "progress/measure_form.html", {"plan": plan, "form": form, "definition": definition})


def _svg(content: str) -> HttpResponse:
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@login_required
def chart_measure(request, pk: int, code: str):
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    definition = get_object_or_404(MeasureDefinition.objects.available_to(plan.client.practice_id), code=code)
    points = list(
        MeasureScore.objects.filter(client=plan.client, definition=definition).values_list("recorded_on", "total")
    )
    if not points:
        raise Http404
    objectives = _current_objectives(plan)
    labels = _objective_labels(objectives)
    targets = bound_targets((labels[o.pk], o) for o in objectives).get(definition.pk, [])
    return _svg(charts.measure_chart(definition, points, targets))


@login_required
def chart_objectives(request, pk: int):
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    return _svg(charts.objective_chart(objective_series(plan)))


def objective_series(plan: TreatmentPlan):
    """(label, [(review date, rating)]) per current objective, following it back through earlier versions."""
    objectives = _current_objectives(plan)
    labels = _objective_labels(objectives)
    entries = (
        ObjectiveProgress.objects.filter(
            review__plan__lineage=plan.lineage, review__status=ProgressReview.Status.COMPLETED
        )
        .select_related("review", "objective")
        .order_by("review__completed_on")
    )
    by_lineage: dict = {}
    for entry in entries:
        by_lineage.setdefault(entry.objective.lineage, []).append((entry.review.completed_on, entry.rating))
    return [(labels[o.pk], by_lineage.get(o.lineage, [])) for o in objectives]


def _current_objectives(plan: TreatmentPlan) -> list[Objective]:
    return list(
        Objective.objects.current()
        .filter(goal__plan=plan, goal__removed_at__isnull=True)
        .select_related("goal")
        .order_by("goal__order", "goal__pk", "order", "pk")
    )


def _objective_labels(objectives) -> dict[int, str]:
    labels, goal_numbers = {}, {}
    counters: dict[int, int] = {}
    for o in objectives:
        goal_numbers.setdefault(o.goal_id, len(goal_numbers) + 1)
        counters[o.goal_id] = counters.get(o.goal_id, 0) + 1
        labels[o.pk] = f"{goal_numbers[o.goal_id]}.{counters[o.goal_id]}"
    return labels
