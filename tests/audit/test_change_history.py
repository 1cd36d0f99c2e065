"""Change history of clinical records: before, after and who, however the change was made."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.history import HISTORY_TABLES, reset_actor, set_actor
from audit.models import ChangeRecord
from clients.models import Client
from tests.factories import PresentingProblemFactory, make_plan


def _changes(table: str, row_id) -> list[ChangeRecord]:
    return list(ChangeRecord.objects.filter(table=table, row_id=str(row_id)).order_by("pk"))


def test_an_edit_in_the_browser_keeps_before_after_and_the_clinician(clinician, own_client, login):
    web = login(clinician)
    form = web.get(f"/clients/{own_client.pk}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(given_name="Renamed", version=own_client.version)
    assert web.post(f"/clients/{own_client.pk}/edit/", data).status_code == 302
    update = _changes("clients_client", own_client.pk)[-1]
    assert update.operation == "UPDATE" and update.actor == clinician
    assert update.changed_fields()["given_name"] == (own_client.given_name, "Renamed")


def test_creating_a_record_keeps_its_first_values(clinician, own_client):
    insert = _changes("clients_client", own_client.pk)[0]
    assert insert.operation == "INSERT" and insert.before is None
    assert insert.after["given_name"] == own_client.given_name


def test_a_bulk_update_is_recorded_for_every_row_with_the_acting_user(clinician, own_client):
    problems = [PresentingProblemFactory(client=own_client) for _ in range(3)]
    token = set_actor(clinician.pk)
    try:
        own_client.presenting_problems.update(onset="Winter")
    finally:
        reset_actor(token)
    for problem in problems:
        change = _changes("clients_presentingproblem", problem.pk)[-1]
        assert change.actor_id == clinician.pk
        assert change.changed_fields()["onset"][1] == "Winter"


def test_raw_sql_outside_the_application_is_recorded_without_an_actor(own_client):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET family_name = 'Rawly' WHERE id = %s", [own_client.pk])
    change = _changes("clients_client", own_client.pk)[-1]
    assert change.actor is None
    assert change.changed_fields()["family_name"] == (own_client.family_name, "Rawly")


def test_formulation_text_changes_are_kept(clinician, own_client):
    plan = make_plan(own_client)
    token = set_actor(clinician.pk)
    try:
        type(plan.formulation).objects.filter(pk=plan.formulation.pk).update(narrative_hypothesis="Second thoughts")
    finally:
        reset_actor(token)
    change = _changes("formulation_formulation", plan.formulation.pk)[-1]
    assert change.after["narrative_hypothesis"] == "Second thoughts" and change.actor == clinician


def test_a_save_that_changes_nothing_writes_no_history(own_client):
    before = ChangeRecord.objects.count()
    Client.objects.filter(pk=own_client.pk).update(given_name=own_client.given_name)
    assert ChangeRecord.objects.count() == before


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite records inserts and updates only")
def test_a_delete_in_raw_sql_is_recorded_with_the_row_before(own_client):
    problem = PresentingProblemFactory(client=own_client)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clients_presentingproblem WHERE id = %s", [problem.pk])
    change = _changes("clients_presentingproblem", problem.pk)[-1]
    assert change.operation == "DELETE" and change.after is None and change.before["title"] == problem.title


def test_history_rows_cannot_be_rewritten(own_client):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChangeRecord.objects.filter(table="clients_client").update(before=None)


def test_every_clinical_table_has_its_history_trigger(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name = 'psyplan_history'"
            )
            covered = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'psyplan_history_upd_%'"
            )
            covered = {row[0] for row in cursor.fetchall()}
    assert set(HISTORY_TABLES) & set(connection.introspection.table_names()) <= covered
    assert "plans_objective" in covered and "clients_client" in covered
