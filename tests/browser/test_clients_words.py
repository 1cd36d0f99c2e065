"""A clinician writes a goal in the client's words in Chromium, sees the hint go, and reads the
client version as the client would, at a desktop's and a phone's width."""

import pytest
from playwright.sync_api import expect

from plans.models import Goal
from tests.browser.conftest import WIDTHS, cramped_cards, sideways_overflow
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = "The client version will use the clinical wording: add the client's words."


def _shoot(page, screenshots, name: str, axe, focus=None) -> None:
    """Screenshots at each width (and of `focus` alone, as the plan page is long), with the
    sideways, cramped-card and axe checks."""
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"clients-words-{name}-{width}.png"), full_page=True)
        if focus is not None:
            focus.screenshot(path=str(screenshots / f"clients-words-{name}-{width}-focus.png"))
        if label == "phone":
            assert sideways_overflow(page) == [], f"{name} scrolls sideways at {width} px"
        assert cramped_cards(page) == [], name
        axe(page, f"{name} at {width} px")
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})


def test_the_clinician_writes_the_clients_words_and_reads_the_client_version(
    page, sign_in, clinician, axe, screenshots
):
    client = ClientFactory(primary_clinician=clinician, given_name="Robin", family_name="Example")
    plan = make_plan(client, goals=2, objectives=2)
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    count = page.locator(".clients-words-count")
    expect(count).to_contain_text("6 of 6 goals and objectives have no client's words")
    first_goal = Goal.objects.get(plan=plan, statement="Goal 1")
    goal = page.locator(f"#goal-{first_goal.pk}")
    expect(goal.locator(".item-body").first.locator(".clients-words-missing")).to_have_text(MISSING)

    goal.get_by_role("button", name="Edit goal “Goal 1”").click()
    editor = page.locator(".editor", has=page.get_by_role("heading", name="Edit goal"))
    words = editor.get_by_label("In the client's words (optional)")
    expect(words).to_be_visible()
    words.fill("Feel less alone with what happened")
    _shoot(page, screenshots, "goal-editor", axe, focus=goal)
    editor.get_by_role("button", name="Save").click()
    expect(goal.locator(".clients-words").first).to_contain_text("In the client's words: “Feel less alone")
    expect(count).to_contain_text("5 of 6 goals and objectives")
    _shoot(page, screenshots, "plan-page", axe, focus=page.locator(".clients-words-count"))
    goal.screenshot(path=str(screenshots / "clients-words-plan-page-goal-saved.png"))

    page.get_by_role("link", name="Client version", exact=True).click()
    expect(page.get_by_role("heading", name="Your treatment plan", level=1)).to_be_visible()
    expect(page.locator(".cv-goal").first.get_by_role("heading")).to_have_text("1. Feel less alone with what happened")
    expect(page.locator(".cv-preview-note")).to_contain_text("5 goals or steps read in the clinical wording")
    _shoot(page, screenshots, "client-version", axe)
    assert Goal.objects.get(pk=first_goal.pk).clients_words == "Feel less alone with what happened"
