"""The editors' autosave and inline add in Chromium (static/js/editor.js): what the status says while
typing, saving and saved; a reload straight after typing warns and still keeps the text; an objective's
edit saves itself; an inline add takes focus, gives it back on Escape and announces what it added."""

import re
import time

import pytest
from playwright.sync_api import expect

from plans.models import Intervention, Objective
from tests.browser.conftest import a11y_problems, look_at_both_widths
from tests.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_section_says_unsaved_then_saved_and_a_reload_straight_after_typing_warns_and_keeps_the_text(
    page, sign_in, clinician, own_client, screenshots
):
    plan = make_plan(own_client)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    status = page.locator("#status-narrative")

    page.get_by_role("textbox", name="Narrative hypothesis").press_sequentially("Closeness revives")
    expect(status).to_have_text("Unsaved changes")
    assert not a11y_problems(page, "a section with unsaved changes")
    look_at_both_widths(page, screenshots, "autosave-unsaved")
    expect(status).to_contain_text("Saved at")
    plan.formulation.refresh_from_db()
    assert plan.formulation.narrative_hypothesis == "Closeness revives"

    # Typed, then the page reloaded at once, within the pause: the text is sent as the page is left
    # and the page asks first, so it is there after the reload.
    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        # A person reads the question before answering it (Playwright would answer within a millisecond).
        time.sleep(0.5)
        dialog.accept()

    page.on("dialog", leave)
    page.get_by_label("Wish").press_sequentially("To be close")
    expect(page.locator("#status-relational")).to_have_text("Unsaved changes")
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("Wish")).to_have_value("To be close")
    plan.formulation.refresh_from_db()
    assert plan.formulation.ccrt_wish == "To be close"
    # Nothing typed is kept in the browser's storage (htmx keeps only the page's path there).
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert "To be close" not in stored and "Closeness" not in stored


def test_item_edits_save_themselves_and_an_inline_add_takes_and_returns_focus(
    page, sign_in, clinician, own_client, screenshots
):
    plan = make_plan(own_client)
    objective = Objective.objects.get(goal__plan=plan)
    intervention = Intervention.objects.get(plan=plan)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.evaluate("window.__noReload = true")

    # An objective's edit: focus in its first field, saved after a pause without pressing Save.
    page.get_by_role("button", name=re.compile(f"^Edit objective “{re.escape(objective.statement)}”")).click()
    statement = page.locator(f"#id_objective-{objective.pk}-statement")
    expect(statement).to_be_focused()
    statement.press_sequentially(" at home")
    status = page.locator(f"#status-objective-{objective.pk}")
    expect(status).to_have_text("Unsaved changes")
    expect(status).to_contain_text("Saved at")
    objective.refresh_from_db()
    assert objective.statement.endswith(" at home")
    page.locator(f"#editor-objective-{objective.pk}").get_by_role("button", name="Cancel").click()
    expect(page.locator(f"#objective-{objective.pk}-title")).to_be_focused()

    # An intervention's edit saves the same way.
    page.get_by_role("button", name=re.compile("^Edit intervention")).click()
    frequency = page.locator(f"#id_intervention-{intervention.pk}-frequency")
    frequency.fill("")
    frequency.press_sequentially("twice weekly")
    expect(page.locator(f"#status-intervention-{intervention.pk}")).to_contain_text("Saved at")
    intervention.refresh_from_db()
    assert intervention.frequency == "twice weekly"
    page.locator(f"#editor-intervention-{intervention.pk}").get_by_role("button", name="Cancel").click()
    expect(page.locator(f"#intervention-{intervention.pk}-title")).to_be_focused()

    # "Add objective": the form opens in the button's place with focus in its first field; Escape closes
    # it and gives focus back to the button.
    add = page.get_by_role("button", name="Add objective to goal 1")
    add.click()
    editor = page.locator(".editor", has=page.get_by_role("heading", name=re.compile("^Add objective")))
    field = editor.get_by_role("textbox", name="Objective", exact=True)
    expect(field).to_be_focused()
    expect(add).to_be_hidden()
    field.press("Escape")
    expect(editor).to_have_count(0)
    expect(add).to_be_focused()

    # Sent empty: focus goes to what is wrong.
    add.click()
    expect(field).to_be_focused()
    editor.get_by_role("button", name="Add objective").click()
    expect(editor.locator(".error-summary")).to_be_focused()
    assert not a11y_problems(page, "an inline add showing its errors")

    field.press_sequentially("Names the moment of pulling away")
    expect(editor.locator(".save-status")).to_contain_text("Unsaved changes")
    look_at_both_widths(page, screenshots, "autosave-inline-add")
    editor.get_by_role("button", name="Add objective").click()
    expect(page.get_by_role("heading", name="Names the moment of pulling away")).to_be_focused()
    assert Objective.objects.filter(goal__plan=plan, statement="Names the moment of pulling away").count() == 1
    expect(page.locator("#editor-announcer")).to_have_text("Objective added")
    assert not a11y_problems(page, "the plan page after an inline add")

    # Removed: its heading is gone, so focus goes to the list's heading.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove objective “Names the moment of pulling away”").click()
    expect(page.get_by_role("heading", name="Goals and objectives")).to_be_focused()
    expect(page.locator("#editor-announcer")).to_have_text("Objective removed")
    assert page.evaluate("window.__noReload") is True


def test_an_objective_saved_with_save_redraws_itself_the_thread_and_its_intervention_in_place(
    page, sign_in, clinician, own_client, screenshots
):
    plan = make_plan(own_client, goals=2, objectives=1)
    objective = Objective.objects.filter(goal__plan=plan).order_by("goal__order").first()
    intervention = Intervention.objects.get(objectives=objective)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    page.evaluate("window.__noReload = true")

    page.get_by_role("button", name=re.compile(f"^Edit objective “{re.escape(objective.statement)}”")).click()
    statement = page.locator(f"#id_objective-{objective.pk}-statement")
    statement.fill("Names the pattern as it happens")
    page.locator(f"#editor-objective-{objective.pk}").get_by_role("button", name="Save").click()

    # Its heading takes focus and the save is announced; the thread and the intervention name it too.
    heading = page.locator(f"#objective-{objective.pk}-title")
    expect(heading).to_have_text("Names the pattern as it happens")
    expect(heading).to_be_focused()
    expect(page.locator("#editor-announcer")).to_have_text("Objective saved")
    expect(page.locator("#golden-thread")).to_contain_text("Names the pattern as it happens")
    expect(page.locator(f"#intervention-{intervention.pk}")).to_contain_text("Names the pattern as it happens")
    # Each part once: nothing swapped in beside itself, and the marker is gone once announced.
    assert page.locator("article.goal").count() == 2 and page.locator("#golden-thread").count() == 1
    assert page.locator(f"#objective-{objective.pk}").count() == 1
    assert page.locator(f"#objective-{objective.pk}").evaluate("li => li.parentElement.matches('ol.objectives')")
    assert page.locator("[data-announce]").count() == 0
    assert page.evaluate("window.__noReload") is True
    problems = a11y_problems(page, "the plan page after an objective's save")
    assert not problems, problems
    look_at_both_widths(page, screenshots, "objective-saved")
