"""The staff side: the "Client links" part of the client page, making a link (shown once) and revoking
one, for each role; and the client's consent to electronic contact on the client form."""

import datetime as dt
import re

import pytest
from django.core import mail

from audit.models import AccessLog
from participation.models import ClientLink
from tests.participation.conftest import BIRTHDAY

CREATE = {"measure_codes": ["phq9", "gad7"], "delivery": ClientLink.Delivery.HAND}


def _form_id(html: str) -> str:
    return re.search(r'name="form_id" value="([^"]+)"', html).group(1)


# role -> (sees the client page's links, may make and revoke links: the door's answer for the clinician's client)
MATRIX = {
    "clinician": (200, 200, 302),
    "colleague": (404, 404, 404),
    "supervisor": (200, 403, 403),
    "admin": (200, 403, 403),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_the_role_by_action_matrix_of_the_staff_routes(request, role, login, clinician, consenting_client, make_link):
    page, create, revoke = MATRIX[role]
    user = request.getfixturevalue(role)
    link, _ = make_link(consenting_client)
    web = login(user)
    response = web.get(f"/clients/{consenting_client.pk}/")
    assert response.status_code == page
    if page == 200:
        assert "Client links" in response.content.decode()
    assert web.post(f"/clients/{consenting_client.pk}/links/new/", CREATE).status_code == create
    assert web.post(f"/clients/links/{link.pk}/revoke/").status_code == revoke
    link.refresh_from_db()
    assert link.status == (ClientLink.Status.REVOKED if revoke == 302 else ClientLink.Status.OPEN)
    assert ClientLink.objects.count() == (2 if create == 200 else 1)


def test_hand_to_client_shows_the_url_once_and_the_client_page_never_again(login, clinician, consenting_client):
    web = login(clinician)
    page = web.get(f"/clients/{consenting_client.pk}/").content.decode()
    response = web.post(
        f"/clients/{consenting_client.pk}/links/new/",
        {**CREATE, "form_id": _form_id(page.split('id="client-links"')[1])},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    (path,) = set(re.findall(r"/c/[A-Za-z0-9_-]{43}/", response.content.decode()))
    assert path not in web.get(f"/clients/{consenting_client.pk}/").content.decode()
    # The URL cannot be replayed (it is not kept), so the same form sent again makes a second link with
    # its own URL; the first stays on the list, where it can be revoked.
    again = web.post(
        f"/clients/{consenting_client.pk}/links/new/",
        {**CREATE, "form_id": _form_id(page.split('id="client-links"')[1])},
    )
    assert path not in again.content.decode() and ClientLink.objects.count() == 2
    # It opens for the client.
    web.logout()
    assert web.post(path, {"date_of_birth": BIRTHDAY.isoformat()}).status_code == 302


def test_send_by_email_without_consent_is_refused_with_a_message_and_makes_nothing(login, clinician, own_client):
    web = login(clinician)
    response = web.post(
        f"/clients/{own_client.pk}/links/new/", {**CREATE, "delivery": ClientLink.Delivery.EMAIL}, follow=True
    )
    assert "not consented to electronic contact" in response.content.decode()
    assert not ClientLink.objects.exists() and not mail.outbox


def test_send_by_email_goes_through_the_outbox(login, clinician, consenting_client, django_capture_on_commit_callbacks):
    from core.models import OutboxMessage

    web = login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/clients/{consenting_client.pk}/links/new/", {**CREATE, "delivery": "email"})
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(task="participation.tasks.send_client_link", sent_at__isnull=False).exists()
    assert len(mail.outbox) == 1
    assert AccessLog.objects.filter(action="client_link_send", client_id=consenting_client.pk).exists()


def test_the_client_page_lists_links_with_their_status(login, clinician, consenting_client, make_link):
    from participation import services

    make_link(consenting_client)
    revoked, _ = make_link(consenting_client, codes=("gad7",))
    services.revoke_link(actor=clinician, link=revoked)
    page = login(clinician).get(f"/clients/{consenting_client.pk}/").content.decode()
    assert "Revoked" in page and "Open" in page and "GAD-7" in page


def test_an_invalid_create_is_a_message_not_a_500(login, clinician, consenting_client):
    web = login(clinician)
    response = web.post(f"/clients/{consenting_client.pk}/links/new/", {"measure_codes": ["nope"]}, follow=True)
    assert response.status_code == 200 and "Choose at least one questionnaire" in response.content.decode()


def _edit_post(client, **extra):
    return {
        "given_name": client.given_name,
        "family_name": client.family_name,
        "date_of_birth": client.date_of_birth.isoformat(),
        "chart_number": client.chart_number,
        "intake_date": client.intake_date.isoformat(),
        "email": "c@example.org",
        "version": client.version,
        **extra,
    }


def test_consent_to_electronic_contact_is_recorded_with_its_date_and_who_recorded_it(login, clinician, own_client):
    web = login(clinician)
    assert web.post(f"/clients/{own_client.pk}/edit/", _edit_post(own_client, contact_consent="on")).status_code == 302
    own_client.refresh_from_db()
    assert own_client.contact_consent_on == own_client.practice.today()
    assert own_client.contact_consent_recorded_by == clinician
    assert "Consented on" in web.get(f"/clients/{own_client.pk}/").content.decode()
    # Saving again keeps the original date; unticking withdraws it.
    own_client.contact_consent_on = dt.date(2026, 1, 2)
    own_client.save()
    web.post(f"/clients/{own_client.pk}/edit/", _edit_post(own_client, contact_consent="on"))
    own_client.refresh_from_db()
    assert own_client.contact_consent_on == dt.date(2026, 1, 2)
    web.post(f"/clients/{own_client.pk}/edit/", _edit_post(own_client))
    own_client.refresh_from_db()
    assert own_client.contact_consent_on is None and own_client.contact_consent_recorded_by is None
