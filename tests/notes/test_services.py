"""Recording sessions and writing their notes: who may, against which plan, and what is refused."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AccessLog
from core.errors import StaleEditError
from formulation.models import CoreConflict
from notes import services
from notes.models import NoteObjective, ProgressNote, ServiceType, TherapySession
from plans.lifecycle import transitions
from plans.models import Intervention, Objective
from tests.factories import ClientFactory, make_plan
from tests.notes.builders import full_note, record

Attendance = TherapySession.Attendance


# --- Recording a session ------------------------------------------------------------------


def test_a_session_is_recorded_against_the_active_plan_in_the_practices_timezone(
    clinician, own_client, active_plan, individual
):
    own_client.practice.timezone = "America/New_York"
    own_client.practice.save()
    session = record(clinician, own_client, individual, date=dt.date(2026, 11, 10), start_time=dt.time(9, 30))
    assert session.plan == active_plan
    assert session.clinician == clinician
    assert session.timezone == "America/New_York"
    # 09:30 in New York in November (EST, UTC-5) is 14:30 UTC.
    assert session.starts_at == dt.datetime(2026, 11, 10, 14, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert session.local_starts_at.hour == 9
    assert AccessLog.objects.filter(action="session.record", object_id=str(session.pk)).exists()


def test_a_client_without_a_plan_has_sessions_without_one(clinician, own_client, individual):
    intake = ServiceType.objects.get(practice=None, code="intake")
    assert record(clinician, own_client, intake).plan is None
    assert individual.code == "individual"


def test_without_an_active_plan_the_newest_version_is_in_force(clinician, own_client, individual):
    draft = make_plan(own_client)
    assert record(clinician, own_client, individual).plan == draft


def test_the_built_in_service_types_are_there_and_a_practice_may_add_its_own(practice, other_practice):
    builtin = set(ServiceType.objects.filter(practice=None).values_list("code", flat=True))
    assert builtin == {"intake", "individual", "couple", "family", "group"}
    own = ServiceType.objects.create(practice=practice, code="supervised-visit", name="Supervised visit")
    assert own in ServiceType.objects.available_to(practice.pk)
    assert own not in ServiceType.objects.available_to(other_practice.pk)


def test_another_practices_service_type_is_refused(clinician, own_client, active_plan, other_practice):
    theirs = ServiceType.objects.create(practice=other_practice, code="theirs", name="Theirs")
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, theirs)
    assert "service_type" in raised.value.message_dict


@pytest.mark.parametrize("minutes", [0, 4, 481])
def test_a_duration_outside_the_range_is_refused(clinician, own_client, active_plan, individual, minutes):
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, duration_minutes=minutes)
    assert "duration_minutes" in raised.value.message_dict


def test_a_date_outside_the_clinical_range_is_refused(clinician, own_client, active_plan, individual):
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, date=dt.date(2999, 1, 1))
    assert "date" in raised.value.message_dict


def test_a_session_that_did_not_happen_needs_a_reason(clinician, own_client, active_plan, individual):
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, attendance=Attendance.NO_SHOW)
    assert "reason" in raised.value.message_dict
    session = record(clinician, own_client, individual, attendance=Attendance.NO_SHOW, reason="Did not come.")
    assert not session.took_place


def test_an_attended_session_carries_no_reason(clinician, own_client, active_plan, individual):
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, reason="Why?")
    assert "reason" in raised.value.message_dict


@pytest.mark.parametrize("role", ["colleague", "supervisor", "admin", "outsider"])
def test_only_the_clients_clinician_records_a_session(request, role, own_client, active_plan, individual):
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        record(actor, own_client, individual)
    assert not TherapySession.objects.exists()


# --- Changing a session -------------------------------------------------------------------


def test_a_session_is_changed_with_the_version_it_was_loaded_at(clinician, session):
    changed = services.update_session(
        actor=clinician, session=session, expected_version=session.version, changes={"duration_minutes": 45}
    )
    assert changed.duration_minutes == 45
    assert changed.version == session.version + 1
    with pytest.raises(StaleEditError):
        services.update_session(
            actor=clinician, session=session, expected_version=session.version, changes={"duration_minutes": 40}
        )


def test_moving_a_session_keeps_its_time_of_day_in_the_practices_zone(clinician, session):
    changed = services.update_session(
        actor=clinician, session=session, expected_version=session.version, changes={"date": dt.date(2026, 11, 12)}
    )
    assert changed.local_starts_at.date() == dt.date(2026, 11, 12)
    assert changed.local_starts_at.time() == dt.time(9, 30)


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague"])
def test_nobody_but_the_clinician_changes_a_session(request, role, session):
    with pytest.raises(PermissionDenied):
        services.update_session(
            actor=request.getfixturevalue(role),
            session=session,
            expected_version=session.version,
            changes={"duration_minutes": 45},
        )


def test_a_session_with_a_signed_note_cannot_change(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    services.sign_note(actor=clinician, note=note)
    session.refresh_from_db()
    with pytest.raises(services.NoteLockedError):
        services.update_session(
            actor=clinician, session=session, expected_version=session.version, changes={"duration_minutes": 45}
        )


def test_a_session_with_a_note_stays_attended(clinician, session):
    services.save_note(actor=clinician, session=session, what_happened="Began.")
    with pytest.raises(ValidationError) as raised:
        services.update_session(
            actor=clinician,
            session=session,
            expected_version=session.version,
            changes={"attendance": Attendance.NO_SHOW, "reason": "Mistake"},
        )
    assert "attendance" in raised.value.message_dict


# --- The note -----------------------------------------------------------------------------


def test_a_note_records_the_plan_in_the_room(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    assert note.status == ProgressNote.Status.DRAFT
    worked = note.objectives_worked.get()
    assert worked.movement == NoteObjective.Movement.SOME_MOVEMENT
    assert worked.evidence == "Named the pattern with her sister."
    assert note.interventions_used.count() == 1
    assert note.conflicts_active.get().intensity == "very_significant"
    episodes = list(note.episodes.all())
    assert [e.is_transference for e in episodes] == [True, False]


def test_saving_again_replaces_the_drafts_parts_and_checks_the_version(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    again = services.save_note(
        actor=clinician, session=session, expected_version=note.version, what_happened="Only this."
    )
    assert again.objectives_worked.count() == 0
    assert again.what_happened == "Only this."
    with pytest.raises(StaleEditError):
        services.save_note(actor=clinician, session=session, expected_version=note.version, what_happened="Late.")


def test_a_stale_save_of_exactly_what_the_draft_holds_is_no_conflict_and_changes_nothing(clinician, session):
    opened = services.save_note(actor=clinician, session=session, what_happened="First lines.")
    # Two tabs opened at this version; the first saves the full note.
    saved = services.save_note(actor=clinician, session=session, expected_version=opened.version, **full_note(session))
    # The second sends the very same note (a resend): nothing to merge, nothing changes.
    same = services.save_note(actor=clinician, session=session, expected_version=opened.version, **full_note(session))
    assert same.version == saved.version
    # Different text from the stale tab is a conflict, and the saved note stays as it was.
    with pytest.raises(StaleEditError):
        services.save_note(
            actor=clinician, session=session, expected_version=opened.version, **full_note(session) | {"risk": "low"}
        )
    assert ProgressNote.objects.get(session=session).risk == "none"


def test_a_session_that_did_not_happen_has_no_note(clinician, own_client, active_plan, individual):
    missed = record(clinician, own_client, individual, attendance=Attendance.LATE_CANCELLATION, reason="Ill.")
    with pytest.raises(ValidationError):
        services.save_note(actor=clinician, session=missed, what_happened="?")
    assert not ProgressNote.objects.exists()


def _other_plan(clinician):
    other = ClientFactory(primary_clinician=clinician)
    return transitions.submit_plan(actor=clinician, plan=make_plan(other))


@pytest.mark.parametrize("part", ["objectives", "interventions", "conflicts"])
def test_a_note_chooses_only_from_its_sessions_plan(clinician, session, part):
    other = _other_plan(clinician)
    foreign = {
        "objectives": [{"objective": Objective.objects.get(goal__plan=other), "evidence": "x"}],
        "interventions": list(Intervention.objects.filter(plan=other)),
        "conflicts": [{"conflict": CoreConflict.objects.get(formulation__plan=other)}],
    }[part]
    with pytest.raises(ValidationError) as raised:
        services.save_note(actor=clinician, session=session, **{part: foreign})
    assert part in raised.value.message_dict
    assert not ProgressNote.objects.filter(objectives_worked__isnull=False).exists()


def test_each_objective_worked_on_needs_one_line_of_evidence(clinician, session):
    objective = Objective.objects.get(goal__plan=session.plan)
    for evidence in ["", "two\nlines", "x" * 301]:
        with pytest.raises(ValidationError) as raised:
            services.save_note(
                actor=clinician, session=session, objectives=[{"objective": objective, "evidence": evidence}]
            )
        assert "objectives" in raised.value.message_dict


def test_a_movement_mark_is_optional_and_from_the_list(clinician, session):
    objective = Objective.objects.get(goal__plan=session.plan)
    note = services.save_note(
        actor=clinician, session=session, objectives=[{"objective": objective, "evidence": "Spoke of it."}]
    )
    assert note.objectives_worked.get().movement == NoteObjective.Movement.NOT_RATED
    with pytest.raises(ValidationError):
        services.save_note(
            actor=clinician,
            session=session,
            objectives=[{"objective": objective, "evidence": "x", "movement": "leap"}],
        )


def test_a_defense_comes_from_the_catalogue_available_to_the_practice(clinician, session, other_practice):
    from formulation.models import DefenseMechanism

    theirs = DefenseMechanism.objects.create(practice=other_practice, name="Theirs", level=3)
    with pytest.raises(ValidationError) as raised:
        services.save_note(actor=clinician, session=session, defenses=[{"mechanism": theirs}])
    assert "defenses" in raised.value.message_dict
    with pytest.raises(ValidationError):
        services.save_note(
            actor=clinician, session=session, defenses=[{"mechanism": DefenseMechanism.objects.first(), "count": 0}]
        )


def test_an_episode_needs_its_three_parts_and_an_other(clinician, session):
    episode = {"other": "parent", "wish": "w", "response_of_other": "ro", "response_of_self": ""}
    with pytest.raises(ValidationError) as raised:
        services.save_note(actor=clinician, session=session, episodes=[episode])
    assert "episodes" in raised.value.message_dict
    with pytest.raises(ValidationError):
        services.save_note(actor=clinician, session=session, episodes=[episode | {"other": "cat"}])


@pytest.mark.parametrize("risk", ["moderate", "high"])
def test_a_moderate_or_high_risk_needs_a_safety_plan(clinician, session, risk):
    with pytest.raises(ValidationError) as raised:
        services.save_note(actor=clinician, session=session, risk=risk)
    assert "safety_plan" in raised.value.message_dict
    note = services.save_note(actor=clinician, session=session, risk=risk, safety_plan="Crisis line; sister.")
    assert note.risk_flagged


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague", "outsider"])
def test_nobody_but_the_clinician_writes_the_note(request, role, session):
    with pytest.raises(PermissionDenied):
        services.save_note(actor=request.getfixturevalue(role), session=session, what_happened="Mine.")
    assert not ProgressNote.objects.exists()


def test_a_modality_or_attendance_off_the_list_is_a_field_error(clinician, own_client, active_plan, individual):
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, modality="carrier pigeon")
    assert "modality" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        record(clinician, own_client, individual, attendance="maybe")
    assert "attendance" in raised.value.message_dict


def test_a_session_changes_only_in_what_it_was_entered_with(clinician, session):
    with pytest.raises(ValueError):
        services.update_session(
            actor=clinician, session=session, expected_version=session.version, changes={"clinician": None}
        )
