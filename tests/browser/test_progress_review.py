"""A clinician completes a progress review with PHQ-9 items in Chromium and sees the chart."""

import re

import pytest
from playwright.sync_api import expect

from plans.lifecycle import transitions
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)

# 2+2+2+2+2+1+1+1+0 = 13: moderate.
PHQ9_ANSWERS = ["More than half the days"] * 5 + ["Several days"] * 3 + ["Not at all"]


def test_clinician_completes_a_review_with_phq9_and_sees_the_chart_and_band(page, sign_in, clinician):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("button", name="Review now").click()
    expect(page.get_by_role("heading", name=re.compile("^Progress review"))).to_be_visible()

    page.get_by_label("Status").select_option(label="Progressing")
    page.get_by_label("Progress (%)").fill("40")
    page.get_by_label("Evidence observed").fill("Named a recurring pattern twice.")
    phq9 = page.locator("#measure-phq9")
    for number, answer in enumerate(PHQ9_ANSWERS, start=1):
        group = phq9.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label(answer, exact=True).check()
    for question in ["Bond", "Agreement on goals", "Agreement on tasks"]:
        page.get_by_role("group", name=question).get_by_label("4", exact=True).check()
    page.get_by_role("textbox", name="Summary").fill("Engaged, mood lifting slowly.")
    page.get_by_label("Continue the plan unchanged").check()
    page.get_by_role("button", name="Complete review").click()

    expect(page.get_by_text("Review completed.")).to_be_visible()
    scores = page.locator("table", has=page.get_by_text("PHQ-9 scores", exact=True))
    expect(scores.locator("tbody tr").first).to_contain_text("13")
    expect(scores.locator("tbody tr").first).to_contain_text("moderate")
    chart = page.get_by_role("img", name=re.compile("PHQ-9 totals over time"))
    expect(chart).to_be_visible()
    # The chart really loaded (an SVG drawn by the server), and it shades the severity bands.
    loaded = "() => { const i = document.querySelector('img[alt^=\"PHQ-9 totals\"]'); return i?.naturalWidth > 0; }"
    page.wait_for_function(loaded)
    svg = page.request.get(chart.get_attribute("src")).text()
    assert "moderately severe" in svg and "minimal" in svg
