"""The plan page: a 10 × 5 × 3 plan with 4 reviews, against a bare Django view in the same process."""

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


def run(table: Table) -> None:
    _, clinician, _ = data.practice_with_staff()
    large = _plan_with_reviews(clinician, 900, goals=10, objectives=5, interventions=3)
    small = _plan_with_reviews(clinician, 901, goals=1, objectives=1, interventions=1)
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
    table.add(
        "Plan page 10×5×3 + 4 reviews vs bare view (p50)",
        p50(page) / p50(bare),
        "≤ 3×",
        f"p50 {p50(page) * 1000:.1f} ms, p95 {p95(page) * 1000:.1f} ms; bare p50 {p50(bare) * 1000:.2f} ms",
    )
    table.add(
        "Plan page queries, 10×5×3 vs 1×1×1",
        counts["large"] / counts["small"],
        "= 1.00×",
        f"{counts['large']} vs {counts['small']} queries",
    )
