"""In Chromium: a goal whose save committed just before the database went away is added once
when the person clicks "Add goal" again, and the create forms look as they did."""

import pytest
from playwright.sync_api import expect

from plans.models import Goal
from tests.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_clicking_add_goal_again_after_the_503_adds_the_goal_once(
    page, sign_in, clinician, own_client, database_gone_after_commit, axe
):
    plan = make_plan(own_client)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("textbox", name="Goal", exact=True).fill("Say no without apologising")

    database_gone_after_commit.after_commit_of(Goal)
    page.get_by_role("button", name="Add goal").click()
    # The page stays as it was and says why; the text typed is still there.
    expect(page.locator("#unavailable-notice")).to_contain_text("The database is unavailable for a moment")
    expect(page.get_by_role("textbox", name="Goal", exact=True)).to_have_value("Say no without apologising")
    axe(page, "the plan editor showing the database-unavailable notice")
    database_gone_after_commit.end()

    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("heading", name="Goal 2: Say no without apologising")).to_be_visible()
    expect(page.locator("#unavailable-notice")).to_have_count(0)
    assert Goal.objects.filter(statement="Say no without apologising").count() == 1

    # The next goal, from the fresh form the answer brought, is a new one.
    page.get_by_role("textbox", name="Goal", exact=True).fill("Ask for help once a week")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("heading", name="Goal 3: Ask for help once a week")).to_be_visible()


def test_the_one_time_form_id_is_not_visible(page, sign_in, clinician):
    sign_in(page, clinician)
    page.goto("/clients/new/")
    field = page.locator("input[name=form_id]")
    expect(field).to_have_count(1)
    expect(field).to_be_hidden()
