"""The threat model of client links: guessing, reuse, expiry, revocation, wrong birth dates, another
client's link, rate limits, and no PHI in the email, the URL or the logs."""

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from audit.models import AccessLog
from participation import services, throttle
from participation.models import ClientLink, hash_token
from tests.factories import ClientFactory
from tests.participation.conftest import BIRTHDAY, answers, verify

WRONG = dt.date(1990, 1, 1)


def test_the_token_is_256_random_bits_in_the_path_and_only_its_hash_is_stored(consenting_client, make_link):
    link, path = make_link(consenting_client)
    token = path.strip("/").split("/")[-1]
    assert len(token) >= 43  # secrets.token_urlsafe(32): 32 bytes, base64url
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    stored = ClientLink.objects.filter(pk=link.pk).values().get()
    assert not any(token in str(value) for value in stored.values())


def test_random_and_truncated_tokens_are_404s(web, consenting_client, make_link):
    _, path = make_link(consenting_client)
    token = path.strip("/").split("/")[-1]
    for guess in (services.new_token(), token[:-1], token + "A", token.upper(), "x" * 300):
        assert web.get(f"/c/{guess}/").status_code == 404


def test_the_lookup_is_by_hash_with_a_constant_time_comparison(consenting_client, make_link, monkeypatch):
    import participation.services as module

    _, path = make_link(consenting_client)
    token = path.strip("/").split("/")[-1]
    compared = []
    real = module.hmac.compare_digest
    monkeypatch.setattr(module.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    assert services.find_link(token) is not None
    assert compared == [(hash_token(token), hash_token(token))]


def test_a_guess_and_a_real_token_cost_the_same_one_lookup_by_hash_and_no_token_reaches_the_database(
    consenting_client, make_link
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, path = make_link(consenting_client)
    real = path.strip("/").split("/")[-1]
    for token in (real, services.new_token()):
        with CaptureQueriesContext(connection) as queries:
            services.find_link(token)
        (query,) = queries.captured_queries
        assert hash_token(token) in query["sql"] and token not in query["sql"]


def test_a_done_link_gives_the_already_done_page_and_takes_no_second_answers(web, client, consenting_client, make_link):
    link, path = make_link(consenting_client, codes=("gad7",))
    verify(web, path)
    web.post(path + "answers/", answers("gad7", [0] * 7))
    web.cookies.clear()  # another browser, or the same one later
    page = web.get(path)
    assert page.status_code == 200 and "already been used" in page.content.decode()
    assert "already been used" in web.post(path, {"date_of_birth": BIRTHDAY.isoformat()}).content.decode()
    assert consenting_client.measure_scores.count() == 1


def test_an_expired_link_no_longer_works(web, consenting_client, make_link):
    link, path = make_link(consenting_client)
    assert link.expires_at - link.created_at >= dt.timedelta(days=7) - dt.timedelta(seconds=5)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        response = web.get(path)
    assert response.status_code == 410 and "no longer works" in response.content.decode()


def test_the_expiry_is_the_practices_setting(consenting_client, make_link):
    consenting_client.practice.client_link_days = 2
    consenting_client.practice.save()
    link, _ = make_link(consenting_client)
    assert dt.timedelta(days=2) - dt.timedelta(seconds=5) <= link.expires_at - timezone.now() <= dt.timedelta(days=2)


def test_a_revoked_link_no_longer_works_even_in_a_verified_browser(web, consenting_client, make_link, clinician):
    link, path = make_link(consenting_client)
    verify(web, path)
    services.revoke_link(actor=clinician, link=link)
    assert web.get(path + "answers/").status_code == 410
    assert web.post(path + "answers/", answers("phq9", [0] * 9)).status_code == 410


def test_five_wrong_birth_dates_void_the_link_and_tell_the_clinician_without_phi(
    web, consenting_client, make_link, clinician, django_capture_on_commit_callbacks
):
    link, path = make_link(consenting_client)
    with django_capture_on_commit_callbacks(execute=True):
        for attempt in range(1, 5):
            response = verify(web, path, WRONG)
            assert f"{5 - attempt} tr" in response.content.decode()
        response = verify(web, path, WRONG)
    assert response.status_code == 410
    link.refresh_from_db()
    assert link.status == ClientLink.Status.VOIDED and link.failed_attempts == 5
    # Even the right date no longer opens it.
    assert verify(web, path).status_code == 410
    notice = Notification.objects.get(recipient=clinician)
    assert "five wrong dates of birth" in notice.text
    for private in (consenting_client.given_name, consenting_client.family_name, consenting_client.chart_number):
        assert private not in notice.text + notice.url
    assert AccessLog.objects.filter(action="client_link_void", client_id=consenting_client.pk).exists()


def test_another_clients_link_never_shows_this_clients_data(web, consenting_client, make_link, clinician):
    other = ClientFactory(primary_clinician=clinician, date_of_birth=dt.date(1970, 7, 7))
    _, mine = make_link(consenting_client, codes=("phq9",))
    _, theirs = make_link(other, codes=("phq9",))
    verify(web, mine)
    # Verified for my link: the other link still asks for its own client's date of birth, and mine is no key.
    assert web.get(theirs + "answers/")["Location"] == theirs
    assert verify(web, theirs, BIRTHDAY).status_code == 200
    response = web.post(theirs + "answers/", answers("phq9", [0] * 9))
    assert response.status_code == 302 and response["Location"] == theirs
    assert not other.measure_scores.exists() and not consenting_client.measure_scores.exists()


def test_requests_are_limited_per_address(web, consenting_client, make_link, monkeypatch):
    monkeypatch.setattr(throttle, "PER_ADDRESS", 5)
    _, path = make_link(consenting_client)
    statuses = [web.get(f"/c/{services.new_token()}/").status_code for _ in range(5)]
    assert statuses == [404] * 5
    # The sixth request from that address is refused before any lookup, the real link too.
    assert web.get(path).status_code == 429
    assert web.get(path, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_requests_are_limited_per_link_across_addresses(web, consenting_client, make_link, monkeypatch):
    monkeypatch.setattr(throttle, "PER_LINK", 3)
    _, path = make_link(consenting_client)
    statuses = [web.get(path, REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(1, 5)]
    assert statuses == [200, 200, 200, 429]


def test_the_email_names_only_the_practice_and_the_link(
    consenting_client, make_link, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link, unsent_path = make_link(consenting_client, delivery=ClientLink.Delivery.EMAIL)
    (email,) = mail.outbox
    assert email.to == [consenting_client.email]
    text = email.subject + email.body
    assert consenting_client.practice.name in text
    for private in (
        consenting_client.given_name,
        consenting_client.family_name,
        consenting_client.chart_number,
        "questionnaire",
        "PHQ",
        "GAD",
        "depress",
        "anxi",
        "therap",
        "mental",
    ):
        assert private.lower() not in text.lower()
    (url,) = re.findall(r"https?://\S+", email.body)
    path = "/" + url.split("/", 3)[3]
    link.refresh_from_db()
    # The task minted the sent token: the one create_link returned no longer opens anything.
    assert services.find_link(path.strip("/").split("/")[-1]) == link
    assert services.find_link(unsent_path.strip("/").split("/")[-1]) is None


def test_the_raw_token_of_an_emailed_link_is_never_in_the_outbox(
    consenting_client, make_link, django_capture_on_commit_callbacks
):
    from core.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        make_link(consenting_client, delivery=ClientLink.Delivery.EMAIL)
    token = re.findall(r"/c/([^/]+)/", mail.outbox[0].body)[0]
    assert not any(token in str(m.args) + str(m.kwargs) for m in OutboxMessage.objects.all())


def test_sending_twice_sends_one_email(consenting_client, make_link, django_capture_on_commit_callbacks):
    from participation.tasks import send_client_link

    with django_capture_on_commit_callbacks(execute=True):
        link, _ = make_link(consenting_client, delivery=ClientLink.Delivery.EMAIL)
    send_client_link(link.pk)
    assert len(mail.outbox) == 1


def test_without_consent_nothing_is_sent_and_no_link_is_made(own_client, make_link, django_capture_on_commit_callbacks):
    import pytest
    from django.core.exceptions import ValidationError

    own_client.email = "someone@example.org"
    own_client.save()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="consent"):
        make_link(own_client, delivery=ClientLink.Delivery.EMAIL)
    assert not mail.outbox and not ClientLink.objects.exists()


def test_consent_withdrawn_before_the_task_runs_stops_the_email(
    consenting_client, make_link, django_capture_on_commit_callbacks
):
    from participation.tasks import send_client_link

    link, _ = make_link(consenting_client, delivery=ClientLink.Delivery.EMAIL)  # on_commit not run
    consenting_client.contact_consent_on = None
    consenting_client.save()
    send_client_link(link.pk)
    assert not mail.outbox


def test_no_token_name_or_birth_date_in_the_captured_logs_or_the_access_log(
    web, consenting_client, make_link, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        _, path = make_link(consenting_client)
        token = path.strip("/").split("/")[-1]
        web.get(path)
        verify(web, path, WRONG)
        verify(web, path)
        web.post(path + "answers/", {**answers("phq9", [0] * 8 + [2]), **answers("gad7", [1] * 7)})
    entries = " ".join(str(row) for row in AccessLog.objects.values_list())
    for secret in (token, consenting_client.given_name, consenting_client.family_name, "1985-03-14", "1990-01-01"):
        assert secret not in caplog.text
        assert secret not in entries


def test_the_url_carries_no_phi(consenting_client, make_link):
    _, path = make_link(consenting_client)
    for private in (str(consenting_client.pk), consenting_client.chart_number, consenting_client.family_name):
        assert private not in path.replace(path.strip("/").split("/")[-1], "")
    assert re.fullmatch(r"/c/[A-Za-z0-9_-]{43}/", path)


def test_opening_a_link_in_a_staff_browser_signs_the_staff_member_out(login, clinician, consenting_client, make_link):
    web = login(clinician)
    _, path = make_link(consenting_client)
    assert web.get(path).status_code == 200
    assert web.get(f"/clients/{consenting_client.pk}/").status_code == 302  # to the sign-in page


# --- The PHI scan: every flow, everything it writes outside the clinical record ---------------

DISTINCT_BIRTHDAY = dt.date(1979, 11, 23)
CLINICAL_WORDS = ("phq", "gad", "suicid", "depress", "anxi", "self-harm", "severe", "moderately")


# The loggers settings.LOGGING holds above DEBUG whatever LOG_LEVEL says, because their DEBUG records
# carry PHI by nature (SQL parameters, a template's context); the scan honours that floor, and
# test_the_loggers_whose_debug_records_carry_phi_are_held_above_debug checks it is configured.
PHI_SAFE_LEVEL = {"django.db.backends": logging.WARNING, "django.template": logging.INFO}


def test_the_loggers_whose_debug_records_carry_phi_are_held_above_debug(settings):
    for name, level in PHI_SAFE_LEVEL.items():
        configured = settings.LOGGING["loggers"][name]
        assert logging.getLevelName(configured["level"]) >= level and configured["propagate"] is False


class _EveryRecord(logging.Handler):
    """Every log record once, formatted and filtered as the configured console handler writes it."""

    def __init__(self, console: logging.Handler):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(console.formatter)
        for each in console.filters:
            self.addFilter(each)
        self.seen, self.lines = set(), []

    def emit(self, record):
        if id(record) not in self.seen:
            self.seen.add(id(record))
            self.lines.append(self.format(record))


@pytest.fixture
def every_log_line(monkeypatch):
    """Every record of every logger at every level, whatever the loggers are configured to keep (and
    however often they are configured again): each is seen as it is handed to the loggers' handlers."""
    console = next(h for h in logging.root.handlers if h.get_name() == "console")
    handler = _EveryRecord(console)
    call_handlers = logging.Logger.callHandlers

    def seen_then_handled(logger, record):
        handler.handle(record)
        call_handlers(logger, record)

    def enabled(logger, level):
        return level >= PHI_SAFE_LEVEL.get(logger.name, logging.DEBUG)

    monkeypatch.setattr(logging.Logger, "isEnabledFor", enabled)
    monkeypatch.setattr(logging.Logger, "callHandlers", seen_then_handled)
    return handler


def test_no_phi_in_any_email_text_log_outbox_row_access_log_notification_or_url(
    login, clinician, client, api, every_log_line, django_capture_on_commit_callbacks, settings
):
    """Runs every flow (made by the staff form and by the API, sent by email and by text, handed over,
    opened, a wrong and the right date of birth, answered with a worrying score, locked after five
    wrong dates, revoked) for a client whose name, chart number and birth date are unmistakable, and
    looks for them, and for clinical words, in everything that leaves the clinical record."""
    from django.test import Client as Browser

    from core import sms
    from core.models import OutboxMessage

    settings.SITE_URL = "https://psyplan.example.org"
    person = ClientFactory(
        primary_clinician=clinician,
        given_name="Quillonia",
        family_name="Marrowdeep",
        preferred_name="Quilly",
        chart_number="CHX-40417",
        date_of_birth=DISTINCT_BIRTHDAY,
        email="inbox.7@example.org",
        phone="+44 7700 900777",
        contact_consent_on=dt.date(2026, 1, 5),
        contact_consent_recorded_by=clinician,
    )
    urls = []

    def go(browser, method, path, data=None, **extra):
        urls.append(path)
        response = getattr(browser, method)(path, data or {}, **extra)
        urls.append(response.get("Location", ""))
        return response

    staff = login(clinician)
    caller = api(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        go(staff, "post", f"/clients/{person.pk}/links/new/", {"measure_codes": ["phq9", "gad7"], "delivery": "email"})
        go(staff, "post", f"/clients/{person.pk}/links/new/", {"measure_codes": ["phq9"], "delivery": "sms"})
        handed = go(staff, "post", f"/clients/{person.pk}/links/new/", {"measure_codes": ["phq9"], "delivery": "hand"})
        made = caller.post(
            "/api/v1/client-links/",
            {"client": person.pk, "purpose": "questionnaires", "measure_codes": ["gad7"], "delivery": "hand"},
            format="json",
            headers={"Idempotency-Key": "phi-scan-1"},
        ).json()
        urls.append(made["url"])
    texts = [t.body for t in sms.outbox]
    emails = [m.subject + " " + m.body for m in mail.outbox]
    assert len(emails) == 1 and len(texts) == 1
    sent_paths = ["/" + u.split("/", 3)[3] for u in re.findall(r"https?://\S+", " ".join(emails + texts))]
    handed_path = re.search(r"/c/[A-Za-z0-9_-]{43}/", handed.content.decode()).group(0)
    api_path = "/" + made["url"].split("/", 3)[3]
    urls += sent_paths + [handed_path]

    # The client answers the emailed link, PHQ-9 item 9 above 0 (the crisis text shows).
    phone = Browser()
    emailed = sent_paths[0]
    go(phone, "get", emailed)
    go(phone, "post", emailed, {"date_of_birth": WRONG.isoformat()})
    go(phone, "post", emailed, {"date_of_birth": DISTINCT_BIRTHDAY.isoformat()})
    go(phone, "get", emailed + "answers/")
    go(
        phone,
        "post",
        emailed + "answers/",
        {**answers("phq9", [3] * 8 + [2]), **answers("gad7", [3] * 7)},
    )
    go(phone, "get", emailed + "done/")
    # The texted one is locked after five wrong dates of birth; the handed one is revoked.
    tablet = Browser()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            go(tablet, "post", sent_paths[1], {"date_of_birth": WRONG.isoformat()})
    go(tablet, "get", sent_paths[1])
    caller.post(f"/api/v1/client-links/{made['id']}/revoke/")
    go(tablet, "get", api_path)
    go(tablet, "get", f"/c/{services.new_token()}/")
    assert person.measure_scores.count() == 2, "the answers were recorded, so the scan saw a real submission"

    outbox_rows = [f"{m.task} {m.args} {m.kwargs}" for m in OutboxMessage.objects.all()]
    access_log = [str(row) for row in AccessLog.objects.values_list()]
    notices = [f"{n.verb} {n.text} {n.url}" for n in Notification.objects.all()]
    places = {
        "emails": emails,
        "texts": texts,
        "logs": every_log_line.lines,
        "outbox": outbox_rows,
        "access log": access_log,
        "notifications": notices,
        "urls": urls,
    }
    private = [
        person.given_name,
        person.family_name,
        person.preferred_name,
        person.chart_number,
        DISTINCT_BIRTHDAY.isoformat(),
        DISTINCT_BIRTHDAY.strftime("%d/%m/%Y"),
        DISTINCT_BIRTHDAY.strftime("%-d %B %Y"),
        WRONG.isoformat(),
        *CLINICAL_WORDS,
    ]
    found = [
        f"{word!r} in {place}: {line[:200]}"
        for place, lines in places.items()
        for line in lines
        for word in private
        if word.lower() in line.lower()
    ]
    assert not found, "\n".join(found)
    logs = "\n".join(every_log_line.lines)
    assert "text message sent" in logs and "Gone: /c/[token]/" in logs, "the scan read the real log output"
    # No token of any link, open or ended, is written to the log either.
    assert not re.search(r"/c/[A-Za-z0-9_-]{20,}", logs)
    assert access_log and notices
    # The scores themselves are nowhere either: the access log names the scores by id only.
    totals = "|".join(str(score.total) for score in person.measure_scores.all())
    worded = re.compile(rf"\b(total|score|band)\b\W{{0,3}}({totals})\b", re.IGNORECASE)
    assert not [line for lines in places.values() for line in lines if worded.search(line)]


def test_the_console_log_blanks_link_tokens_whoever_writes_them(consenting_client, make_link):
    _, path = make_link(consenting_client)
    token = path.strip("/").split("/")[-1]
    console = next(h for h in logging.root.handlers if h.get_name() == "console")
    for name, message, args in [
        ("django.server", '"%s %s HTTP/1.1" %s', ("POST", path + "answers/", 429)),
        ("django.request", "Too Many Requests: %s", (path,)),
        ("psyplan.anything", "opened https://psyplan.example.org%s?x=1", (path,)),
    ]:
        record = logging.getLogger(name).makeRecord(name, logging.WARNING, __file__, 1, message, args, None)
        assert console.filter(record)
        written = console.format(record)
        assert token not in written and "/c/[token]/" in written
