"""Home shows each person what needs them, in a real browser: counts that link to the work, the
risk flag from PHQ-9 item 9 on the clinician's home and client list, and the supervisor's plans
awaiting sign-off oldest first, at 390 and 1366 px, checked by axe-core."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from plans.lifecycle import transitions
from plans.models import MeasureDefinition
from progress import services
from tests.browser.conftest import a11y_problems, look_at_both_widths
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def _count(page, label: str):
    return page.locator(".needs-you-list li", has=page.locator(".needs-label", has_text=label))


def test_clinician_and_supervisor_homes_count_what_needs_them_and_link_to_it(
    page, sign_in, trainee, supervisor, screenshots
):
    at_risk = ClientFactory(primary_clinician=trainee, given_name="Riley", family_name="Sample")
    services.record_measure(
        actor=trainee,
        client=at_risk,
        definition=MeasureDefinition.objects.get(code="phq9", practice__isnull=True),
        recorded_on=dt.date(2026, 11, 20),
        items=[1, 1, 1, 1, 1, 1, 1, 1, 2],
    )
    make_plan(ClientFactory(primary_clinician=trainee, given_name="Dana", family_name="Draft"))
    older = transitions.submit_plan(
        actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee, given_name="Olive", family_name="Older"))
    )
    transitions.submit_plan(
        actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee, given_name="Nico", family_name="Newer"))
    )

    sign_in(page, trainee)
    expect(_count(page, "Risk flags").locator(".needs-count")).to_have_text("1")
    expect(_count(page, "Drafts").locator(".needs-count")).to_have_text("1")
    # A count links to the work it counts.
    _count(page, "Risk flags").get_by_role("link").click()
    expect(page.locator(".phq9-risk")).to_contain_text("Riley Sample")
    look_at_both_widths(page, screenshots, "dashboard-clinician")
    assert not a11y_problems(page, "the clinician's home")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/clients/")
    expect(page.get_by_role("row", name="Riley Sample")).to_contain_text("PHQ-9 item 9")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, supervisor)
    expect(_count(page, "Plans awaiting your sign-off").locator(".needs-count")).to_have_text("2")
    awaiting = page.locator("section, div", has=page.get_by_role("heading", name="Awaiting your sign-off")).last
    names = awaiting.get_by_role("listitem").all_inner_texts()
    assert "Olive Older" in names[0] and "Nico Newer" in names[1], names
    look_at_both_widths(page, screenshots, "dashboard-supervisor")
    assert not a11y_problems(page, "the supervisor's home")
    awaiting.get_by_role("link", name="Olive Older").click()
    page.wait_for_url(f"**/plans/{older.pk}/")
