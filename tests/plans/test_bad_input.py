"""Malformed parameters of the plan editor are a clear 400, never a 500."""

import pytest

from tests.factories import make_plan

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


@pytest.fixture
def web(clinician, login):
    web = login(clinician)
    web.raise_request_exception = False
    return web


def _assert_bad_request(response, words: str):
    assert response.status_code == 400, response.content[:500]
    body = response.content.decode()
    assert words in body
    assert "Traceback" not in body


def test_a_non_numeric_overwrite_version_on_the_plan_details_is_a_400(web, plan):
    response = web.post(
        f"/plans/{plan.pk}/details/",
        {
            "version": plan.version,
            "start_date": "2026-11-02",
            "review_interval": 3,
            "horizon_months": 12,
            "overwrite_version": "abc",
        },
    )
    _assert_bad_request(response, "overwrite_version")


def test_a_non_numeric_overwrite_version_on_a_formulation_section_is_a_400(web, plan):
    section = "narrative"
    response = web.post(
        f"/plans/{plan.pk}/formulation/{section}/",
        {
            f"{section}-version": plan.formulation.section_version(section),
            f"{section}-narrative_hypothesis": "A wish to be held.",
            "overwrite_version": "abc",
        },
        headers=HX,
    )
    _assert_bad_request(response, "overwrite_version")


def test_a_non_numeric_overwrite_version_on_an_item_edit_is_a_400(web, plan):
    goal = plan.goals.get()
    response = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-version": goal.version, f"goal-{goal.pk}-statement": "Mine", "overwrite_version": "abc"},
        headers=HX,
    )
    _assert_bad_request(response, "overwrite_version")
    # The editor keeps what was typed and shows the message as a notice.
    assert response["HX-Reswap"] == "none" and "psyplan:bad-request" in response["HX-Trigger"]
    goal.refresh_from_db()
    assert goal.statement != "Mine"


@pytest.mark.parametrize("value", ["abc", "1.5", "٣", "99999999999999999999999"])
def test_a_malformed_goal_parameter_when_adding_an_objective_is_a_400(web, plan, value):
    _assert_bad_request(web.get(f"/plans/{plan.pk}/objective/add/", {"goal": value}, headers=HX), "goal")


def test_a_move_direction_other_than_up_or_down_is_a_400(web, plan):
    goal = plan.goals.get()
    _assert_bad_request(web.post(f"/plans/items/goal/{goal.pk}/move/sideways/", headers=HX), "up or down")


def test_a_huge_id_in_a_checkbox_list_is_a_field_error_not_a_driver_overflow(web, plan):
    objective = plan.goals.get().objectives.get()
    prefix = f"objective-{objective.pk}"
    response = web.post(
        f"/plans/items/objective/{objective.pk}/edit/",
        {
            f"{prefix}-version": objective.version,
            f"{prefix}-statement": objective.statement,
            f"{prefix}-status": objective.status,
            f"{prefix}-presenting_problems": ["9" * 40],
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert "presenting_problems" in response.context["form"].errors


@pytest.mark.parametrize("huge", [2**63, 10**40, -(2**63) - 1])
def test_an_in_lookup_with_ids_no_column_can_hold_matches_nothing(plan, huge):
    from plans.models import Goal

    goal = plan.goals.get()
    assert list(Goal.objects.filter(pk__in=[huge])) == []
    assert list(Goal.objects.filter(pk__in=[huge, goal.pk])) == [goal]
    assert list(Goal.objects.exclude(pk__in=[huge]).filter(plan=plan)) == [goal]


def test_a_nul_character_in_a_comment_is_a_400_naming_the_field(web, plan):
    response = web.post(f"/plans/{plan.pk}/comments/", {"anchor": "plan:", "body": "a\x00b"})
    _assert_bad_request(response, "The field body contains a NUL character")
    assert not plan.comments.exists()


def test_a_nul_character_in_a_query_parameter_is_a_400(web, plan):
    _assert_bad_request(web.get(f"/plans/{plan.pk}/", {"tab": "\x00"}), "The field tab contains a NUL character")
