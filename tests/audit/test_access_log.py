"""The access log: an entry for every audited action, chained, append-only and verifiable."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client as WebClient

from accounts import services
from audit import log
from audit.models import AccessLog
from plans.lifecycle import transitions
from tests.factories import PASSWORD, ClientFactory, make_plan


def _last(**filters) -> AccessLog:
    return AccessLog.objects.filter(**filters).order_by("-pk").first()


def test_reading_a_client_record_writes_a_read_entry_with_who_what_where(clinician, own_client, login):
    web = login(clinician)
    web.get(f"/clients/{own_client.pk}/", headers={"User-Agent": "TestBrowser/1.0"})
    entry = _last(action="read")
    assert (entry.actor, entry.actor_email, entry.outcome) == (clinician, clinician.email, "ok")
    assert (entry.object_type, entry.object_id, entry.client_id) == ("client", str(own_client.pk), own_client.pk)
    assert entry.ip == "127.0.0.1" and entry.user_agent == "TestBrowser/1.0"
    assert entry.practice_id == entry.subject_practice_id == own_client.practice_id
    assert entry.at.utcoffset().total_seconds() == 0


def test_reading_a_plan_and_its_formulation_names_the_plan_and_its_client(clinician, own_client, login):
    plan = make_plan(own_client)
    login(clinician).get(f"/plans/{plan.pk}/")
    entry = _last(action="read", object_type="plan")
    assert entry.object_id == str(plan.pk) and entry.client_id == own_client.pk


def test_reading_the_client_list_is_recorded(clinician, login):
    login(clinician).get("/clients/")
    assert _last(action="read").object_type == "client_list"


@pytest.mark.parametrize("role", ["outsider", "colleague"])
def test_a_hidden_record_requested_is_logged_as_denied_for_the_records_practice(role, request, own_client, login):
    web = login(request.getfixturevalue(role))
    assert web.get(f"/clients/{own_client.pk}/").status_code == 404
    entry = _last(outcome="denied")
    assert (entry.action, entry.object_type, entry.object_id) == ("read", "client", str(own_client.pk))
    assert entry.subject_practice_id == own_client.practice_id
    assert "clients:detail 404" in entry.detail


def test_a_read_only_viewer_trying_to_change_is_logged_as_a_denied_write(supervisor, clinician, own_client, login):
    web = login(supervisor)
    assert web.post(f"/clients/{own_client.pk}/edit/", {"given_name": "X"}).status_code == 403
    entry = _last(outcome="denied")
    assert (entry.action, entry.actor, entry.client_id) == ("write", supervisor, own_client.pk)


def test_sign_in_sign_out_and_a_failed_sign_in_are_logged(clinician, client):
    client.post("/accounts/login/", {"username": clinician.email, "password": "wrong-password"})
    failed = _last(action="login_failed")
    assert (failed.outcome, failed.actor_email, failed.object_id) == ("failed", clinician.email, str(clinician.pk))
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    assert _last(action="login").actor == clinician
    client.post("/accounts/logout/")
    assert _last(action="logout").actor == clinician


def test_password_change_is_logged(clinician, login):
    web = login(clinician)
    new = "another-long-passphrase-17"
    web.post("/accounts/password/change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    entry = _last(action="password_change")
    assert entry.actor == clinician and entry.object_id == str(clinician.pk)


def test_role_change_is_logged_with_the_roles_before_and_after(admin, colleague):
    services.update_staff_roles(
        actor=admin,
        membership=colleague.membership,
        is_clinician=True,
        is_supervisor=True,
        is_practice_admin=False,
        requires_cosignature=False,
    )
    entry = _last(action="role_change")
    assert entry.actor == admin and entry.object_id == str(colleague.pk)
    assert entry.detail == "roles: Clinician -> Clinician, Supervisor"


def test_sign_request_changes_revise_approve_amend_and_close_are_each_logged(trainee, supervisor):
    plan = make_plan(ClientFactory(primary_clinician=trainee))
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    plan = transitions.request_changes(actor=supervisor, plan=plan, comment="Name the conflict.")
    plan = transitions.start_revision(actor=trainee, plan=plan)
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    plan = transitions.approve_plan(actor=supervisor, plan=plan)
    amendment = transitions.amend_plan(actor=trainee, plan=plan)
    transitions.close_plan(actor=trainee, plan=plan, reason="Treatment ended.")
    rows = list(AccessLog.objects.filter(object_type="plan").order_by("pk").values_list("action", "actor", "object_id"))
    assert rows == [
        ("sign", trainee.pk, str(plan.pk)),
        ("request_changes", supervisor.pk, str(plan.pk)),
        ("revise", trainee.pk, str(plan.pk)),
        ("sign", trainee.pk, str(plan.pk)),
        ("approve", supervisor.pk, str(plan.pk)),
        ("amend", trainee.pk, str(amendment.pk)),
        ("close", trainee.pk, str(plan.pk)),
    ]
    assert set(AccessLog.objects.filter(object_type="plan").values_list("client_id", flat=True)) == {plan.client_id}


def test_a_refused_transition_leaves_no_entry_claiming_it_happened(clinician, colleague, own_client):
    plan = make_plan(own_client)
    with pytest.raises(transitions.TransitionError):
        transitions.submit_plan(actor=colleague, plan=plan)
    assert not AccessLog.objects.filter(action="sign").exists()


def test_entries_form_an_unbroken_hash_chain(clinician, own_client, login, capsys):
    web = login(clinician)
    for _ in range(3):
        web.get(f"/clients/{own_client.pk}/")
    entries = list(AccessLog.objects.order_by("pk"))
    assert len(entries) >= 4
    assert entries[0].prev_hash == log.GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    call_command("verify_audit_log")
    assert f"{len(entries)} entries" in capsys.readouterr().out


def _without_append_only_guard():
    """Tampering needs the guard out of the way, as an attacker with database superuser rights
    would do: on PostgreSQL, `session_replication_role = replica` (superuser only) stops ordinary
    triggers firing; on SQLite the trigger is dropped. Both are undone when the test's
    transaction rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER psyplan_append_only_accounts_accesslog")


