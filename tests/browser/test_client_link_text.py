"""The clinician sends a questionnaire link by text message from the client page: the choice is there
with the client's consent and mobile number, the page says it is on its way, and the text carries only
the practice's name and the link."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from core import sms
from participation.models import ClientLink
from tests.browser.conftest import sideways_overflow
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clinician_sends_a_link_by_text_message(page, clinician, screenshots, axe, sign_in):
    client = ClientFactory(
        primary_clinician=clinician,
        phone="+44 7700 900456",
        contact_consent_on=dt.date(2026, 1, 5),
        contact_consent_recorded_by=clinician,
    )
    sign_in(page, clinician)
    page.goto(f"/clients/{client.pk}/")
    expect(page.get_by_text("Mobile number")).to_be_visible()
    links = page.locator("#client-links")
    links.get_by_label("Send by text message").check()
    links.get_by_role("button", name="Make link").click()
    expect(page.get_by_text("The link is on its way to the client's mobile number.")).to_be_visible()
    axe(page, "the client page after sending a link by text")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert not sideways_overflow(page), sideways_overflow(page)
        page.locator("#client-links").screenshot(path=str(screenshots / f"client-link-text-{width}.png"))
    link = ClientLink.objects.get(client=client)
    assert link.delivery == ClientLink.Delivery.SMS and link.sent_at is not None
    (text,) = sms.outbox
    assert text.to == client.phone and text.body.startswith(f"{client.practice.name}: http")
    assert client.given_name not in text.body and client.family_name not in text.body
