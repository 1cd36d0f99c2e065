import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from formulation.models import ConflictType
from plans.models import Goal, Intervention, Objective, PlanTemplate, TreatmentPlan
from tests.factories import ClientFactory, PresentingProblemFactory, make_plan

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


def _count_plan_page_queries(web, plan) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_plan_page_query_count_does_not_grow_with_plan_size(clinician, login):
    small = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    large = make_plan(ClientFactory(primary_clinician=clinician), goals=10, objectives=5, interventions=3)
    assert Objective.objects.filter(goal__plan=large).count() == 50
    assert Intervention.objects.filter(plan=large).count() == 150
    web = login(clinician)
    other = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    _count_plan_page_queries(web, other)  # warm what every page warms (session, content types)
    # The first rendering of each, then the next (from the fragment cache): each the same for both sizes.
    first = [_count_plan_page_queries(web, plan) for plan in (small, large)]
    again = [_count_plan_page_queries(web, plan) for plan in (small, large)]
    assert first[0] == first[1] and again[0] == again[1]


def test_starting_from_a_template_copies_goals_and_objectives_linked_to_the_problem(clinician, own_client, login):
    problem = PresentingProblemFactory(client=own_client)
    template = PlanTemplate.objects.get(name="Psychodynamic core")
    web = login(clinician)
    response = web.post(
        f"/plans/new/for-client/{own_client.pk}/",
        {
            "template": template.pk,
            "start_date": "2026-11-30",
            "review_interval": 3,
            "presenting_problems": [problem.pk],
        },
    )
    plan = TreatmentPlan.objects.get(client=own_client)
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert list(plan.goals.values_list("statement", flat=True)) == [
        "Increase self-awareness",
        "Improve interpersonal relationships",
        "Resolve unconscious conflicts",
    ]
    objectives = Objective.objects.filter(goal__plan=plan)
    assert objectives.count() == 9
    assert all(list(o.presenting_problems.all()) == [problem] for o in objectives)
    # Month ends clamp: 30 Nov + 3 months is the end of February.
    assert plan.next_review_date == dt.date(2027, 2, 28)


def test_adding_a_goal_inline_returns_the_updated_structure(clinician, plan, login):
    web = login(clinician)
    response = web.post(
        f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Reduce reliance on isolation"}, headers=HX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#plan-structure"
    soup = BeautifulSoup(response.content, "html.parser")
    headings = [h.get_text(strip=True) for h in soup.select("#plan-structure .goal h3")]
    assert headings[-1] == "Goal 2: Reduce reliance on isolation"


def test_goal_without_a_statement_keeps_the_input_and_saves_nothing(clinician, plan, login):
    web = login(clinician)
    response = web.post(
        f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "", "goal-new-description": "Keep this text"}, headers=HX
    )
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("#id_goal-new-description").get_text().strip() == "Keep this text"
    assert "required" in soup.select_one(".errors").get_text()
    assert plan.goals.count() == 1


def test_objective_text_over_the_limit_is_refused_with_a_field_error(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    response = web.post(
        f"/plans/{plan.pk}/objective/add/", {"goal": goal.pk, "objective-new-statement": "x" * 501}, headers=HX
    )
    assert "at most 500 characters" in response.content.decode()
    assert goal.objectives.count() == 1


def test_html_typed_into_an_objective_is_shown_as_text(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    web.post(
        f"/plans/{plan.pk}/objective/add/",
        {
            "goal": goal.pk,
            "objective-new-statement": "<script>alert('x')</script>",
            "objective-new-responsible": "both",
            "objective-new-status": "not_started",
        },
        headers=HX,
    )
    page = web.get(f"/plans/{plan.pk}/").content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_a_stale_goal_edit_is_refused_and_shows_both_texts(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    first = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Theirs", f"goal-{goal.pk}-version": 1},
        headers=HX,
    )
    assert first.status_code == 200
    second = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Mine", f"goal-{goal.pk}-version": 1},
        headers=HX,
    )
    goal.refresh_from_db()
    assert goal.statement == "Theirs"
    soup = BeautifulSoup(second.content, "html.parser")
    assert "Theirs" in soup.select_one(".conflict").get_text()
    assert soup.select_one(f"#id_goal-{goal.pk}-statement")["value"] == "Mine"
    overwrite = json.loads(soup.select_one(".conflict button[hx-vals]")["hx-vals"])["overwrite_version"]
    web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Mine", f"goal-{goal.pk}-version": 1, "overwrite_version": overwrite},
        headers=HX,
    )
    goal.refresh_from_db()
    assert goal.statement == "Mine"


def test_remove_keeps_the_row_and_hides_it(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    web.post(f"/plans/items/goal/{goal.pk}/remove/", headers=HX)
    goal.refresh_from_db()
    assert goal.removed_at is not None
    assert (
        "Goal 1"
        not in BeautifulSoup(web.get(f"/plans/{plan.pk}/").content, "html.parser")
        .select_one("#plan-structure")
        .get_text()
    )


def test_move_reorders_goals(clinician, plan, login):
    web = login(clinician)
    web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Second"}, headers=HX)
    second = plan.goals.get(statement="Second")
    web.post(f"/plans/items/goal/{second.pk}/move/up/", headers=HX)
    assert list(plan.goals.order_by("order").values_list("statement", flat=True)) == ["Second", "Goal 1"]


def test_golden_thread_flags_unaddressed_formulation_items_and_loose_objectives(clinician, plan, login):
    from formulation import services as formulation_services
    from plans.editor import services

    formulation_services.add_conflict(
        actor=clinician,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="guilt"),
        intensity="low",
        mode="active",
        description="",
    )
    services.add_objective(
        actor=clinician, goal=plan.goals.get(), statement="Attend weekly sessions", measure="", target=""
    )
    web = login(clinician)
    soup = BeautifulSoup(web.get(f"/plans/{plan.pk}/").content, "html.parser")
    thread = soup.select_one(".thread")
    flagged = [row.th.get_text(" ", strip=True) for row in thread.select("tr.flag")]
    assert any(text.startswith("Conflict: Guilt") for text in flagged)
    assert not any("Desire for care" in text for text in flagged)
    assert "Attend weekly sessions" in thread.select_one(".flag-note").get_text()


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_readers_of_a_plan_see_it_without_edit_controls_and_cannot_write(role, request, plan, login):
    web = login(request.getfixturevalue(role))
    page = web.get(f"/plans/{plan.pk}/")
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    assert not soup.select("form.formulation-section") and not soup.select(".item-actions")
    assert web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Nope"}, headers=HX).status_code == 403
    goal = plan.goals.get()
    assert web.post(f"/plans/items/goal/{goal.pk}/remove/", headers=HX).status_code == 403
    assert Goal.objects.filter(plan=plan, removed_at__isnull=True).count() == 1


