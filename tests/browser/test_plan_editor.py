"""A clinician builds a plan in Chromium: the issue's six steps."""

import re

import pytest
from playwright.sync_api import expect

from formulation.models import Formulation
from plans.models import TreatmentPlan

pytestmark = pytest.mark.django_db(transaction=True)


def test_clinician_builds_a_plan_from_a_template_inline(page, sign_in, clinician, axe):
    sign_in(page, clinician)

    # 1. A client and a presenting problem.
    page.get_by_role("link", name="New client").first.click()
    page.get_by_label("Given name").fill("Avery")
    page.get_by_label("Family name").fill("Testcase")
    page.get_by_label("Date of birth").fill("1991-04-12")
    page.get_by_label("Chart number").fill("B-0001")
    page.get_by_label("Intake date").fill("2026-11-02")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Avery Testcase"))).to_be_visible()
    page.get_by_role("link", name="Add presenting problem").click()
    page.get_by_label("Title").fill("Loneliness in relationships")
    page.get_by_label("In the client's own words").fill("I always end up on my own.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Presenting problem added.")).to_be_visible()

    # 2. A plan from a template.
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Start from").select_option(label="Psychodynamic core")
    page.get_by_role("button", name="Start draft plan").click()
    expect(page.get_by_role("heading", name="Goal 1: Increase self-awareness")).to_be_visible()

    # 3. A goal, an objective and an intervention, inline, without a full reload.
    page.evaluate("window.__noReload = true")
    page.get_by_role("textbox", name="Goal", exact=True).fill("Tolerate closeness without withdrawing")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("heading", name="Goal 4: Tolerate closeness without withdrawing")).to_be_visible()
    goal = page.locator("article.goal", has=page.get_by_role("heading", name=re.compile("^Goal 4")))
    goal.get_by_role("button", name=re.compile("^Add objective")).click()
    editor = page.locator(".editor", has=page.get_by_role("heading", name=re.compile("^Add objective")))

    # 4. The SMART warning appears as the objective is typed, then clears.
    editor.get_by_role("textbox", name="Objective", exact=True).fill("Understand why I pull away")
    smart = editor.locator(".smart-live")
    expect(smart).to_contain_text("“Understand” is hard to observe")
    axe(page, "the objective editor showing a SMART warning")
    editor.get_by_role("textbox", name="Objective", exact=True).fill("Name the moment of pulling away in session")
    editor.get_by_label("How it is measured").fill("Moments named, noted by the clinician")
    editor.get_by_label("Baseline").fill("Not named in the last 4 sessions")
    editor.get_by_label("Target or criterion").fill("Names it in 3 sessions")
    editor.get_by_label("Target date").fill("2027-03-01")
    editor.get_by_label("Loneliness in relationships").check()
    expect(smart).to_contain_text("nothing missing")
    editor.get_by_role("button", name="Add objective").click()
    expect(page.get_by_role("heading", name="Name the moment of pulling away in session")).to_be_visible()

    page.get_by_role("button", name="Add intervention").click()
    intervention = page.locator(".editor", has=page.get_by_role("heading", name="Add intervention"))
    # Confrontation: the template brought its own interventions, this one is added beside them.
    intervention.get_by_label("Technique").select_option(label="Confrontation")
    intervention.get_by_label("Frequency").fill("weekly")
    intervention.get_by_label("Name the moment of pulling away in session").check()
    intervention.get_by_role("button", name="Add intervention").click()
    expect(page.locator(".intervention", has_text="Confrontation")).to_contain_text(
        "Name the moment of pulling away in session"
    )
    assert page.evaluate("window.__noReload") is True

    # 5. The formulation, autosaved while typing, survives a reload.
    page.get_by_label("Childhood experiences").fill("Parents present but preoccupied.")
    expect(page.locator("#status-development")).to_contain_text("Saved at")
    page.get_by_label("Wish").fill("To be close without being engulfed")
    expect(page.locator("#status-relational")).to_contain_text("Saved at")
    page.get_by_role("textbox", name="Narrative hypothesis").fill(
        "Closeness revives an early fear of being lost in the other."
    )
    expect(page.locator("#status-narrative")).to_contain_text("Saved at")
    page.reload()
    expect(page.get_by_label("Childhood experiences")).to_have_value("Parents present but preoccupied.")
    expect(page.get_by_label("Wish")).to_have_value("To be close without being engulfed")
    expect(page.get_by_role("textbox", name="Narrative hypothesis")).to_have_value(
        "Closeness revives an early fear of being lost in the other."
    )
    plan = TreatmentPlan.objects.get(client__chart_number="B-0001")
    assert Formulation.objects.get(plan=plan).ccrt_wish == "To be close without being engulfed"


def test_two_pages_editing_the_same_section_get_a_conflict_message(browser, live_server, sign_in, clinician, axe):
    from tests.factories import ClientFactory, make_plan

    plan = make_plan(ClientFactory(primary_clinician=clinician))
    context = browser.new_context(base_url=live_server.url)
    first, second = context.new_page(), context.new_page()
    sign_in(first, clinician)
    first.goto(f"/plans/{plan.pk}/")
    second.goto(f"/plans/{plan.pk}/")

    first.get_by_role("textbox", name="Narrative hypothesis").fill("Written in the first tab")
    expect(first.locator("#status-narrative")).to_contain_text("Saved at")
    second.get_by_role("textbox", name="Narrative hypothesis").fill("Written in the second tab")
    expect(second.locator("#status-narrative")).to_contain_text("Not saved: someone else changed this")
    conflict = second.locator("#conflict-narrative")
    expect(conflict).to_contain_text("Written in the first tab")
    expect(second.get_by_role("textbox", name="Narrative hypothesis")).to_have_value("Written in the second tab")
    axe(second, "the formulation section showing a conflict")

    conflict.get_by_role("button", name="Save mine over theirs").click()
    expect(second.locator("#status-narrative")).to_contain_text("Saved at")
    plan.formulation.refresh_from_db()
    assert plan.formulation.narrative_hypothesis == "Written in the second tab"
    context.close()
