"""The practice admin's client-link pages: the settings (validated field by field, audited) and the
response rates per clinician and per questionnaire (through the door, in a fixed number of queries)."""

import datetime as dt
import secrets

import pytest
from django.utils import timezone

from accounts.models import DEFAULT_CRISIS_TEXT, User
from audit.models import AccessLog
from participation import reports
from participation.forms import MEASURE_LABELS
from participation.models import ClientLink, QuestionnaireSchedulerRun, hash_token
from tests.factories import ClientFactory

SETTINGS_URL = "/clients/links/settings/"
RATES_URL = "/clients/links/response-rates/"
VALID = {
    "client_link_days": "10",
    "crisis_text": "Call 988 or go to the nearest emergency department.",
    "scheduled_questionnaires": "on",
    "client_default_measures": ["gad7"],
    "questionnaires_every_sessions": "6",
}


@pytest.mark.parametrize(
    ("role", "status", "saved"),
    [
        ("admin", 200, 302),
        ("clinician", 404, 404),
        ("supervisor", 404, 404),
        ("trainee", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_only_the_practices_admins_reach_the_settings_and_the_response_rates(request, login, role, status, saved):
    web = login(request.getfixturevalue(role))
    assert web.get(SETTINGS_URL).status_code == status
    assert web.get(RATES_URL).status_code == status
    assert web.post(SETTINGS_URL, VALID).status_code == saved


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(SETTINGS_URL)["Location"].startswith("/accounts/login/")
    assert client.get(RATES_URL)["Location"].startswith("/accounts/login/")


def test_an_admin_saves_the_settings_and_the_access_log_names_the_fields_changed(admin, practice, login):
    web = login(admin)
    response = web.post(SETTINGS_URL, VALID)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.client_link_days == 10
    assert practice.crisis_text == VALID["crisis_text"]
    assert practice.client_default_measures == ["gad7"]
    assert practice.questionnaires_every_sessions == 6 and practice.scheduled_questionnaires
    entry = AccessLog.objects.get(action="client_link_settings")
    assert entry.actor == admin and entry.subject_practice_id == practice.pk
    assert "crisis_text" in entry.detail and "Call 988" not in entry.detail


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("client_link_days", "0", "at least one day"),
        ("client_link_days", "31", "at most 30 days"),
        ("client_link_days", "many", "Enter a whole number"),
        ("crisis_text", "   ", "Enter the text a client at risk sees."),
        ("questionnaires_every_sessions", "0", "from 1 to 52"),
        ("questionnaires_every_sessions", "53", "from 1 to 52"),
        ("client_default_measures", ["phq9", "bdi2"], "Select a valid choice"),
    ],
)
def test_bad_settings_get_an_error_at_their_field_and_nothing_is_saved(admin, practice, login, field, value, error):
    web = login(admin)
    response = web.post(SETTINGS_URL, {**VALID, field: value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert field in response.context["form"].errors
    practice.refresh_from_db()
    assert practice.client_link_days == 7 and practice.crisis_text == DEFAULT_CRISIS_TEXT
    assert not AccessLog.objects.filter(action="client_link_settings").exists()


def test_sessions_cadence_needs_scheduling_on(admin, login):
    web = login(admin)
    data = {key: value for key, value in VALID.items() if key != "scheduled_questionnaires"}
    response = web.post(SETTINGS_URL, data)
    assert "questionnaires_every_sessions" in response.context["form"].errors


def test_the_admins_home_page_links_to_both_pages(admin, login):
    page = login(admin).get("/").content.decode()
    assert RATES_URL in page and SETTINGS_URL in page


# --- Response rates -------------------------------------------------------------------------


def _link(client, creator, *, codes, status=ClientLink.Status.OPEN, expired=False, days_ago=5):
    now = timezone.now()
    link = ClientLink.objects.create(
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        measure_codes=codes,
        delivery=ClientLink.Delivery.EMAIL,
        token_hash=hash_token(secrets.token_urlsafe(32)),
        expires_at=now - dt.timedelta(days=1) if expired else now + dt.timedelta(days=3),
        status=status,
        created_by=creator,
    )
    ClientLink.objects.filter(pk=link.pk).update(created_at=now - dt.timedelta(days=days_ago))
    return link


@pytest.fixture
def links(clinician, colleague, outsider):
    mine, theirs = ClientFactory(primary_clinician=clinician), ClientFactory(primary_clinician=colleague)
    both, phq = ["phq9", "gad7"], ["phq9"]
    done = ClientLink.Status.DONE
    # The clinician: two answered, one expired, one still open, one revoked.
    _link(mine, clinician, codes=both, status=done)
    _link(mine, clinician, codes=phq, status=done)
    _link(mine, clinician, codes=both, expired=True)
    _link(mine, clinician, codes=phq)
    _link(mine, clinician, codes=phq, status=ClientLink.Status.REVOKED)
    # The colleague: one answered, one expired.
    _link(theirs, colleague, codes=phq, status=done)
    _link(theirs, colleague, codes=both, expired=True)
    # Outside the period, and in another practice: not counted.
    _link(mine, clinician, codes=both, status=done, days_ago=200)
    _link(ClientFactory(primary_clinician=outsider), outsider, codes=both, status=done)


def _period(practice):
    today = practice.today()
    return {"start": today - dt.timedelta(days=90), "end": today}


def test_response_rates_count_each_clinicians_and_each_questionnaires_links(admin, practice, clinician, links):
    rates = reports.response_rates(admin, practice=practice, labels=MEASURE_LABELS, **_period(practice))
    by_name = {r.label: (r.sent, r.answered, r.expired, r.open, r.percent) for r in rates.by_clinician}
    assert by_name == {
        clinician.get_full_name(): (5, 2, 1, 1, 67),
        next(n for n in by_name if n != clinician.get_full_name()): (2, 1, 1, 0, 50),
    }
    assert (rates.total.sent, rates.total.answered, rates.total.expired, rates.total.percent) == (7, 3, 2, 60)
    by_measure = {r.label: (r.sent, r.answered, r.expired, r.percent) for r in rates.by_measure}
    assert by_measure == {"PHQ-9 (depression)": (7, 3, 2, 60), "GAD-7 (anxiety)": (3, 1, 2, 33)}
    assert [r.label for r in rates.by_measure] == ["PHQ-9 (depression)", "GAD-7 (anxiety)"]


def test_a_clinician_asks_the_report_and_sees_only_their_own_links(practice, clinician, links):
    rates = reports.response_rates(clinician, practice=practice, labels=MEASURE_LABELS, **_period(practice))
    assert [r.label for r in rates.by_clinician] == [clinician.get_full_name()]


def test_the_response_rates_take_four_queries_however_many_links(
    admin, practice, clinician, colleague, links, django_assert_num_queries
):
    def reader():
        # As a request has them: the user with their membership loaded, nothing else cached yet.
        user = User.objects.get(pk=admin.pk)
        user.active_membership  # noqa: B018
        return user

    # The door's list of supervisees, the two grouped counts and the last scheduler run.
    user = reader()
    with django_assert_num_queries(4):
        reports.response_rates(user, practice=practice, labels=MEASURE_LABELS, **_period(practice))
    for _ in range(10):
        _link(ClientFactory(primary_clinician=colleague), colleague, codes=["gad7"], status=ClientLink.Status.DONE)
    user = reader()
    with django_assert_num_queries(4):
        rates = reports.response_rates(user, practice=practice, labels=MEASURE_LABELS, **_period(practice))
    assert rates.total.sent == 17


def test_the_page_shows_the_numbers_the_period_and_the_last_runs_skipped_clients(admin, practice, login, links):
    QuestionnaireSchedulerRun.objects.create(
        practice=practice, run_date=practice.today(), finished_at=timezone.now(), sent=4, skipped_no_contact=3
    )
    web = login(admin)
    page = web.get(RATES_URL).content.decode()
    assert "67%" in page and "60%" in page and "33%" in page
    assert "Due but not reachable" in page and "<dd>3</dd>" in page
    # A period with its end before its start: an error at the field, and the default period shown.
    response = web.get(RATES_URL, {"start": "2026-11-30", "end": "2026-09-01"})
    assert response.status_code == 200 and "end" in response.context["form"].errors
    assert response.context["rates"].total.sent == 7
    # A period that covers the old link counts it.
    old = web.get(RATES_URL, {"start": "2020-01-01", "end": practice.today().isoformat()})
    assert old.context["rates"].total.sent == 8
    assert web.get(RATES_URL, {"start": "yesterday", "end": "x"}).status_code == 200


def test_an_empty_date_keeps_the_default_periods_end(admin, practice, login, links):
    web = login(admin)
    response = web.get(RATES_URL, {"start": "2020-01-01", "end": ""})
    assert response.context["rates"].end == practice.today()
    assert response.context["rates"].total.sent == 8
