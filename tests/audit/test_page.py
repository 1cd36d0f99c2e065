"""The practice admin's audit page: filter, sort, export, and only their own practice."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from bs4 import BeautifulSoup

from audit import log
from audit.models import AccessLog
from tests.factories import ClientFactory


@pytest.fixture
def history(clinician, colleague, outsider, own_client):
    """Entries of this practice and of another, on two days."""
    other_client = ClientFactory(primary_clinician=colleague)
    foreign = ClientFactory(primary_clinician=outsider)
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC), tick=False):
        log.record(
            action="read",
            actor=clinician,
            object_type="client",
            object_id=own_client.pk,
            client_id=own_client.pk,
            subject_practice_id=own_client.practice_id,
        )
        log.record(
            action="read",
            actor=colleague,
            object_type="client",
            object_id=other_client.pk,
            client_id=other_client.pk,
            subject_practice_id=other_client.practice_id,
        )
    with time_machine.travel(dt.datetime(2026, 11, 5, 15, 0, tzinfo=dt.UTC), tick=False):
        log.record(
            action="sign",
            actor=clinician,
            object_type="plan",
            object_id=7,
            client_id=own_client.pk,
            subject_practice_id=own_client.practice_id,
        )
        log.record(
            action="read",
            actor=outsider,
            object_type="client",
            object_id=foreign.pk,
            client_id=foreign.pk,
            subject_practice_id=foreign.practice_id,
        )
        log.record(
            action="read",
            actor=outsider,
            outcome="denied",
            object_type="client",
            object_id=own_client.pk,
            client_id=own_client.pk,
            subject_practice_id=own_client.practice_id,
        )
    return {"own_client": own_client, "other_client": other_client, "foreign": foreign}


def _cell(td) -> str:
    # "Who" shows the person's name with their sign-in email beneath; the email identifies them.
    email = td.select_one(".muted")
    return email.get_text(strip=True) if email else td.get_text(strip=True)


def _rows(response) -> list[list[str]]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [[_cell(td) for td in tr.find_all("td")] for tr in soup.select("table tbody tr")]


def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_log_names_people_clients_records_and_pages_in_words(admin, login, history):
    soup = BeautifulSoup(login(admin).get(f"/accounts/audit/?client={history['own_client'].pk}").content, "html.parser")
    text = soup.select_one("table tbody").get_text(" ", strip=True)
    client = history["own_client"]
    assert client.display_name in text and client.primary_clinician.get_full_name() in text
    assert f"#{client.pk}" not in text


def test_a_route_name_reads_as_the_page_it_names():
    from audit.views import detail_in_words, record_in_words

    assert detail_in_words("plans:detail") == "plans · detail page"
    assert detail_in_words("plans:detail 404") == "plans · detail page, answered 404"
    assert detail_in_words("Signed as author") == "Signed as author"
    assert record_in_words("progress_review", "12") == "Progress review 12"


def test_admin_sees_their_practices_entries_and_attempts_on_its_records_only(admin, login, history, outsider):
    web = login(admin)
    rows = _rows(web.get("/accounts/audit/?action=read"))
    who = {row[1] for row in rows}
    assert who == {
        history["own_client"].primary_clinician.email,
        history["other_client"].primary_clinician.email,
        outsider.email,
    }
    denied = [row for row in rows if row[1] == outsider.email]
    assert len(denied) == 1 and denied[0][3] == "Denied", "the outsider's read of their own client is not ours to see"


@pytest.mark.parametrize("role", ["clinician", "supervisor", "outsider"])
def test_the_audit_page_does_not_exist_for_non_admins(db, role, request, login):
    web = login(request.getfixturevalue(role))
    assert web.get("/accounts/audit/").status_code == 404
    assert web.get("/accounts/audit/?format=csv").status_code == 404


def test_filters_by_person_client_action_and_dates(admin, clinician, login, history):
    web = login(admin)
    by_user = _rows(web.get(f"/accounts/audit/?user={clinician.pk}"))
    assert {row[1] for row in by_user} == {clinician.email} and len(by_user) == 2
    by_client = _rows(web.get(f"/accounts/audit/?client={history['own_client'].pk}"))
    assert len(by_client) == 3
    assert [row[2] for row in _rows(web.get("/accounts/audit/?action=sign"))] == ["Sign"]
    early = _rows(web.get("/accounts/audit/?date_from=2026-11-01&date_to=2026-11-03"))
    assert len([r for r in early if r[2] == "Read"]) == 2 and all(
        r[0].startswith("2026-11-02") for r in early if r[2] == "Read"
    )


def test_sorts_oldest_first_and_newest_first(admin, login, history):
    web = login(admin)
    oldest = _rows(web.get("/accounts/audit/?sort=at&action=read"))
    newest = _rows(web.get("/accounts/audit/?sort=-at&action=read"))
    assert oldest == list(reversed(newest))
    assert oldest[0][0] < oldest[-1][0]


def test_csv_export_has_the_filtered_entries_and_is_itself_audited(admin, clinician, login, history):
    web = login(admin)
    response = web.get(f"/accounts/audit/?user={clinician.pk}&format=csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = _csv_rows(response)
    assert {r["actor_email"] for r in rows} == {clinician.email} and len(rows) == 2
    assert rows[0]["at_utc"].endswith("+00:00")
    export = AccessLog.objects.get(action="audit_export")
    assert export.actor == admin and f"user={clinician.pk}" in export.detail


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(admin, login, own_client):
    web = login(admin)
    web.get(f"/clients/{own_client.pk}/", headers={"User-Agent": '=HYPERLINK("http://evil.example")'})
    rows = _csv_rows(web.get("/accounts/audit/?format=csv&action=read"))
    agents = [r["user_agent"] for r in rows]
    assert '\'=HYPERLINK("http://evil.example")' in agents
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())
