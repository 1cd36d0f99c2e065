"""The session list and the progress review form for a client with one month of weekly sessions
against one with two years of them, each with signed notes and their parts (issue 17): the pages
must cost the same whatever the length of the history. Each is also printed against the bare view.

The histories are built through the notes services by demo/sessions.py (sessions recorded, notes
written from the plan's own objectives, interventions, conflicts, defenses and episodes, and signed).
Each plan starts a week before its first session and has no completed review, so the review form's
"since the last review" is the plan's start: the two-year form covers two years of notes, the worst
case for a review that was never held.
"""

import datetime as dt

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import data
from bench.report import Table, p50, p95, timed

MONTH_WEEKS, TWO_YEARS_WEEKS = 4, 104
SAMPLES = 60


def _client_with_history(clinician, index: int, weeks: int):
    from demo.sessions import build_history
    from notes.models import ProgressNote
    from notes.services import sign_note
    from progress.services import start_review_now

    today = clinician.membership.practice.today()
    start = today - dt.timedelta(weeks=weeks + 1)
    plan = data.plan(clinician, index, goals=2, objectives=2, interventions=2, start_date=start)
    history = build_history(plan, weeks=weeks, process_notes=False)
    # demo/sessions.py leaves two drafts for the dashboard's flag; here every note is signed, so the
    # month's review has its four weeks of evidence.
    for note in ProgressNote.objects.filter(pk__in=[n.pk for n in history.notes], status=ProgressNote.Status.DRAFT):
        sign_note(actor=clinician, note=note)
    signed = ProgressNote.objects.filter(pk__in=[n.pk for n in history.notes], status=ProgressNote.Status.SIGNED)
    review = start_review_now(actor=clinician, plan=plan)
    return plan, review, signed.count()


def _count(web: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def run(table: Table) -> None:
    from notes.models import ProgressNote

    _, clinician, _ = data.practice_with_staff()
    short_plan, short_review, short_signed = _client_with_history(clinician, 1100, MONTH_WEEKS)
    long_plan, long_review, long_signed = _client_with_history(clinician, 1101, TWO_YEARS_WEEKS)
    print(f"notes: {short_signed} and {long_signed} signed notes ({ProgressNote.objects.count()} notes in all)")
    pages = {
        "session list": (
            f"/clients/{short_plan.client_id}/sessions/",
            f"/clients/{long_plan.client_id}/sessions/",
        ),
        "review form": (
            f"/plans/progress-reviews/{short_review.pk}/",
            f"/plans/progress-reviews/{long_review.pk}/",
        ),
    }
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["*"]):
        web = Client()
        web.force_login(clinician)
        for url in ("/bench/bare/", *(u for pair in pages.values() for u in pair)):
            for _ in range(5):
                assert web.get(url).status_code == 200, url
        bare = timed(lambda: web.get("/bench/bare/"), 200)
        results = {}
        for name, (short_url, long_url) in pages.items():
            counts = (_count(web, short_url), _count(web, long_url))
            # Interleaved, so drift on a shared machine falls on both alike.
            short, long = [], []
            for _ in range(SAMPLES):
                short += timed(lambda url=short_url: web.get(url), 1)
                long += timed(lambda url=long_url: web.get(url), 1)
            results[name] = (short, long, counts)
    for name, (short, long, counts) in results.items():
        table.add(
            f"{name.capitalize()}, 2 years vs 1 month of weekly sessions (p50)",
            p50(long) / p50(short),
            "≤ 1.20×",
            f"p50 {p50(long) * 1000:.1f} vs {p50(short) * 1000:.1f} ms, p95 {p95(long) * 1000:.1f} ms",
        )
        table.add(
            f"{name.capitalize()} queries, 2 years vs 1 month",
            counts[1] / counts[0],
            "= 1.00×",
            f"{counts[1]} vs {counts[0]} queries",
        )
        table.add(
            f"{name.capitalize()}, 2 years vs bare view (p50, for reference)",
            p50(long) / p50(bare),
            "—",
            f"bare p50 {p50(bare) * 1000:.2f} ms",
        )
