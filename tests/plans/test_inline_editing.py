"""What the plan editor's answers give static/js/editor.js: an add or a save says what to announce and
which heading takes focus; an add form sent twice (its leave-time send and its button) makes one item;
an autosave changes only the status's text and says whether it saved; a form shown again with its
errors says it holds unsaved text."""

import pytest
from bs4 import BeautifulSoup

from plans.models import Goal, Objective
from tests.factories import make_plan

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


def _objective_form(goal, statement: str, form_id: str = "") -> dict:
    data = {
        "goal": goal.pk,
        "objective-new-statement": statement,
        "objective-new-responsible": "both",
        "objective-new-status": "not_started",
    }
    if form_id:
        data["form_id"] = form_id
    return data


def _marker(response):
    # In the structure, or beside the goal a save redraws alone.
    return BeautifulSoup(response.content, "html.parser").select_one("[data-announce]")


def test_an_added_objective_is_announced_and_its_heading_takes_focus(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    response = web.post(f"/plans/{plan.pk}/objective/add/", _objective_form(goal, "Names the pattern"), headers=HX)
    added = goal.objectives.get(statement="Names the pattern")
    marker = _marker(response)
    assert marker["data-announce"] == "Objective added"
    assert marker["data-focus"] == f"objective-{added.pk}-title"
    soup = BeautifulSoup(response.content, "html.parser")
    heading = soup.select_one(f"#objective-{added.pk}-title")
    assert heading.get_text(strip=True) == "Names the pattern"
    assert heading["tabindex"] == "-1"


def test_a_goal_saved_in_full_is_announced_as_saved(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    response = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Closer, without withdrawing", f"goal-{goal.pk}-version": goal.version},
        headers=HX,
    )
    marker = _marker(response)
    assert marker["data-announce"] == "Goal saved"
    assert marker["data-focus"] == f"goal-{goal.pk}-title"


def test_the_same_add_form_sent_twice_makes_one_objective_and_both_answers_announce_it(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    form = _objective_form(goal, "Names the pattern", form_id="leave-time-and-button")
    # The page sends an add form as it goes away (keepalive, no HX-Request) and the button sent it too.
    first = web.post(f"/plans/{plan.pk}/objective/add/", form)
    second = web.post(f"/plans/{plan.pk}/objective/add/", form, headers=HX)
    assert goal.objectives.filter(statement="Names the pattern").count() == 1
    assert _marker(first)["data-focus"] == _marker(second)["data-focus"]


def test_the_same_goal_form_sent_twice_makes_one_goal(clinician, plan, login):
    web = login(clinician)
    form = {"goal-new-statement": "Tolerate closeness", "form_id": "one-goal-form"}
    web.post(f"/plans/{plan.pk}/goal/add/", form, headers=HX)
    web.post(f"/plans/{plan.pk}/goal/add/", form, headers=HX)
    assert Goal.objects.filter(plan=plan, statement="Tolerate closeness").count() == 1


def test_an_add_form_shown_again_with_errors_is_marked_as_holding_unsaved_text(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    response = web.post(f"/plans/{plan.pk}/objective/add/", _objective_form(goal, ""), headers=HX)
    form = BeautifulSoup(response.content, "html.parser").select_one("form[data-autosave]")
    assert form["data-autosave"] == "add"
    assert form.has_attr("data-autosave-unsaved")
    assert goal.objectives.count() == 1


def test_an_opened_edit_form_autosaves_to_its_own_address_and_is_not_marked_unsaved(clinician, plan, login):
    objective = Objective.objects.get(goal__plan=plan)
    web = login(clinician)
    response = web.get(f"/plans/items/objective/{objective.pk}/edit/", headers=HX)
    form = BeautifulSoup(response.content, "html.parser").select_one("form[data-autosave]")
    assert form["data-autosave"] == "edit"
    assert form["data-autosave-url"] == f"/plans/items/objective/{objective.pk}/edit/?autosave=1"
    assert not form.has_attr("data-autosave-unsaved")


def test_an_intervention_autosave_saves_and_says_so_in_the_status_text_only(clinician, plan, login):
    intervention = plan.interventions.get()
    prefix = f"intervention-{intervention.pk}"
    web = login(clinician)
    response = web.post(
        f"/plans/items/intervention/{intervention.pk}/edit/?autosave=1",
        {
            f"{prefix}-technique": intervention.technique_id,
            f"{prefix}-frequency": "twice weekly",
            f"{prefix}-objectives": [o.pk for o in intervention.objectives.all()],
            f"{prefix}-version": intervention.version,
        },
        headers=HX,
    )
    intervention.refresh_from_db()
    assert intervention.frequency == "twice weekly"
    soup = BeautifulSoup(response.content, "html.parser")
    status = soup.select_one(f"#status-{prefix}")
    # The live region stays in the page; only its text is replaced, so the change is read out.
    assert status["hx-swap-oob"] == "innerHTML"
    assert status.select_one("[data-save-outcome]")["data-save-outcome"] == "saved"
    assert soup.select_one(f"#id_{prefix}-version")["value"] == str(intervention.version)


def test_an_autosave_refused_by_a_field_says_not_saved(clinician, plan, login):
    objective = Objective.objects.get(goal__plan=plan)
    prefix = f"objective-{objective.pk}"
    web = login(clinician)
    response = web.post(
        f"/plans/items/objective/{objective.pk}/edit/?autosave=1",
        {f"{prefix}-statement": "x" * 501, f"{prefix}-version": objective.version},
        headers=HX,
    )
    outcome = BeautifulSoup(response.content, "html.parser").select_one(f"#status-{prefix} [data-save-outcome]")
    assert outcome["data-save-outcome"] == "problem"
    assert outcome.get_text().startswith("Not saved:")
    objective.refresh_from_db()
    assert len(objective.statement) < 501


def test_a_removed_objective_is_announced_and_focus_goes_to_the_goals_heading(clinician, plan, login):
    objective = Objective.objects.get(goal__plan=plan)
    web = login(clinician)
    marker = _marker(web.post(f"/plans/items/objective/{objective.pk}/remove/", headers=HX))
    assert (marker["data-announce"], marker["data-focus"]) == ("Objective removed", "goals-title")


def test_a_moved_goal_is_announced_and_keeps_focus_on_its_heading(clinician, own_client, login):
    plan = make_plan(own_client, goals=2)
    second = plan.goals.order_by("order").last()
    web = login(clinician)
    marker = _marker(web.post(f"/plans/items/goal/{second.pk}/move/up/", headers=HX))
    assert (marker["data-announce"], marker["data-focus"]) == ("Goal moved up", f"goal-{second.pk}-title")
