"""The plan page: a 10 × 5 × 3 plan with 4 reviews, against a bare Django view in the same process;
the page as first rendered (empty fragment cache), a draft's page, and the inline saves (goal,
objective, formulation section) on a 10 × 5 × 3 draft and on a 1 × 1 × 1 one."""

import datetime as dt

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import data
from bench.report import Table, p50, p95, timed


def _plan_with_reviews(clinician, index: int, goals: int, objectives: int, interventions: int):
    from plans.models import Objective
    from progress.models import ObjectiveProgress, ProgressReview
    from progress.services import EntryInput, ReviewRecord, complete_review, start_review_now

    plan = data.plan(clinician, index, goals=goals, objectives=objectives, interventions=interventions)
    for _ in range(4):
        review = start_review_now(actor=clinician, plan=plan)
        progressing = ObjectiveProgress.Status.PROGRESSING
        entries = [EntryInput(o, progressing, 50, "ok") for o in Objective.objects.filter(goal__plan=plan)]
        record = ReviewRecord(
            entries=entries,
            alliance_bond=4,
            alliance_goals=4,
            alliance_tasks=4,
            summary="Steady.",
            decision=ProgressReview.Decision.CONTINUE,
        )
        complete_review(actor=clinician, review=review, record=record)
        ProgressReview.objects.filter(pk=review.pk).update(due_date=review.due_date - dt.timedelta(days=90 * (_ + 1)))
    return plan


def _form_data(form) -> dict:
    """What the browser would post for an unchanged form."""
    values = {}
    for field in form:
        value = field.value()
        if value is None:
            continue
        many = isinstance(value, list | tuple)
        values[field.html_name] = [str(getattr(v, "pk", v)) for v in value] if many else str(value)
    return values


class _Saves:
    """Repeated inline saves of one record, each based on the version the last one left."""

    def __init__(self, web, url: str, data: dict, version_field: str, version: int, text_field: str):
        self.web, self.url, self.data = web, url, data
        self.version_field, self.version, self.text_field = version_field, version, text_field
        self.n = 0

    def __call__(self):
        self.n += 1
        data = self.data | {self.version_field: str(self.version), self.text_field: f"Edited {self.n}"}
        response = self.web.post(self.url, data, headers={"HX-Request": "true"})
        assert response.status_code == 200, (self.url, response.status_code)
        self.version += 1
        return response


def _saves(web, plan) -> dict[str, _Saves]:
    from formulation.forms import section_form
    from plans.editor.views import _item_form
    from plans.models import Goal, Objective

    goal = Goal.objects.current().filter(plan=plan).order_by("order").first()
    objective = Objective.objects.current().filter(goal=goal).order_by("order").first()
    saves = {}
    for kind, item, text in (("goal", goal, "statement"), ("objective", objective, "statement")):
        form = _item_form(kind, plan, instance=item)
        for answer, suffix in (("structure", ""), ("autosave", "?autosave=1")):
            url = f"/plans/items/{kind}/{item.pk}/edit/{suffix}"
            saves[f"{kind} {answer}"] = _Saves(
                web, url, _form_data(form), form["version"].html_name, item.version, form[text].html_name
            )
    formulation = plan.formulation
    section = "narrative"
    form = section_form(section)(
        instance=formulation, prefix=section, initial={"version": formulation.section_version(section)}
    )
    text = next(name for name in form.fields if name != "version")
    saves["formulation section autosave"] = _Saves(
        web,
        f"/plans/{plan.pk}/formulation/{section}/",
        _form_data(form),
        form["version"].html_name,
        formulation.section_version(section),
        form[text].html_name,
    )
    return saves


def run(table: Table) -> None:
    from django.core.cache import cache

    _, clinician, _ = data.practice_with_staff()
    large = _plan_with_reviews(clinician, 900, goals=10, objectives=5, interventions=3)
    small = _plan_with_reviews(clinician, 901, goals=1, objectives=1, interventions=1)
    large_draft = data.plan(clinician, 902, goals=10, objectives=5, interventions=3, sign=False)
    small_draft = data.plan(clinician, 903, goals=1, objectives=1, interventions=1, sign=False)
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["*"]):
        web = Client()
        web.force_login(clinician)
        for url in ("/bench/bare/", f"/plans/{large.pk}/", f"/plans/{small.pk}/"):
            for _ in range(5):
                assert web.get(url).status_code == 200, url
        counts = {}
        for name, plan in (("large", large), ("small", small)):
            with CaptureQueriesContext(connection) as ctx:
                web.get(f"/plans/{plan.pk}/")
            counts[name] = len(ctx.captured_queries)
        bare = timed(lambda: web.get("/bench/bare/"), 200)
        page = timed(lambda: web.get(f"/plans/{large.pk}/"), 200)
        draft_page = timed(lambda: web.get(f"/plans/{large_draft.pk}/"), 100)

        def cold():
            cache.clear()
            web.get(f"/plans/{large.pk}/")

        cold_page = timed(cold, 30)
        saves = {size: _saves(web, plan) for size, plan in (("large", large_draft), ("small", small_draft))}
        save_times = {}
        for name in saves["large"]:
            for size in ("large", "small"):
                for _ in range(5):
                    saves[size][name]()
                save_times[name, size] = timed(saves[size][name], 60)
    table.add(
        "Plan page 10×5×3 + 4 reviews vs bare view (p50)",
        p50(page) / p50(bare),
        "≤ 3×",
        f"p50 {p50(page) * 1000:.1f} ms, p95 {p95(page) * 1000:.1f} ms; bare p50 {p50(bare) * 1000:.2f} ms",
    )
    table.add(
        "Plan page 10×5×3 + 4 reviews, first rendering (empty cache), vs bare (reference)",
        p50(cold_page) / p50(bare),
        "—",
        f"p50 {p50(cold_page) * 1000:.1f} ms",
    )
    table.add(
        "Draft plan page 10×5×3 vs bare view (p50)",
        p50(draft_page) / p50(bare),
        "≤ 3×",
        f"p50 {p50(draft_page) * 1000:.1f} ms",
    )
    for name in saves["large"]:
        big, little = p50(save_times[name, "large"]), p50(save_times[name, "small"])
        table.add(f"Inline save, {name}, 10×5×3 vs bare (p50)", big / p50(bare), "≤ 3×", f"p50 {big * 1000:.1f} ms")
        table.add(
            f"Inline save, {name}, 10×5×3 vs 1×1×1 (p50)",
            big / little,
            "≤ 1.2×",
            f"{big * 1000:.1f} vs {little * 1000:.1f} ms",
        )
    table.add(
        "Plan page queries, 10×5×3 vs 1×1×1",
        counts["large"] / counts["small"],
        "= 1.00×",
        f"{counts['large']} vs {counts['small']} queries",
    )
