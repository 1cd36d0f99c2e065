"""The quarterly review opens with the evidence from the notes in view, at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import expect

from notes.models import ServiceType
from plans.lifecycle import transitions
from progress.services import start_review_now
from tests.browser.conftest import WIDTHS, check_a11y, sideways_overflow
from tests.factories import ClientFactory, make_plan
from tests.notes.builders import weekly_history

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_review_opens_with_the_evidence_in_view(page, sign_in, clinician, screenshots):
    plan = transitions.submit_plan(
        actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician), objectives=2)
    )
    weekly_history(clinician, plan.client, ServiceType.objects.get(practice=None, code="individual"), 10)
    review = start_review_now(actor=clinician, plan=plan)
    sign_in(page, clinician)
    page.goto(f"/plans/progress-reviews/{review.pk}/")

    expect(page.get_by_role("heading", name=re.compile("^Since the last review"))).to_be_visible()
    expect(page.locator(".evidence-lines li").first).to_contain_text("Week 0")
    expect(page.get_by_text("Drifting:", exact=False).first).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Defensive functioning per session"))).to_be_visible()
    # The evidence suggests; the clinician still rates.
    expect(page.get_by_label("Progress (%)").first).to_have_value("")
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        assert sideways_overflow(page) == [], name
        page.screenshot(path=str(screenshots / f"review-evidence-{name}.png"), full_page=True)
    check_a11y(page, "the review form with evidence")

    # The golden thread on the plan page flags the objective no session worked on.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/plans/{plan.pk}/")
    flag = page.locator('.thread-flag[data-flag="drift"]')
    expect(flag).to_contain_text("Not worked on in any session since")
    expect(flag).to_contain_text("Identify pattern 1.2")
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.locator(".thread").screenshot(path=str(screenshots / f"thread-drift-{name}.png"))
