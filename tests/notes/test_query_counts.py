"""The pages that show a plan's sessions ask the database the same number of questions whether the
plan has two weeks of sessions or two years of them (issue 14).

Both histories are built once for the module by demo/sessions.py (real notes, signed through the
services) inside a transaction that is rolled back when the module ends, so nothing leaks into other
tests; each test runs in its own savepoint inside it. A new page that shows sessions is one line in
PAGES: a name and a function from (plan, review) to its URL.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.sessions import build_history
from plans.lifecycle import transitions
from progress import services as progress_services
from tests.factories import PASSWORD, ClientFactory, PracticeFactory, make_plan, staff

SHORT_WEEKS, LONG_WEEKS = 2, 104

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
    """One clinician, two clients with the same plan: two weeks and two years of weekly sessions."""
    with django_db_blocker.unblock(), transaction.atomic():
        practice = PracticeFactory(name="Query Count Practice")
        clinician = staff(practice, is_clinician=True)
        made = {}
        for weeks in (SHORT_WEEKS, LONG_WEEKS):
            client = ClientFactory(primary_clinician=clinician, practice=practice)
            plan = transitions.submit_plan(actor=clinician, plan=make_plan(client, goals=2, objectives=2))
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
