"""The supervisor round trip in Chromium: submit, comment on one objective from the objective
itself, request changes, fix, resubmit, read what changed since, approve; the plan then shows
both signatures."""

import re

import pytest
from playwright.sync_api import expect

from plans.models import Objective
from tests.browser.conftest import look_at_both_widths
from tests.factories import PASSWORD, ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def _sign(page, link: str, button: str) -> None:
    """Open a signing step from the plan page and sign with the password."""
    page.get_by_role("link", name=link).click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name=button).click()


def test_trainee_and_supervisor_complete_a_signoff_round_trip(
    browser, live_server, sign_in, trainee, supervisor, axe, screenshots
):
    plan = make_plan(ClientFactory(primary_clinician=trainee))
    objective = Objective.objects.get(goal__plan=plan)
    trainee_page = browser.new_context(base_url=live_server.url).new_page()
    supervisor_page = browser.new_context(base_url=live_server.url).new_page()

    sign_in(trainee_page, trainee)
    trainee_page.goto(f"/plans/{plan.pk}/")
    _sign(trainee_page, "Sign and submit for sign-off", "Sign and submit for sign-off")
    expect(trainee_page.get_by_text("Signed and sent to your supervisor")).to_be_visible()

    sign_in(supervisor_page, supervisor)
    expect(supervisor_page.locator(".bell .count")).to_have_text("1")
    supervisor_page.get_by_role("link", name="Sign-off queue").click()
    supervisor_page.get_by_role("link", name="Plan v1").click()
    at_objective = supervisor_page.locator(f"#objective-{objective.pk}")
    at_objective.get_by_text("Comment on this").click()
    at_objective.get_by_role("button", name="Add comment on objective 1.1").click()
    expect(at_objective.get_by_text("Write the comment.")).to_be_visible()
    look_at_both_widths(supervisor_page, screenshots, "signoff-comment-at-objective")
    at_objective.get_by_label("Comment on objective 1.1").fill("Make the target observable: how many sessions?")
    at_objective.get_by_role("button", name="Add comment on objective 1.1").click()
    expect(at_objective.locator(".inline-comments")).to_contain_text("how many sessions?")
    expect(supervisor_page.locator("#comments")).to_contain_text("how many sessions?")
    supervisor_page.get_by_label("What needs to change").fill("See my comment on objective 1.1.")
    supervisor_page.get_by_role("button", name="Request changes").click()
    expect(supervisor_page.get_by_text("Returned to the author with your comments.")).to_be_visible()
    axe(supervisor_page, "the plan returned with the supervisor's comments")

    trainee_page.goto(f"/plans/{plan.pk}/")
    expect(trainee_page.locator(f"#objective-{objective.pk} .inline-comments")).to_contain_text("how many sessions?")
    axe(trainee_page, "the trainee's plan with inline comments")
    trainee_page.get_by_role("button", name="Revise the plan").click()
    trainee_page.locator(f"#objective-{objective.pk}").get_by_role("button", name=re.compile("^Edit")).first.click()
    editor = trainee_page.locator(".editor", has=trainee_page.get_by_role("heading", name="Edit objective"))
    editor.get_by_label("Target or criterion").fill("Names 2 patterns, in at least 3 sessions")
    editor.get_by_role("button", name="Save").click()
    expect(trainee_page.locator(f"#objective-{objective.pk}")).to_contain_text("in at least 3 sessions")
    trainee_page.locator("#comments").get_by_role("button", name=re.compile("^Mark resolved")).first.click()
    _sign(trainee_page, "Sign and submit for sign-off", "Sign and submit for sign-off")
    expect(trainee_page.get_by_text("Signed and sent to your supervisor")).to_be_visible()

    supervisor_page.goto(f"/plans/{plan.pk}/")
    since = supervisor_page.locator("#changes-since")
    expect(since.locator("h2")).to_contain_text("What changed since you asked for changes on")
    expect(since).to_contain_text(f"Objective: {objective.statement}")
    expect(since.locator(".since-resolved")).to_contain_text("how many sessions?")
    axe(supervisor_page, "the resubmitted plan with what changed since")
    look_at_both_widths(supervisor_page, screenshots, "signoff-changes-since")
    _sign(supervisor_page, "Approve and co-sign", "Approve and co-sign")
    expect(supervisor_page.get_by_text("Approved and co-signed")).to_be_visible()
    signatures = supervisor_page.locator(".signatures")
    expect(signatures).to_contain_text("The content matches its signatures")
    valid = signatures.locator("tbody tr", has_text="Valid")
    expect(valid.filter(has_text="Authored")).to_contain_text(trainee.get_full_name())
    expect(valid.filter(has_text="Reviewed and approved")).to_contain_text(supervisor.get_full_name())
    expect(supervisor_page.locator("#lifecycle-title")).to_have_text("Status: Active")
    axe(supervisor_page, "the approved plan with both signatures")
