"""A client on a phone (390 px) answers a questionnaire link: date of birth, every PHQ-9 item, submit,
and the practice's crisis text right after a positive item 9. The clinician then signs in, finds the
client alert on the home page, sees the score marked client-reported, and acknowledges the alert with
a note (an empty note is a field error); the alert leaves the home page and stays on the client page."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from participation.models import ClientLink, ClientRiskAlert
from progress.models import MeasureScore
from tests.browser.conftest import PHONE, look_at_both_widths
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)

BIRTHDAY = dt.date(1985, 3, 14)


def test_a_client_answers_the_phq9_on_a_phone_and_sees_the_crisis_text(page, clinician, screenshots, axe, sign_in):
    client = ClientFactory(primary_clinician=clinician, date_of_birth=BIRTHDAY)
    # The clinician makes a "hand to client" link on the client page, on the tablet.
    sign_in(page, clinician)
    page.goto(f"/clients/{client.pk}/")
    links = page.locator("#client-links")
    look_at_both_widths(page.locator("#client-links").page, screenshots, "staff-client-links")
    links.get_by_label("GAD-7 (anxiety)").uncheck()
    links.get_by_label("Hand to client (on this device)").check()
    links.get_by_role("button", name="Make link").click()
    expect(page.get_by_role("heading", name="Link for the client")).to_be_visible()
    look_at_both_widths(page, screenshots, "staff-link-created")
    assert ClientLink.objects.get(client=client).measure_codes == ["phq9"]
    page.get_by_role("link", name="Sign out and open for the client").click()
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    axe(page, "the date-of-birth check")
    # A wrong date first: a field error, the tries left.
    page.get_by_label("Your date of birth").fill("1990-01-01")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("4 tries left")).to_be_visible()
    axe(page, "the date-of-birth check with its error")
    look_at_both_widths(page, screenshots, "client-dob-error")
    page.get_by_label("Your date of birth").fill(BIRTHDAY.isoformat())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your questionnaire")).to_be_visible()
    axe(page, "the questionnaire")
    look_at_both_widths(page, screenshots, "client-questionnaire")
    groups = page.locator("fieldset.radios")
    expect(groups).to_have_count(9)
    for index in range(9):
        answer = "Several days" if index == 8 else "Not at all" if index % 2 else "More than half the days"
        groups.nth(index).get_by_label(answer).check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Please read this now")).to_be_visible()
    expect(page.get_by_text("call 911 or your local emergency number")).to_be_visible()
    axe(page, "the crisis text")
    look_at_both_widths(page, screenshots, "client-crisis")
    score = MeasureScore.objects.get(client=client)
    assert score.source == MeasureScore.Source.CLIENT and score.risk_flag and score.total == 9

    # The clinician, back on the tablet: the alert is on the home page until acknowledged.
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, clinician)
    alerts = page.locator("section.ca-dashboard")
    expect(alerts.get_by_role("heading", name="Client alerts")).to_be_visible()
    expect(alerts.get_by_role("link", name=client.display_name)).to_be_visible()
    axe(page, "the home page with a client alert")
    look_at_both_widths(page, screenshots, "staff-home-client-alert")
    page.set_viewport_size({"width": 1366, "height": 900})
    alerts.get_by_role("link", name=client.display_name).click()
    expect(page.get_by_role("heading", name="Client alert")).to_be_visible()
    expect(page.locator(".ca-alert").get_by_text("client-reported")).to_be_visible()
    expect(page.locator(".ca-alert").get_by_text("PHQ-9 9 (mild)")).to_be_visible()
    page.get_by_role("button", name="Acknowledge with this note").click()
    expect(page.get_by_text("the alert is acknowledged with a note")).to_be_visible()
    axe(page, "the acknowledgement with its error")
    look_at_both_widths(page, screenshots, "staff-alert-error")
    page.get_by_label("What you did about it").fill("Phoned the client the same hour; safety plan agreed.")
    page.get_by_role("button", name="Acknowledge with this note").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(page.locator(".ca-history")).to_contain_text("safety plan agreed")
    expect(page.locator(".ca-banner")).to_have_count(0)
    alert = ClientRiskAlert.objects.get(client=client)
    assert alert.acknowledged_by == clinician and not alert.is_open
    page.goto("/")
    expect(page.locator("section.ca-dashboard")).to_have_count(0)
