"""Sharing a plan as a practice template goes through a review of every text.

A plan's goals and objectives are written for one client; the library is read by every
clinician of the practice. So the admin sees and edits each text first, nothing is in the
library until she confirms, and the template says who made it, when and from which plan
version, naming the plan only to those who may see it.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError

from audit import log
from audit.models import AccessLog
from plans.editor import services
from plans.library import services as library_services
from plans.models import GoalTemplate, ObjectiveTemplate, PlanTemplate
from tests.factories import ClientFactory, make_plan, staff

CLIENT_DETAIL = "Zoraida"


@pytest.fixture
def plan(own_client, clinician):
    plan = make_plan(own_client, goals=2, objectives=2)
    goal = plan.goals.current().order_by("order").first()
    services.update_item(
        actor=clinician,
        item=goal,
        expected_version=goal.version,
        values={"statement": f"Help {CLIENT_DETAIL} grieve her father"},
    )
    return plan


def _review_page(web, plan):
    response = web.get(f"/plans/{plan.pk}/save-as-template/")
    assert response.status_code == 200
    return response


def _posted_values(response) -> dict:
    """What the browser would send back for the form as shown: every input, textarea and ticked box."""
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.select_one("form.template-review")
    data = {}
    for field in form.select("input[name], textarea[name]"):
        if field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data[field["name"]] = "on"
        elif field.name == "textarea":
            data[field["name"]] = field.get_text().strip()
        else:
            data[field["name"]] = field.get("value", "")
    return data


def test_the_review_page_shows_every_text_the_template_would_carry_as_an_editable_field(admin, plan, login):
    response = _review_page(login(admin), plan)
    values = _posted_values(response)
    shown = set(values.values())
    for goal in library_services.template_texts_from_plan(plan):
        assert goal.statement in shown
        for objective in goal.objectives:
            assert {objective.statement, objective.measure, objective.target, str(objective.months_to_target)} <= shown
    assert f"Help {CLIENT_DETAIL} grieve her father" in shown
    assert "confirmed" not in values, "the confirmation starts unticked"


def test_nothing_reaches_the_library_until_the_admin_confirms(admin, plan, login):
    web = login(admin)
    data = {**_posted_values(_review_page(web, plan)), "name": "Grief work"}
    response = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    assert response.status_code == 200
    assert "Confirm that you have read every text" in response.context["form"].errors["confirmed"][0]
    assert not PlanTemplate.objects.filter(name="Grief work").exists()
    assert not GoalTemplate.objects.filter(statement__contains=CLIENT_DETAIL).exists()


def test_the_admin_edits_and_leaves_out_texts_and_only_the_reviewed_text_is_shared(
    admin, colleague, plan, login, practice
):
    web = login(admin)
    data = _posted_values(_review_page(web, plan))
    data.update({"name": "Grief work", "g1-statement": "Grieve a parent's death", "confirmed": "on"})
    data["g1o2-measure"] = "Sessions where the loss is spoken of"
    data.pop("g1o1-keep")  # leave objective 1.1 out
    data.pop("g2-keep")  # and the whole of goal 2
    response = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    assert response.status_code == 302

    template = PlanTemplate.objects.get(name="Grief work")
    goals = list(template.goals.all())
    assert [g.statement for g in goals] == ["Grieve a parent's death"]
    objectives = list(goals[0].objectives.all())
    assert [(o.statement, o.measure) for o in objectives] == [
        ("Identify pattern 1.2 in relationships", "Sessions where the loss is spoken of")
    ]
    assert not GoalTemplate.objects.filter(statement__contains=CLIENT_DETAIL).exists()
    assert not ObjectiveTemplate.objects.filter(statement__contains="pattern 2.").exists()

    library = login(colleague).get("/plans/library/").content.decode()
    assert "Grieve a parent&#x27;s death" in library and CLIENT_DETAIL not in library


def test_the_template_records_who_made_it_when_and_from_which_plan_version(admin, plan):
    before = dt.datetime.now(dt.UTC)
    template = library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name="Grief work",
        goals=[library_services.GoalText(statement="Grieve a parent's death")],
        confirmed=True,
    )
    template.refresh_from_db()
    assert template.created_by == admin
    assert template.created_at >= before
    assert (template.source_plan_id, template.source_version_number) == (plan.pk, plan.version_number)
    entry = AccessLog.objects.get(action=log.Action.TEMPLATE_PUBLISH)
    assert (entry.object_type, entry.object_id, entry.client_id) == ("plan_template", str(template.pk), plan.client_id)


def test_the_library_names_the_source_plan_only_to_those_who_may_see_it(
    admin, clinician, colleague, supervisor, plan, login
):
    library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name="Grief work",
        goals=[library_services.GoalText(statement="Grieve a parent's death")],
        confirmed=True,
    )
    link = f'href="/plans/{plan.pk}/"'
    for may_see in (admin, clinician, supervisor):
        page = login(may_see).get("/plans/library/").content.decode()
        assert f"Made by {admin.get_full_name()}" in page
        assert link in page and "from <a" in page
    page = login(colleague).get("/plans/library/").content.decode()
    assert f"Made by {admin.get_full_name()}" in page
    assert link not in page and "a plan (version" not in page
    assert plan.client.chart_number not in page


def test_a_plan_changed_during_review_is_shown_again_for_a_fresh_review(admin, clinician, plan, login):
    web = login(admin)
    data = {**_posted_values(_review_page(web, plan)), "name": "Grief work", "confirmed": "on"}
    services.add_goal(actor=clinician, plan=plan, statement="A goal added while the admin read")
    response = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    assert response.status_code == 200
    assert "changed while you were reviewing" in response.content.decode()
    assert "A goal added while the admin read" in set(_posted_values(response).values())
    assert _posted_values(response)["name"] == "Grief work"
    assert not PlanTemplate.objects.filter(name="Grief work").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("g1o1-months", "abc", "whole number"),
        ("g1o1-months", "0", "greater than or equal to 1"),
        ("g1-statement", "   ", "Write the goal"),
        ("g1o1-statement", "", "Write the objective"),
        ("g1-statement", "x" * 301, "at most 300"),
        ("name", "", "required"),
    ],
)
def test_bad_review_input_is_a_field_error_and_shares_nothing(field, value, message, admin, plan, login):
    web = login(admin)
    data = {**_posted_values(_review_page(web, plan)), "name": "Grief work", "confirmed": "on", field: value}
    response = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert PlanTemplate.objects.filter(practice=plan.client.practice).count() == 0


def test_a_duplicate_name_is_a_field_error(admin, plan, login):
    web = login(admin)
    data = {**_posted_values(_review_page(web, plan)), "name": "Grief work", "confirmed": "on"}
    assert web.post(f"/plans/{plan.pk}/save-as-template/", data).status_code == 302
    again = {**_posted_values(_review_page(web, plan)), "name": "grief WORK", "confirmed": "on"}
    response = web.post(f"/plans/{plan.pk}/save-as-template/", again)
    assert response.status_code == 200
    assert "already has a template" in response.context["form"].errors["name"][0]


def test_the_service_refuses_a_stale_review_an_unconfirmed_one_and_a_non_admin(admin, clinician, plan):
    fingerprint = library_services.template_source_fingerprint(plan)
    goals = [library_services.GoalText(statement="Grieve")]
    with pytest.raises(ValidationError, match="changed while you were reviewing"):
        library_services.publish_plan_as_template(
            actor=admin, plan=plan, reviewed_fingerprint="0" * 64, name="A", goals=goals, confirmed=True
        )
    with pytest.raises(ValidationError):
        library_services.publish_plan_as_template(
            actor=admin, plan=plan, reviewed_fingerprint=fingerprint, name="A", goals=goals, confirmed=False
        )
    with pytest.raises(PermissionDenied):
        library_services.publish_plan_as_template(
            actor=clinician, plan=plan, reviewed_fingerprint=fingerprint, name="A", goals=goals, confirmed=True
        )
    assert not PlanTemplate.objects.filter(name="A").exists()


# Who may open and post the review page: only an admin of the plan's practice.
MATRIX = {
    "admin": (200, 302),
    "clinician": (404, 404),
    "supervisor": (404, 404),
    "colleague": (404, 404),
    "outsider": (404, 404),
    "other_admin": (404, 404),
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_template_review_access_matrix(role, request, plan, other_practice, login):
    actor = staff(other_practice, is_practice_admin=True) if role == "other_admin" else request.getfixturevalue(role)
    web = login(actor)
    get_status, post_status = MATRIX[role]
    url = f"/plans/{plan.pk}/save-as-template/"
    assert web.get(url).status_code == get_status
    data = {
        "name": f"By {role}",
        "fingerprint": library_services.template_source_fingerprint(plan),
        "g1-keep": "on",
        "g1-statement": "Grieve",
        "confirmed": "on",
    }
    assert web.post(url, data).status_code == post_status
    assert PlanTemplate.objects.filter(name=f"By {role}").exists() is (post_status == 302)


def test_anonymous_is_sent_to_sign_in_from_the_review_page(client, plan):
    response = client.get(f"/plans/{plan.pk}/save-as-template/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_template_from_another_clients_plan_needs_that_plan_to_be_visible(admin, outsider):
    elsewhere = make_plan(ClientFactory(primary_clinician=outsider))
    with pytest.raises(PermissionDenied, match="cannot see"):
        library_services.publish_plan_as_template(
            actor=admin,
            plan=elsewhere,
            reviewed_fingerprint=library_services.template_source_fingerprint(elsewhere),
            name="Stolen",
            goals=[library_services.GoalText(statement="x")],
            confirmed=True,
        )


def test_confirming_the_same_review_twice_shares_one_template(admin, plan, login):
    """A retried confirmation (the page showed an error after the save) must not share a second copy."""
    web = login(admin)
    data = {**_posted_values(_review_page(web, plan)), "name": "Grief work", "confirmed": "on"}
    assert data.get("form_id"), "the review form carries a one-time form id"
    first = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    second = web.post(f"/plans/{plan.pk}/save-as-template/", data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert PlanTemplate.objects.filter(name="Grief work").count() == 1
