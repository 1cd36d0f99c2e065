"""The session and note pages: recorded and written from the client page through htmx, signed,
added to; who may do what; bad input; private process notes; query counts as sessions grow."""

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup

from audit.models import AccessLog
from formulation.models import CoreConflict, DefenseMechanism
from notes import services
from notes.models import NoteAddendum, ProcessNote, ProgressNote, TherapySession
from plans.models import Intervention, Objective
from tests.factories import PASSWORD
from tests.notes.builders import full_note, record

HTMX = {"HTTP_HX_REQUEST": "true"}


def _form_id(html: str) -> str:
    return re.search(r'name="form_id" value="([^"]+)"', html).group(1)


def _session_post(kind, **overrides):
    return {
        "date": "2026-11-24",
        "start_time": "10:00",
        "duration_minutes": "50",
        "modality": "video",
        "attendance": "attended",
        "service_type": str(kind.pk),
        "reason": "",
    } | overrides


def _note_post(session, **overrides):
    """The note form as a person fills it in: one objective, two defenses, a transference episode."""
    objective = Objective.objects.get(goal__plan=session.plan)
    isolation = DefenseMechanism.objects.get(name="Isolation of affect")
    humour = DefenseMechanism.objects.get(name="Humour")
    data = {
        f"note-obj_{objective.pk}": "on",
        f"note-obj_{objective.pk}_evidence": "Named the pattern with her sister.",
        f"note-obj_{objective.pk}_movement": "some_movement",
        "note-interventions": [str(i.pk) for i in Intervention.objects.filter(plan=session.plan)],
        f"note-defense_{isolation.pk}": "on",
        f"note-defense_{isolation.pk}_count": "3",
        f"note-defense_{humour.pk}": "on",
        "note-episode_0_other": "therapist",
        "note-episode_0_wish": "to be looked after",
        "note-episode_0_response_of_other": "you will tire of me",
        "note-episode_0_response_of_self": "I say I am fine",
        "note-risk": "none",
        "note-what_happened": "Spoke of the holiday break.",
        "note-plan_for_next_time": "Return to the break.",
    }
    conflict = CoreConflict.objects.filter(formulation__plan=session.plan).first()
    if conflict is not None:
        data |= {f"note-conflict_{conflict.pk}": "on", f"note-conflict_{conflict.pk}_intensity": "very_significant"}
    return data | overrides


@pytest.fixture
def signed_session(clinician, session):
    services.save_note(actor=clinician, session=session, **full_note(session))
    services.sign_note(actor=clinician, note=session.note)
    return session


# --- The client page and the session history ----------------------------------------------------


