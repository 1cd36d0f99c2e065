"""The pages that show a plan's sessions ask the database the same number of questions whether the
plan has a month of sessions or two years of them (issues 14 and 17). Each plan starts the week
before its first session and has no completed review, so the review form and the PDF's progress
summary cover the whole history: two years of signed notes in the long case.

Both histories are built once for the module by demo/sessions.py (real notes, signed through the
services) inside a transaction that is rolled back when the module ends, so nothing leaks into other
tests; each test runs in its own savepoint inside it. A new page that shows sessions is one line in
PAGES: a name and a function from (plan, review) to its URL.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.sessions import build_history
from notes import evidence
from notes.models import NoteObjective, ProgressNote, TherapySession
from notes.views import SESSIONS_PER_PAGE
from plans.lifecycle import transitions
from plans.models import Objective, TreatmentPlan
from progress import services as progress_services
from tests.factories import PASSWORD, ClientFactory, PracticeFactory, make_plan, staff

SHORT_WEEKS, LONG_WEEKS = 4, 104

PAGES = [
    ("plan page", lambda plan, review: reverse("plans:detail", kwargs={"pk": plan.pk})),
    ("progress review form", lambda plan, review: reverse("progress:review_complete", kwargs={"pk": review.pk})),
    ("client page", lambda plan, review: reverse("clients:detail", kwargs={"pk": plan.client_id})),
    ("session list", lambda plan, review: reverse("notes:session_list", kwargs={"client_pk": plan.client_id})),
    (
        "clinical PDF with its progress summary",
        lambda plan, review: reverse("records:pdf", kwargs={"pk": plan.pk}) + "?summary=1",
    ),
    ("sessions API list", lambda plan, review: f"/api/v1/sessions/?client={plan.client_id}"),
    ("plan FHIR bundle", lambda plan, review: f"/api/v1/plans/{plan.pk}/fhir/"),
]


@pytest.fixture(scope="module")
def histories(django_db_setup, django_db_blocker):
    """One clinician, two clients with the same plan: a month and two years of weekly sessions."""
    with django_db_blocker.unblock(), transaction.atomic():
        practice = PracticeFactory(name="Query Count Practice")
        clinician = staff(practice, is_clinician=True)
        made = {}
        for weeks in (SHORT_WEEKS, LONG_WEEKS):
            client = ClientFactory(primary_clinician=clinician, practice=practice)
            draft = make_plan(client, goals=2, objectives=2)
            # The plan took effect the week before the first session (a draft's dates are its own).
            start = practice.today() - dt.timedelta(weeks=weeks + 1)
            TreatmentPlan.objects.filter(pk=draft.pk).update(start_date=start, horizon_months=36)
            draft.refresh_from_db()
            plan = transitions.submit_plan(actor=clinician, plan=draft)
            history = build_history(plan, weeks=weeks, process_notes=True)
            assert len(history.sessions) == weeks
            review = progress_services.start_review_now(actor=clinician, plan=plan)
            made[weeks] = (plan, review)
        yield clinician, made
        transaction.set_rollback(True)


def _queries(web, url: str) -> int:
    web.get(url)  # warm: the first request of a signed-in client fills per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.mark.parametrize("page", [url for _, url in PAGES], ids=[name for name, _ in PAGES])
def test_a_page_showing_sessions_asks_as_many_queries_for_two_years_as_for_two_weeks(db, client, histories, page):
    clinician, made = histories
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    short = _queries(client, page(*made[SHORT_WEEKS]))
    long = _queries(client, page(*made[LONG_WEEKS]))
    assert long == short, f"{long} queries with {LONG_WEEKS} weeks of sessions, {short} with {SHORT_WEEKS}"


def _page(web, url: str) -> BeautifulSoup:
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.content, "html.parser")


def test_the_two_year_review_form_counts_every_signed_note_and_lists_the_latest(db, client, histories):
    clinician, made = histories
    plan, review = made[LONG_WEEKS]
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    page = _page(client, reverse("progress:review_complete", kwargs={"pk": review.pk}))
    assert evidence.since_date(plan) == plan.start_date
    signed = NoteObjective.objects.filter(
        note__session__client_id=plan.client_id,
        note__status=ProgressNote.Status.SIGNED,
        note__session__attendance=TherapySession.Attendance.ATTENDED,
    )
    worked = [fieldset for fieldset in page.select("fieldset[id^=review-objective-]") if fieldset.select("ol li")]
    assert worked, "two years of notes work on the plan's objectives"
    for fieldset in worked:
        objective_pk = int(fieldset["id"].rsplit("-", 1)[1])
        lineage = Objective.objects.get(pk=objective_pk).lineage
        count = signed.filter(objective__lineage=lineage).count()
        assert fieldset.select_one(".evidence-title").get_text(" ", strip=True).startswith(f"From {count} sessions")
        assert len(fieldset.select(".evidence-lines li")) == min(count, evidence.LINES_SHOWN)
    attended = TherapySession.objects.filter(client_id=plan.client_id, attendance="attended").count()
    assert f"Attended {attended}" in page.select_one(".evidence-summary").get_text(" ", strip=True)


def test_the_two_year_session_list_shows_a_page_and_counts_every_session(db, client, histories):
    clinician, made = histories
    plan, _ = made[LONG_WEEKS]
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    page = _page(client, reverse("notes:session_list", kwargs={"client_pk": plan.client_id}))
    assert len(page.select("table.sessions tbody tr")) == SESSIONS_PER_PAGE
    counts = page.select_one(".session-counts").get_text(" ", strip=True)
    assert counts.startswith(f"{LONG_WEEKS} sessions:")
    assert page.select_one('nav.pager a[rel="next"]').get_text(strip=True) == "Older sessions"
