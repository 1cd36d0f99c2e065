"""The client's agreement to a plan version through a link (issue 15): the services, the client's
pages, the plan page's part, the PDFs and the FHIR export."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client as Browser
from pypdf import PdfReader

from accounts.models import Notification
from audit.models import AccessLog
from core.models import OutboxMessage
from participation import services
from participation.models import ClientLink
from plans.lifecycle import transitions
from plans.lifecycle.canonical import canonical_json, content_hash
from plans.models import Signature, TreatmentPlan
from records import fhir
from tests.api.conftest import validate_bundle
from tests.factories import ClientFactory, make_plan
from tests.participation.conftest import BIRTHDAY, verify

Status = TreatmentPlan.Status


@pytest.fixture
def active_plan(consenting_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(consenting_client))


@pytest.fixture
def agreement_link(clinician):
    """An agreement link to a plan version; returns (link, path)."""

    def _make(plan, *, delivery=ClientLink.Delivery.HAND):
        return services.create_link(
            actor=clinician,
            client=plan.client,
            purpose=ClientLink.Purpose.AGREEMENT,
            delivery=delivery,
            plan=plan,
        )

    return _make


def _agreements(plan):
    return list(plan.signatures.valid().filter(meaning=Signature.Meaning.CLIENT_AGREEMENT))


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- The services ---------------------------------------------------------------------------


def test_agreeing_signs_the_versions_canonical_content_through_the_link_and_the_link_is_done(
    active_plan, agreement_link
):
    link, _ = agreement_link(active_plan)
    signature = services.agree_to_plan(link=link, typed_name="  Client One  ")
    assert signature.meaning == Signature.Meaning.CLIENT_AGREEMENT and signature.signer is None
    assert signature.signing_method == Signature.Method.CLIENT_LINK and signature.printed_name == "Client One"
    assert signature.content_hash == content_hash(active_plan)
    assert signature.canonical_json.encode() == canonical_json(active_plan)
    link.refresh_from_db()
    assert link.status == ClientLink.Status.DONE and link.signature == signature and link.declined_at is None
    assert link.shown_status == "Agreed"
    entries = AccessLog.objects.filter(client_id=active_plan.client_id)
    assert entries.filter(action="client_link_submit", detail=f"agreed: signature {signature.pk}").exists()
    assert entries.filter(action="sign", object_type="plan", object_id=str(active_plan.pk)).exists()


def test_the_clinician_is_told_in_the_app_without_the_clients_name_or_answer(
    active_plan, agreement_link, clinician, django_capture_on_commit_callbacks
):
    link, _ = agreement_link(active_plan)
    with django_capture_on_commit_callbacks(execute=True):
        services.agree_to_plan(link=link, typed_name="Client One")
    notice = Notification.objects.get(recipient=clinician)
    assert notice.url == f"/plans/{active_plan.pk}/"
    client = active_plan.client
    for private in (client.given_name, client.family_name, client.chart_number, "Client One", "agreed"):
        assert private not in notice.text


def test_declining_keeps_the_comment_on_the_link_and_signs_nothing(active_plan, agreement_link):
    link, _ = agreement_link(active_plan)
    services.decline_plan(link=link, comment="  I would like fewer sessions a week.  ")
    link.refresh_from_db()
    assert link.status == ClientLink.Status.DONE and link.declined_at and link.signature is None
    assert link.decline_comment == "I would like fewer sessions a week." and link.shown_status == "Declined"
    assert _agreements(active_plan) == []
    entry = AccessLog.objects.get(action="client_link_submit", object_id=str(link.pk))
    assert entry.detail == "declined with a comment" and "fewer" not in entry.detail


def test_a_typed_name_is_required_and_a_blank_one_changes_nothing(active_plan, agreement_link):
    link, _ = agreement_link(active_plan)
    with pytest.raises(ValidationError) as caught:
        services.agree_to_plan(link=link, typed_name="   ")
    assert "typed_name" in caught.value.error_dict
    link.refresh_from_db()
    assert link.status == ClientLink.Status.OPEN and _agreements(active_plan) == []


def test_a_superseded_version_cannot_be_agreed_to_and_the_client_is_told_a_current_one_will_come(
    active_plan, agreement_link, clinician
):
    link, _ = agreement_link(active_plan)
    amendment = transitions.amend_plan(actor=clinician, plan=active_plan)
    transitions.submit_plan(actor=clinician, plan=amendment)
    for act in (
        lambda: services.agree_to_plan(link=link, typed_name="Client One"),
        lambda: services.decline_plan(link=link),
    ):
        with pytest.raises(ValidationError, match="Your clinician will send you the current version"):
            act()
    assert _agreements(active_plan) == []


def test_a_closed_version_cannot_be_agreed_to(active_plan, agreement_link, clinician):
    link, _ = agreement_link(active_plan)
    transitions.close_plan(actor=clinician, plan=active_plan, reason="Ended")
    with pytest.raises(ValidationError, match="no longer the current version"):
        services.agree_to_plan(link=link, typed_name="Client One")


def test_a_second_agreement_to_the_same_version_is_refused(active_plan, agreement_link, clinician):
    first, _ = agreement_link(active_plan)
    second, _ = agreement_link(active_plan)
    services.agree_to_plan(link=first, typed_name="Client One")
    with pytest.raises(ValidationError, match="already recorded"):
        services.agree_to_plan(link=second, typed_name="Client One")
    with pytest.raises(ValidationError, match="already recorded"):
        transitions.record_client_agreement(actor=clinician, plan=active_plan, client_name="Client One")
    with pytest.raises(ValidationError, match="already recorded"):
        agreement_link(active_plan)
    assert len(_agreements(active_plan)) == 1


def test_an_agreement_recorded_in_session_says_so_and_refuses_the_link_afterwards(
    active_plan, agreement_link, clinician
):
    link, _ = agreement_link(active_plan)
    signature = transitions.record_client_agreement(actor=clinician, plan=active_plan, client_name="Client One")
    assert signature.signing_method == Signature.Method.IN_SESSION
    with pytest.raises(ValidationError, match="already recorded"):
        services.agree_to_plan(link=link, typed_name="Client One")


def test_a_new_version_needs_a_new_agreement_and_the_old_one_stays_with_the_old_version(
    active_plan, agreement_link, clinician
):
    old_link, _ = agreement_link(active_plan)
    old = services.agree_to_plan(link=old_link, typed_name="Client One")
    amendment = transitions.amend_plan(actor=clinician, plan=active_plan)
    goal = amendment.goals.get()
    goal.statement = "A goal said differently in version 2"
    goal.save()
    amendment = transitions.submit_plan(actor=clinician, plan=amendment)
    active_plan.refresh_from_db()
    assert active_plan.status == Status.SUPERSEDED and _agreements(active_plan) == [old]
    assert _agreements(amendment) == []
    new_link, _ = agreement_link(amendment)
    new = services.agree_to_plan(link=new_link, typed_name="Client One")
    assert new.content_hash == content_hash(amendment) != old.content_hash == content_hash(active_plan)


def test_only_the_active_version_is_sent_for_agreement(consenting_client, clinician, agreement_link):
    draft = make_plan(consenting_client)
    with pytest.raises(ValidationError, match="Only the active version"):
        agreement_link(draft)


def test_the_method_of_an_agreement_cannot_change_in_the_database(active_plan, agreement_link):
    link, _ = agreement_link(active_plan)
    signature = services.agree_to_plan(link=link, typed_name="Client One")
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(signing_method=Signature.Method.IN_SESSION)
    signature.refresh_from_db()
    assert signature.signing_method == Signature.Method.CLIENT_LINK


# --- The client's pages ---------------------------------------------------------------------


def test_the_plan_is_shown_only_after_the_date_of_birth(web, active_plan, agreement_link):
    _, path = agreement_link(active_plan)
    for page in ("plan/", "plan/pdf/", "plan/done/"):
        response = web.get(path + page)
        assert response.status_code == 302 and response["Location"] == path
    first = web.get(path).content.decode()
    goal = active_plan.goals.get().statement
    assert goal not in first and active_plan.client.family_name not in first
    response = verify(web, path)
    assert response.status_code == 302
    # The date-of-birth check leads on to the link's purpose.
    assert web.get(response["Location"])["Location"] == path + "plan/"


def test_the_client_reads_the_plain_version_agrees_by_typing_their_name_and_is_thanked(
    web, active_plan, agreement_link
):
    link, path = agreement_link(active_plan)
    verify(web, path)
    page = web.get(path + "plan/")
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "Your treatment plan" in html and "cv-page" in html and 'href="' + path + 'plan/pdf/"' in html
    assert "Hypothesis" not in html  # the client version, not the clinical record
    response = web.post(path + "plan/", {"answer": "agree", "typed_name": "Client One"})
    assert response.status_code == 302 and response["Location"] == path + "plan/done/"
    done = web.get(path + "plan/done/").content.decode()
    assert "Thank you" in done and "Your clinician will see this" in done and "Client One" in done
    assert _agreements(active_plan)[0].signing_method == Signature.Method.CLIENT_LINK
    # Back to the plan page: the link is done, it shows the thanks, never the forms again.
    assert web.get(path + "plan/")["Location"] == path + "plan/done/"


def test_a_blank_name_is_a_field_error_on_the_page(web, active_plan, agreement_link):
    _, path = agreement_link(active_plan)
    verify(web, path)
    response = web.post(path + "plan/", {"answer": "agree", "typed_name": " "})
    assert response.status_code == 200 and "Type your name to agree." in response.content.decode()
    assert _agreements(active_plan) == []


def test_the_client_declines_with_a_comment(web, active_plan, agreement_link):
    link, path = agreement_link(active_plan)
    verify(web, path)
    response = web.post(path + "plan/", {"answer": "decline", "comment": "Less homework, please."})
    assert response["Location"] == path + "plan/done/"
    done = web.get(path + "plan/done/").content.decode()
    assert "you do not agree" in done
    link.refresh_from_db()
    assert link.decline_comment == "Less homework, please."


def test_a_used_link_in_a_new_browser_says_it_was_used_and_shows_nothing(web, active_plan, agreement_link):
    _, path = agreement_link(active_plan)
    verify(web, path)
    web.post(path + "plan/", {"answer": "agree", "typed_name": "Client One"})
    other = Browser()
    for page in ("", "plan/", "plan/pdf/"):
        html = other.get(path + page).content.decode()
        assert "already been used" in html and "Your answer about your plan" in html
        assert active_plan.goals.get().statement not in html


def test_a_superseded_version_shows_the_client_that_a_current_one_will_come(
    web, active_plan, agreement_link, clinician
):
    _, path = agreement_link(active_plan)
    transitions.submit_plan(actor=clinician, plan=transitions.amend_plan(actor=clinician, plan=active_plan))
    verify(web, path)
    response = web.get(path + "plan/")
    assert response.status_code == 410
    html = response.content.decode()
    assert "Your clinician will send you the current version" in html and "I agree" not in html


def test_another_clients_link_never_shows_this_plan(web, active_plan, agreement_link, clinician):
    other_client = ClientFactory(primary_clinician=clinician, date_of_birth=BIRTHDAY)
    transitions.submit_plan(actor=clinician, plan=make_plan(other_client))
    _, path = agreement_link(active_plan)
    verify(web, path)
    html = web.get(path + "plan/").content.decode()
    assert other_client.given_name not in html and other_client.chart_number not in html
    assert active_plan.client.display_name in html
    # A questionnaire link of the same client has no plan page.
    questionnaire, qpath = services.create_link(
        actor=clinician,
        client=active_plan.client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    verify(web, qpath)
    assert web.get(qpath + "plan/").status_code == 404
    assert web.get(qpath + "plan/pdf/").status_code == 404


def test_the_pdf_is_the_client_version_of_the_links_version_not_stored_and_not_named_after_the_client(
    web, active_plan, agreement_link
):
    _, path = agreement_link(active_plan)
    verify(web, path)
    response = web.get(path + "plan/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="treatment-plan-v{active_plan.version_number}.pdf"'
    client = active_plan.client
    assert client.family_name not in disposition and client.chart_number not in disposition
    text = _pdf_text(response.content)
    assert "Your treatment plan" in text and "Client signature and date" in text
    assert AccessLog.objects.filter(
        action="pdf_download", object_id=str(active_plan.pk), client_id=client.pk, actor__isnull=True
    ).exists()


def test_the_client_pages_keep_the_strict_policy_no_scripts_and_no_inline_styles(web, active_plan, agreement_link):
    _, path = agreement_link(active_plan)
    verify(web, path)
    html = web.get(path + "plan/").content.decode()
    assert "<script" not in html and "style=" not in html and "<style" not in html


# --- Both PDFs and FHIR ------------------------------------------------------------------------


def test_both_pdfs_show_the_agreement_with_name_time_method_and_hash(
    web, active_plan, agreement_link, clinician, login
):
    link, _ = agreement_link(active_plan)
    signature = services.agree_to_plan(link=link, typed_name="Client Signed-Name")
    staff = login(clinician)
    local = signature.local_signed_at.strftime("%Y-%m-%d %H:%M")
    clinical = _pdf_text(staff.get(f"/plans/{active_plan.pk}/pdf/").content)
    assert "Client Signed-Name" in clinical and "Through a client link, typed by the client" in clinical
    assert local in clinical and signature.content_hash[:16] in clinical.replace(" ", "")
    client_pdf = _pdf_text(staff.get(f"/plans/{active_plan.pk}/pdf/?audience=client").content)
    assert f"Agreed by Client Signed-Name on {local} {signature.timezone}" in client_pdf
    assert "through a client link" in client_pdf and signature.content_hash[:16] in client_pdf


def test_the_fhir_bundle_carries_the_agreement_as_a_consent_signature_provenance(active_plan, agreement_link):
    link, _ = agreement_link(active_plan)
    signature = services.agree_to_plan(link=link, typed_name="Client One")
    bundle = fhir.plan_bundle(active_plan)
    validate_bundle(bundle)
    provenances = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance"]
    assert len(provenances) == 1
    provenance = provenances[0]
    care_plan = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan")
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert provenance["target"] == [{"reference": care_plan["fullUrl"]}]
    (sig,) = provenance["signature"]
    assert sig["type"][0]["code"] == "1.2.840.10065.1.12.1.7" and sig["who"]["reference"] == patient["fullUrl"]
    assert sig["when"] == signature.signed_at.isoformat()
    assert provenance["entity"][0]["what"]["identifier"]["value"] == signature.content_hash
    assert "client link" in provenance["activity"]["text"]


# --- The plan page --------------------------------------------------------------------------

# role -> (plan page, "Ask the client to agree")
MATRIX = {
    "clinician": (200, 200),
    "colleague": (404, 404),
    "supervisor": (200, 403),
    "admin": (200, 403),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_the_role_by_action_matrix_of_asking_for_agreement(request, role, login, active_plan):
    page, ask = MATRIX[role]
    web = login(request.getfixturevalue(role))
    response = web.get(f"/plans/{active_plan.pk}/")
    assert response.status_code == page
    if page == 200:
        html = response.content.decode()
        assert "Client agreement to version" in html
        assert ("Ask the client to agree" in html) == (role == "clinician")
    response = web.post(f"/clients/plans/{active_plan.pk}/agreement-link/", {"delivery": ClientLink.Delivery.HAND})
    assert response.status_code == ask
    assert ClientLink.objects.filter(plan=active_plan).count() == (1 if ask == 200 else 0)


def test_asking_hands_the_link_over_once_and_the_plan_page_shows_it_pending(login, clinician, active_plan):
    web = login(clinician)
    response = web.post(f"/clients/plans/{active_plan.pk}/agreement-link/", {"delivery": ClientLink.Delivery.HAND})
    html = response.content.decode()
    assert response["Cache-Control"] == "no-store" and f"/plans/{active_plan.pk}/" in html
    assert re.search(r"/c/[A-Za-z0-9_-]{43}/", html)
    page = web.get(f"/plans/{active_plan.pk}/").content.decode()
    assert "has not agreed to this version yet" in page and "Hand to client" in page and "Revoke" in page


def test_asking_by_email_needs_consent_and_sends_through_the_outbox(login, clinician, active_plan):
    web = login(clinician)
    response = web.post(f"/clients/plans/{active_plan.pk}/agreement-link/", {"delivery": ClientLink.Delivery.EMAIL})
    assert response.status_code == 302 and response["Location"] == f"/plans/{active_plan.pk}/"
    assert OutboxMessage.objects.filter(task="participation.tasks.send_client_link").count() == 1


def test_the_plan_page_shows_the_agreement_given_and_a_decline_with_its_comment(
    login, clinician, active_plan, agreement_link
):
    declined, _ = agreement_link(active_plan)
    services.decline_plan(link=declined, comment="Not the part about dreams.")
    web = login(clinician)
    html = web.get(f"/plans/{active_plan.pk}/").content.decode()
    assert "Declined" in html and "Not the part about dreams." in html
    agreed, _ = agreement_link(active_plan)
    signature = services.agree_to_plan(link=agreed, typed_name="Client One")
    html = web.get(f"/plans/{active_plan.pk}/").content.decode()
    assert "“Client One”" in html and "through a client link, typed by the client" in html
    assert signature.content_hash[:16] in html and "Ask the client to agree" not in html
    # The signatures table says how, too.
    assert "Through a client link, typed by the client" in html
