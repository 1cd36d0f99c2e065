"""A client on a phone (390 px) agrees to their plan through a link: the clinician asks on the plan
page and hands the tablet over, the client checks their date of birth, reads the plain-language
plan, types their name and agrees; the clinician then sees the agreement on the plan page."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from plans.lifecycle import transitions
from plans.models import Signature
from tests.browser.conftest import PHONE, look_at_both_widths
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)

BIRTHDAY = dt.date(1985, 3, 14)


def test_a_client_agrees_to_their_plan_on_a_phone_and_the_clinician_sees_it(page, clinician, screenshots, axe, sign_in):
    client = ClientFactory(primary_clinician=clinician, date_of_birth=BIRTHDAY)
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(client))
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    part = page.locator("#client-agreement")
    expect(part.get_by_text("The client has not agreed to this version yet.")).to_be_visible()
    part.get_by_label("Hand to client (on this device)").check()
    part.get_by_role("button", name="Ask the client to agree").click()
    expect(page.get_by_role("heading", name="Link for the client")).to_be_visible()
    page.get_by_role("link", name="Sign out and open for the client").click()

    page.set_viewport_size(PHONE)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Your date of birth").fill(BIRTHDAY.isoformat())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your treatment plan", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Download the plan as a PDF")).to_be_visible()
    expect(page.get_by_text("Identify pattern 1.1 in relationships")).to_be_visible()
    axe(page, "the client's plan and agreement forms")
    look_at_both_widths(page, screenshots, "client-agreement")
    # Agreeing without a name: a field error, nothing signed.
    page.get_by_role("button", name="I agree to this plan").click()
    expect(page.get_by_text("Type your name to agree.")).to_be_visible()
    axe(page, "the agreement form with its error")
    page.get_by_label("Type your full name to agree").fill("Client Signed-Name")
    page.get_by_role("button", name="I agree to this plan").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("Your clinician will see this.")).to_be_visible()
    axe(page, "the thanks after agreeing")
    look_at_both_widths(page, screenshots, "client-agreement-done")
    signature = plan.signatures.get(meaning=Signature.Meaning.CLIENT_AGREEMENT)
    assert signature.signing_method == Signature.Method.CLIENT_LINK and signature.printed_name == "Client Signed-Name"

    # Back on the tablet: the clinician signs in again and finds the agreement on the plan page.
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, clinician)
    page.goto(f"/plans/{plan.pk}/")
    part = page.locator("#client-agreement")
    expect(part.get_by_text("“Client Signed-Name”")).to_be_visible()
    expect(part.get_by_text("through a client link, typed by the client")).to_be_visible()
    expect(part.get_by_text(signature.content_hash[:16])).to_be_visible()
    part.scroll_into_view_if_needed()
    axe(page, "the plan page with the client's agreement")
    look_at_both_widths(page, screenshots, "staff-plan-agreement")
