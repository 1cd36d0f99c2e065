"""Every model holding a client's data has the caseload door, and the rest say why they need none.

The walk over `apps.get_models()` is what keeps the door complete: a new model in one of the
project's apps fails here, by name, until it either gets a queryset subclassing
`accounts.access.CaseloadQuerySet` (with a `client_path` that really leads to the client) or an
entry below saying why it holds no client's data, or which other door reads it.
"""

import pytest
from django.apps import apps
from django.db import models

from accounts.access import CaseloadQuerySet
from clients.models import Client
from notes import services as note_services
from notes.models import (
    NoteAddendum,
    NoteConflict,
    NoteDefense,
    NoteIntervention,
    NoteObjective,
    NoteSignature,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)
from plans.lifecycle import transitions
from plans.models import PlanQuote
from progress.models import ClientAllianceRating, ObjectiveProgress, ProgressReview
from records.models import BulkExport, BulkExportItem
from tests.factories import ClientFactory, make_plan
from tests.project import PROJECT_APPS

# Every app that lives in this repository (each app's label is its package name), so a new app's
# models are walked from its first commit.

# Models that hold nothing of a client's: no link leads from them to a client (the walk below
# checks it) and no field holds clinical text.
HOLDS_NO_CLIENT_DATA = {
    "accounts.User": "Staff accounts: names, e-mail, credentials of the practice's people.",
    "accounts.Practice": "The practice itself: address, timezone, sign-in rules.",
    "accounts.Membership": "A person's roles in their practice.",
    "accounts.Supervision": "Who supervises whom; a relation between staff, not a record of a client.",
    "accounts.StaffDeactivation": "When a staff account was switched off and on, and by whom.",
    "accounts.TokenSignIn": "How an API token was obtained (second factor or not).",
    "accounts.PasswordResetRequest": "A staff address awaiting its reset mail, deleted once sent.",
    "audit.AccessLog": (
        "The audit trail names records by type and id only (its client_id is a bare number, not a "
        "link), never by name or content; read through AccessLog.objects.for_practice by admins."
    ),
    "formulation.ConflictType": "Catalogue (OPD-2 conflict axis plus a practice's additions).",
    "formulation.DefenseMechanism": "Catalogue (DMRS defenses plus a practice's additions).",
    "plans.InterventionTechnique": "Catalogue of techniques.",
    "plans.MeasureDefinition": "Catalogue of outcome measures; the scores are MeasureScore's.",
    "notes.ServiceType": "Catalogue of session kinds (intake, individual … plus a practice's additions).",
    "progress.ReviewSchedulerRun": "Counts of one practice's daily scheduler run.",
    "participation.QuestionnaireSchedulerRun": "Counts of one practice's daily questionnaire run, no client named.",
    "records.BulkExport": (
        "An admin's export request: filters (status, clinician, dates) and the ZIP's path, no client "
        "named. Its files are read only by the admin who asked (BulkExport.objects.of_requester); "
        "its items, which do name plans, have the caseload door."
    ),
}

# Models that reach a client's data but are read through a door of their own, which a caseload
# filter would contradict. Each says which door and why.
READ_THROUGH_ANOTHER_DOOR = {
    "plans.PlanTemplate": (
        "A practice-wide library entry (CatalogueQuerySet.available_to). Its source_plan names the "
        "plan it was saved from; plans.library shows that link only when the plan is visible to the "
        "reader (TreatmentPlan.objects.visible_to). A caseload filter would hide built-in templates."
    ),
    "plans.GoalTemplate": "Part of a PlanTemplate (texts the admin reviewed when saving it); read with it.",
    "plans.ObjectiveTemplate": "Part of a PlanTemplate's GoalTemplate; read with it.",
    "plans.InterventionTemplate": "A technique a PlanTemplate suggests; read with it (plans:template_preview).",
    "accounts.Notification": (
        "The bell: its text names a plan by chart number, and it is read only by its recipient "
        "(Notification.objects.for_user), who was told of it because the record was theirs to act on."
    ),
    "audit.ChangeRecord": (
        "Before and after values of clinical rows, written by database triggers; it names no client "
        "by link (table and row id only) and is read only by superusers in the read-only Django admin."
    ),
    "notes.ProcessNote": (
        "The clinician's private process notes (issue 14) have a stricter door of their own "
        "(ProcessNote.objects.visible_to / editable_by): the author, and a supervisor the author "
        "shared the note with by name while that supervision is current. The caseload rule would "
        "show them to the author's supervisors and the practice's admins by role, which is exactly "
        "what must not happen; test_process_notes_door_is_stricter_than_the_caseload pins it."
    ),
    "notes.ProcessNoteShare": (
        "Who a process note was shared with; read only with its note, through the note's door "
        "(ProcessNote.objects.visible_to), never listed on its own."
    ),
    "core.OutboxMessage": (
        "Task names and arguments waiting for the broker (ids, and a notification's text); read only "
        "by the relay, never shown to anyone."
    ),
    "core.IdempotencyRecord": (
        "The stored answer to a write can quote the client record it changed, but it is scoped to the "
        "user who made the request (the unique key is user, route and key hash) and only ever replayed "
        "to that user, for 24 hours, on a retry carrying the key only their client knew: it gives them "
        "back what they were already answered, nothing of anyone else's. It holds no link to a client "
        "for a caseload filter to follow."
    ),
}