def test_the_client_page_shows_the_session_history_newest_first_in_the_practices_zone(
    clinician, own_client, active_plan, individual, login
):
    own_client.practice.timezone = "America/New_York"
    own_client.practice.save()
    record(clinician, own_client, individual, date=dt.date(2026, 11, 3))
    record(clinician, own_client, individual, date=dt.date(2026, 11, 17), attendance="no_show", reason="Did not come.")
    html = login(clinician).get(f"/clients/{own_client.pk}/").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.select("#session-history tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["2026-11-17 09:30", "2026-11-03 09:30"]
    assert "No-show" in rows[0].get_text() and "No note needed" in rows[0].get_text()
    assert "Unsigned > 72 h" in rows[1].get_text()
    assert soup.find("button", string="Record session") is not None


def test_a_reader_sees_the_history_without_the_record_button(supervisor, clinician, session, login):
    html = login(supervisor).get(f"/clients/{session.client_id}/").content.decode()
    assert "Session history" in html and "Record session" not in html


def test_the_client_page_links_to_the_full_list_once_there_are_more_sessions_than_it_shows(
    clinician, own_client, active_plan, individual, login
):
    for day in range(11):
        record(clinician, own_client, individual, date=dt.date(2026, 10, 1) + dt.timedelta(days=day))
    web = login(clinician)
    soup = BeautifulSoup(web.get(f"/clients/{own_client.pk}/").content, "html.parser")
    assert len(soup.select("#session-history tbody tr")) == 10
    assert soup.find("a", string="All sessions", href=f"/clients/{own_client.pk}/sessions/")
    full = BeautifulSoup(web.get(f"/clients/{own_client.pk}/sessions/").content, "html.parser")
    assert len(full.select("#session-history tbody tr")) == 11


# --- Recording a session ------------------------------------------------------------------------


def test_recording_an_attended_session_swaps_in_its_note_form_and_refreshes_the_history(
    clinician, own_client, active_plan, individual, login
):
    web = login(clinician)
    form = web.get(f"/clients/{own_client.pk}/sessions/record/", **HTMX).content.decode()
    response = web.post(
        f"/clients/{own_client.pk}/sessions/record/", _session_post(individual, form_id=_form_id(form)), **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#session-work"
    session = TherapySession.objects.get()
    assert (session.modality, session.local_starts_at.time()) == ("video", dt.time(10, 0))
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("#note-form") is not None
    assert soup.select_one('#session-history[hx-swap-oob="true"]') is not None


def test_sending_the_record_form_twice_records_one_session(clinician, own_client, active_plan, individual, login):
    web = login(clinician)
    form = web.get(f"/clients/{own_client.pk}/sessions/record/", **HTMX).content.decode()
    data = _session_post(individual, form_id=_form_id(form))
    first = web.post(f"/clients/{own_client.pk}/sessions/record/", data, **HTMX)
    second = web.post(f"/clients/{own_client.pk}/sessions/record/", data, **HTMX)
    assert TherapySession.objects.count() == 1
    assert second.status_code == first.status_code == 200


def test_a_session_that_did_not_happen_needs_a_reason_and_gets_no_note_form(
    clinician, own_client, active_plan, individual, login
):
    web = login(clinician)
    url = f"/clients/{own_client.pk}/sessions/record/"
    missing = web.post(url, _session_post(individual, attendance="late_cancellation"), **HTMX)
    assert missing.status_code == 200 and not TherapySession.objects.exists()
    soup = BeautifulSoup(missing.content, "html.parser")
    assert "Say why the session did not take place." in soup.select_one("#id_reason_error").get_text()
    given = web.post(url, _session_post(individual, attendance="late_cancellation", reason="Unwell"), **HTMX)
    assert "Did not take place" in given.content.decode() and b"note-form" not in given.content
    session = TherapySession.objects.get()
    assert web.post(f"/clients/sessions/{session.pk}/note/", _note_post_minimal()).status_code == 403
    assert not ProgressNote.objects.exists()


def _note_post_minimal():
    return {"note-risk": "none", "note-what_happened": "x"}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"duration_minutes": "2"}, "duration_minutes"),
        ({"duration_minutes": "lots"}, "duration_minutes"),
        ({"date": "1066-10-14"}, "date"),
        ({"start_time": "25:99"}, "start_time"),
        ({"modality": "carrier pigeon"}, "modality"),
        ({"service_type": "999999"}, "service_type"),
        ({"service_type": "<script>"}, "service_type"),
    ],
)
def test_bad_session_input_is_a_field_error_and_records_nothing(
    changes, field, clinician, own_client, active_plan, individual, login
):
    response = login(clinician).post(
        f"/clients/{own_client.pk}/sessions/record/", _session_post(individual, **changes), **HTMX
    )
    assert response.status_code == 200
    assert BeautifulSoup(response.content, "html.parser").select_one(f"#id_{field}_error") is not None
    assert not TherapySession.objects.exists()


# --- Writing, saving and signing the note ----------------------------------------------------------


def test_saving_the_draft_keeps_every_part_of_the_note(clinician, session, login):
    response = login(clinician).post(f"/clients/sessions/{session.pk}/note/", _note_post(session), **HTMX)
    assert response.status_code == 200
    note = ProgressNote.objects.get(session=session)
    assert note.what_happened == "Spoke of the holiday break."
    assert [(o.evidence, o.movement) for o in note.objectives_worked.all()] == [
        ("Named the pattern with her sister.", "some_movement")
    ]
    assert sorted((d.mechanism.name, d.count) for d in note.defenses.all()) == [
        ("Humour", None),
        ("Isolation of affect", 3),
    ]
    assert [e.is_transference for e in note.episodes.all()] == [True]
    assert note.interventions_used.count() == 1 and note.conflicts_active.get().intensity == "very_significant"
    # The form comes back as saved, ready to go on.
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("#id_note-version")["value"] == str(note.version)
    assert soup.select_one("#id_note-what_happened").get_text().strip() == "Spoke of the holiday break."


