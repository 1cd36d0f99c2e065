"""A supervisor comments from the part of the plan itself, and after a resubmission reads what
changed since they asked for changes."""

import datetime as dt
import importlib
import json

import pytest
from bs4 import BeautifulSoup

from plans.editor import services
from plans.lifecycle import comments, transitions
from plans.models import Comment, Goal, Objective, PlanTransition, TreatmentPlan
from tests.factories import ClientFactory, make_plan

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def submitted(trainee, supervisor):
    """A trainee's plan with two goals of one objective each, waiting for sign-off."""
    plan = make_plan(ClientFactory(primary_clinician=trainee), goals=2, objectives=1)
    return transitions.submit_plan(actor=trainee, plan=plan)


def _page(web, plan) -> BeautifulSoup:
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _goal(plan, number: int) -> Goal:
    return Goal.objects.current().filter(plan=plan).order_by("order", "pk")[number - 1]


def _objective(plan, goal_number: int) -> Objective:
    return Objective.objects.current().get(goal=_goal(plan, goal_number))


def test_the_supervisor_comments_from_an_objective_and_the_comment_shows_there(supervisor, submitted, login):
    objective = _objective(submitted, 2)
    web = login(supervisor)
    form = _page(web, submitted).select_one(f"#objective-{objective.pk} form.comment-form")
    assert form is not None
    assert form.select_one("input[name=anchor]")["value"] == f"objective:{objective.lineage}"
    assert form.select_one("label").get_text(" ", strip=True).startswith("Comment on objective 2.1")

    response = web.post(
        f"/plans/{submitted.pk}/comments/",
        {"anchor": f"objective:{objective.lineage}", "body": "How many sessions?"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#comments-objective-{objective.lineage}"
    block = BeautifulSoup(response.content, "html.parser").select_one(f"#comments-objective-{objective.lineage}")
    assert "How many sessions?" in block.select_one(".inline-comments").get_text()
    comment = submitted.comments.get()
    assert (comment.anchor_kind, comment.anchor_key) == (Comment.Anchor.OBJECTIVE, str(objective.lineage))
    assert comment.anchor_label == f"Objective 2.1: {objective.statement}"
    inline = _page(web, submitted).select_one(f"#objective-{objective.pk} .inline-comments")
    assert "How many sessions?" in inline.get_text()


def test_without_htmx_a_comment_from_an_item_returns_to_that_item(supervisor, submitted, login):
    goal = _goal(submitted, 1)
    response = login(supervisor).post(
        f"/plans/{submitted.pk}/comments/", {"anchor": f"goal:{goal.lineage}", "body": "Too broad."}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{submitted.pk}/#comments-goal-{goal.lineage}"
    assert submitted.comments.get().anchor_kind == Comment.Anchor.GOAL


def test_every_comment_form_on_the_page_has_its_own_name(supervisor, submitted, login):
    page = _page(login(supervisor), submitted)
    labels = [label.get_text(" ", strip=True) for label in page.select(".comment-here label")]
    summaries = [s.get_text(" ", strip=True) for s in page.select(".comment-here summary")]
    assert "Comment on goal 1 *" in labels and "Comment on objective 1.1 *" in labels
    assert len(labels) == len(set(labels)) and len(summaries) == len(set(summaries))
    # The section's own list keeps only what has no place of its own.
    options = [o.get_text() for o in page.select("#comment-anchor option")]
    assert "The plan as a whole" in options and not any(o.startswith("Objective") for o in options)


def test_an_empty_comment_is_a_field_error_at_the_item(supervisor, submitted, login):
    objective = _objective(submitted, 1)
    web = login(supervisor)
    data = {"anchor": f"objective:{objective.lineage}", "body": "   "}
    response = web.post(f"/plans/{submitted.pk}/comments/", data, **HTMX)
    assert response.status_code == 200 and "HX-Retarget" not in response
    textarea = BeautifulSoup(response.content, "html.parser").select_one("textarea")
    assert textarea["aria-invalid"] == "true"
    assert "Write the comment." in response.content.decode()

    response = web.post(f"/plans/{submitted.pk}/comments/", data)
    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    error = page.select_one(f"#comments-objective-{objective.lineage} .errors")
    assert error is not None and "Write the comment." in error.get_text()
    assert page.select_one(f"#comments-objective-{objective.lineage} details").has_attr("open")
    assert not submitted.comments.exists()


def test_a_reader_who_may_not_comment_sees_no_form_and_is_refused(admin, submitted, login):
    web = login(admin)
    page = _page(web, submitted)
    assert not page.select(".comment-here") and not page.select("#comment-anchor")
    objective = _objective(submitted, 1)
    response = web.post(f"/plans/{submitted.pk}/comments/", {"anchor": f"objective:{objective.lineage}", "body": "x"})
    assert response.status_code == 403
    assert not submitted.comments.exists()


def test_someone_from_another_practice_cannot_comment(outsider, submitted, login):
    response = login(outsider).post(f"/plans/{submitted.pk}/comments/", {"anchor": "plan:", "body": "x"}, **HTMX)
    assert response.status_code == 404
    assert not submitted.comments.exists()


def test_a_final_versions_shared_structure_holds_no_ones_comment_form(clinician, admin, login):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    assert plan.status == TreatmentPlan.Status.ACTIVE
    objective = Objective.objects.get(goal__plan=plan)
    web = login(clinician)
    first = _page(web, plan).select_one(f"#objective-{objective.pk} form.comment-form")
    second = _page(web, plan).select_one(f"#objective-{objective.pk} form.comment-form")
    # Each reading gets its own one-time form id, although the structure came from the cache.
    assert first is not None and second is not None
    assert first.select_one("[name=form_id]")["value"] != second.select_one("[name=form_id]")["value"]
    html = login(admin).get(f"/plans/{plan.pk}/").content.decode()
    assert "comment-form:" not in html and 'class="comment-here"' not in html


# --- What changed since changes were asked for ---------------------------------------------


def _request_changes(supervisor, plan) -> TreatmentPlan:
    return transitions.request_changes(actor=supervisor, plan=plan, comment="Make the targets observable.")


def _edit(actor, item, **values):
    services.update_item(actor=actor, item=item, expected_version=item.version, values=values)


def test_the_request_keeps_the_content_as_the_supervisor_read_it(supervisor, submitted):
    plan = _request_changes(supervisor, submitted)
    request = PlanTransition.objects.get(plan=plan, to_status=TreatmentPlan.Status.CHANGES_REQUESTED)
    read = json.loads(request.content_when_changes_requested)
    assert [g["statement"] for g in read["goals"]] == ["Goal 1", "Goal 2"]


def test_after_resubmission_the_supervisor_reads_what_changed_by_name_and_nothing_else(
    trainee, supervisor, submitted, login
):
    objective = _objective(submitted, 2)
    comment = comments.add_comment(
        actor=supervisor,
        plan=submitted,
        body="How many sessions?",
        anchor_kind=Comment.Anchor.OBJECTIVE,
        anchor_key=str(objective.lineage),
        anchor_label="Objective 2.1",
    )
    plan = transitions.start_revision(actor=trainee, plan=_request_changes(supervisor, submitted))
    _edit(trainee, _goal(plan, 1), statement="Feel less alone with others")
    _edit(trainee, _objective(plan, 2), target="Names 2 patterns in at least 3 sessions")
    comments.resolve_comment(actor=trainee, comment=comment)

    so_far = _page(login(trainee), plan).select_one("#changes-since")
    assert "What you have changed so far since" in so_far.h2.get_text()
    assert "2 changes" in so_far.get_text()

    plan = transitions.submit_plan(actor=trainee, plan=plan)
    panel = _page(login(supervisor), plan).select_one("#changes-since")
    heading = panel.h2.get_text(" ", strip=True)
    assert heading.startswith("What changed since you asked for changes on ")
    items = [h.get_text(" ", strip=True) for h in panel.select(".since-items h3")]
    assert items == [
        "Changed Goal: Feel less alone with others",
        f"Changed Objective: {objective.statement}",
    ]
    text = panel.get_text(" ", strip=True)
    assert "in at least 3 sessions" in text and "Goal 2" not in text and "Identify pattern 1.1" not in text
    resolved = panel.select_one(".since-resolved").get_text(" ", strip=True)
    assert "Objective 2.1" in resolved and "How many sessions?" in resolved


def test_a_resubmission_without_changes_says_so(trainee, supervisor, submitted, login):
    plan = transitions.start_revision(actor=trainee, plan=_request_changes(supervisor, submitted))
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    panel = _page(login(supervisor), plan).select_one("#changes-since")
    assert "No changes." in panel.get_text()
    assert not panel.select(".since-items")


def test_the_signoff_queue_says_how_much_changed_on_a_resubmission(trainee, supervisor, submitted, login):
    untouched = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    plan = transitions.start_revision(actor=trainee, plan=_request_changes(supervisor, submitted))
    _edit(trainee, _objective(plan, 1), target_date=dt.date(2027, 2, 1), baseline="None yet")
    _edit(trainee, _objective(plan, 2), target="Names 3 patterns")
    transitions.submit_plan(actor=trainee, plan=plan)
    page = BeautifulSoup(login(supervisor).get("/plans/sign-off/").content, "html.parser")
    rows = {row.a["href"]: row.get_text(" ", strip=True) for row in page.select("section")[0].select("tbody tr")}
    assert "Resubmitted after changes: 2 changes" in rows[f"/plans/{plan.pk}/"]
    assert "Resubmitted" not in rows[f"/plans/{untouched.pk}/"]


def test_the_migration_fills_in_an_earlier_request_from_the_signature_it_voided(supervisor, submitted):
    from django.apps import apps

    backfill = importlib.import_module("plans.migrations.0016_transition_content_when_changes_requested")
    signed = submitted.signatures.get().canonical_json
    plan = _request_changes(supervisor, submitted)
    request = PlanTransition.objects.filter(plan=plan, to_status=TreatmentPlan.Status.CHANGES_REQUESTED)
    request.update(content_when_changes_requested="")  # as a request made before the column existed
    backfill.from_voided_signatures(apps, None)
    assert request.get().content_when_changes_requested == signed
