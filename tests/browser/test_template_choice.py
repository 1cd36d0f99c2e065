"""Choosing in Chromium with the text in front of you: a template previewed from the new-plan page,
then started from; and the intervention editor's technique explained as it is chosen (htmx under
the strict CSP). Each page passes axe-core and fits 390 px."""

import pytest
from playwright.sync_api import expect

from plans.models import InterventionTechnique, TreatmentPlan
from tests.browser.conftest import EVERY_IMPACT, check_a11y, look_at_both_widths
from tests.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_template_is_previewed_from_the_new_plan_page_and_then_started_from(
    page, sign_in, clinician, own_client, screenshots
):
    sign_in(page, clinician)
    page.goto("/plans/library/")
    page.locator("summary", has_text="Interpretation of transference").click()
    expect(page.locator("details.technique[open]")).to_contain_text("When it fits")
    look_at_both_widths(page, screenshots, "library-technique-open")
    check_a11y(page, "library with a technique open", impacts=EVERY_IMPACT)

    page.goto(f"/plans/new/for-client/{own_client.pk}/")
    look_at_both_widths(page, screenshots, "new-plan-with-previews")
    check_a11y(page, "new-plan page", impacts=EVERY_IMPACT)
    page.get_by_role("link", name="Preview Depression (psychodynamic)").click()
    expect(page.get_by_role("heading", name="Depression (psychodynamic)")).to_be_visible()
    expect(page.get_by_text("Reduce repression and avoidance of painful feelings")).to_be_visible()
    interventions = page.get_by_role("region", name="Interventions")
    expect(interventions.get_by_role("heading", name="Supportive techniques")).to_be_visible()
    expect(interventions).to_contain_text("When it fits")
    look_at_both_widths(page, screenshots, "template-preview")
    check_a11y(page, "template preview", impacts=EVERY_IMPACT)

    page.get_by_role("link", name="from this template").click()
    expect(page.get_by_label("Start from")).to_have_value(
        str(page.get_by_label("Start from").locator("option", has_text="Depression").get_attribute("value"))
    )
    page.get_by_role("button", name="Start draft plan").click()
    expect(page.get_by_text("Draft plan started.")).to_be_visible()
    plan = TreatmentPlan.objects.get(client=own_client)
    assert plan.template.name == "Depression (psychodynamic)"
    assert plan.interventions.count() == 3


def test_the_intervention_editor_explains_the_technique_as_it_is_chosen(
    page, sign_in, clinician, own_client, screenshots
):
    plan = make_plan(own_client)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("button", name="Add intervention").click()
    editor = page.locator(".editor", has=page.get_by_role("heading", name="Add intervention"))
    about = editor.locator(".technique-about")
    expect(about).to_contain_text("Choose a technique")
    # The opened form has taken focus once htmx has wired it (static/js/editor.js), as a person would find it.
    page.wait_for_function("document.activeElement && document.activeElement.closest('.editor') !== null")
    editor.get_by_label("Technique").select_option(label="Confrontation")
    confrontation = InterventionTechnique.objects.get(practice=None, name="Confrontation")
    expect(about).to_contain_text(confrontation.when_it_fits)
    expect(about).to_contain_text("What it is")
    editor.get_by_label("Technique").select_option(label="Clarification")
    expect(about).to_contain_text("adds no new meaning")
    expect(about).not_to_contain_text(confrontation.when_it_fits)
    look_at_both_widths(page, screenshots, "intervention-technique-about")
    check_a11y(page, "intervention form with the technique explained")