def test_an_autosave_answers_with_the_new_version_and_status_only(clinician, session, login):
    response = login(clinician).post(f"/clients/sessions/{session.pk}/note/?autosave=1", _note_post(session), **HTMX)
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("#id_note-version")["value"] == str(ProgressNote.objects.get().version)
    assert "Saved at" in soup.select_one("#status-note").get_text()
    assert soup.select_one("#note-form") is None


def test_a_stale_save_shows_the_conflict_and_keeps_the_text_typed(clinician, session, login):
    web = login(clinician)
    web.post(f"/clients/sessions/{session.pk}/note/", _note_post(session), **HTMX)
    opened = ProgressNote.objects.get().version
    web.post(f"/clients/sessions/{session.pk}/note/", _note_post(session, **{"note-version": str(opened)}), **HTMX)
    mine = _note_post(session, **{"note-version": str(opened), "note-what_happened": "My long paragraph."})
    stale = web.post(f"/clients/sessions/{session.pk}/note/", mine, **HTMX)
    soup = BeautifulSoup(stale.content, "html.parser")
    assert soup.select_one("#conflict-note .conflict") is not None
    assert soup.select_one("#id_note-what_happened").get_text().strip() == "My long paragraph."
    assert ProgressNote.objects.get().what_happened == "Spoke of the holiday break."
    autosaved = web.post(f"/clients/sessions/{session.pk}/note/?autosave=1", mine, **HTMX)
    assert "someone else changed this" in autosaved.content.decode()


def test_a_moderate_risk_without_a_safety_plan_is_a_field_error(clinician, session, login):
    response = login(clinician).post(
        f"/clients/sessions/{session.pk}/note/", _note_post(session, **{"note-risk": "moderate"}), **HTMX
    )
    soup = BeautifulSoup(response.content, "html.parser")
    assert "safety plan" in soup.select_one("#id_note-safety_plan_error").get_text()
    assert not ProgressNote.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"note-risk": "catastrophic"},
        {"note-interventions": ["999999"]},
        {"note-interventions": ["abc"]},
        {"note-episode_0_wish": ""},
        {"note-episode_0_other": "stranger"},
        {"note-what_happened": "x" * 13000},
        {"note-version": "not a number"},
    ],
)
def test_bad_note_input_is_an_error_on_the_form_never_a_500_and_saves_nothing(changes, clinician, session, login):
    response = login(clinician).post(f"/clients/sessions/{session.pk}/note/", _note_post(session, **changes), **HTMX)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one(".error-summary") is not None
    assert not ProgressNote.objects.exists()


def test_an_episode_row_with_an_absurd_index_is_left_out_never_a_500(clinician, session, login):
    data = _note_post(session, **{"note-episode_9999999_other": "partner", "note-episode_9999999_wish": "w"})
    response = login(clinician).post(f"/clients/sessions/{session.pk}/note/", data, **HTMX)
    assert response.status_code == 200
    assert [e.other for e in ProgressNote.objects.get().episodes.all()] == ["therapist"]


def test_a_bad_defense_count_is_shown_beside_the_defense(clinician, session, login):
    isolation = DefenseMechanism.objects.get(name="Isolation of affect")
    response = login(clinician).post(
        f"/clients/sessions/{session.pk}/note/",
        _note_post(session, **{f"note-defense_{isolation.pk}_count": "-2"}),
        **HTMX,
    )
    assert BeautifulSoup(response.content, "html.parser").select_one(f"#id_note-defense_{isolation.pk}_count")
    assert "greater than or equal to 1" in response.content.decode()