def test_verify_audit_log_reports_the_first_row_altered_in_sql(clinician, own_client, login):
    web = login(clinician)
    for _ in range(4):
        web.get(f"/clients/{own_client.pk}/")
    victim = AccessLog.objects.filter(action="read").order_by("pk")[1]
    _without_append_only_guard()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_accesslog SET object_id = %s WHERE id = %s", ["999", victim.pk])
    with pytest.raises(CommandError, match=f"broken at entry {victim.pk}: its content does not match"):
        call_command("verify_audit_log")


def test_verify_audit_log_reports_a_row_deleted_in_sql(clinician, own_client, login):
    web = login(clinician)
    for _ in range(4):
        web.get(f"/clients/{own_client.pk}/")
    rows = list(AccessLog.objects.order_by("pk").values_list("pk", flat=True))
    _without_append_only_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_accesslog WHERE id = %s", [rows[2]])
    with pytest.raises(CommandError, match=f"broken at entry {rows[3]}: does not follow"):
        call_command("verify_audit_log")


def test_the_database_refuses_to_update_an_access_log_row(clinician):
    entry = log.record(action="read", actor=clinician, object_type="client", object_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(detail="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_accesslog SET detail = 'x' WHERE id = %s", [entry.pk])


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite keeps DELETE for Django's test flush")
def test_the_database_refuses_to_delete_an_access_log_row(clinician):
    entry = log.record(action="read", actor=clinician, object_type="client", object_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(clinician):
    errors = []

    def write(n):
        try:
            for i in range(8):
                log.record(action="read", actor=clinician, object_type="client", object_id=f"{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AccessLog.objects.filter(actor=clinician, action="read").count() == 32
    assert log.verify_chain().ok
    assert AccessLog.objects.values("prev_hash").distinct().count() == AccessLog.objects.count()


def test_the_ip_behind_a_trusted_proxy_is_the_forwarded_one(clinician, own_client, settings):
    settings.PSYPLAN_TRUSTED_PROXIES = 1
    web = WebClient(REMOTE_ADDR="10.0.0.2")
    web.post(
        "/accounts/login/",
        {"username": clinician.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
    )
    assert _last(action="login").ip == "203.0.113.9"


def test_routes_name_their_record_type_and_special_downloads_their_action():
    from django.urls import ResolverMatch

    from audit.routes import ROUTE_ACTIONS, route_subject

    def match(view_name, **kwargs):
        namespace, _, name = view_name.partition(":")
        return ResolverMatch(lambda r: None, (), kwargs, url_name=name, app_names=[namespace], namespaces=[namespace])

    assert route_subject(match("clients:detail", pk=3)) == ("client", "3")
    assert route_subject(match("plans:detail", pk=4)) == ("plan", "4")
    assert route_subject(match("plans:create", client_pk=5)) == ("client", "5")
    assert route_subject(match("plans:item_edit", kind="objective", item_pk=6)) == ("objective", "6")
    assert route_subject(match("formulation:item_edit", kind="conflict", item_pk=6)) == ("conflict", "6")
    assert route_subject(match("formulation:section", pk=4, section="narrative")) == ("plan", "4")
    assert route_subject(match("plans:comment_resolve", pk=7)) == ("comment", "7")
    assert route_subject(match("progress:review_complete", pk=8)) == ("progress_review", "8")
    assert route_subject(match("plans:future_thing", measure_pk=9)) == ("measure", "9")
    assert ROUTE_ACTIONS["records:pdf"] == "pdf_download"
    # A session through the API names the session (and so its client); a process note names itself.
    assert route_subject(match("api:session-detail", pk=10)) == ("session", "10")
    assert route_subject(match("api:session-addenda", pk=10)) == ("session", "10")
    assert route_subject(match("api:process-note-detail", pk=11)) == ("process_note", "11")


def test_a_pdf_download_is_recorded_as_such(clinician, own_client, login):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    response = login(clinician).get(f"/plans/{plan.pk}/pdf/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    entry = _last(action="pdf_download")
    assert (entry.object_type, entry.object_id, entry.client_id) == ("plan", str(plan.pk), own_client.pk)
