"""The plan page's cached fragments (plans/editor/fragments.py): every kind of edit shows on the next
rendering, no reader gets another reader's fragment, and the page's queries do not grow with the plan.

The tests' cache is the real local-memory cache (config/settings.py's default), emptied before each
test (tests/conftest.py), so each test renders the page once to fill it before the edit it checks.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Practice
from clients.models import PresentingProblem
from formulation import services as formulation_services
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation
from plans.editor import services
from plans.lifecycle import comments, transitions
from plans.models import Comment, Goal, Intervention, InterventionTechnique, Objective
from tests.factories import ClientFactory, PresentingProblemFactory, make_plan
from tests.records.test_supervision_copy import PRIVATE, write_countertransference

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client, goals=2, objectives=2, interventions=1)


def _page(web, plan) -> BeautifulSoup:
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _structure(web, plan) -> str:
    return _page(web, plan).select_one("#plan-structure").get_text(" ", strip=True)


def _goal(plan) -> Goal:
    return Goal.objects.current().filter(plan=plan).order_by("order").first()


def _objective(plan) -> Objective:
    return Objective.objects.current().filter(goal=_goal(plan)).order_by("order").first()


def _edit(actor, item, **values):
    return services.update_item(actor=actor, item=item, expected_version=item.version, values=values)


def test_the_page_caches_its_fragments_and_serves_them_on_the_next_rendering(plan, clinician, login):
    web = login(clinician)
    first = _page(web, plan)
    cached = [k for k in cache._cache if "frag:v1:" in k]  # noqa: SLF001 - the local-memory cache's own store
    assert any(":objective:" in k for k in cached) and any(":goal:" in k for k in cached)
    assert any(":section:" in k for k in cached) and any(":comment-form:" in k for k in cached)
    again = _page(web, plan)
    assert again.select_one("#plan-structure").get_text() == first.select_one("#plan-structure").get_text()
    # Each rendering has its own one-time comment form ids and nothing fills a slot twice.
    ids = [i["value"] for i in again.select(".comment-form input[name=form_id]")]
    assert ids and len(ids) == len(set(ids))
    assert not {i["value"] for i in first.select(".comment-form input[name=form_id]")} & set(ids)
    assert "<!--comment-form:" not in str(again)


def test_an_objective_edit_renders_only_that_objective_and_its_goal_anew(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    before = {k for k in cache._cache if "frag:v1:" in k}  # noqa: SLF001
    _edit(clinician, _objective(plan), statement="Names one pattern each week")
    assert "Names one pattern each week" in _structure(web, plan)
    new = {k for k in cache._cache if "frag:v1:" in k} - before  # noqa: SLF001
    kinds = sorted(k.split(":")[-2] for k in new)
    # The objective, its goal's frame and the golden thread that names it; not the other goal,
    # objective or the interventions (whose "serves" line names it by version: that one too).
    assert kinds.count("objective") == 1 and kinds.count("goal") == 1
    assert "thread" in kinds
    assert kinds.count("intervention") <= 1


def _add_goal(actor, plan):
    services.add_goal(actor=actor, plan=plan, statement="A goal added later")
    return "A goal added later"


def _edit_goal(actor, plan):
    _edit(actor, _goal(plan), statement="Goal reworded")
    return "Goal reworded"


def _edit_objective(actor, plan):
    _edit(actor, _objective(plan), target="Names 4 patterns")
    return "Names 4 patterns"


def _add_objective(actor, plan):
    services.add_objective(actor=actor, goal=_goal(plan), statement="An objective added later")
    return "An objective added later"


def _edit_intervention(actor, plan):
    intervention = Intervention.objects.current().filter(plan=plan).first()
    _edit(actor, intervention, frequency="fortnightly on Thursdays")
    return "#plan-structure", "fortnightly on Thursdays"


def _add_intervention(actor, plan):
    technique = InterventionTechnique.objects.get(name="Clarification")
    services.add_intervention(actor=actor, plan=plan, technique=technique, objectives=[_objective(plan)])
    return "#plan-structure .intervention h3", "Clarification"


def _link_problem(actor, plan):
    problem = PresentingProblemFactory(client=plan.client, title="Sleeps badly")
    services.update_plan_details(
        actor=actor,
        plan=plan,
        expected_version=plan.version,
        start_date=plan.start_date,
        review_interval=plan.review_interval,
        horizon_months=plan.horizon_months,
        presenting_problems=[*plan.presenting_problems.all(), problem],
    )
    objective = _objective(plan)
    _edit(actor, objective, presenting_problems=[*objective.presenting_problems.all(), problem])
    return "Sleeps badly"


def _rename_problem(actor, plan):
    # A draft shows its problems as the client's record has them now.
    PresentingProblem.objects.filter(client=plan.client).update(title="Low mood, worse in winter")
    return "Low mood, worse in winter"


def _link_conflict(actor, plan):
    conflict = formulation_services.add_conflict(
        actor=actor,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="self-worth"),
        intensity="significant",
        mode="passive",
        description="",
    )
    objective = _objective(plan)
    _edit(actor, objective, conflicts=[conflict])
    return f"#objective-{objective.pk} .badge", "Self-worth"


def _edit_conflict(actor, plan):
    conflict = CoreConflict.objects.current().filter(formulation=plan.formulation).first()
    formulation_services.update_item(
        actor=actor, item=conflict, expected_version=conflict.version, values={"description": "Asks for nothing."}
    )
    return "Asks for nothing."


def _edit_defense(actor, plan):
    defense = DefenseObservation.objects.current().filter(formulation=plan.formulation).first()
    formulation_services.update_item(
        actor=actor,
        item=defense,
        expected_version=defense.version,
        values={"mechanism": DefenseMechanism.objects.get(name="Intellectualization")},
    )
    return "Intellectualization"


def _edit_section(actor, plan):
    formulation_services.save_formulation_section(
        actor=actor,
        formulation=plan.formulation,
        section="narrative",
        expected_version=plan.formulation.section_version("narrative"),
        values={"narrative_hypothesis": "A life told in departures."},
    )
    return "A life told in departures."


def _comment(actor, plan):
    comments.add_comment(
        actor=actor,
        plan=plan,
        body="Is this measurable?",
        anchor_kind=Comment.Anchor.OBJECTIVE,
        anchor_key=str(_objective(plan).lineage),
    )
    return f"#objective-{_objective(plan).pk} .inline-comments", "Is this measurable?"


def _move_dates(actor, plan):
    # The horizon now falls before the objectives' target date (2027-03-01): SMART says so.
    services.update_plan_details(
        actor=actor,
        plan=plan,
        expected_version=plan.version,
        start_date=plan.start_date,
        review_interval=plan.review_interval,
        horizon_months=3,
        presenting_problems=plan.presenting_problems.all(),
    )
    return "#plan-structure .smart", "beyond the plan's horizon"


EDITS = [
    _add_goal,
    _edit_goal,
    _edit_objective,
    _add_objective,
    _edit_intervention,
    _add_intervention,
    _link_problem,
    _rename_problem,
    _link_conflict,
    _edit_conflict,
    _edit_defense,
    _edit_section,
    _comment,
    _move_dates,
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__.strip("_"))
def test_every_kind_of_edit_shows_on_the_next_rendering(edit, plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    shown = edit(clinician, plan)
    plan.refresh_from_db()
    where, shown = shown if isinstance(shown, tuple) else ("body", shown)
    assert shown in " ".join(tag.get_text(" ") for tag in _page(web, plan).select(where))


def test_a_removed_item_and_an_unlinked_problem_are_gone_on_the_next_rendering(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    second = Goal.objects.current().filter(plan=plan).order_by("order").last()
    services.update_item(
        actor=clinician, item=second, expected_version=second.version, values={"statement": "Goal to retire"}
    )
    assert "Goal to retire" in _structure(web, plan)
    services.remove_item(actor=clinician, item=Goal.objects.get(pk=second.pk))
    objective = _objective(plan)
    _edit(clinician, objective, presenting_problems=[])
    structure = _structure(web, plan)
    assert "Goal to retire" not in structure
    assert "none linked" in structure


def test_a_resolved_comment_leaves_its_part_on_the_next_rendering(plan, clinician, login):
    web = login(clinician)
    comment = comments.add_comment(
        actor=clinician,
        plan=plan,
        body="Say what will change.",
        anchor_kind=Comment.Anchor.GOAL,
        anchor_key=str(_goal(plan).lineage),
    )
    assert "Say what will change." in _structure(web, plan)
    comments.resolve_comment(actor=clinician, comment=comment)
    assert "Say what will change." not in _structure(web, plan)


def test_submitting_takes_the_edit_controls_off_every_fragment(plan, clinician, login):
    web = login(clinician)
    assert _page(web, plan).select("#plan-structure .item-actions")
    transitions.submit_plan(actor=clinician, plan=plan)
    page = _page(web, plan)
    assert not page.select(".item-actions")
    assert not page.select("form.formulation-section")


def test_the_day_turning_past_a_target_date_shows_on_the_next_rendering(plan, clinician, login, monkeypatch):
    web = login(clinician)
    assert "The target date has passed" not in _structure(web, plan)
    monkeypatch.setattr(Practice, "today", lambda self: dt.date(2027, 3, 2))
    assert "The target date has passed" in _structure(web, plan)


def test_an_inline_save_answers_with_the_changed_item_among_the_cached_others(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    goal = _goal(plan)
    answer = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Saved inline", f"goal-{goal.pk}-version": goal.version},
        headers=HX,
    )
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.content, "html.parser")
    assert "Goal 1: Saved inline" in soup.select_one(f"#goal-{goal.pk}-title").get_text()
    assert soup.select_one("[data-announce]")["data-focus"] == f"goal-{goal.pk}-title"
    # Only that goal and its objectives, in place of the goal as it was; the other goal stays as shown.
    assert (answer["HX-Retarget"], answer["HX-Reswap"]) == (f"#goal-{goal.pk}", "outerHTML")
    assert [a["id"] for a in soup.select("article.goal")] == [f"goal-{goal.pk}"]
    assert len(soup.select("li.objective")) == 2
    assert not soup.select("#plan-structure, #golden-thread, li.intervention")
    assert "Goal 1: Saved inline" in _structure(web, plan)


def test_a_goal_saved_inline_stores_the_very_fragments_the_next_page_shows(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    goal = _goal(plan)
    web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Saved inline", f"goal-{goal.pk}-version": goal.version},
        headers=HX,
    )
    stored = {k for k in cache._cache if "frag:v1:" in k}  # noqa: SLF001
    assert "Goal 1: Saved inline" in _structure(web, plan)
    # The answer read only that goal, yet keyed its frame and objectives as the whole page does.
    new = {k for k in cache._cache if "frag:v1:" in k} - stored  # noqa: SLF001
    assert not [k for k in new if ":goal:" in k or ":objective:" in k]


def _objective_save(objective, **values) -> dict:
    data = {
        f"objective-{objective.pk}-{name}": objective.statement if name == "statement" else ""
        for name in ("statement", "measure", "target")
    }
    data |= {f"objective-{objective.pk}-responsible": objective.responsible}
    data |= {f"objective-{objective.pk}-status": objective.status}
    data |= {f"objective-{objective.pk}-version": objective.version}
    return data | {f"objective-{objective.pk}-{name}": value for name, value in values.items()}


def test_an_objective_saved_inline_answers_itself_and_out_of_band_what_else_names_it(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    objective = _objective(plan)
    serving = Intervention.objects.current().get(objectives=objective)
    answer = web.post(
        f"/plans/items/objective/{objective.pk}/edit/",
        _objective_save(objective, statement="Names one pattern each week"),
        headers=HX,
    )
    assert answer.status_code == 200
    assert (answer["HX-Retarget"], answer["HX-Reswap"]) == (f"#objective-{objective.pk}", "outerHTML")
    soup = BeautifulSoup(answer.content, "html.parser")
    assert soup.select_one(f"#objective-{objective.pk}-title").get_text() == "Names one pattern each week"
    # What is announced and focused comes out of band: the list it replaces an item of holds only items.
    marker = soup.select_one("[data-announce]")
    assert marker["data-focus"] == f"objective-{objective.pk}-title"
    assert marker.parent["hx-swap-oob"] == "beforeend:#plan-structure"
    # The golden thread, the intervention that serves it and the count, each swapped in by its id.
    out_of_band = {e["id"]: e for e in soup.select("[hx-swap-oob][id]")}
    assert set(out_of_band) == {"golden-thread", f"intervention-{serving.pk}", "clients-words-note"}
    assert "Names one pattern each week" in out_of_band["golden-thread"].get_text()
    assert "Names one pattern each week" in out_of_band[f"intervention-{serving.pk}"].get_text()
    # Not its goal's frame, nor the other goal, and the other interventions are left as they are.
    assert len(soup.select("article.goal")) == 0 and len(soup.select("li.intervention")) == 1
    # The next rendering shows the change everywhere the page names the objective.
    page = _page(web, plan)
    for where in (f"#objective-{objective.pk}", "#golden-thread", f"#intervention-{serving.pk}"):
        assert "Names one pattern each week" in page.select_one(where).get_text(), where


def test_an_objective_saved_inline_keeps_the_move_buttons_of_its_place_among_its_goals_objectives(
    plan, clinician, login
):
    web = login(clinician)
    first = _objective(plan)
    second = services.add_objective(
        actor=clinician, goal=first.goal, statement="Names a second pattern", measure="Self-report"
    )
    page = _page(web, plan)
    answer = web.post(
        f"/plans/items/objective/{second.pk}/edit/", _objective_save(second, statement="Names it twice"), headers=HX
    )
    item = BeautifulSoup(answer.content, "html.parser").select_one(f"#objective-{second.pk}")

    def actions(element) -> list[str]:
        return [b.contents[0].strip() for b in element.select(".item-actions button")]

    # The last of two: it moves up, not down, as the whole page draws it.
    assert actions(item) == ["Edit", "Move up", "Remove"] == actions(page.select_one(f"#objective-{second.pk}"))


def test_an_objective_linked_to_a_conflict_inline_shows_it_in_the_thread_it_answers(plan, clinician, login):
    web = login(clinician)
    _page(web, plan)
    conflict = formulation_services.add_conflict(
        actor=clinician,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="self-worth"),
        intensity="significant",
        mode="passive",
        description="",
    )
    objective = _objective(plan)
    answer = web.post(
        f"/plans/items/objective/{objective.pk}/edit/", _objective_save(objective, conflicts=[conflict.pk]), headers=HX
    )
    soup = BeautifulSoup(answer.content, "html.parser")
    badges = [b.get_text() for b in soup.select(f"#objective-{objective.pk} .badge")]
    assert badges == ["Self-worth"]
    row = next(r for r in soup.select("#golden-thread tr") if "Self-worth" in r.get_text())
    assert objective.statement in row.get_text()
    assert "Self-worth" in _page(web, plan).select_one(f"#objective-{objective.pk}").get_text()


def test_readers_with_other_rights_never_get_each_others_fragments(own_client, clinician, supervisor, admin, login):
    plan = write_countertransference(make_plan(own_client))
    transitions.submit_plan(actor=clinician, plan=plan)
    cache.clear()
    # The admin (who may not read the countertransference) first, then the supervisor (who may).
    web = login(admin)
    assert PRIVATE not in str(_page(web, plan))
    web = login(supervisor)
    assert PRIVATE in str(_page(web, plan))
    # And the other way round.
    cache.clear()
    web = login(supervisor)
    assert PRIVATE in str(_page(web, plan))
    web = login(admin)
    page = _page(web, plan)
    assert PRIVATE not in str(page)
    assert not page.select(".comment-form"), "the admin may not comment: no comment form from another reader"


def test_a_reader_who_may_not_edit_never_gets_the_editors_fragments(plan, clinician, supervisor, login):
    web = login(clinician)
    assert _page(web, plan).select("#plan-structure .item-actions")
    web = login(supervisor)
    page = _page(web, plan)
    assert not page.select(".item-actions")
    assert not page.select("form.formulation-section")
    web = login(clinician)
    assert _page(web, plan).select("#plan-structure .item-actions"), "and the editor keeps hers"


def _count(web, url: str, method: str = "get", data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(web, method)(url, data or {}, headers=HX)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_and_an_inline_save_take_as_many_queries_cached_or_not_whatever_the_plan_size(clinician, login):
    small = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    large = make_plan(ClientFactory(primary_clinician=clinician), goals=6, objectives=4, interventions=2)
    other = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    web = login(clinician)
    _count(web, f"/plans/{other.pk}/")  # warm what every page warms (session, content types)
    counts = {}
    for size, plan in (("small", small), ("large", large)):
        cold = _count(web, f"/plans/{plan.pk}/")
        warm = _count(web, f"/plans/{plan.pk}/")
        goal = _goal(plan)
        saves = []
        for n in range(2):
            goal.refresh_from_db()
            data = {f"goal-{goal.pk}-statement": f"Saved {n}", f"goal-{goal.pk}-version": goal.version}
            saves.append(_count(web, f"/plans/items/goal/{goal.pk}/edit/", "post", data))
        counts[size] = (cold, warm, saves[1])
    assert counts["small"] == counts["large"]
    # From cached fragments, a part with a stamp (progress) is not loaded at all: fewer queries.
    assert counts["large"][1] < counts["large"][0]


def test_an_objective_saved_in_full_or_autosaved_takes_as_many_queries_whatever_the_plan_size(clinician, login):
    small = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    large = make_plan(ClientFactory(primary_clinician=clinician), goals=6, objectives=4, interventions=2)
    web = login(clinician)
    _count(web, f"/plans/{small.pk}/")
    counts = {}
    for size, plan in (("small", small), ("large", large)):
        _count(web, f"/plans/{plan.pk}/")
        objective = _objective(plan)
        saves = []
        for n, suffix in enumerate(("", "", "?autosave=1", "?autosave=1")):
            objective.refresh_from_db()
            data = _objective_save(objective, statement=f"Saved {n}")
            saves.append(_count(web, f"/plans/items/objective/{objective.pk}/edit/{suffix}", "post", data))
        counts[size] = (saves[1], saves[3])
    assert counts["small"] == counts["large"]