def _review_and_sign(web, session, data):
    """What the note form's "Review and sign…" does: save what is on screen, then open the step."""
    saved = web.post(f"/clients/sessions/{session.pk}/note/?then=sign", data, **HTMX)
    assert saved.status_code == 200 and saved["HX-Redirect"] == f"/clients/sessions/{session.pk}/sign/"
    step = web.get(saved["HX-Redirect"])
    assert step.status_code == 200
    return step.content.decode()


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_review_and_sign_saves_then_shows_the_note_and_the_signatures_meaning(clinician, session, login):
    web = login(clinician)
    html = _review_and_sign(web, session, _note_post(session))
    note = ProgressNote.objects.get()
    assert not note.is_signed, "opening the step signs nothing"
    assert "Spoke of the holiday break." in html and "Return to the break." in html
    assert session.service_type.name in html and "2026-11-" in html
    assert "“authored”" in html and "legally binding equivalent of my handwritten signature" in html
    assert clinician.printed_name in html and 'name="password"' in html


def test_a_wrong_password_signs_no_note_and_says_so_on_the_field(clinician, session, login):
    web = login(clinician)
    html = _review_and_sign(web, session, _note_post(session))
    response = web.post(f"/clients/sessions/{session.pk}/sign/", {"version": _version(html), "password": "wrong"})
    assert response.status_code == 200 and "That password is not right" in response.content.decode()
    assert not ProgressNote.objects.get().is_signed


def test_signing_shows_the_signature_and_offers_an_addendum(clinician, session, login):
    clinician.credentials = "PsyD"
    clinician.save()
    web = login(clinician)
    html = _review_and_sign(web, session, _note_post(session))
    data = {"version": _version(html), "password": PASSWORD, "form_id": _form_id(html)}
    response = web.post(f"/clients/sessions/{session.pk}/sign/", data, follow=True)
    note = ProgressNote.objects.get()
    assert note.is_signed and note.what_happened == "Spoke of the holiday break."
    soup = BeautifulSoup(response.content, "html.parser")
    signature = soup.select_one(".signature").get_text(" ", strip=True)
    assert clinician.get_full_name() in signature and "PsyD" in signature and "Meaning: Authored" in signature
    assert soup.select_one("#note-form") is None
    assert soup.find("a", string="Add an addendum…") is not None


def test_a_note_saved_elsewhere_after_the_step_opened_is_not_signed(clinician, session, login):
    web = login(clinician)
    html = _review_and_sign(web, session, _note_post(session))
    note = ProgressNote.objects.get()
    services.save_note(actor=clinician, session=session, expected_version=note.version, **full_note(session))
    response = web.post(f"/clients/sessions/{session.pk}/sign/", {"version": _version(html), "password": PASSWORD})
    assert "Someone saved this note after you opened this page" in response.content.decode()
    assert not ProgressNote.objects.get().is_signed


