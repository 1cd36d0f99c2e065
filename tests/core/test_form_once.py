"""A create form sent twice creates one record: the one-time form id (core/idempotency.py).

The retry that matters: the save commits, then the database goes away before the session is
written, so the person sees the 503 page and sends the same form again.
"""

import datetime as dt
import hashlib
import json
import re

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db.models.signals import post_save

from accounts.models import Membership
from clients.models import Client, PresentingProblem
from core.dbfailure import MESSAGE as UNAVAILABLE
from core.idempotency import CHANGED_MESSAGE, FORM_ID_FIELD, IN_FLIGHT_MESSAGE
from core.models import IdempotencyRecord
from core.tasks import purge_idempotency_records
from formulation.models import CoreConflict, DefenseObservation
from plans.models import Comment, Goal, Intervention, Objective, TreatmentPlan
from progress.models import MeasureScore, ProgressReview
from tests.factories import PASSWORD, PresentingProblemFactory, make_plan

HX = {"HX-Request": "true"}
NEW_CLIENT = {
    "given_name": "Robin",
    "family_name": "Retried",
    "preferred_name": "",
    "date_of_birth": "1990-05-01",
    "chart_number": "R-0001",
    "intake_date": "2026-10-01",
    "email": "",
    "phone": "",
    "address": "",
}


def _form(html: str, action: str | None = None):
    """The form (by its action or hx-post) on a page, parsed."""
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.find_all("form"):
        if action is None or action in (form.get("action"), form.get("hx-post")):
            if form.find("input", attrs={"name": FORM_ID_FIELD}) or action is not None:
                return form
    raise AssertionError(f"no form for {action}")


def _form_id(html: str, action: str | None = None) -> str:
    field = _form(html, action).find("input", attrs={"name": FORM_ID_FIELD})
    assert field is not None, f"the form for {action} carries no one-time form id"
    return field["value"]


def _values(form) -> dict:
    """What a browser sends for the form as rendered: its values, first choices, checked boxes."""
    data: dict = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        if field.name == "select":
            # As a browser does, with a person choosing something where a choice is required.
            options = field.find_all("option")
            if field.has_attr("required"):
                options = [o for o in options if o.get("value")]
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            if chosen:
                data[name] = chosen[0].get("value", "")
        elif field.name == "textarea":
            data[name] = field.text.strip() or "Sent twice"
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked") or (field.get("type") == "radio" and name not in data):
                data[name] = field.get("value", "on")
        elif field.get("type") != "submit":
            data[name] = field.get("value", "")
    return data


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


# --- The retry after "committed, then the database went away" --------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_goal_saved_just_before_the_database_went_away_is_not_added_again_on_retry(
    clinician, login, plan, database_gone_after_commit
):
    web = login(clinician)
    web.raise_request_exception = False
    action = f"/plans/{plan.pk}/goal/add/"
    data = {
        "goal-new-statement": "Sleep through the night",
        FORM_ID_FIELD: _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), action),
    }

    database_gone_after_commit.after_commit_of(Goal)
    first = web.post(action, data, headers=HX)
    database_gone_after_commit.end()
    assert first.status_code == 503 and UNAVAILABLE in first.content.decode()
    assert Goal.objects.filter(statement="Sleep through the night").count() == 1, "the save had committed"

    retry = web.post(action, data, headers=HX)
    assert retry.status_code == 200
    assert retry["HX-Retarget"] == "#plan-structure"
    assert "Sleep through the night" in retry.content.decode()
    assert Goal.objects.filter(statement="Sleep through the night").count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_the_form_id_the_same_retry_adds_the_goal_twice(clinician, login, plan, database_gone_after_commit):
    """The failure is real: this is what the form id prevents."""
    web = login(clinician)
    web.raise_request_exception = False
    database_gone_after_commit.after_commit_of(Goal)
    first = web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Twice"}, headers=HX)
    database_gone_after_commit.end()
    assert first.status_code == 503
    web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Twice"}, headers=HX)
    assert Goal.objects.filter(statement="Twice").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_client_opened_just_before_the_database_went_away_is_shown_not_opened_twice(
    clinician, login, database_gone_after_commit
):
    web = login(clinician)
    web.raise_request_exception = False
    data = NEW_CLIENT | {FORM_ID_FIELD: _form_id(web.get("/clients/new/").content.decode())}

    database_gone_after_commit.after_commit_of(Client)
    first = web.post("/clients/new/", data)
    database_gone_after_commit.end()
    assert first.status_code == 503
    client = Client.objects.get(chart_number="R-0001")

    retry = web.post("/clients/new/", data, follow=True)
    assert retry.redirect_chain == [(f"/clients/{client.pk}/", 302)]
    # The flash message the first answer would have shown, shown now.
    assert "Client record opened for Robin Retried." in retry.content.decode()
    assert Client.objects.filter(family_name="Retried").count() == 1


