import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_role_signs_in_and_sees_their_home_page(page, sign_in, clinician, supervisor, admin):
    for user, section in [(clinician, "Your caseload"), (supervisor, "Your supervisees"), (admin, "Practice overview")]:
        sign_in(page, user)
        expect(page.get_by_role("heading", name=section)).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in to Psyplan")).to_be_visible()


def test_sign_in_form_is_usable_by_keyboard_alone(page, clinician):
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    # The email field has focus on arrival; Tab reaches the password, Enter submits.
    page.keyboard.type(clinician.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()


def test_admin_invites_staff_in_the_browser(page, sign_in, admin, supervisor):
    sign_in(page, admin)
    page.get_by_role("link", name="Staff").first.click()
    page.get_by_role("link", name="Invite a staff member").click()
    page.get_by_label("Email address").fill("browser.invite@example.test")
    page.get_by_label("Given name").fill("Brow")
    page.get_by_label("Family name").fill("Ser")
    page.get_by_label("Clinician", exact=True).check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to browser.invite@example.test")).to_be_visible()
    expect(page.get_by_role("row", name="Brow Ser")).to_contain_text("Invited")