def test_signing_a_signed_note_again_changes_nothing(clinician, signed_session, login):
    signed_at = ProgressNote.objects.get().signed_at
    response = login(clinician).post(
        f"/clients/sessions/{signed_session.pk}/sign/", {"version": "2", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200 and "can no longer change" in response.content.decode()
    assert ProgressNote.objects.get().signed_at == signed_at


def test_a_signed_notes_form_is_refused_and_an_addendum_offered(clinician, signed_session, login):
    web = login(clinician)
    refused = web.post(f"/clients/sessions/{signed_session.pk}/note/", _note_post(signed_session), **HTMX)
    assert refused.status_code == 409
    assert "Add an addendum" in refused.content.decode()
    page = web.get(f"/clients/sessions/{signed_session.pk}/").content.decode()
    assert 'id="note-form"' not in page and "Add an addendum…" in page


def test_an_addendum_is_signed_as_written_and_a_resend_adds_no_second(clinician, signed_session, login):
    web = login(clinician)
    page = web.get(f"/clients/sessions/{signed_session.pk}/addendum/").content.decode()
    assert "“addendum authored”" in page and "legally binding" in page
    text = "Client phoned after: the break date moved."
    wrong = web.post(f"/clients/sessions/{signed_session.pk}/addendum/", {"text": text, "password": "no"})
    assert "That password is not right" in wrong.content.decode() and text in wrong.content.decode()
    assert not NoteAddendum.objects.exists()
    data = {"text": text, "password": PASSWORD, "form_id": _form_id(page)}
    first = web.post(f"/clients/sessions/{signed_session.pk}/addendum/", data, follow=True)
    web.post(f"/clients/sessions/{signed_session.pk}/addendum/", data)
    addendum = NoteAddendum.objects.get()
    assert addendum.signature.meaning == "addendum"
    assert "the break date moved" in first.content.decode() and "Addendum signed." in first.content.decode()
    empty = web.post(f"/clients/sessions/{signed_session.pk}/addendum/", {"text": "  ", "password": PASSWORD})
    assert empty.status_code == 200 and NoteAddendum.objects.count() == 1


# --- Who may do what ---------------------------------------------------------------------------

READ_ROUTES = ["/clients/{client}/sessions/", "/clients/sessions/{session}/"]
WRITE_ROUTES = [
    ("/clients/{client}/sessions/record/", "record"),
    ("/clients/sessions/{session}/edit/", "edit"),
    ("/clients/sessions/{session}/note/", "note"),
    ("/clients/sessions/{session}/sign/", "note"),
    ("/clients/sessions/{session}/addendum/", "addendum"),
]
# role: (status of a read, status of a write by someone in view but not the clinician)
EXPECTED = {"supervisor": (200, 403), "admin": (200, 403), "colleague": (404, 404), "outsider": (404, 404)}


@pytest.mark.parametrize("role", EXPECTED)
def test_the_role_matrix_readers_read_nobody_but_the_clinician_writes_the_rest_see_nothing(
    role, request, session, individual, login
):
    user = request.getfixturevalue(role)
    web = login(user)
    read, write = EXPECTED[role]
    ids = {"client": session.client_id, "session": session.pk}
    for route in READ_ROUTES:
        assert web.get(route.format(**ids)).status_code == read, route
    for route, kind in WRITE_ROUTES:
        data = {
            "record": _session_post(individual),
            "edit": _session_post(individual, version="1"),
            "note": _note_post(session) | {"password": PASSWORD},
            "addendum": {"text": "x", "password": PASSWORD},
        }[kind]
        assert web.post(route.format(**ids), data).status_code == write, route
    assert web.get(f"/clients/{session.client_id}/sessions/record/").status_code == write
    assert web.get(f"/clients/sessions/{session.pk}/edit/").status_code == write
    assert not ProgressNote.objects.exists() and TherapySession.objects.count() == 1
    session.refresh_from_db()
    assert (session.version, session.modality) == (1, "in_person")


# --- Correcting a session as recorded -------------------------------------------------------


def test_the_clinician_corrects_a_session_while_its_note_is_a_draft(clinician, session, individual, login):
    web = login(clinician)
    form = web.get(f"/clients/sessions/{session.pk}/edit/")
    assert form.status_code == 200 and 'name="version" value="1"' in form.content.decode()
    response = web.post(
        f"/clients/sessions/{session.pk}/edit/",
        _session_post(individual, date="2026-11-11", start_time="14:15", modality="telephone", version="1"),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    local = session.local_starts_at
    assert (local.date(), local.time(), session.modality, session.version) == (
        dt.date(2026, 11, 11),
        dt.time(14, 15),
        "telephone",
        2,
    )


def test_a_stale_session_edit_shows_their_version_and_keeps_mine(clinician, session, individual, login):
    services.update_session(actor=clinician, session=session, expected_version=1, changes={"duration_minutes": 45})
    response = login(clinician).post(
        f"/clients/sessions/{session.pk}/edit/", _session_post(individual, duration_minutes="60", version="1")
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this session first" in html and "45 min" in html and 'value="60"' in html
    session.refresh_from_db()
    assert session.duration_minutes == 45


def test_a_bad_session_edit_is_a_field_error_and_changes_nothing(clinician, session, individual, login):
    response = login(clinician).post(
        f"/clients/sessions/{session.pk}/edit/",
        _session_post(individual, attendance="no_show", reason="", duration_minutes="5000", version="1"),
    )
    soup = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    assert "Say why the session did not take place." in soup.select_one("#id_reason_error").text
    assert soup.select_one("#id_duration_minutes_error") is not None
    session.refresh_from_db()
    assert (session.attendance, session.duration_minutes, session.version) == ("attended", 50, 1)


def test_a_session_with_a_signed_note_can_no_longer_be_edited(clinician, signed_session, individual, login):
    web = login(clinician)
    assert "Edit session details" not in web.get(f"/clients/sessions/{signed_session.pk}/").content.decode()
    response = web.post(
        f"/clients/sessions/{signed_session.pk}/edit/", _session_post(individual, duration_minutes="30", version="1")
    )
    assert response.status_code == 409 and "Add an addendum to the note instead" in response.content.decode()
    signed_session.refresh_from_db()
    assert signed_session.duration_minutes == 50


def test_the_clinician_reads_and_writes_their_own(clinician, session, login):
    web = login(clinician)
    assert web.get(f"/clients/{session.client_id}/sessions/").status_code == 200
    assert web.get(f"/clients/sessions/{session.pk}/").status_code == 200
    assert web.post(f"/clients/sessions/{session.pk}/note/", _note_post(session)).status_code == 200
    assert ProgressNote.objects.filter(session=session).exists()


def test_a_session_page_read_is_logged_naming_the_session_and_client(supervisor, session, login):
    login(supervisor).get(f"/clients/sessions/{session.pk}/")
    entry = AccessLog.objects.filter(actor=supervisor, action="read").order_by("-pk").first()
    assert (entry.object_type, entry.object_id, entry.client_id) == ("session", str(session.pk), session.client_id)


def test_a_supervisor_reads_a_draft_as_text_not_as_a_form(clinician, supervisor, session, login):
    services.save_note(actor=clinician, session=session, **full_note(session))
    html = login(supervisor).get(f"/clients/sessions/{session.pk}/").content.decode()
    assert "Draft: not yet signed" in html and 'id="note-form"' not in html
    assert "Spoke of the holiday break." in html


# --- The plan page and the home page ---------------------------------------------------------------


def test_the_plan_page_shows_the_last_five_sessions_since_the_plan_took_effect(
    clinician, own_client, active_plan, individual, login
):
    for day in range(7):
        record(clinician, own_client, individual, date=dt.date(2026, 11, 3) + dt.timedelta(days=day))
    soup = BeautifulSoup(login(clinician).get(f"/plans/{active_plan.pk}/").content, "html.parser")
    section = soup.find("h2", string="Last sessions").find_parent("section")
    assert [a.get_text() for a in section.select("li a.nowrap")] == [
        f"2026-11-{day:02d} 09:30" for day in (9, 8, 7, 6, 5)
    ]


def test_home_flags_unsigned_notes_for_the_clinician_and_risk_for_clinician_and_supervisor(
    clinician, supervisor, session, login
):
    note_args = full_note(session) | {"risk": "high", "safety_plan": "Crisis line agreed."}
    services.save_note(actor=clinician, session=session, **note_args)
    web = login(clinician)
    soup = BeautifulSoup(web.get("/").content, "html.parser")
    unsigned = soup.find("h2", string="Notes to sign").find_parent("section")
    assert unsigned.find("a", href=f"/clients/sessions/{session.pk}/")
    assert (
        soup.find("h2", string="Risk flags").find_parent("section").find("a", href=f"/clients/sessions/{session.pk}/")
    )
    soup = BeautifulSoup(login(supervisor).get("/").content, "html.parser")
    flags = soup.find("h2", string="Risk flags").find_parent("section")
    assert "High" in flags.get_text() and clinician.printed_name in flags.get_text()


# --- Query counts ----------------------------------------------------------------------------------


def _queries(django_assert_max_num_queries, web, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web.get(url)  # warm: the first request fills per-process caches (the catalogues, the scope)
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/clients/{client}/", "/clients/{client}/sessions/", "/", "/plans/{plan}/"])
def test_page_query_counts_do_not_grow_with_the_number_of_sessions(
    url, clinician, own_client, active_plan, individual, login, django_assert_max_num_queries
):
    def grow_to(n):
        while TherapySession.objects.count() < n:
            index = TherapySession.objects.count()
            session = record(clinician, own_client, individual, date=dt.date(2026, 11, 3) + dt.timedelta(days=index))
            if index % 2:
                services.save_note(actor=clinician, session=session, **full_note(session))
            if index % 3 == 0:
                services.save_note(
                    actor=clinician,
                    session=session,
                    **full_note(session) | {"risk": "moderate", "safety_plan": "Plan."},
                )
                services.sign_note(actor=clinician, note=session.note)

    web = login(clinician)
    target = url.format(client=own_client.pk, plan=active_plan.pk)
    grow_to(3)
    few = _queries(django_assert_max_num_queries, web, target)
    grow_to(30)
    many = _queries(django_assert_max_num_queries, web, target)
    assert many == few, f"{target}: {few} queries with 3 sessions, {many} with 30"


# --- Private process notes -----------------------------------------------------------------------


@pytest.fixture
def private_note(clinician, own_client, session):
    return services.write_process_note(actor=clinician, client=own_client, text="Pull to rescue her.", session=session)


def test_the_author_writes_a_private_note_labelled_private_and_lists_their_own(clinician, own_client, session, login):
    web = login(clinician)
    page = web.get(f"/clients/{own_client.pk}/process-notes/?session={session.pk}").content.decode()
    assert "not part of the clinical record" in page
    response = web.post(
        f"/clients/{own_client.pk}/process-notes/",
        {"text": "Sleepy in the room: my boredom?", "session": str(session.pk), "form_id": _form_id(page)},
    )
    note = ProcessNote.objects.get()
    assert response.status_code == 302 and note.session == session and note.author == clinician
    listing = web.get(f"/clients/{own_client.pk}/process-notes/").content.decode()
    assert f"/clients/process-notes/{note.pk}/" in listing
    empty = web.post(f"/clients/{own_client.pk}/process-notes/", {"text": "   "})
    assert empty.status_code == 200 and ProcessNote.objects.count() == 1


def test_sharing_with_the_supervisor_lets_them_read_it_audited_until_revoked(
    clinician, supervisor, private_note, login
):
    web = login(clinician)
    url = f"/clients/process-notes/{private_note.pk}/"
    assert web.post(f"{url}share/", {"supervisor": str(supervisor.pk)}).status_code == 302
    share = private_note.shares.get()
    reader = login(supervisor)
    before = AccessLog.objects.filter(actor=supervisor, action="process_note_read").count()
    page = reader.get(url)
    assert page.status_code == 200 and "Pull to rescue her." in page.content.decode()
    assert AccessLog.objects.filter(actor=supervisor, action="process_note_read").count() == before + 1
    assert reader.post(f"{url}share/", {"supervisor": str(supervisor.pk)}).status_code == 403
    web = login(clinician)
    assert web.post(f"/clients/process-notes/shares/{share.pk}/revoke/").status_code == 302
    assert login(supervisor).get(url).status_code == 404


def test_sharing_with_someone_who_is_not_a_current_supervisor_is_refused(clinician, colleague, private_note, login):
    login(clinician).post(f"/clients/process-notes/{private_note.pk}/share/", {"supervisor": str(colleague.pk)})
    assert not private_note.shares.exists()


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague", "outsider"])
def test_nobody_but_the_author_reads_an_unshared_private_note(role, request, private_note, own_client, login):
    web = login(request.getfixturevalue(role))
    assert web.get(f"/clients/process-notes/{private_note.pk}/").status_code == 404
    assert "Pull to rescue her." not in web.get(f"/clients/{own_client.pk}/process-notes/").content.decode()
    assert web.post(f"/clients/process-notes/{private_note.pk}/withdraw/").status_code == 404
    assert ProcessNote.objects.get().withdrawn_at is None


def test_withdrawing_takes_the_note_out_of_view(clinician, private_note, login):
    web = login(clinician)
    assert web.post(f"/clients/process-notes/{private_note.pk}/withdraw/").status_code == 302
    assert web.get(f"/clients/process-notes/{private_note.pk}/").status_code == 404


def test_without_htmx_the_note_form_posts_to_the_whole_session_page(clinician, session, login):
    """No script: the same form saves and answers with the session page, errors on their fields."""
    web = login(clinician)
    saved = web.post(f"/clients/sessions/{session.pk}/note/", _note_post(session))
    assert saved.status_code == 200 and "<html" in saved.content.decode()
    assert ProgressNote.objects.get().what_happened == "Spoke of the holiday break."
    bad = web.post(f"/clients/sessions/{session.pk}/note/", _note_post(session, **{"note-risk": "high"}))
    assert "<html" in bad.content.decode()
    assert BeautifulSoup(bad.content, "html.parser").select_one("#id_note-safety_plan_error") is not None
