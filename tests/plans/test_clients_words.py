"""Each goal and objective may be said in the client's words (issue 15): the editor writes it, says
plainly where it is missing, and checks versions as for any other field; an amendment carries it."""

import pytest
from bs4 import BeautifulSoup

from core.errors import PlanLockedError
from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Goal, Objective
from tests.factories import make_plan

HX = {"HX-Request": "true"}
MISSING = "The client version will use the clinical wording: add the client's words."


@pytest.fixture
def plan(own_client):
    return make_plan(own_client, goals=1, objectives=2)


def _structure(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one("#plan-structure")


def _count_text(structure) -> str:
    count = structure.select_one(".clients-words-count")
    return count.get_text(" ", strip=True) if count else ""


def test_the_goal_and_objective_forms_offer_the_clients_words_after_the_statement(clinician, plan, login):
    web = login(clinician)
    goal = plan.goals.get()
    add = BeautifulSoup(web.get(f"/plans/{plan.pk}/objective/add/?goal={goal.pk}").content, "html.parser")
    names = [f["name"] for f in add.select("form [name^='objective-new-']") if f["name"] != "objective-new-version"]
    assert names[:2] == ["objective-new-statement", "objective-new-clients_words"]
    assert add.select_one("textarea#id_objective-new-clients_words") is not None
    assert "In the client's words (optional)" in add.get_text()
    page = BeautifulSoup(web.get(f"/plans/{plan.pk}/").content, "html.parser")
    assert page.select_one("textarea#id_goal-new-clients_words") is not None


def test_adding_a_goal_in_the_clients_words_saves_it_and_shows_it_on_the_item(clinician, plan, login):
    web = login(clinician)
    structure = _structure(
        web.post(
            f"/plans/{plan.pk}/goal/add/",
            {"goal-new-statement": "Reduce reliance on isolation", "goal-new-clients_words": "Let people in"},
            headers=HX,
        )
    )
    goal = plan.goals.get(statement="Reduce reliance on isolation")
    assert goal.clients_words == "Let people in"
    card = structure.select_one(f"#goal-{goal.pk}")
    assert "In the client's words: “Let people in”" in card.select_one(".clients-words").get_text(" ", strip=True)
    assert MISSING not in card.select_one(f"#goal-{goal.pk}-body").get_text()


def test_each_item_without_the_clients_words_says_so_and_the_plan_page_counts_them(clinician, plan, login):
    web = login(clinician)
    structure = _structure(web.get(f"/plans/{plan.pk}/"))
    hints = [p.get_text(strip=True) for p in structure.select(".goal .clients-words-missing")]
    assert hints == [MISSING] * 3  # the goal and its two objectives
    assert _count_text(structure).startswith(
        "3 of 3 goals and objectives have no client's words: the client version will use the clinical wording."
    )
    assert structure.select_one(".clients-words-count a")["href"] == f"/plans/{plan.pk}/client-version/"

    objective = Objective.objects.filter(goal__plan=plan).first()
    answer = BeautifulSoup(
        web.post(
            f"/plans/items/objective/{objective.pk}/edit/",
            {
                f"objective-{objective.pk}-statement": objective.statement,
                f"objective-{objective.pk}-clients_words": "Notice when I pull away",
                f"objective-{objective.pk}-responsible": objective.responsible,
                f"objective-{objective.pk}-status": objective.status,
                f"objective-{objective.pk}-version": objective.version,
            },
            headers=HX,
        ).content,
        "html.parser",
    )
    objective.refresh_from_db()
    assert objective.clients_words == "Notice when I pull away"
    item = answer.select_one(f"#objective-{objective.pk}")
    assert "Notice when I pull away" in item.select_one(".clients-words").get_text()
    assert not item.select(".clients-words-missing")
    # The count is redrawn out of band with the saved item.
    assert answer.select_one("#clients-words-note")["hx-swap-oob"] == "true"
    assert _count_text(answer).startswith("2 of 3 goals and objectives")


def test_once_every_item_has_the_clients_words_the_page_has_no_hint_and_no_count(clinician, own_client, login):
    plan = make_plan(own_client, goals=1, objectives=1)
    goal, objective = plan.goals.get(), Objective.objects.get(goal__plan=plan)
    for item, words in [(goal, "Feel less alone"), (objective, "See the pattern")]:
        services.update_item(actor=clinician, item=item, expected_version=item.version, values={"clients_words": words})
    structure = _structure(login(clinician).get(f"/plans/{plan.pk}/"))
    assert not structure.select(".clients-words-missing") and _count_text(structure) == ""
    assert [p.get_text(" ", strip=True) for p in structure.select(".clients-words")] == [
        "In the client's words: “Feel less alone”",
        "In the client's words: “See the pattern”",
    ]


def test_a_reader_who_cannot_edit_sees_the_count_but_not_the_call_to_add(clinician, supervisor, plan, login):
    structure = _structure(login(supervisor).get(f"/plans/{plan.pk}/"))
    assert not structure.select(".goal .clients-words-missing")
    text = _count_text(structure)
    assert text.startswith("3 of 3") and "Add the client's words" not in text


def test_a_goal_saved_in_the_clients_words_answers_with_the_count_over_the_whole_plan(clinician, own_client, login):
    plan = make_plan(own_client, goals=2, objectives=2)
    goal = plan.goals.order_by("order").first()
    web = login(clinician)
    answer = BeautifulSoup(
        web.post(
            f"/plans/items/goal/{goal.pk}/edit/",
            {
                f"goal-{goal.pk}-statement": goal.statement,
                f"goal-{goal.pk}-clients_words": "Let people in",
                f"goal-{goal.pk}-version": goal.version,
            },
            headers=HX,
        ).content,
        "html.parser",
    )
    assert "Let people in" in answer.select_one(f"#goal-{goal.pk} .clients-words").get_text()
    # Only the saved goal is redrawn, but the count is of every goal and objective of the plan.
    assert len(answer.select("article.goal")) == 1
    assert _count_text(answer).startswith("5 of 6 goals and objectives")
    assert _count_text(_structure(web.get(f"/plans/{plan.pk}/"))).startswith("5 of 6 goals and objectives")


def test_a_stale_edit_of_the_clients_words_is_refused_and_keeps_the_earlier_save(clinician, plan, login):
    goal = plan.goals.get()
    web = login(clinician)
    fields = {f"goal-{goal.pk}-statement": goal.statement, f"goal-{goal.pk}-version": goal.version}
    web.post(f"/plans/items/goal/{goal.pk}/edit/", fields | {f"goal-{goal.pk}-clients_words": "Theirs"}, headers=HX)
    second = web.post(
        f"/plans/items/goal/{goal.pk}/edit/", fields | {f"goal-{goal.pk}-clients_words": "Mine"}, headers=HX
    )
    goal.refresh_from_db()
    assert goal.clients_words == "Theirs"
    soup = BeautifulSoup(second.content, "html.parser")
    assert soup.select_one(".conflict") is not None
    assert soup.select_one(f"#id_goal-{goal.pk}-clients_words").get_text().strip() == "Mine"


def test_the_clients_words_over_the_limit_are_refused_with_a_field_error(clinician, plan, login):
    web = login(clinician)
    response = web.post(
        f"/plans/{plan.pk}/goal/add/",
        {"goal-new-statement": "A goal", "goal-new-clients_words": "x" * 1001},
        headers=HX,
    )
    assert "at most 1000 characters" in response.content.decode()
    assert plan.goals.count() == 1


def test_the_clients_words_are_frozen_with_the_signed_version_and_carried_into_the_amendment(clinician, plan):
    goal = plan.goals.get()
    services.update_item(
        actor=clinician, item=goal, expected_version=goal.version, values={"clients_words": "Feel less alone"}
    )
    active = transitions.submit_plan(actor=clinician, plan=plan)
    with pytest.raises(PlanLockedError):
        services.update_item(
            actor=clinician,
            item=Goal.objects.get(plan=active),
            expected_version=goal.version + 1,
            values={"clients_words": "Changed after signing"},
        )
    amendment = transitions.amend_plan(actor=clinician, plan=active)
    copied = Goal.objects.get(plan=amendment)
    assert copied.clients_words == "Feel less alone" and copied.lineage == goal.lineage
