"""Client risk alerts (issue 15): raised with the client's answers, told to the clinician (and a
trainee's supervisor) in the app and by an email with no clinical detail, on the dashboards until
acknowledged with a note."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Notification
from audit.models import AccessLog, ChangeRecord
from participation import services
from participation.models import ClientLink, ClientRiskAlert, RiskAlertRecipient
from participation.tasks import deliver_risk_alert
from tests.factories import ClientFactory
from tests.participation.conftest import BIRTHDAY, answers, verify

ITEM_NINE = [1, 2, 1, 2, 1, 2, 1, 2, 1]  # 13, moderate, item 9 at 1
SEVERE = [3, 3, 3, 3, 3, 3, 2, 0, 0]  # 20, item 9 at 0
MODERATE = [2, 2, 2, 2, 2, 2, 2, 0, 0]  # 14
GAD_SEVERE = [3, 3, 3, 3, 3, 3, 3]


def _answer(web, path, phq=None, gad=None):
    assert verify(web, path).status_code == 302
    data = {}
    if phq is not None:
        data |= answers("phq9", phq)
    if gad is not None:
        data |= answers("gad7", gad)
    response = web.post(path + "answers/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


@pytest.fixture
def trainee_client(trainee):
    return ClientFactory(primary_clinician=trainee, date_of_birth=BIRTHDAY)


@pytest.fixture
def answered(web, consenting_client, make_link, django_capture_on_commit_callbacks):
    """A client who answered item 9 above 0, with the alert's notices and emails delivered."""
    _, path = make_link(consenting_client, codes=("phq9",))
    with django_capture_on_commit_callbacks(execute=True):
        _answer(web, path, phq=ITEM_NINE)
    return ClientRiskAlert.objects.get(client=consenting_client)


def test_an_item_nine_answer_above_zero_raises_an_alert_with_the_answers(answered, consenting_client):
    assert answered.reason == ClientRiskAlert.Reason.ITEM_NINE
    assert answered.score.risk_flag and answered.score.is_client_reported
    assert answered.is_open
    assert AccessLog.objects.filter(action="client_alert_raise", client_id=consenting_client.pk).exists()


def test_a_severe_phq9_total_raises_an_alert_without_item_nine(web, consenting_client, make_link):
    _, path = make_link(consenting_client, codes=("phq9",))
    _answer(web, path, phq=SEVERE)
    (alert,) = ClientRiskAlert.objects.filter(client=consenting_client)
    assert alert.reason == ClientRiskAlert.Reason.SEVERE_TOTAL


def test_calm_or_moderate_answers_and_a_severe_gad7_raise_no_alert(web, consenting_client, make_link):
    _, path = make_link(consenting_client)
    _answer(web, path, phq=MODERATE, gad=GAD_SEVERE)
    assert not ClientRiskAlert.objects.exists()
    assert not RiskAlertRecipient.objects.exists()


def test_the_clinician_is_told_in_the_app_and_by_one_email(answered, clinician):
    assert list(answered.recipients.values_list("user", flat=True)) == [clinician.pk]
    notice = Notification.objects.get(recipient=clinician)
    assert notice.url == f"/clients/alerts/{answered.pk}/"
    assert [m.to for m in mail.outbox] == [[clinician.email]]


def test_the_email_and_the_notice_carry_no_clinical_detail(answered, consenting_client, clinician):
    (email,) = mail.outbox
    notice = Notification.objects.get(recipient=clinician)
    text = " ".join([email.subject, email.body, notice.verb, notice.text, notice.url]).lower()
    assert "urgent" in text and consenting_client.practice.name.lower() in text
    # The score as a number standing alone (not inside a name like "Given13", nor in a link's ids).
    words = re.sub(r"\S*/\S*", " ", text)
    assert not re.search(rf"(?<![\w-]){answered.score.total}(?![\w-])", words)
    for private in (
        consenting_client.given_name,
        consenting_client.family_name,
        consenting_client.chart_number,
        answered.score.band,
        "suicid",
        "self-harm",
        "phq",
        "item 9",
        "depress",
        "risk",
    ):
        assert private.lower() not in text, private


