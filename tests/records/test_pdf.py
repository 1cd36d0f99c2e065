"""PDF records opened with pypdf: real text, pages, metadata and escaping."""

import io
import re

import pytest
from pypdf import PdfReader

from accounts.models import Practice
from formulation import services as formulation_services
from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Objective
from progress.services import start_review_now
from tests.factories import ClientFactory, complete_review_continuing, make_plan


def _pdf(response) -> PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def _text(reader: PdfReader) -> str:
    """All pages' text with line breaks inside table cells folded into spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def signed_trainee_plan(trainee, supervisor):
    plan = make_plan(ClientFactory(primary_clinician=trainee))
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    return transitions.approve_plan(actor=supervisor, plan=plan)


def test_pdf_carries_goals_objectives_signatures_pages_and_metadata(signed_trainee_plan, trainee, supervisor, login):
    plan = signed_trainee_plan
    response = login(trainee).get(f"/plans/{plan.pk}/pdf/")
    assert response["Cache-Control"] == "no-store"
    assert f"plan-{plan.client.chart_number}-v1.pdf" in response["Content-Disposition"]
    reader = _pdf(response)
    text = _text(reader)
    assert "Goal 1" in text and "Identify pattern 1.1 in relationships" in text
    assert "Confidential: contains protected health information" in reader.pages[0].extract_text()
    assert f"Page 1 of {len(reader.pages)}" in reader.pages[0].extract_text()
    assert f"Plan v1 · {plan.client.chart_number}" in reader.pages[0].extract_text()
    assert "Authored" in text and trainee.get_full_name() in text
    assert "Reviewed and approved" in text and supervisor.get_full_name() in text
    assert plan.signatures.first().content_hash in text.replace(" ", "")
    assert reader.metadata.title == f"Treatment plan v1 – {plan.client.chart_number}"
    assert trainee.get_full_name() in reader.metadata.author
    assert reader.metadata.creation_date is not None


def test_text_typed_by_users_is_escaped_not_rendered(own_client, clinician, login):
    plan = make_plan(own_client)
    objective = Objective.objects.get(goal__plan=plan)
    services.update_item(
        actor=clinician,
        item=objective,
        expected_version=objective.version,
        values={"statement": "<script>alert(1)</script> <b>bold</b>", "presenting_problems": []},
    )
    text = _text(_pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/")))
    assert "<script>alert(1)</script> <b>bold</b>" in text


def test_a_ten_goal_plan_spans_pages_with_each_objective_once(own_client, clinician, login):
    plan = make_plan(own_client, goals=10, objectives=5, interventions=1)
    reader = _pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/"))
    pages = len(reader.pages)
    assert pages >= 4
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    for number, page_text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in page_text
    whole = " ".join(texts)
    for g in range(1, 11):
        for o in range(1, 6):
            statement = f"Identify pattern {g}.{o} in relationships"
            # In the objectives table once, and once more where an intervention says whom it serves.
            assert whole.count(statement) == 2, statement
    # Table headers repeat on pages where a table continues, so no page starts mid-table without them.
    continued = [t for t in texts[1:] if re.search(r"\b\d+\.\d+ Identify pattern", t)]
    assert continued and all("How measured" in t for t in continued)


def test_paper_size_follows_the_practice(own_client, clinician, login):
    plan = make_plan(own_client)
    a4 = _pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/")).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    Practice.objects.filter(pk=own_client.practice_id).update(paper_size="letter")
    letter = _pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/")).pages[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)


def test_client_version_is_plain_and_leaves_out_the_formulation(own_client, clinician, login):
    plan = make_plan(own_client)
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=plan.formulation,
        section="narrative",
        expected_version=0,
        values={"narrative_hypothesis": "Hypothesis for clinicians only"},
    )
    plan = transitions.submit_plan(actor=clinician, plan=plan)
    text = _text(_pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/?audience=client")))
    assert "Your treatment plan" in text and "Goal 1" in text
    assert "Identify pattern 1.1 in relationships" in text
    assert "Understanding the ways you protect yourself" in text  # Defense analysis, said plainly
    assert "Hypothesis for clinicians only" not in text and "Longs to be cared for" not in text
    assert "Client signature and date" in text
    transitions.record_client_agreement(actor=clinician, plan=plan, client_name="Client Signed-Name")
    text = _text(_pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/?audience=client")))
    assert "Agreed by Client Signed-Name" in text


def test_earlier_versions_stay_downloadable(own_client, clinician, login):
    v1 = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    v2 = transitions.submit_plan(actor=clinician, plan=transitions.amend_plan(actor=clinician, plan=v1))
    web = login(clinician)
    assert "Plan v1" in _pdf(web.get(f"/plans/{v1.pk}/pdf/")).pages[0].extract_text()
    assert "Plan v2" in _pdf(web.get(f"/plans/{v2.pk}/pdf/")).pages[0].extract_text()
    assert "superseded" in _text(_pdf(web.get(f"/plans/{v1.pk}/pdf/")))


@pytest.mark.parametrize("role", ["colleague", "outsider"])
def test_pdf_outside_the_caseload_does_not_exist(role, request, own_client, login):
    plan = make_plan(own_client)
    assert login(request.getfixturevalue(role)).get(f"/plans/{plan.pk}/pdf/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_readers_of_a_plan_can_download_its_pdf(role, request, own_client, login):
    plan = make_plan(own_client)
    assert login(request.getfixturevalue(role)).get(f"/plans/{plan.pk}/pdf/").status_code == 200


def test_pdf_takes_objective_status_from_the_latest_review_and_prints_the_golden_thread(clinician, login):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    objective = Objective.objects.get(goal__plan=plan)
    complete_review_continuing(clinician, start_review_now(actor=clinician, plan=plan))
    text = _text(_pdf(login(clinician).get(f"/plans/{plan.pk}/pdf/")))
    goals = text.split("Interventions")[0]
    # The status the review gave, not the objective's own "Not started"; interventions no longer
    # squeezed into the status column but in their own section, naming the objectives they serve.
    assert "Progressing review" in goals and "Not started" not in goals
    assert "Defense analysis" not in goals
    interventions = text.split("Interventions")[1].split("Golden thread")[0]
    assert "Defense analysis" in interventions and f"1.1: {objective.statement[:20]}" in interventions
    thread = text.split("Golden thread")[1].split("Progress")[0]
    assert "Isolation of affect" in thread and "1.1" in thread
    assert "Addresses: conflict" in goals