def _project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def _caseload_queryset(model) -> type | None:
    queryset = type(model._default_manager.get_queryset())
    return queryset if issubclass(queryset, CaseloadQuerySet) else None


def _reaches_a_client(model, seen=None) -> bool:
    """Does a chain of forward links (foreign keys, one-to-one, many-to-many) lead to a Client?"""
    seen = seen if seen is not None else set()
    if model is Client:
        return True
    if model in seen:
        return False
    seen.add(model)
    for field in model._meta.get_fields():
        if field.is_relation and not field.auto_created and field.related_model is not None:
            related = field.related_model
            if isinstance(related, type) and _reaches_a_client(related, seen):
                return True
    return False


def _model_at_end_of(model, path: str):
    for name in filter(None, path.split("__")):
        model = model._meta.get_field(name).related_model
    return model


def test_every_model_holding_a_clients_data_has_a_caseload_queryset():
    exempt = HOLDS_NO_CLIENT_DATA.keys() | READ_THROUGH_ANOTHER_DOOR.keys()
    missing = [m._meta.label for m in _project_models() if m._meta.label not in exempt and not _caseload_queryset(m)]
    assert not missing, f"Give these a CaseloadQuerySet (or say in this file why they need none): {missing}"


def test_each_caseload_path_leads_to_the_client():
    wrong = {}
    for model in _project_models():
        queryset = _caseload_queryset(model)
        if queryset is not None and _model_at_end_of(model, queryset.client_path) is not Client:
            wrong[model._meta.label] = queryset.client_path
    assert not wrong, f"client_path does not end at clients.Client: {wrong}"


def test_models_said_to_hold_no_client_data_are_linked_to_no_client():
    linked = [label for label in HOLDS_NO_CLIENT_DATA if _reaches_a_client(apps.get_model(label))]
    assert not linked, f"These reach a client through their links, so they hold a client's data: {linked}"


def test_the_exemptions_name_only_existing_models_without_a_caseload_queryset():
    labels = {m._meta.label for m in _project_models()}
    exempt = HOLDS_NO_CLIENT_DATA.keys() | READ_THROUGH_ANOTHER_DOOR.keys()
    assert not HOLDS_NO_CLIENT_DATA.keys() & READ_THROUGH_ANOTHER_DOOR.keys()
    assert exempt <= labels, f"Stale entries: {sorted(exempt - labels)}"
    assert not [label for label in exempt if _caseload_queryset(apps.get_model(label))]


def test_the_caseload_doors_answer_for_every_model(clinician, outsider):
    """visible_to and editable_by build a working query on every model that has them."""
    for model in _project_models():
        if _caseload_queryset(model):
            assert list(model._default_manager.visible_to(outsider).filter(pk__in=[])) == []
            model._default_manager.visible_to(clinician).count()
            model._default_manager.editable_by(clinician).count()


# --- The access matrix of the models that gained the door -------------------------------------
# Rows belong to the clinician (whom the supervisor supervises), a colleague (supervised by
# nobody) and the outsider of another practice.

OWNERS = ("clinician", "colleague", "outsider")
# role: (whose rows it sees, whose rows it may change)
EXPECTED = {
    "clinician": ({"clinician"}, {"clinician"}),
    "colleague": ({"colleague"}, {"colleague"}),
    "supervisor": ({"clinician"}, set()),
    "admin": ({"clinician", "colleague"}, set()),
    "outsider": ({"outsider"}, {"outsider"}),
}


def test_process_notes_door_is_stricter_than_the_caseload(clinician, colleague, outsider, supervisor, admin):
    """The same three owners and five roles as the caseload matrix below: each author sees only
    her own note, and no supervisor or admin sees one by role (sharing is tested in tests/notes)."""
    from notes.models import ProcessNote

    people = {"clinician": clinician, "colleague": colleague, "outsider": outsider}
    notes = {
        name: note_services.write_process_note(
            actor=person, client=ClientFactory(primary_clinician=person), text=f"Private {name}"
        ).pk
        for name, person in people.items()
    }
    users = {**people, "supervisor": supervisor, "admin": admin}
    for role in EXPECTED:
        mine = {notes[role]} if role in notes else set()
        assert set(ProcessNote.objects.visible_to(users[role]).values_list("pk", flat=True)) == mine, role
        assert set(ProcessNote.objects.editable_by(users[role]).values_list("pk", flat=True)) == mine, role