def test_the_outbox_holds_only_the_alerts_id(answered):
    from core.models import OutboxMessage

    (message,) = OutboxMessage.objects.filter(task="participation.tasks.deliver_risk_alert")
    assert list(message.args) == [answered.pk] and not message.kwargs


def test_delivering_twice_tells_nobody_twice(answered, clinician):
    deliver_risk_alert(answered.pk)
    deliver_risk_alert(answered.pk)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(recipient=clinician).count() == 1
    assert answered.recipients.get().notified_at is not None


def test_a_trainees_alert_tells_the_trainee_and_their_supervisor_not_a_colleague(
    web, trainee, trainee_client, supervisor, colleague, admin, outsider, django_capture_on_commit_callbacks
):
    _, path = services.create_link(
        actor=trainee,
        client=trainee_client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        _answer(web, path, phq=ITEM_NINE)
    alert = ClientRiskAlert.objects.get(client=trainee_client)
    assert set(alert.recipients.values_list("user", flat=True)) == {trainee.pk, supervisor.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([trainee.email, supervisor.email])
    for person in (colleague, admin, outsider):
        assert not Notification.objects.filter(recipient=person).exists()
        assert not ClientRiskAlert.objects.for_dashboard(person).exists()


def test_a_fully_qualified_clinicians_alert_does_not_go_to_their_supervisor(answered, supervisor):
    # The supervisor reads the clinician's caseload, but only a trainee's alerts are sent to them.
    assert not answered.recipients.filter(user=supervisor).exists()
    assert not ClientRiskAlert.objects.for_dashboard(supervisor).exists()


def test_the_alert_is_on_the_dashboard_until_acknowledged_with_a_note(answered, clinician, consenting_client, login):
    web = login(clinician)
    home = BeautifulSoup(web.get("/").content, "html.parser")
    section = home.find(id="client-alerts-title").parent
    assert consenting_client.display_name in section.get_text()
    assert section.find("a")["href"] == f"/clients/alerts/{answered.pk}/"
    page = web.get(f"/clients/{consenting_client.pk}/").content.decode()
    assert "Open client alert" in page

    empty = web.post(f"/clients/alerts/{answered.pk}/", {"note": "  "})
    assert empty.status_code == 200
    errors = BeautifulSoup(empty.content, "html.parser").select(".has-error .errors li")
    assert "acknowledged with a note" in errors[0].get_text()
    answered.refresh_from_db()
    assert answered.is_open

    done = web.post(f"/clients/alerts/{answered.pk}/", {"note": "Phoned her; safety plan agreed."})
    assert done.status_code == 302 and done["Location"] == f"/clients/{consenting_client.pk}/"
    answered.refresh_from_db()
    assert not answered.is_open and answered.acknowledged_by == clinician
    assert answered.acknowledgement == "Phoned her; safety plan agreed."
    assert BeautifulSoup(web.get("/").content, "html.parser").find(id="client-alerts-title") is None
    page = web.get(f"/clients/{consenting_client.pk}/").content.decode()
    assert "Open client alert" not in page
    assert "Phoned her; safety plan agreed." in page  # the history on the client page
    assert AccessLog.objects.filter(action="client_alert_acknowledge", actor=clinician).exists()
    assert ChangeRecord.objects.filter(table="participation_clientriskalert", row_id=str(answered.pk)).exists()


def test_acknowledging_needs_a_note(answered, clinician):
    with pytest.raises(ValidationError, match="note"):
        services.acknowledge_alert(actor=clinician, alert=answered, note="")
    answered.refresh_from_db()
    assert answered.is_open


def test_a_trainees_supervisor_may_acknowledge_it(web, trainee, trainee_client, supervisor):
    _, path = services.create_link(
        actor=trainee,
        client=trainee_client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    _answer(web, path, phq=ITEM_NINE)
    alert = ClientRiskAlert.objects.get(client=trainee_client)
    services.acknowledge_alert(actor=supervisor, alert=alert, note="Called the trainee; she saw the client today.")
    assert not ClientRiskAlert.objects.for_dashboard(trainee).exists()


def test_the_admin_reads_the_alert_but_does_not_acknowledge_it(answered, admin, login):
    web = login(admin)
    page = web.get(f"/clients/alerts/{answered.pk}/")
    assert page.status_code == 200 and b"<textarea" not in page.content
    assert web.post(f"/clients/alerts/{answered.pk}/", {"note": "Seen."}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.acknowledge_alert(actor=admin, alert=answered, note="Seen.")
    answered.refresh_from_db()
    assert answered.is_open


@pytest.mark.parametrize("role", ["colleague", "outsider"])
def test_someone_outside_the_caseload_gets_a_404_and_changes_nothing(answered, role, request, login):
    web = login(request.getfixturevalue(role))
    assert web.get(f"/clients/alerts/{answered.pk}/").status_code == 404
    assert web.post(f"/clients/alerts/{answered.pk}/", {"note": "Mine now."}).status_code == 404
    answered.refresh_from_db()
    assert answered.is_open


def test_an_acknowledged_alert_cannot_be_acknowledged_again(answered, clinician):
    services.acknowledge_alert(actor=clinician, alert=answered, note="Done.")
    with pytest.raises(ValidationError, match="already"):
        services.acknowledge_alert(actor=clinician, alert=answered, note="Again.")
    answered.refresh_from_db()
    assert answered.acknowledgement == "Done."


def test_the_alliance_is_rated_through_a_link_and_filed_as_the_clients(web, consenting_client, make_link, clinician):
    from progress.models import ClientAllianceRating

    _, path = make_link(consenting_client, codes=("phq9", "alliance"))
    verify(web, path)
    page = web.get(path + "answers/").content.decode()
    assert "I feel my therapist and I trust and understand each other" in page
    data = {**answers("phq9", [0] * 9), "alliance_bond": "4", "alliance_goals": "2", "alliance_tasks": "5"}
    missing = web.post(path + "answers/", {**answers("phq9", [0] * 9), "alliance_bond": "4"})
    assert missing.status_code == 200 and not ClientAllianceRating.objects.exists()
    assert "Choose a number from 1 to 5." in missing.content.decode()
    response = web.post(path + "answers/", {**data, "alliance_comment": "Sometimes I feel rushed."})
    assert response.status_code == 302
    rating = ClientAllianceRating.objects.get(client=consenting_client)
    assert (rating.bond, rating.goals, rating.tasks, rating.comment) == (4, 2, 5, "Sometimes I feel rushed.")
    link = ClientLink.objects.get(client=consenting_client)
    assert rating.source_link_id == link.pk and link.status == ClientLink.Status.DONE


def test_a_link_can_be_made_for_the_alliance_alone_but_not_for_an_unknown_questionnaire(consenting_client, make_link):
    link, _ = make_link(consenting_client, codes=("alliance",))
    assert link.measure_codes == ["alliance"]
    with pytest.raises(ValidationError, match="alliance rating"):
        make_link(consenting_client, codes=("phq9", "wai"))


def test_the_staff_form_offers_the_alliance(consenting_client, clinician, login):
    web = login(clinician)
    page = BeautifulSoup(web.get(f"/clients/{consenting_client.pk}/").content, "html.parser")
    assert page.select_one("input[name=measure_codes][value=alliance]") is not None
    response = web.post(
        f"/clients/{consenting_client.pk}/links/new/", {"measure_codes": ["alliance"], "delivery": "hand"}
    )
    assert response.status_code == 200
    assert ClientLink.objects.get(client=consenting_client).measure_codes == ["alliance"]
