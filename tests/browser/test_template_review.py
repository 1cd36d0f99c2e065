"""Sharing a plan as a practice template in Chromium: the admin reviews every text, edits and
leaves out what is the client's, confirms, and the library shows only the reviewed text.
The review page passes axe-core at desktop and phone widths, without even a minor violation."""

import re

import pytest
from playwright.sync_api import expect

from plans.models import PlanTemplate
from tests.browser.conftest import EVERY_IMPACT, WIDTHS, check_a11y, sideways_overflow
from tests.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_reviews_edits_and_shares_a_plan_as_a_template(page, sign_in, admin, own_client, screenshots):
    plan = make_plan(own_client, goals=2, objectives=2)
    sign_in(page, admin)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("link", name="Share as practice template").click()
    expect(page.get_by_role("heading", name="Share as a practice template")).to_be_visible()

    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"template-review-{label}.png"), full_page=True)
        assert sideways_overflow(page) == []
        check_a11y(page, f"review page at {width} px", impacts=EVERY_IMPACT)

    goal_1 = page.get_by_role("group", name="Goal 1")
    expect(goal_1.get_by_label("Goal statement")).to_have_value("Goal 1")
    goal_1.get_by_label("Goal statement").fill("Understand a repeating relational pattern")
    goal_1.get_by_role("group", name="Objective 1.2").get_by_label("Keep objective 1.2").uncheck()
    page.get_by_role("group", name="Goal 2").get_by_label("Keep goal 2").uncheck()
    page.get_by_label("Template name").fill("Relational patterns")

    # Without the confirmation nothing is shared, and the error is on the field.
    page.get_by_role("button", name="Share in the library").click()
    expect(page.locator(".field.has-error")).to_contain_text("Confirm that you have read every text")
    assert not PlanTemplate.objects.filter(name="Relational patterns").exists()
    check_a11y(page, "review page with an error", impacts=EVERY_IMPACT)
    page.screenshot(path=str(screenshots / "template-review-error-phone.png"), full_page=True)

    page.get_by_label("I have read every text above").check()
    page.get_by_role("button", name="Share in the library").click()
    expect(page.get_by_text("Shared “Relational patterns” in your practice's library.")).to_be_visible()
    template = page.locator("details", has=page.locator("summary", has_text=re.compile(r"^\s*Relational patterns")))
    template.locator("summary").click()
    expect(template).to_contain_text("Understand a repeating relational pattern")
    expect(template).to_contain_text(f"Made by {admin.get_full_name()}")
    expect(template).not_to_contain_text("Goal 2")
    expect(template.get_by_role("link", name="a plan (version 1)")).to_have_attribute("href", f"/plans/{plan.pk}/")
    check_a11y(page, "library", impacts=EVERY_IMPACT)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(screenshots / "library-desktop.png"), full_page=True)
