"""The review step before a plan is signed or co-signed: it shows what is signed and what the
signature means, asks for the signer's password (or authenticator code) again, and only then signs."""

import re

import pytest

from audit.models import AccessLog
from plans.lifecycle import transitions
from plans.models import Signature, TreatmentPlan
from tests.factories import PASSWORD, ClientFactory, make_plan
from tests.two_factor import current_code, enroll

Status = TreatmentPlan.Status


def _hash(html: str) -> str:
    return re.search(r'name="content_hash" value="([0-9a-f]+)"', html).group(1)


def _step(web, url):
    response = web.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def draft(own_client):
    return make_plan(own_client, goals=2, objectives=1, interventions=1)


def test_the_sign_step_shows_what_is_signed_and_what_the_signature_means(clinician, draft, login):
    html = _step(login(clinician), f"/plans/{draft.pk}/submit/")
    assert draft.client.display_name in html
    assert "Version 1" in html and "2026-11-02" in html
    assert "2 goals" in html and "2 objectives" in html and "1 presenting problem" in html
    for goal in draft.goals.all():
        assert goal.statement in html
    assert "“authored”" in html
    assert "legally binding equivalent of my handwritten signature" in html
    assert clinician.printed_name in html
    assert 'name="password"' in html and 'autocomplete="current-password"' in html


def test_opening_the_sign_step_signs_nothing(clinician, draft, login):
    _step(login(clinician), f"/plans/{draft.pk}/submit/")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.signatures.exists()


def test_a_wrong_password_signs_nothing_and_says_so_on_the_field(clinician, draft, login):
    web = login(clinician)
    html = _step(web, f"/plans/{draft.pk}/submit/")
    response = web.post(f"/plans/{draft.pk}/submit/", {"content_hash": _hash(html), "password": "not-it"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "That password is not right" in page and 'role="alert"' in page
    assert 'id="id_password_error"' in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.signatures.exists()
    failed = AccessLog.objects.get(action="signer_check")
    assert failed.outcome == "failed" and "not-it" not in failed.detail


def test_the_right_password_signs_and_activates(clinician, draft, login):
    web = login(clinician)
    html = _step(web, f"/plans/{draft.pk}/submit/")
    response = web.post(f"/plans/{draft.pk}/submit/", {"content_hash": _hash(html), "password": PASSWORD}, follow=True)
    assert "The plan is now active" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.ACTIVE
    assert draft.signatures.get().meaning == Signature.Meaning.AUTHORED


def test_the_old_one_click_post_no_longer_signs(clinician, draft, login):
    response = login(clinician).post(f"/plans/{draft.pk}/submit/")
    assert response.status_code == 200 and "Type your password to sign" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.signatures.exists()


def test_a_plan_changed_after_the_step_opened_is_not_signed(clinician, draft, login):
    web = login(clinician)
    html = _step(web, f"/plans/{draft.pk}/submit/")
    goal = draft.goals.first()
    goal.statement = "Changed in another tab"
    goal.save()
    response = web.post(f"/plans/{draft.pk}/submit/", {"content_hash": _hash(html), "password": PASSWORD})
    page = response.content.decode()
    assert "The plan changed after you opened this page" in page and "Changed in another tab" in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.signatures.exists()


def test_a_signed_plan_opens_no_step_and_says_why(clinician, draft, login):
    transitions.submit_plan(actor=clinician, plan=draft)
    response = login(clinician).get(f"/plans/{draft.pk}/submit/", follow=True)
    assert response.redirect_chain and "You cannot submit a plan that is active" in response.content.decode()


def test_someone_elses_draft_has_no_sign_step(colleague, draft, login):
    assert login(colleague).get(f"/plans/{draft.pk}/submit/").status_code in (403, 404)


def test_the_co_sign_step_shows_the_meaning_keeps_the_comment_and_co_signs(trainee, supervisor, login):
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    web = login(supervisor)
    html = _step(web, f"/plans/{plan.pk}/approve/")
    assert "“reviewed and approved”" in html and trainee.printed_name in html
    wrong = web.post(f"/plans/{plan.pk}/approve/", {"content_hash": _hash(html), "password": "x", "comment": "Fine."})
    assert "Fine." in wrong.content.decode()
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    web.post(f"/plans/{plan.pk}/approve/", {"content_hash": _hash(html), "password": PASSWORD, "comment": "Fine."})
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE
    assert plan.signatures.valid().filter(meaning=Signature.Meaning.REVIEWED_AND_APPROVED, signer=supervisor).exists()
    assert plan.transitions.filter(to_status=Status.ACTIVE, comment="Fine.").exists()


def test_someone_with_two_factor_signs_with_a_code_not_the_password(clinician, draft, login):
    device = enroll(clinician)
    web = login(clinician)  # with a backup code, so the step is the first use of an authenticator code
    device.refresh_from_db()
    device.throttle_reset()  # the backup code was tried on the authenticator first, which throttles it
    html = _step(web, f"/plans/{draft.pk}/submit/")
    assert 'name="otp_code"' in html and 'name="password"' not in html
    refused = web.post(f"/plans/{draft.pk}/submit/", {"content_hash": _hash(html), "password": PASSWORD})
    assert "code from your authenticator app" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    web.post(f"/plans/{draft.pk}/submit/", {"content_hash": _hash(html), "otp_code": current_code(device)})
    draft.refresh_from_db()
    assert draft.status == Status.ACTIVE


# --- Through the API ----------------------------------------------------------------------


def test_the_api_co_signs_only_with_the_password_and_says_which_field_is_wrong(api, trainee, supervisor):
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    caller = api(supervisor)
    url = f"/api/v1/plans/{plan.pk}/approve/"
    missing = caller.post(url, {"comment": "Fine."}, format="json")
    assert missing.status_code == 400 and "Type your password" in missing.json()["fields"]["password"][0]
    wrong = caller.post(url, {"comment": "Fine.", "password": "x"}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["password"]
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    assert caller.post(url, {"comment": "Fine.", "password": PASSWORD}, format="json").status_code == 200
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE


def test_the_api_asks_someone_with_two_factor_for_the_code(api, clinician, draft):
    device = enroll(clinician)
    caller = api(clinician)
    url = f"/api/v1/plans/{draft.pk}/submit/"
    refused = caller.post(url, {"password": PASSWORD}, format="json")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["otp_code"]
    assert caller.post(url, {"otp_code": current_code(device)}, format="json").status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.ACTIVE
