"""Canary test: names, notes and formulation text never reach log lines, emails, cookies or URLs."""

import logging
import re

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.test import Client as WebClient

from plans.lifecycle import transitions
from tests.factories import PASSWORD, ClientFactory, PresentingProblemFactory, make_plan
from tests.security.conftest import CANARIES

LOGGERS = [
    "",
    "django",
    "django.request",
    "django.security",
    "celery",
    "axes",
    "accounts",
    "plans",
    "notes",
    "progress",
    "records",
    "clients",
]
HX = {"HX-Request": "true"}


@pytest.fixture
def captured_logs(caplog):
    """Every record from our loggers and Django's, Celery's and axes' (which do not propagate to root)."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            attached.append(logger)
        if name in ("accounts", "plans", "clients"):
            logger.setLevel(logging.DEBUG)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)


class Trail:
    """Everything that left the application during the flows, other than page bodies."""

    def __init__(self):
        self.urls: list[str] = []
        self.statuses: list[tuple] = []

    def visit(self, web, method, url, data=None, **kwargs):
        response = getattr(web, method)(url, data or {}, **kwargs)
        self.urls.append(url)
        self.statuses.append((method, url, response.status_code))
        self.urls.append(response.get("Location", ""))
        self.urls.append(response.get("HX-Redirect", ""))
        if response.get("Content-Type", "").startswith("text/html"):
            soup = BeautifulSoup(response.content, "html.parser")
            for tag in soup.find_all(True):
                for attr in ("href", "src", "action", "hx-get", "hx-post", "hx-put", "hx-delete"):
                    if tag.get(attr):
                        self.urls.append(tag[attr])
        return response

    def sign(self, web, url):
        """Open a plan's signing step, then sign what it showed with the password."""
        step = self.visit(web, "get", url).content.decode()
        content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', step).group(1)
        response = self.visit(web, "post", url, {"content_hash": content_hash, "password": PASSWORD})
        assert response.status_code == 302, response.content
        return response


def test_the_main_flows_put_no_canary_in_logs_emails_cookies_or_urls(
    captured_logs,
    canary_records,
    clinician,
    trainee,
    supervisor,
    outsider,
    admin,
    login,
    client,
    django_capture_on_commit_callbacks,
):
    trail = Trail()
    victim = canary_records.client
    plan = canary_records.plans[1]  # the draft amendment, still editable
    with django_capture_on_commit_callbacks(execute=True):
        # The clinician works on the record.
        web = login(clinician)
        trail.visit(web, "get", "/")
        trail.visit(web, "get", "/clients/")
        trail.visit(web, "post", "/clients/", {"q": CANARIES["family_name"]}, headers=HX)
        trail.visit(web, "post", "/clients/", {"q": CANARIES["given_name"]})
        trail.visit(web, "get", f"/clients/{victim.pk}/")
        form = web.get(f"/clients/{victim.pk}/edit/").context["form"]
        data = {name: form[name].value() or "" for name in form.fields} | {"version": victim.version}
        data["address"] = CANARIES["address"] + " (moved)"
        trail.visit(web, "post", f"/clients/{victim.pk}/edit/", data)
        trail.visit(
            web,
            "post",
            f"/clients/{victim.pk}/problems/new/",
            {"title": CANARIES["problem_title"], "clients_words": CANARIES["clients_words"], "severity": "mild"},
        )
        trail.visit(web, "get", f"/plans/{plan.pk}/")
        version = plan.formulation.section_version("narrative")
        trail.visit(
            web,
            "post",
            f"/plans/{plan.pk}/formulation/narrative/",
            {"narrative-narrative_hypothesis": CANARIES["narrative"] + " again", "narrative-version": version},
            headers=HX,
        )
        trail.visit(
            web, "post", f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": CANARIES["goal"] + " 2"}, headers=HX
        )
        trail.visit(web, "get", f"/plans/{plan.pk}/compare/")
        # A trainee's plan goes to review, back with a comment, and is approved.
        trainee_client = ClientFactory(primary_clinician=trainee, family_name=CANARIES["family_name"])
        PresentingProblemFactory(client=trainee_client, clients_words=CANARIES["clients_words"])
        trainee_plan = make_plan(trainee_client)
        trail.sign(login(trainee), f"/plans/{trainee_plan.pk}/submit/")
        web = login(supervisor)
        trail.visit(web, "get", "/plans/sign-off/")
        trail.visit(web, "post", f"/plans/{trainee_plan.pk}/request-changes/", {"comment": CANARIES["comment"]})
        transitions.start_revision(actor=trainee, plan=trainee_plan)
        trail.sign(login(trainee), f"/plans/{trainee_plan.pk}/submit/")
        trail.sign(login(supervisor), f"/plans/{trainee_plan.pk}/approve/")
        trail.visit(login(trainee), "get", "/plans/notifications/")
        # An outsider probes; a failed sign-in; the admin reads the audit log and exports it.
        trail.visit(login(outsider), "get", f"/clients/{victim.pk}/")
        stranger = WebClient()
        trail.visit(stranger, "post", "/accounts/login/", {"username": CANARIES["email"], "password": "nope"})
        web = login(admin)
        trail.visit(web, "get", f"/clients/{victim.pk}/")
        trail.visit(web, "get", "/accounts/audit/")
        trail.visit(web, "get", "/accounts/audit/?format=csv")

    # The flows did what they say: every step answered as it should and the changes were saved.
    assert [s for s in trail.statuses if s[2] >= 400] == [("get", f"/clients/{victim.pk}/", 404)]
    plan.formulation.refresh_from_db()
    assert plan.formulation.narrative_hypothesis.endswith("again")
    assert plan.goals.filter(statement=CANARIES["goal"] + " 2").exists()
    trainee_plan.refresh_from_db()
    assert trainee_plan.status == "active"
    names = {r.name for r in captured_logs.records}
    assert "django.request" in names, "Django's own (non-propagating) loggers are captured too"
    logged = "\n".join(r.getMessage() + " " + str(r.args) + " " + (r.exc_text or "") for r in captured_logs.records)
    emails = "\n".join(m.subject + "\n" + m.body for m in mail.outbox)
    assert mail.outbox, "notifications were emailed"
    cookies = " ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    urls = "\n".join(trail.urls)
    for name, canary in CANARIES.items():
        if name == "email":
            continue  # a failed sign-in logs the address typed, by design (it names a person, not a client)
        assert canary.lower() not in logged.lower(), f"{name} canary in a log line"
        assert canary.lower() not in emails.lower(), f"{name} canary in an email"
        assert canary.lower() not in cookies.lower(), f"{name} canary in a cookie"
        assert canary.lower() not in urls.lower(), f"{name} canary in a URL"