def _quote(plan):
    return PlanQuote.objects.get(plan=plan)


def _progress(plan):
    review = ProgressReview.objects.create(plan=plan, due_date=plan.start_date, status=ProgressReview.Status.DUE)
    objective = plan.goals.get().objectives.get()
    return ObjectiveProgress.objects.create(
        review=review, objective=objective, status=ObjectiveProgress.Status.PROGRESSING, rating=40, evidence="Sleeps."
    )


def _export_item(plan):
    export = BulkExport.objects.create(practice=plan.practice, requested_by=plan.author)
    return BulkExportItem.objects.create(export=export, plan=plan)


def _signed_note(plan, *, addendum: bool = False) -> ProgressNote:
    import datetime as dt

    from formulation.models import DefenseMechanism

    session = note_services.record_session(
        actor=plan.author,
        client=plan.client,
        date=dt.date(2026, 11, 10),
        start_time=dt.time(10, 0),
        duration_minutes=50,
        service_type=ServiceType.objects.get(practice=None, code="individual"),
    )
    objective = plan.goals.get().objectives.get()
    note = note_services.save_note(
        actor=plan.author,
        session=session,
        objectives=[{"objective": objective, "evidence": "Named it."}],
        interventions=list(plan.interventions.all()),
        conflicts=[{"conflict": plan.formulation.conflicts.get()}],
        defenses=[{"mechanism": DefenseMechanism.objects.get(name="Humour")}],
        episodes=[{"other": "parent", "wish": "w", "response_of_other": "r", "response_of_self": "s"}],
    )
    note_services.sign_note(actor=plan.author, note=note)
    if addendum:
        note_services.add_addendum(actor=plan.author, note=note, text="Later.")
    return note


def _note_part(model):
    # One row per owner: an addendum (and its signature) only where the addendum is the row asked for.
    return lambda plan: model.objects.get(note=_signed_note(plan, addendum=model is NoteAddendum))


def _client_link(plan):
    from participation import services as link_services
    from participation.models import ClientLink

    link, _ = link_services.create_link(
        actor=plan.author,
        client=plan.client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    return link


def _client_link_model():
    from participation.models import ClientLink

    return ClientLink


def _risk_alert(plan):
    from participation import services as link_services

    link = _client_link(plan)
    (alert,) = link_services.submit_questionnaires(link=link, answers={"phq9": [0] * 8 + [1]}).alerts
    return alert


def _alert_models():
    from participation.models import ClientRiskAlert, RiskAlertRecipient

    return ClientRiskAlert, RiskAlertRecipient


def _client_alliance(plan):
    from progress.services import record_client_alliance

    return record_client_alliance(
        actor=plan.author, client=plan.client, bond=3, goals=4, tasks=2, recorded_on=plan.client.practice.today()
    )


ROWS = {
    _client_link_model(): _client_link,
    _alert_models()[0]: _risk_alert,
    _alert_models()[1]: lambda plan: _risk_alert(plan).recipients.get(),
    ClientAllianceRating: _client_alliance,
    PlanQuote: _quote,
    ObjectiveProgress: _progress,
    BulkExportItem: _export_item,
    TherapySession: lambda plan: _signed_note(plan).session,
    ProgressNote: _signed_note,
    **{
        model: _note_part(model)
        for model in (
            NoteObjective,
            NoteIntervention,
            NoteConflict,
            NoteDefense,
            RelationshipEpisode,
            NoteSignature,
            NoteAddendum,
        )
    },
}


@pytest.fixture
def rows_by_owner(request, clinician, colleague, outsider):
    people = {"clinician": clinician, "colleague": colleague, "outsider": outsider}
    model = request.param
    rows = {}
    for name in OWNERS:
        person = people[name]
        plan = transitions.submit_plan(actor=person, plan=make_plan(ClientFactory(primary_clinician=person)))
        rows[name] = ROWS[model](plan).pk
    return model, rows


@pytest.mark.parametrize("rows_by_owner", list(ROWS), indirect=True, ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_visible_to_and_editable_by_follow_the_clients_caseload(request, rows_by_owner, role, supervisor, admin):
    model, rows = rows_by_owner
    user = request.getfixturevalue(role)
    sees, changes = EXPECTED[role]
    assert set(model.objects.visible_to(user).values_list("pk", flat=True)) == {rows[n] for n in sees}
    assert set(model.objects.editable_by(user).values_list("pk", flat=True)) == {rows[n] for n in changes}
