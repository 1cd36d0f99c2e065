"""Simulated clinicians for `make load` (driven by bench/load.py; not meant to be run alone).

Each simulated clinician signs in once through the real form (CSRF token from the page), then
does a working mix with a few seconds' thought between steps: the client list, a client's
record, active plan pages, PDF downloads, and edits on their own draft plan through the same
htmx endpoints the editor uses (formulation autosave, adding a goal) with the X-CSRFToken header.
The plan ids come from the JSON file bench/load.py writes (LOAD_PLAN_FILE). Every response is
counted by status class into LOAD_RESULT_FILE, so the driver can tell server errors (5xx) from
other failures.
"""

import itertools
import json
import os
import random
import re
from collections import Counter

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN_FILE"]).read())  # noqa: SIM115 - read once at import
PASSWORD = PLAN["password"]
CLINICIANS = PLAN["clinicians"]
_next = itertools.count()
STATUS = Counter()
EDITS = Counter()
HX = {"HX-Request": "true"}
VERSION = re.compile(r'name="strengths-version" value="(\d+)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.request.add_listener
def _count(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    code = getattr(response, "status_code", 0) or 0
    STATUS[f"{code // 100}xx" if code else "no response"] += 1
    if code >= 500:
        STATUS[f"5xx {request_type} {name}"] += 1


@events.quitting.add_listener
def _write(environment, **kwargs):
    with open(os.environ["LOAD_RESULT_FILE"], "w") as out:
        json.dump({"status": STATUS, "edits": EDITS}, out)


class Clinician(HttpUser):
    wait_time = between(1, 4)

    def on_start(self):
        me = CLINICIANS[next(_next) % len(CLINICIANS)]
        self.me = me
        self.version = me["strengths_version"]
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = TOKEN.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": me["email"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in",
            catch_response=True,
        ) as response:
            if response.url.rstrip("/").endswith("/accounts/login"):
                response.failure("sign-in refused")

    def _csrf(self) -> dict:
        return {**HX, "X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    @task(3)
    def client_list(self):
        self.client.get("/clients/", name="/clients/")

    @task(2)
    def client_search(self):
        # The search term is POSTed (names never go in URLs); htmx asks for the rows only.
        self.client.post(
            "/clients/", {"q": "Scale1", "status": "active"}, headers=self._csrf(), name="/clients/ search"
        )

    @task(2)
    def client_record(self):
        self.client.get(f"/clients/{random.choice(self.me['clients'])}/", name="/clients/[id]/")

    @task(4)
    def plan_page(self):
        self.client.get(f"/plans/{random.choice(self.me['plans'])}/", name="/plans/[id]/ (active)")

    @task(1)
    def draft_page(self):
        self.client.get(f"/plans/{self.me['draft']}/", name="/plans/[id]/ (draft)")

    @task(3)
    def autosave(self):
        text = f"Keeps working despite setbacks; draws on friendships. (edit {random.randrange(10**6)})"
        with self.client.post(
            f"/plans/{self.me['draft']}/formulation/strengths/",
            {"strengths-strengths": text, "strengths-version": self.version},
            headers=self._csrf(),
            name="formulation autosave",
            catch_response=True,
        ) as response:
            found = VERSION.search(response.text or "")
            if response.status_code == 200 and found and "Saved at" in response.text:
                self.version = int(found.group(1))
                EDITS["autosave"] += 1
            elif response.status_code == 200:
                response.failure("autosave not saved (stale version or invalid)")

    @task(1)
    def add_goal(self):
        with self.client.post(
            f"/plans/{self.me['draft']}/goal/add/",
            {"goal-new-statement": f"Goal added under load {random.randrange(10**6)}"},
            headers=self._csrf(),
            name="goal add (htmx)",
            catch_response=True,
        ) as response:
            # A saved goal answers with the whole structure, retargeted; a refused one with the form.
            if response.status_code == 200 and response.headers.get("HX-Retarget") == "#plan-structure":
                EDITS["goals"] += 1
                EDITS[f"goals:{self.me['draft']}"] += 1
            elif response.status_code == 200:
                response.failure("goal form came back with errors")

    @task(1)
    def pdf(self):
        with self.client.get(
            f"/plans/{random.choice(self.me['plans'])}/pdf/", name="/plans/[id]/pdf/", catch_response=True
        ) as response:
            if response.status_code == 200 and not response.content.startswith(b"%PDF"):
                response.failure("not a PDF")