# --- Every create form: sent twice, one record, the same answer ------------------------------


CASES = {
    "client": lambda c, p: ("/clients/new/", None, {**NEW_CLIENT, "chart_number": "R-0002"}, Client),
    "presenting problem": lambda c, p: (
        f"/clients/{c.pk}/problems/new/",
        None,
        {"title": "Worry", "clients_words": "I worry.", "severity": "mild", "diagnosis_code": ""},
        PresentingProblem,
    ),
    # The client already has a plan: a second one takes the deliberate tick.
    "plan": lambda c, p: (f"/plans/new/for-client/{c.pk}/", None, {"separate_plan": "on"}, TreatmentPlan),
    "goal": lambda c, p: (f"/plans/{p.pk}/", f"/plans/{p.pk}/goal/add/", {"goal-new-statement": "New goal"}, Goal),
    "objective": lambda c, p: (
        f"/plans/{p.pk}/objective/add/?goal={p.goals.first().pk}",
        f"/plans/{p.pk}/objective/add/",
        {
            "objective-new-statement": "Names one feeling a week",
            "objective-new-measure": "Feelings named",
            "objective-new-target": "One a week",
            "objective-new-target_date": "2027-02-01",
        },
        Objective,
    ),
    "intervention": lambda c, p: (
        f"/plans/{p.pk}/intervention/add/",
        f"/plans/{p.pk}/intervention/add/",
        {"intervention-new-frequency": "weekly"},
        Intervention,
    ),
    "conflict": lambda c, p: (
        f"/plans/{p.pk}/conflict/add/",
        f"/plans/{p.pk}/conflict/add/",
        {"conflict-new-description": "Wants closeness, fears it."},
        CoreConflict,
    ),
    "defense": lambda c, p: (
        f"/plans/{p.pk}/defense/add/",
        f"/plans/{p.pk}/defense/add/",
        {"defense-new-evidence": "Laughs at the sad part."},
        DefenseObservation,
    ),
    "comment": lambda c, p: (f"/plans/{p.pk}/", f"/plans/{p.pk}/comments/", {"body": "Is this measurable?"}, Comment),
    "measure": lambda c, p: (f"/plans/{p.pk}/measures/gad7/", None, {f"i{i}": "1" for i in range(7)}, MeasureScore),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_every_create_form_sent_twice_creates_one_record_and_answers_the_same(kind, clinician, login, plan):
    PresentingProblemFactory(client=plan.client)
    web = login(clinician)
    page, action, values, model = CASES[kind](plan.client, plan)
    headers = HX if action and "/add/" in action else {}
    form = _form(web.get(page).content.decode(), action)
    data = _values(form) | values
    assert data.get(FORM_ID_FIELD), f"the {kind} form carries no one-time form id"
    before = model.objects.count()

    first = web.post(action or page.split("?")[0], data, headers=headers)
    assert first.status_code in (200, 302), first.content.decode()[:500]
    assert model.objects.count() == before + 1, f"the first {kind} submit did not create one"
    second = web.post(action or page.split("?")[0], data, headers=headers)

    assert model.objects.count() == before + 1
    assert second.status_code == first.status_code
    assert second.get("Location") == first.get("Location")
    assert second.get("HX-Retarget") == first.get("HX-Retarget")
    assert second.content == first.content


def test_a_second_review_started_from_the_same_button_opens_the_same_review(clinician, login, plan):
    from plans.lifecycle import transitions

    transitions.submit_plan(actor=clinician, plan=plan)
    web = login(clinician)
    data = {FORM_ID_FIELD: _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), f"/plans/{plan.pk}/reviews/start/")}
    first = web.post(f"/plans/{plan.pk}/reviews/start/", data)
    second = web.post(f"/plans/{plan.pk}/reviews/start/", data)
    assert ProgressReview.objects.filter(plan=plan).count() == 1
    assert second["Location"] == first["Location"]


