"""A malformed editor request (core/params.py) leaves the page as it was and says why."""

import pytest
from playwright.sync_api import expect

from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_malformed_editor_request_shows_its_message_as_a_notice(page, sign_in, clinician):
    plan = make_plan(ClientFactory(primary_clinician=clinician))
    goal = plan.goals.get()
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    structure = page.locator("#plan-structure").inner_html()
    # As a tampered button would: htmx posts from the page (with its CSRF header) to a bad direction.
    page.evaluate(
        "([url]) => htmx.ajax('POST', url, {source: document.body, target: '#plan-structure'})",
        [f"/plans/items/goal/{goal.pk}/move/sideways/"],
    )
    expect(page.get_by_role("alert")).to_have_text("direction must be up or down.")
    assert page.locator("#plan-structure").inner_html() == structure
