"""The practice admin's client-link pages in a browser: the settings refuse a bad value at its field
and save a good one; the response rates show each clinician's numbers. Both pass axe-core and fit a
phone (390 px) and a desktop (1366 px), with screenshots kept for a person to look at."""

import datetime as dt
import secrets

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participation.models import ClientLink, QuestionnaireSchedulerRun, hash_token
from tests.browser.conftest import WIDTHS, a11y_problems, sideways_overflow
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _look(page, name, screenshots) -> list[str]:
    problems = []
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"admin-{name}-{width}.png"), full_page=True)
        if label == "phone" and (wide := sideways_overflow(page)):
            problems.append(f"{name} at {width} px scrolls sideways: {', '.join(wide)}")
        if report := a11y_problems(page, f"{name} at {width} px"):
            problems.append(report)
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    return problems


def test_an_admin_sets_the_client_link_settings_and_reads_the_response_rates(
    page, sign_in, admin, clinician, colleague, practice, screenshots
):
    now = timezone.now()
    for creator, status, expired in [
        (clinician, ClientLink.Status.DONE, False),
        (clinician, ClientLink.Status.OPEN, True),
        (clinician, ClientLink.Status.DONE, False),
        (colleague, ClientLink.Status.OPEN, False),
    ]:
        ClientLink.objects.create(
            client=ClientFactory(primary_clinician=creator),
            purpose=ClientLink.Purpose.QUESTIONNAIRES,
            measure_codes=["phq9", "gad7"],
            delivery=ClientLink.Delivery.EMAIL,
            token_hash=hash_token(secrets.token_urlsafe(32)),
            expires_at=now + dt.timedelta(days=-1 if expired else 3),
            status=status,
            created_by=creator,
        )
    QuestionnaireSchedulerRun.objects.create(
        practice=practice, run_date=practice.today(), finished_at=now, sent=3, reminded=1, skipped_no_contact=2
    )
    sign_in(page, admin)
    page.get_by_role("link", name="Client link settings").click()
    expect(page.get_by_role("heading", name="Client link settings")).to_be_visible()
    page.get_by_label("Client links work for (days)").fill("45")
    page.get_by_label("Also every N attended sessions").fill("6")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("A link works for at most 30 days.")).to_be_visible()
    problems = _look(page, "client-link-settings-error", screenshots)

    page.get_by_label("Client links work for (days)").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Client link settings saved.")).to_be_visible()
    practice.refresh_from_db()
    assert (practice.client_link_days, practice.questionnaires_every_sessions) == (10, 6)
    problems += _look(page, "client-link-settings", screenshots)

    page.get_by_role("link", name="Response rates").click()
    expect(page.get_by_role("heading", name="Questionnaire response rates")).to_be_visible()
    clinician_row = page.get_by_role("row", name=clinician.get_full_name())
    expect(clinician_row).to_contain_text("67%")
    problems += _look(page, "response-rates", screenshots)
    assert not problems, "\n\n".join(problems)