def test_a_staff_invitation_sent_twice_invites_once(admin, login):
    web = login(admin)
    form_id = _form_id(web.get("/accounts/staff/invite/").content.decode())
    data = {"email": "new@example.test", "given_name": "New", "family_name": "Person", "is_clinician": "on"}
    data[FORM_ID_FIELD] = form_id
    first = web.post("/accounts/staff/invite/", data)
    second = web.post("/accounts/staff/invite/", data)
    assert first.status_code == second.status_code == 302
    assert Membership.objects.filter(user__email="new@example.test").count() == 1


def _signing_step_data(web, plan) -> dict:
    """The sign step's form as the signer sends it: its form id, the content it showed, the password."""
    step = web.get(f"/plans/{plan.pk}/submit/").content.decode()
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', step).group(1)
    form_id = _form_id(step, f"/plans/{plan.pk}/submit/")
    return {FORM_ID_FIELD: form_id, "content_hash": content_hash, "password": PASSWORD}


def test_a_plan_submitted_twice_from_the_same_page_answers_as_the_first_time(clinician, login, plan):
    web = login(clinician)
    data = _signing_step_data(web, plan)
    first = web.post(f"/plans/{plan.pk}/submit/", data, follow=True)
    second = web.post(f"/plans/{plan.pk}/submit/", data, follow=True)
    assert plan.signatures.count() == 1
    # Not "this plan is not a draft": the same confirmation as the first time.
    assert "Signed. The plan is now active." in second.content.decode()
    assert first.redirect_chain == second.redirect_chain


# --- What a form id does and does not do ------------------------------------------------------


def test_each_rendering_of_a_form_gets_a_new_id_so_a_second_goal_is_added(clinician, login, plan):
    web = login(clinician)
    action = f"/plans/{plan.pk}/goal/add/"
    page = web.get(f"/plans/{plan.pk}/").content.decode()
    first = web.post(action, {"goal-new-statement": "One", FORM_ID_FIELD: _form_id(page, action)}, headers=HX)
    # The answer renders the structure again, with a fresh add-goal form.
    next_id = _form_id(first.content.decode(), action)
    assert next_id != _form_id(page, action)
    web.post(action, {"goal-new-statement": "Two", FORM_ID_FIELD: next_id}, headers=HX)
    assert set(plan.goals.values_list("statement", flat=True)) >= {"One", "Two"}


def test_a_form_refused_for_its_errors_can_be_sent_again_with_the_same_id(clinician, login, plan):
    web = login(clinician)
    action = f"/plans/{plan.pk}/goal/add/"
    form_id = _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), action)
    refused = web.post(action, {"goal-new-statement": "", FORM_ID_FIELD: form_id}, headers=HX)
    assert refused.status_code == 200 and "HX-Retarget" not in refused
    web.post(action, {"goal-new-statement": "Fixed", FORM_ID_FIELD: form_id}, headers=HX)
    assert plan.goals.filter(statement="Fixed").count() == 1


