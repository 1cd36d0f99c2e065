"""From the client page, a clinician records a session and writes and saves its note in Chromium
without the page reloading: objectives picked from the plan, an episode added, two defenses from
the DMRS catalogue. She signs it, and an addendum, through their review steps with her password.
The client page with sessions, the note form, the steps and the signed note are looked at at
desktop and phone widths."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from notes.models import ProgressNote, ServiceType, TherapySession
from plans.lifecycle import transitions
from tests.browser.conftest import WIDTHS, check_a11y, cramped_cards, sideways_overflow
from tests.factories import PASSWORD, make_plan
from tests.notes.builders import record

pytestmark = pytest.mark.django_db(transaction=True)


def _look(page, screenshots, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"{name}-{label}.png"), full_page=True)
        assert sideways_overflow(page) == [], f"{name} at {width} px"
        assert cramped_cards(page) == [], f"{name} at {width} px"
        check_a11y(page, f"{name} at {width} px")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_session_and_its_note_are_recorded_and_signed_from_the_client_page_without_a_reload(
    page, sign_in, clinician, own_client, screenshots
):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    individual = ServiceType.objects.get(practice=None, code="individual")
    record(clinician, own_client, individual, date=dt.date(2026, 11, 3))
    record(clinician, own_client, individual, date=dt.date(2026, 11, 10), attendance="no_show", reason="No word.")
    sign_in(page, clinician)
    page.goto(f"/clients/{own_client.pk}/")
    # A full page load would lose this.
    page.evaluate("() => { window.stillThisPage = true; }")

    page.get_by_role("button", name="Record session").click()
    form = page.locator("#session-form")
    expect(form).to_be_visible()
    # The reason is asked only when the session did not take place.
    expect(form.get_by_label("Reason (when it did not take place)")).to_be_hidden()
    form.get_by_label("Attendance").select_option(label="No-show")
    expect(form.get_by_label("Reason (when it did not take place)")).to_be_visible()
    form.get_by_label("Attendance").select_option(label="Attended")
    form.get_by_label("Date").fill("2026-11-24")
    form.get_by_label("Start time").fill("10:00")
    form.get_by_label("Modality").select_option(label="Video")
    form.get_by_role("button", name="Save session").click()

    note = page.locator("#note-form")
    expect(note).to_be_visible()
    expect(page.locator("#session-history tbody tr")).to_have_count(3)
    objective = plan.goals.get().objectives.get()
    note.get_by_label(objective.statement, exact=True).check()
    note.get_by_label(f"Evidence for {objective.statement}").fill("Named the pattern with her sister.")
    note.get_by_label(f"Movement on {objective.statement}").select_option(label="Some movement")
    note.get_by_text("6. Obsessional").click()
    note.get_by_label("Isolation of affect", exact=True).check()
    note.get_by_label("Times seen (Isolation of affect)").fill("3")
    note.get_by_text("7. High-adaptive").click()
    note.get_by_label("Humour", exact=True).check()
    episode = note.get_by_role("group", name="Episode 1")
    episode.get_by_label("The other person").select_option(label="Sibling")
    episode.get_by_label("Wish").fill("to be seen")
    episode.get_by_label("Response of other").fill("she talks over me")
    episode.get_by_label("Response of self").fill("I go quiet")
    note.get_by_role("button", name="Add episode").click()
    second = note.get_by_role("group", name="Episode 2")
    second.get_by_label("The other person").select_option(label="Therapist")
    second.get_by_label("Wish").fill("to be looked after")
    second.get_by_label("Response of other").fill("you will tire of me")
    second.get_by_label("Response of self").fill("I say I am fine")
    # Moderate risk reveals the safety plan, which it then requires.
    expect(note.get_by_label("Safety plan")).to_be_hidden()
    note.get_by_label("Moderate").check()
    expect(note.get_by_label("Safety plan")).to_be_visible()
    note.get_by_label("What happened").fill("Spoke of the holiday break.")
    note.get_by_role("button", name="Save draft").click()
    expect(page.locator("#id_note-safety_plan_error")).to_contain_text("safety plan")
    page.get_by_label("Safety plan").fill("Agreed she calls the crisis line; next session in two days.")
    expect(page.locator("#status-note")).to_contain_text("Saved at", timeout=20_000)
    expect(page.locator("#id_note-safety_plan_error")).to_have_count(0)
    _look(page, screenshots, "note-form")

    assert page.evaluate("() => window.stillThisPage === true"), "the page reloaded"

    # Signing opens its review step: the note as saved, the meaning, the password.
    page.get_by_role("button", name="Review and sign").click()
    expect(page.get_by_role("heading", name="Sign the progress note")).to_be_visible()
    expect(page.get_by_role("region", name="What you sign")).to_contain_text("Spoke of the holiday break.")
    expect(page.get_by_role("region", name="Your signature")).to_contain_text("“authored”")
    assert not ProgressNote.objects.get(session__starts_at__date=dt.date(2026, 11, 24)).is_signed
    _look(page, screenshots, "note-sign-step")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.locator(".signature")).to_contain_text(clinician.get_full_name())
    saved = ProgressNote.objects.get(session__starts_at__date=dt.date(2026, 11, 24))
    assert saved.is_signed and saved.risk == ProgressNote.Risk.MODERATE
    assert sorted(d.mechanism.name for d in saved.defenses.all()) == ["Humour", "Isolation of affect"]
    assert [e.is_transference for e in saved.episodes.all()] == [False, True]
    assert saved.objectives_worked.get().movement == "some_movement"
    assert TherapySession.objects.count() == 3
    _look(page, screenshots, "note-signed")

    page.get_by_role("link", name="Add an addendum").click()
    page.get_by_role("textbox", name="Addendum").fill("Phoned after: the break date moved.")
    expect(page.get_by_role("region", name="Your signature")).to_contain_text("“addendum authored”")
    _look(page, screenshots, "addendum-step")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign addendum").click()
    expect(page.get_by_text("Addendum signed.")).to_be_visible()
    expect(page.locator(".addendum")).to_contain_text("the break date moved")

    page.goto(f"/clients/{own_client.pk}/")
    _look(page, screenshots, "client-sessions")

    # The private process notes, from the client page: labelled private, not part of the record.
    page.get_by_role("link", name="Private notes").click()
    expect(page.get_by_text("They are not part of the clinical record")).to_be_visible()
    page.get_by_label("Private process note").fill("Sleepy in the room: my boredom, or hers?")
    page.get_by_role("button", name="Save private note").click()
    expect(page.get_by_text("Private note saved.")).to_be_visible()
    _look(page, screenshots, "process-note")
