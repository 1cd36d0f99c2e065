"""The clinician's day on a 390 px phone: no page is wider than the window, the navigation
folds into a "Menu" that opens without JavaScript of ours (a <details>), and at 1366 px the same
links stand as a bar with the menu button hidden. Every page is checked by axe-core, with the
menu closed and open, the day's main pages at 1366 px too, and screenshots are kept for a person
to look at."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.services import deactivate_staff
from notes.models import ServiceType
from plans.editor import services
from plans.library import services as library_services
from plans.lifecycle import transitions
from plans.models import Goal, InterventionTechnique, PlanTemplate
from progress.services import start_review_now
from records import exports
from tests.browser.conftest import a11y_problems, sideways_overflow
from tests.factories import ClientFactory, SupervisionFactory, make_plan, staff
from tests.notes.builders import held, record

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Pages looked at and checked by axe-core at 1366 px as well: the ones a clinician, supervisor and
# admin spend their day on (issue 16 names them), where the wide layout differs most.
ALSO_WIDE = {
    "home",
    "client-list",
    "plan-signed",
    "plan-editor",
    "compare-versions",
    "review-form",
    "session-list",
    "plan-in-review",
    "staff",
    "staff-deactivate",
    "staff-reactivate",
    "audit-log",
    "library",
    "template-preview",
}


def _clinicians_day(clinician):
    client = ClientFactory(primary_clinician=clinician, given_name="Robin", family_name="Example")
    signed = transitions.submit_plan(actor=clinician, plan=make_plan(client, goals=2, objectives=2))
    review = start_review_now(actor=clinician, plan=signed)
    individual = ServiceType.objects.get(practice=None, code="individual")
    signed_note = held(clinician, client, individual, dt.date(2026, 11, 3))
    draft_note = record(clinician, client, individual, date=dt.date(2026, 11, 10))
    # Half a year of weekly sessions before those: more than a page, so the list shows its pager.
    for week in range(1, 27):
        record(clinician, client, individual, date=dt.date(2026, 11, 3) - dt.timedelta(weeks=week))
    amended = transitions.amend_plan(
        actor=clinician,
        plan=transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician))),
    )
    goal = Goal.objects.get(plan=amended)
    services.update_item(
        actor=clinician, item=goal, expected_version=goal.version, values={"statement": "Tolerate closeness"}
    )
    template = PlanTemplate.objects.get(practice=None, name="Psychodynamic core")
    return [
        ("home", "/"),
        ("client-list", "/clients/"),
        ("client-page", f"/clients/{client.pk}/"),
        ("plan-signed", f"/plans/{signed.pk}/"),
        ("plan-editor", f"/plans/{amended.pk}/"),
        ("compare-versions", f"/plans/{amended.pk}/compare/"),
        ("review-form", f"/plans/progress-reviews/{review.pk}/"),
        ("session-note-form", f"/clients/sessions/{draft_note.pk}/"),
        ("signed-note", f"/clients/sessions/{signed_note.pk}/"),
        ("session-list", f"/clients/{client.pk}/sessions/"),
        ("library", "/plans/library/"),
        ("template-preview", f"/plans/library/templates/{template.pk}/preview/?for_client={client.pk}"),
        ("notifications", "/plans/notifications/"),
    ]


def _supervisors_day(trainee):
    in_review = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    return [
        ("home", "/"),
        ("signoff-queue", "/plans/sign-off/"),
        ("plan-in-review", f"/plans/{in_review.pk}/"),
    ]


def _admins_day(admin, supervisor, clinician):
    exports.request_export(actor=admin)
    # A former supervisor of the clinician, deactivated: the reactivation page offers the link back.
    former = staff(admin.membership.practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=former, supervisee=clinician)
    deactivate_staff(actor=admin, membership=former.membership)
    technique = library_services.add_catalogue_entry(
        actor=admin, model=InterventionTechnique, name="Mentalization-based work", kind="psychodynamic"
    )
    return [
        ("home", "/"),
        ("staff", "/accounts/staff/"),
        # Deactivating the supervisor: supervisees named, the trainee's plan awaiting review, a reassignment select.
        ("staff-deactivate", f"/accounts/staff/{supervisor.membership.pk}/active/"),
        ("staff-reactivate", f"/accounts/staff/{former.membership.pk}/active/"),
        ("audit-log", "/accounts/audit/"),
        ("exports", "/plans/exports/"),
        ("client-link-settings", "/clients/links/settings/"),
        ("response-rates", "/clients/links/response-rates/"),
        ("technique-describe", f"/plans/library/techniques/{technique.pk}/describe/"),
    ]


def _fits(page, what: str) -> list[str]:
    problems = []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{what} is {width} px wide; sticking out: {', '.join(sideways_overflow(page))}")
    if report := a11y_problems(page, what):
        problems.append(report)
    return problems


def test_no_page_is_wider_than_a_phone_and_the_navigation_folds_into_a_menu(
    page, sign_in, clinician, trainee, supervisor, admin, screenshots
):
    days = [
        ("clinician", clinician, _clinicians_day(clinician)),
        ("supervisor", supervisor, _supervisors_day(trainee)),
        ("admin", admin, _admins_day(admin, supervisor, clinician)),
    ]
    menu = page.locator("summary", has_text="Menu")
    problems = []
    for role, user, visits in days:
        page.set_viewport_size(DESKTOP)
        sign_in(page, user)
        # Wide, the links are a bar and the menu button is not there.
        expect(menu).to_be_hidden()
        expect(page.get_by_role("link", name="Home", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.set_viewport_size(PHONE)
        for name, url in visits:
            response = page.goto(url)
            status = response and response.status
            assert status == 200, f"{role}: {url} answered {status}"
            page.screenshot(path=str(screenshots / f"narrow-{role}-{name}-390.png"), full_page=True)
            problems += _fits(page, f"{role}: {name} ({url}) at 390 px")
            if name in ALSO_WIDE:
                page.set_viewport_size(DESKTOP)
                page.screenshot(path=str(screenshots / f"narrow-{role}-{name}-1366.png"))
                if report := a11y_problems(page, f"{role}: {name} ({url}) at 1366 px"):
                    problems.append(report)
                page.set_viewport_size(PHONE)

        # On the phone the links wait behind the closed menu, which opens in place over the page.
        expect(page.get_by_role("link", name="Home", exact=True)).to_be_hidden()
        expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
        menu.click()
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Home", exact=True)).to_be_visible()
        page.screenshot(path=str(screenshots / f"narrow-{role}-menu-open-390.png"))
        problems += _fits(page, f"{role}: the open menu at 390 px")
        # Sign out is reached through the menu, not cut off at the edge.
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/**")
    assert not problems, "\n\n".join(problems)