def test_a_refused_lifecycle_action_is_not_kept(clinician, login, own_client):
    """Submitting a plan with no goals is refused with a redirect and an error message: not kept."""
    from plans.editor import services

    empty = services.start_plan(actor=clinician, client=own_client, start_date=dt.date(2026, 11, 2))
    web = login(clinician)
    web.post(f"/plans/{empty.pk}/submit/", _signing_step_data(web, empty))
    assert not IdempotencyRecord.objects.exists()


def test_the_same_form_sent_again_with_other_text_shows_the_first_result_and_says_so(clinician, login, plan):
    web = login(clinician)
    data = NEW_CLIENT | {FORM_ID_FIELD: _form_id(web.get("/clients/new/").content.decode())}
    first = web.post("/clients/new/", data)
    changed = web.post("/clients/new/", data | {"given_name": "Robyn"}, follow=True)
    assert changed.redirect_chain == [(first["Location"], 302)]
    assert CHANGED_MESSAGE in changed.content.decode()
    assert not Client.objects.filter(given_name="Robyn").exists()


def test_a_form_sent_again_while_the_first_is_still_saving_is_told_to_wait(clinician, login, plan):
    web = login(clinician)
    action = f"/plans/{plan.pk}/goal/add/"
    data = {
        "goal-new-statement": "Double click",
        FORM_ID_FIELD: _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), action),
    }
    answers = []

    def _second_click(sender, instance, **kwargs):
        # The first submit is inside its transaction: the goal is saved, not yet committed.
        post_save.disconnect(_second_click, sender=Goal)
        answers.append(web.post(action, data, headers=HX))

    post_save.connect(_second_click, sender=Goal, weak=False)
    try:
        first = web.post(action, data, headers=HX)
    finally:
        post_save.disconnect(_second_click, sender=Goal)
    assert first.status_code == 200
    (second,) = answers
    assert second.status_code == 409
    assert second["HX-Reswap"] == "none"
    assert json.loads(second["HX-Trigger"]) == {"psyplan:unavailable": {"message": IN_FLIGHT_MESSAGE}}
    assert plan.goals.filter(statement="Double click").count() == 1


def test_a_malformed_form_id_is_a_400_not_a_500(clinician, login, plan):
    web = login(clinician)
    response = web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "x", FORM_ID_FIELD: "é" * 300})
    assert response.status_code == 400
    assert not plan.goals.filter(statement="x").exists()


def test_form_ids_are_kept_hashed_per_person_and_route(clinician, login, plan):
    web = login(clinician)
    action = f"/plans/{plan.pk}/goal/add/"
    form_id = _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), action)
    web.post(action, {"goal-new-statement": "Hashed", FORM_ID_FIELD: form_id}, headers=HX)
    record = IdempotencyRecord.objects.get()
    assert record.user == clinician
    assert record.scope == f"form {action}"
    assert record.key_hash == hashlib.sha256(form_id.encode()).hexdigest()
    assert form_id not in record.key_hash


def test_a_form_id_older_than_24_hours_counts_as_new_and_the_clean_up_forgets_it(clinician, login, plan):
    web = login(clinician)
    action = f"/plans/{plan.pk}/goal/add/"
    data = {
        "goal-new-statement": "Next day",
        FORM_ID_FIELD: _form_id(web.get(f"/plans/{plan.pk}/").content.decode(), action),
    }
    web.post(action, data, headers=HX)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=25)):
        web = login(clinician)
        web.post(action, data, headers=HX)
        assert plan.goals.filter(statement="Next day").count() == 2
        IdempotencyRecord.objects.filter(scope=f"form {action}").update(
            created_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=30)
        )
        assert purge_idempotency_records() == 1
        assert purge_idempotency_records() == 0, "safe to run twice"


def test_the_clean_up_runs_every_hour_on_celery_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-records"]
    assert entry == {"task": "accounts.tasks.purge_idempotency_records", "schedule": 60 * 60}
