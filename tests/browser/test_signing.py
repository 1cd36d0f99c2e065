"""Signing is deliberate, in Chromium: from the plan page a clinician opens the signing step,
reads what she signs and what her signature means, gives a wrong password (the error is announced
and nothing is signed), then the right one, and the plan is active. The step is looked at at
390 and 1366 px: no sideways scroll, no serious axe-core violation."""

import pytest
from playwright.sync_api import expect

from plans.models import TreatmentPlan
from tests.browser.conftest import a11y_problems, cramped_cards
from tests.factories import PASSWORD, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_a_clinician_signs_a_plan_through_the_review_step_with_her_password(
    page, sign_in, clinician, own_client, screenshots, width
):
    plan = make_plan(own_client, goals=2)
    page.set_viewport_size({"width": width, "height": 844 if width < 400 else 900})
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("link", name="Sign and activate").click()

    expect(page.get_by_role("heading", name="Sign and activate", level=1)).to_be_visible()
    signed = page.get_by_role("region", name="What you sign")
    expect(signed).to_contain_text(own_client.display_name)
    expect(signed).to_contain_text("Version 1")
    expect(signed).to_contain_text("2 goals")
    for goal in plan.goals.all():
        expect(signed).to_contain_text(goal.statement)
    signature = page.get_by_role("region", name="Your signature")
    expect(signature).to_contain_text("“authored”")
    expect(signature).to_contain_text("legally binding equivalent of my handwritten signature")
    expect(signature).to_contain_text(clinician.printed_name)
    page.screenshot(path=str(screenshots / f"signing-step-{width}.png"), full_page=True)
    assert page.evaluate(f"() => document.documentElement.scrollWidth <= {width}"), "the step scrolls sideways"
    assert cramped_cards(page) == []
    problems = a11y_problems(page, f"the signing step at {width} px")
    assert not problems, problems

    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Sign and activate").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("That password is not right. Nothing was signed")
    password = page.get_by_label("Your password")
    expect(password).to_have_value("")
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.DRAFT and not plan.signatures.exists()
    page.screenshot(path=str(screenshots / f"signing-step-wrong-{width}.png"), full_page=True)
    assert page.evaluate(f"() => document.documentElement.scrollWidth <= {width}")
    problems = a11y_problems(page, f"the signing step with its error at {width} px")
    assert not problems, problems

    password.fill(PASSWORD)
    page.get_by_role("button", name="Sign and activate").click()
    expect(page.get_by_text("Signed. The plan is now active.")).to_be_visible()
    expect(page.locator("#lifecycle-title")).to_have_text("Status: Active")
    plan.refresh_from_db()
    assert plan.status == TreatmentPlan.Status.ACTIVE
