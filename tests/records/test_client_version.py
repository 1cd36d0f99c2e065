"""The client version says each goal and step in the client's words where written, in the clinical
statement where not; the PDF and the HTML version are built from one builder and say the same thing.
Staff preview the HTML version from the plan page; who may read it is who may read the plan."""

import io

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from audit.models import AccessLog
from formulation import services as formulation_services
from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Goal, Objective
from plans.selectors import load_plan_page
from records import client_version
from tests.factories import make_plan

GOAL_WORDS = "Feel less alone with the loss"
STEP_WORDS = "Notice when I push people away"


@pytest.fixture
def plan(own_client, clinician):
    """A draft plan of one goal with two objectives: the goal and the first objective in the client's
    words, the second objective in clinical wording only."""
    plan = make_plan(own_client, goals=1, objectives=2)
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=plan.formulation,
        section="narrative",
        expected_version=0,
        values={"narrative_hypothesis": "Hypothesis for clinicians only"},
    )
    goal = Goal.objects.get(plan=plan)
    first = Objective.objects.filter(goal=goal).order_by("order").first()
    for item, words in [(goal, GOAL_WORDS), (first, STEP_WORDS)]:
        services.update_item(actor=clinician, item=item, expected_version=item.version, values={"clients_words": words})
    return plan


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _html_version(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one(".client-version")


def test_the_builder_uses_the_clients_words_where_written_and_the_clinical_statement_where_not(plan):
    version = client_version.for_plan(plan)
    [goal] = version.goals
    assert (goal.text, goal.in_clients_words) == (GOAL_WORDS, True)
    assert [(s.text, s.in_clients_words) for s in goal.steps] == [
        (STEP_WORDS, True),
        ("Identify pattern 1.2 in relationships", False),
    ]
    assert version.clinical_wording_count == 1
    assert version.review_every == "three months"
    # One intervention per objective, the same technique and frequency: one way of working to the client.
    [way] = version.ways_of_working
    assert (way.name, way.frequency) == ("Defense analysis", "weekly")
    assert way.plain.startswith("Understanding the ways you protect yourself")


def test_the_builder_reads_only_the_loaded_page(plan, django_assert_num_queries):
    page = load_plan_page(plan, today=plan.client.practice.today())
    with django_assert_num_queries(0):
        client_version.build(plan, page)


def test_the_client_pdf_says_the_clients_words_and_keeps_the_clinical_statement_where_there_are_none(
    plan, clinician, login
):
    plan = transitions.submit_plan(actor=clinician, plan=plan)
    text = _pdf_text(login(clinician).get(f"/plans/{plan.pk}/pdf/?audience=client"))
    assert "Your treatment plan" in text
    assert f"1. {GOAL_WORDS}" in text and STEP_WORDS in text
    assert "Identify pattern 1.2 in relationships" in text
    # Said in the client's words, the clinical statements are not in the client's version.
    assert "Goal 1" not in text and "Identify pattern 1.1 in relationships" not in text
    assert "Hypothesis for clinicians only" not in text
    assert "How we will know: Names 2 patterns" in text
    # The clinical record keeps the clinical statements.
    record = _pdf_text(login(clinician).get(f"/plans/{plan.pk}/pdf/"))
    assert "Identify pattern 1.1 in relationships" in record


def test_the_html_version_says_what_the_pdf_says(plan, clinician, login):
    web = login(clinician)
    html = _html_version(web.get(f"/plans/{plan.pk}/client-version/"))
    pdf_text = _pdf_text(web.get(f"/plans/{plan.pk}/pdf/?audience=client"))
    goal = html.select_one(".cv-goal")
    assert goal.select_one("h3").get_text(" ", strip=True) == f"1. {GOAL_WORDS}"
    steps = [s.get_text(strip=True) for s in goal.select(".cv-step-text")]
    assert steps == [STEP_WORDS, "Identify pattern 1.2 in relationships"]
    for said in [goal.select_one("h3").get_text(" ", strip=True), *steps]:
        assert said in pdf_text
    for fact in html.select(".cv-facts dd"):
        assert fact.get_text(strip=True) in pdf_text
    assert "Hypothesis for clinicians only" not in html.get_text()


def test_the_html_version_is_server_rendered_without_scripts_or_inline_styles_and_escapes_typed_text(
    own_client, clinician, login
):
    plan = make_plan(own_client)
    goal = plan.goals.get()
    services.update_item(
        actor=clinician, item=goal, expected_version=goal.version, values={"clients_words": "<b>bold</b> & <i>me</i>"}
    )
    response = login(clinician).get(f"/plans/{plan.pk}/client-version/")
    body = response.content.decode()
    part = str(_html_version(response))
    assert "<script" not in part and "style=" not in part and "hx-" not in part
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;me&lt;/i&gt;" in body
    assert "no-store" in response["Cache-Control"]


def test_the_preview_says_how_many_items_read_in_the_clinical_wording_and_links_the_pdf(plan, clinician, login):
    soup = BeautifulSoup(login(clinician).get(f"/plans/{plan.pk}/client-version/").content, "html.parser")
    note = soup.select_one(".cv-preview-note").get_text(" ", strip=True)
    assert "1 goal or step reads in the clinical wording" in note
    assert soup.select_one(".cv-preview-note a")["href"] == f"/plans/{plan.pk}/pdf/?audience=client"


def test_the_plan_page_links_the_html_client_version(plan, clinician, login):
    soup = BeautifulSoup(login(clinician).get(f"/plans/{plan.pk}/").content, "html.parser")
    assert soup.select_one(f".plan-records a[href='/plans/{plan.pk}/client-version/']").get_text() == "Client version"


def test_reading_the_client_version_is_in_the_access_log_as_a_read_of_the_plan(plan, clinician, login):
    login(clinician).get(f"/plans/{plan.pk}/client-version/")
    entry = AccessLog.objects.filter(actor=clinician).order_by("-pk").first()
    assert (entry.action, entry.outcome, entry.detail) == ("read", "ok", "records:client_version")
    assert (entry.object_type, entry.object_id, entry.client_id) == ("plan", str(plan.pk), plan.client_id)


@pytest.mark.parametrize(
    "role, status",
    [("clinician", 200), ("supervisor", 200), ("admin", 200), ("colleague", 404), ("outsider", 404)],
)
def test_who_may_read_the_client_version_is_who_may_read_the_plan(role, status, request, plan, login):
    user = request.getfixturevalue(role)
    web = login(user)
    assert web.get(f"/plans/{plan.pk}/client-version/").status_code == status
    assert web.get(f"/plans/{plan.pk}/").status_code == status
    if status == 404:
        entry = AccessLog.objects.filter(actor=user).order_by("-pk").first()
        assert entry.outcome == "denied"


def test_signed_out_the_client_version_sends_to_sign_in(plan, client):
    response = client.get(f"/plans/{plan.pk}/client-version/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
