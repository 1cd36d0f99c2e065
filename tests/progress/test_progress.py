import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError

from plans.lifecycle import transitions
from plans.models import MeasureDefinition, Objective, TreatmentPlan
from progress import measures
from progress.models import MeasureScore, ProgressReview
from progress.services import record_measure, start_review_now
from tests.factories import make_plan


@pytest.mark.parametrize(
    ("items", "total", "band"),
    [
        ([0] * 9, 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ([3] * 9, 27, "severe"),
    ],
)
def test_phq9_is_scored_by_summing_items_into_its_bands(phq9, items, total, band):
    scored = measures.score(phq9, items=items)
    assert (scored.total, scored.band) == (total, band)


def test_gad7_bands(db):
    gad7 = MeasureDefinition.objects.get(code="gad7")
    assert [
        measures.score(gad7, items=[t // 7 + (1 if i < t % 7 else 0) for i in range(7)]).band
        for t in (4, 5, 14, 15, 21)
    ] == [
        "minimal",
        "mild",
        "moderate",
        "severe",
        "severe",
    ]


def test_phq9_item_nine_above_zero_raises_a_risk_flag(phq9):
    assert measures.score(phq9, items=[0] * 8 + [1]).risk_flag
    assert not measures.score(phq9, items=[3] * 8 + [0]).risk_flag


def test_incomplete_or_out_of_range_items_are_refused(phq9):
    with pytest.raises(ValidationError, match="Answer all 9"):
        measures.score(phq9, items=[1] * 8)
    with pytest.raises(ValidationError, match="scored 0 to 3"):
        measures.score(phq9, items=[4] + [0] * 8)


def test_measure_bound_objective_follows_the_scores(active_plan, clinician, phq9):
    # Bindings are set while drafting; an amendment is a fresh draft of the active plan.
    draft = transitions.amend_plan(actor=clinician, plan=active_plan)
    bound = Objective.objects.get(goal__plan=draft)
    from plans.editor import services

    services.update_item(
        actor=clinician,
        item=bound,
        expected_version=bound.version,
        values={
            "bound_measure": phq9,
            "bound_comparator": "lt",
            "bound_threshold": 10,
            "presenting_problems": list(bound.presenting_problems.all()),
        },
    )
    bound.refresh_from_db()
    client = active_plan.client
    today = client.practice.today()

    def status():
        return measures.achievement(bound, list(MeasureScore.objects.filter(client=client)), today)

    assert status() == "in_progress"
    record_measure(
        actor=clinician, client=client, definition=phq9, recorded_on=today - dt.timedelta(days=60), items=[2] * 9
    )
    assert status() == "in_progress"
    record_measure(
        actor=clinician, client=client, definition=phq9, recorded_on=today - dt.timedelta(days=30), items=[2] * 8 + [0]
    )
    assert status() == "improving"
    record_measure(
        actor=clinician, client=client, definition=phq9, recorded_on=today - dt.timedelta(days=20), items=[2] * 9
    )
    assert status() == "worsening"
    record_measure(
        actor=clinician, client=client, definition=phq9, recorded_on=today - dt.timedelta(days=10), items=[2] * 9
    )
    assert status() == "no_change"
    record_measure(actor=clinician, client=client, definition=phq9, recorded_on=today, items=[1] * 9)
    assert status() == "achieved"


def test_binding_needs_measure_criterion_and_threshold_together(own_client, clinician, phq9):
    from plans.editor import services

    plan = make_plan(own_client)
    objective = Objective.objects.get(goal__plan=plan)
    with pytest.raises(ValidationError, match="criterion and threshold"):
        services.update_item(
            actor=clinician, item=objective, expected_version=objective.version, values={"bound_measure": phq9}
        )
    with pytest.raises(ValidationError, match="runs from 0 to 27"):
        services.update_item(
            actor=clinician,
            item=objective,
            expected_version=objective.version,
            values={"bound_measure": phq9, "bound_comparator": "lt", "bound_threshold": 40},
        )


def _review_post(plan, phq9, **overrides):
    objective = Objective.objects.get(goal__plan=plan)
    data = {
        f"o{objective.pk}_status": "progressing",
        f"o{objective.pk}_rating": "50",
        f"o{objective.pk}_evidence": "Named two patterns.",
        "alliance_bond": "4",
        "alliance_goals": "4",
        "alliance_tasks": "3",
        "summary": "Engaged; mood lifting.",
        "decision": "continue",
    }
    data.update({f"m{phq9.pk}_i{i}": str(v) for i, v in enumerate([2, 2, 1, 1, 1, 1, 1, 1, 0])})
    data.update(overrides)
    return data


def test_completing_a_review_records_everything_and_moves_the_next_review_on(active_plan, clinician, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    web = login(clinician)
    response = web.post(f"/plans/progress-reviews/{review.pk}/", _review_post(active_plan, phq9))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "completed" and review.completed_by == clinician
    assert (review.alliance_bond, review.alliance_goals, review.alliance_tasks) == (4, 4, 3)
    assert review.entries.get().rating == 50
    score = MeasureScore.objects.get(review=review)
    assert (score.total, score.band, score.risk_flag) == (10, "moderate", False)
    active_plan.refresh_from_db()
    from plans.models import add_months

    assert active_plan.next_review_date == add_months(review.completed_on, 3)
    page = BeautifulSoup(web.get(f"/plans/{active_plan.pk}/").content, "html.parser")
    table = page.find("caption", string="PHQ-9 scores").find_parent("table")
    assert [td.get_text(strip=True) for td in table.select("tbody td")] == ["10", "moderate"]
    assert page.select_one(f'img[src^="/plans/{active_plan.pk}/charts/phq9.svg"]')


def test_a_half_answered_phq9_is_a_field_error_and_nothing_is_saved(active_plan, clinician, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    data = _review_post(active_plan, phq9)
    del data[f"m{phq9.pk}_i4"]
    response = login(clinician).post(f"/plans/progress-reviews/{review.pk}/", data)
    assert response.status_code == 200
    assert "Answer all 9 PHQ-9 items" in response.content.decode()
    review.refresh_from_db()
    assert review.status != "completed" and not MeasureScore.objects.exists()


def test_decision_revise_starts_an_amendment_prefilled_from_the_review(active_plan, clinician, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    objective = Objective.objects.get(goal__plan=active_plan)
    data = _review_post(active_plan, phq9, decision="revise", **{f"o{objective.pk}_status": "met"})
    response = login(clinician).post(f"/plans/progress-reviews/{review.pk}/", data)
    amendment = TreatmentPlan.objects.get(previous_version=active_plan)
    assert response["Location"] == f"/plans/{amendment.pk}/"
    assert Objective.objects.get(goal__plan=amendment).status == "met"


def test_decision_discharge_closes_the_plan_and_discharges_the_client(active_plan, clinician, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    data = _review_post(active_plan, phq9, decision="discharge", discharge_reason="Goals met")
    login(clinician).post(f"/plans/progress-reviews/{review.pk}/", data)
    active_plan.refresh_from_db()
    active_plan.client.refresh_from_db()
    assert active_plan.status == "closed" and active_plan.client.status == "discharged"
    assert not ProgressReview.objects.open().filter(plan=active_plan).exists()


def test_a_risk_flag_is_shown_on_the_plan_page(active_plan, clinician, phq9, login):
    record_measure(
        actor=clinician,
        client=active_plan.client,
        definition=phq9,
        recorded_on=active_plan.client.practice.today(),
        items=[1] * 9,
    )
    page = BeautifulSoup(login(clinician).get(f"/plans/{active_plan.pk}/").content, "html.parser")
    assert "Risk flag" in page.select_one(".risk").get_text()


def test_chart_is_an_svg_with_the_severity_bands(active_plan, clinician, phq9, login):
    record_measure(
        actor=clinician,
        client=active_plan.client,
        definition=phq9,
        recorded_on=active_plan.client.practice.today(),
        items=[2] * 9,
    )
    response = login(clinician).get(f"/plans/{active_plan.pk}/charts/phq9.svg")
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.lstrip().startswith("<?xml") and "moderately severe" in svg and "PHQ-9 over time" in svg


@pytest.mark.parametrize("role", ["colleague", "outsider"])
def test_charts_and_reviews_are_invisible_outside_the_caseload(role, request, active_plan, clinician, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    record_measure(
        actor=clinician,
        client=active_plan.client,
        definition=phq9,
        recorded_on=active_plan.client.practice.today(),
        items=[1] * 9,
    )
    web = login(request.getfixturevalue(role))
    assert web.get(f"/plans/{active_plan.pk}/charts/phq9.svg").status_code == 404
    assert web.get(f"/plans/progress-reviews/{review.pk}/").status_code == 404
    assert web.post(f"/plans/progress-reviews/{review.pk}/", _review_post(active_plan, phq9)).status_code == 404
    assert web.get(f"/plans/{active_plan.pk}/measures/phq9/").status_code == 404


def test_supervisor_reads_progress_but_cannot_complete_a_review(active_plan, clinician, supervisor, phq9, login):
    review = start_review_now(actor=clinician, plan=active_plan)
    web = login(supervisor)
    assert web.get(f"/plans/{active_plan.pk}/").status_code == 200
    assert web.post(f"/plans/progress-reviews/{review.pk}/", _review_post(active_plan, phq9)).status_code == 403