@pytest.mark.parametrize("role", ["colleague", "outsider"])
def test_plans_outside_the_caseload_do_not_exist(role, request, plan, login):
    web = login(request.getfixturevalue(role))
    goal = plan.goals.get()
    assert web.get(f"/plans/{plan.pk}/").status_code == 404
    assert web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "x"}, headers=HX).status_code == 404
    assert web.post(f"/plans/items/goal/{goal.pk}/edit/", {}, headers=HX).status_code == 404
    assert web.post(f"/plans/{plan.pk}/formulation/narrative/", {}, headers=HX).status_code == 404
    assert TreatmentPlan.objects.visible_to(request.getfixturevalue(role)).count() == 0


def test_live_smart_preview_flags_and_clears_as_the_objective_is_typed(clinician, plan, login):
    web = login(clinician)
    vague = web.post(f"/plans/{plan.pk}/smart/", {"prefix": "p", "p-statement": "Understand anger"})
    assert "vague_verb" in vague.content.decode()
    complete = web.post(
        f"/plans/{plan.pk}/smart/",
        {
            "prefix": "p",
            "p-statement": "Name anger when it arises in session",
            "p-measure": "Noted by clinician",
            "p-target": "In 3 sessions",
            "p-baseline": "Not named in the last 4 sessions",
            "p-target_date": "2027-02-01",
            "p-presenting_problems": [plan.presenting_problems.get().pk],
        },
    )
    assert "nothing missing" in complete.content.decode()


def test_smart_guidance_stands_beside_the_field_it_is_about(clinician, plan, login):
    from bs4 import BeautifulSoup

    web = login(clinician)
    form = BeautifulSoup(web.get(f"/plans/{plan.pk}/objective/add/?goal={plan.goals.get().pk}").content, "html.parser")
    prefix = form.select_one("[hx-vals]")["hx-vals"].split('"prefix": "')[1].split('"')[0]
    # The form keeps a place for guidance beside each field the check speaks about.
    assert form.select_one(f"#id_{prefix}-target_smart") is not None
    answer = web.post(
        f"/plans/{plan.pk}/smart/",
        {"prefix": prefix, f"{prefix}-statement": "Name anger when it arises", f"{prefix}-target": "in most episodes"},
    )
    hints = BeautifulSoup(answer.content, "html.parser")
    target = hints.select_one(f"#id_{prefix}-target_smart")
    assert target["hx-swap-oob"] == "true" and target.select_one("[data-smart=vague_target]")
    assert hints.select_one(f"#id_{prefix}-baseline_smart [data-smart=no_baseline]")
    # A field with nothing to say is cleared, so guidance does not linger after it was followed.
    assert hints.select_one(f"#id_{prefix}-statement_smart").get_text(strip=True) == ""


def _add_objective_dated(web, plan, target_date: dt.date):
    goal = plan.goals.get()
    return web.post(
        f"/plans/{plan.pk}/objective/add/",
        {
            "goal": goal.pk,
            "objective-new-statement": "Name anger when it arises",
            "objective-new-target_date": target_date.isoformat(),
            "objective-new-responsible": "both",
            "objective-new-status": "not_started",
        },
        headers=HX,
    )


def _target_date_errors(response) -> str:
    soup = BeautifulSoup(response.content, "html.parser")
    errors = soup.find(id="id_objective-new-target_date_error")
    assert errors is not None, "no error under the target date field"
    # A screen reader reaches the error from the field: every id the field says describes it exists.
    described_by = soup.find(id="id_objective-new-target_date")["aria-describedby"].split()
    assert "id_objective-new-target_date_error" in described_by
    assert all(soup.find(id=ref) is not None for ref in described_by), described_by
    return errors.get_text()


def test_an_objective_dated_before_the_plan_starts_is_refused_with_a_field_error(clinician, plan, login):
    web = login(clinician)
    response = _add_objective_dated(web, plan, plan.start_date - dt.timedelta(days=1))
    assert "before the plan starts" in _target_date_errors(response)
    assert plan.goals.get().objectives.count() == 1


def test_an_objective_dated_beyond_the_plan_horizon_is_refused_with_a_field_error(clinician, plan, login):
    web = login(clinician)
    response = _add_objective_dated(web, plan, plan.horizon_date + dt.timedelta(days=1))
    assert "beyond the plan's horizon" in _target_date_errors(response)
    assert plan.goals.get().objectives.count() == 1


def test_an_objective_dated_within_the_plan_span_is_saved(clinician, plan, login):
    web = login(clinician)
    _add_objective_dated(web, plan, plan.horizon_date)
    assert plan.goals.get().objectives.count() == 2
