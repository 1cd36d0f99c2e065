"""A practice adds its own service types in the library; its clinicians record sessions with them
and nobody else sees them."""

from notes.forms import SessionForm
from notes.models import ServiceType


def test_an_admin_adds_a_service_type_that_only_their_practices_session_form_offers(admin, outsider, login):
    web = login(admin)
    web.post("/plans/library/service/add/", {"service-name": "Parent consultation"})
    home, elsewhere = admin.membership.practice_id, outsider.membership.practice_id
    added = ServiceType.objects.get(name="Parent consultation")
    assert (added.practice_id, added.code) == (home, "parent-consultation")
    assert "Parent consultation" in web.get("/plans/library/").content.decode()
    assert added in SessionForm(practice_id=home).fields["service_type"].queryset
    assert added not in SessionForm(practice_id=elsewhere).fields["service_type"].queryset


def test_a_clinician_cannot_add_a_service_type(clinician, login):
    response = login(clinician).post("/plans/library/service/add/", {"service-name": "Walk and talk"})
    assert response.status_code == 404
    assert not ServiceType.objects.filter(name="Walk and talk").exists()


def test_a_built_in_service_type_name_is_refused_with_a_message(admin, login):
    response = login(admin).post("/plans/library/service/add/", {"service-name": "individual"}, follow=True)
    assert "already in the catalogue" in response.content.decode()
    assert ServiceType.objects.filter(name__iexact="individual").count() == 1
