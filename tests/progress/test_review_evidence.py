"""The review that writes itself: the review form shows the notes' evidence since the last review
beside the inputs, fills in no rating, and records the clinician's judgement of the CCRT."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from formulation import services as formulation_services
from formulation.models import DefenseMechanism
from notes import evidence
from notes.models import ServiceType
from plans.lifecycle import transitions
from plans.models import Objective, TreatmentPlan
from progress.models import CcrtJudgement, ProgressReview
from progress.services import start_review_now
from tests.factories import ClientFactory, make_plan
from tests.notes.builders import held, record, weekly_history


@pytest.fixture
def individual(db):
    return ServiceType.objects.get(practice=None, code="individual")


def _plan_with_ccrt(client, *, objectives=2):
    plan = make_plan(client, objectives=objectives)
    formulation_services.save_formulation_section(
        actor=client.primary_clinician,
        formulation=plan.formulation,
        section="relational",
        expected_version=plan.formulation.section_version("relational"),
        values={
            "ccrt_wish": "To be cared for",
            "ccrt_response_of_other": "Others reject me",
            "ccrt_response_of_self": "I withdraw",
        },
    )
    return transitions.submit_plan(actor=client.primary_clinician, plan=plan)


@pytest.fixture
def plan(own_client):
    return _plan_with_ccrt(own_client)


@pytest.fixture
def objectives(plan):
    return list(Objective.objects.filter(goal__plan=plan).order_by("order", "pk"))


@pytest.fixture
def worked(clinician, own_client, plan, objectives, individual):
    """The first objective worked on twice, the second never; a therapist episode and a no-show."""
    humour = DefenseMechanism.objects.get(name="Humour", practice=None)
    denial = DefenseMechanism.objects.get(name="Denial", practice=None)
    for day, line, defense in ((3, "Named the pattern.", humour), (10, "Caught the withdrawal.", denial)):
        held(
            clinician,
            own_client,
            individual,
            dt.date(2026, 11, day),
            objectives=[{"objective": objectives[0], "evidence": line, "movement": "some_movement"}],
            defenses=[{"mechanism": defense, "count": 2}],
            episodes=[
                {
                    "other": "partner",
                    "wish": "to be held",
                    "response_of_other": "he leaves",
                    "response_of_self": "I freeze",
                },
                {
                    "other": "therapist",
                    "wish": "to be liked",
                    "response_of_other": "you judge me",
                    "response_of_self": "I joke",
                },
            ],
        )
    record(clinician, own_client, individual, date=dt.date(2026, 11, 17), attendance="no_show", reason="Did not come.")
    return plan


def _form_page(web, review):
    response = web.get(f"/plans/progress-reviews/{review.pk}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_the_review_form_shows_the_evidence_beside_each_objective(worked, objectives, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    page = _form_page(login(clinician), review)
    summary = page.select_one(".evidence-summary").get_text(" ", strip=True)
    assert "Attended 2" in summary and "No-show 1" in summary
    first = page.select_one(f"#review-objective-{objectives[0].pk}")
    lines = [li.get_text(" ", strip=True) for li in first.select(".evidence-lines li")]
    assert lines == ["2026-11-03 Some movement Named the pattern.", "2026-11-10 Some movement Caught the withdrawal."]
    # The rating input sits in the same fieldset as the evidence.
    assert first.select_one(f'input[name="o{objectives[0].pk}_rating"]')
    second = page.select_one(f"#review-objective-{objectives[1].pk}")
    assert "Drifting: not worked on in any session since 2026-11-02" in second.get_text(" ", strip=True)


def test_no_rating_status_or_decision_is_filled_in_from_the_evidence(worked, objectives, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    page = _form_page(login(clinician), review)
    for objective in objectives:
        assert not page.select_one(f'input[name="o{objective.pk}_rating"]').get("value")
        # The status starts blank: the clinician picks it.
        chosen = page.select_one(f'select[name="o{objective.pk}_status"] option[selected]')
        assert chosen is None or chosen["value"] == ""
        assert not page.select_one(f'textarea[name="o{objective.pk}_evidence"]').get_text(strip=True)
    assert not page.select('input[name="decision"][checked]')
    assert not page.select('input[name="ccrt_judgement"][checked][value="confirmed"]')
    assert "nothing here is filled in for you" in page.get_text(" ")


def test_episodes_are_grouped_with_transference_apart_and_the_ccrt_suggested(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    page = _form_page(login(clinician), review)
    section = page.find(id="ccrt-title").find_parent("section")
    text = section.get_text(" ", strip=True)
    assert "Episodes with others (2)" in text
    assert "Transference episodes (the therapist as the other: 2)" in text
    recurring = [li.get_text(" ", strip=True) for li in section.select(".theme-list li.recurring")]
    assert "to be held ×2 episodes, recurring" in recurring and "to be liked ×2 episodes, recurring" in recurring
    assert "Suggestion" in text and "wish “to be held”" in text
    # The edit fields start from the plan's CCRT, not from the episodes.
    assert section.select_one('textarea[name="ccrt_wish"]').get_text(strip=True) == "To be cared for"


def test_defensive_functioning_is_a_chart_with_a_table_trend_and_top_defenses(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    page = _form_page(login(clinician), review)
    section = page.find(id="functioning-title").find_parent("section")
    image = section.select_one("figure img")
    assert image["src"].startswith("data:image/svg+xml;base64,") and image["alt"]
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in section.select("table tbody tr")]
    assert rows == [["2026-11-03", "7.0"], ["2026-11-10", "3.0"]]
    assert "Trend: not enough sessions for a trend" in section.get_text(" ", strip=True)
    assert [li.get_text(" ", strip=True) for li in section.select(".top-defenses li")] == [
        "Humour (level 7) : 2 times",
        "Denial (level 3) : 2 times",
    ]


def test_the_chart_svg_carries_a_title_and_description(worked, objectives):
    from progress.selectors import review_evidence

    svg = review_evidence(worked, objectives=objectives).chart_svg
    assert "<title>Defensive functioning per session</title>" in svg
    assert "<desc>2 sessions from 2026-11-03 to 2026-11-10" in svg


def _post(plan, **overrides):
    data = {
        "alliance_bond": "4",
        "alliance_goals": "4",
        "alliance_tasks": "3",
        "summary": "Steady.",
        "decision": "continue",
    }
    for objective in Objective.objects.filter(goal__plan=plan):
        data |= {f"o{objective.pk}_status": "progressing", f"o{objective.pk}_rating": "40"}
    return data | overrides


def test_confirming_the_ccrt_records_the_plans_ccrt_on_the_review(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    response = login(clinician).post(f"/plans/progress-reviews/{review.pk}/", _post(worked, ccrt_judgement="confirmed"))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.ccrt_judgement == CcrtJudgement.CONFIRMED
    assert (review.ccrt_wish, review.ccrt_response_of_other, review.ccrt_response_of_self) == (
        "To be cared for",
        "Others reject me",
        "I withdraw",
    )


def test_an_edited_ccrt_is_recorded_on_the_review_and_the_signed_plan_is_untouched(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    data = _post(worked, ccrt_judgement="edited", ccrt_wish="To be held", ccrt_response_of_other="He leaves")
    login(clinician).post(f"/plans/progress-reviews/{review.pk}/", data | {"ccrt_response_of_self": "I freeze"})
    review.refresh_from_db()
    assert review.ccrt_judgement == CcrtJudgement.EDITED
    assert (review.ccrt_wish, review.ccrt_response_of_self) == ("To be held", "I freeze")
    worked.formulation.refresh_from_db()
    assert worked.formulation.ccrt_wish == "To be cared for"


def test_an_edited_ccrt_carries_into_the_amendment_a_revise_decision_starts(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    data = _post(
        worked,
        decision="revise",
        ccrt_judgement="edited",
        ccrt_wish="To be held",
        ccrt_response_of_other="He leaves",
        ccrt_response_of_self="I freeze",
    )
    login(clinician).post(f"/plans/progress-reviews/{review.pk}/", data)
    amendment = TreatmentPlan.objects.get(previous_version=worked)
    formulation = amendment.formulation
    assert (formulation.ccrt_wish, formulation.ccrt_response_of_other, formulation.ccrt_response_of_self) == (
        "To be held",
        "He leaves",
        "I freeze",
    )


def test_editing_the_ccrt_to_nothing_is_a_field_error_and_nothing_is_saved(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    response = login(clinician).post(f"/plans/progress-reviews/{review.pk}/", _post(worked, ccrt_judgement="edited"))
    assert response.status_code == 200
    assert "Write the CCRT as it now reads" in response.content.decode()
    review.refresh_from_db()
    assert review.is_open and not review.entries.exists()


def test_leaving_the_ccrt_unanswered_records_no_judgement(worked, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    login(clinician).post(f"/plans/progress-reviews/{review.pk}/", _post(worked))
    review.refresh_from_db()
    assert review.status == ProgressReview.Status.COMPLETED
    assert review.ccrt_judgement == CcrtJudgement.NOT_RECORDED and review.ccrt_wish == ""


def test_after_a_completed_review_the_evidence_starts_from_it(worked, objectives, clinician, login):
    review = start_review_now(actor=clinician, plan=worked)
    login(clinician).post(f"/plans/progress-reviews/{review.pk}/", _post(worked))
    review.refresh_from_db()
    assert evidence.since_date(worked) == review.completed_on
    found = evidence.plan_evidence(worked, objectives=objectives)
    assert found.since == review.completed_on


def test_the_plan_page_flags_the_drifting_objective_in_the_golden_thread(worked, objectives, clinician, login):
    page = BeautifulSoup(login(clinician).get(f"/plans/{worked.pk}/").content, "html.parser")
    flag = page.select_one('.thread .thread-flag[data-flag="drift"]')
    text = flag.get_text(" ", strip=True)
    assert text.startswith("Not worked on in any session since 2026-11-02:")
    assert objectives[1].statement in text and objectives[0].statement not in text


def test_the_cached_plan_page_shows_a_new_drift_flag(worked, objectives, clinician, own_client, individual, login):
    web = login(clinician)
    web.get(f"/plans/{worked.pk}/")  # caches the final version's structure
    held(
        clinician,
        own_client,
        individual,
        dt.date(2026, 11, 24),
        objectives=[{"objective": objectives[1], "evidence": "At last.", "movement": ""}],
    )
    page = BeautifulSoup(web.get(f"/plans/{worked.pk}/").content, "html.parser")
    assert not page.select('.thread-flag[data-flag="drift"]')


def _count(web, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = web.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def small_and_large(clinician, individual):
    plans = []
    for weeks in (3, 30):
        client = ClientFactory(primary_clinician=clinician)
        plan = _plan_with_ccrt(client)
        weekly_history(clinician, client, individual, weeks)
        plans.append(plan)
    return plans


def test_the_review_form_query_count_does_not_grow_with_sessions(small_and_large, clinician, login):
    web = login(clinician)
    urls = [f"/plans/progress-reviews/{start_review_now(actor=clinician, plan=p).pk}/" for p in small_and_large]
    _count(web, urls[0])  # warm the session and content types
    assert _count(web, urls[0]) == _count(web, urls[1])


def test_the_plan_page_query_count_does_not_grow_with_sessions(small_and_large, clinician, login):
    web = login(clinician)
    urls = [f"/plans/{p.pk}/" for p in small_and_large]
    _count(web, urls[0])
    cache.clear()
    first_visits = [_count(web, url) for url in urls]
    again = [_count(web, url) for url in urls]
    assert first_visits[0] == first_visits[1] and again[0] == again[1]


def _api_entries(plan):
    return [
        {"objective": o.pk, "status": "progressing", "rating": 40, "evidence": ""}
        for o in Objective.objects.filter(goal__plan=plan)
    ]


def test_the_api_records_an_edited_ccrt_and_shows_it_on_the_review(worked, clinician):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(clinician)
    review = start_review_now(actor=clinician, plan=worked)
    body = {
        "entries": _api_entries(worked),
        "decision": "continue",
        "ccrt_judgement": "edited",
        "ccrt_wish": "To be held",
        "ccrt_response_of_other": "He leaves",
        "ccrt_response_of_self": "I freeze",
    }
    response = api.post(f"/api/v1/progress-reviews/{review.pk}/complete/", body, format="json")
    assert response.status_code == 200, response.content
    recorded = response.json()["review"]
    assert (recorded["ccrt_judgement"], recorded["ccrt_wish"], recorded["ccrt_response_of_self"]) == (
        "edited",
        "To be held",
        "I freeze",
    )


def test_the_api_refuses_an_edited_ccrt_with_nothing_in_it(worked, clinician):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(clinician)
    review = start_review_now(actor=clinician, plan=worked)
    body = {"entries": _api_entries(worked), "decision": "continue", "ccrt_judgement": "edited"}
    response = api.post(f"/api/v1/progress-reviews/{review.pk}/complete/", body, format="json")
    assert response.status_code == 400
    assert "ccrt_wish" in response.content.decode()
    review.refresh_from_db()
    assert review.is_open
