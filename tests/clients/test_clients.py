import pytest
from bs4 import BeautifulSoup

from clients.models import Client, PresentingProblem
from tests.factories import ClientFactory

NEW_CLIENT = {
    "given_name": "Taylor",
    "family_name": "Invented",
    "preferred_name": "",
    "date_of_birth": "1992-02-29",
    "chart_number": "N-0001",
    "intake_date": "2026-10-01",
    "email": "",
    "phone": "",
    "address": "",
}


def test_clinician_opens_a_client_on_their_own_caseload(clinician, login):
    web = login(clinician)
    response = web.post("/clients/new/", NEW_CLIENT)
    client = Client.objects.get(chart_number="N-0001")
    assert response["Location"] == f"/clients/{client.pk}/"
    assert client.primary_clinician == clinician
    assert client.practice == clinician.membership.practice


def test_chart_number_in_use_gives_a_field_error_and_keeps_the_input(clinician, own_client, login):
    web = login(clinician)
    response = web.post("/clients/new/", NEW_CLIENT | {"chart_number": own_client.chart_number.lower()})
    assert response.status_code == 200
    form = response.context["form"]
    assert "already in use" in form.errors["chart_number"][0]
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("input", {"name": "given_name"})["value"] == "Taylor"
    assert Client.objects.count() == 1


def test_the_same_chart_number_is_allowed_in_another_practice(clinician, outsider, login):
    ClientFactory(primary_clinician=outsider, chart_number="N-0001")
    web = login(clinician)
    assert web.post("/clients/new/", NEW_CLIENT).status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # Outside the range every date keeps (core/dates.py), the shared message answers first.
        ("date_of_birth", "1850-01-01", "between 1900-01-01 and 2200-12-31"),
        ("date_of_birth", "2099-01-01", "between 1900 and today"),
        ("given_name", "x" * 151, "at most 150 characters"),
        ("given_name", "", "required"),
        ("intake_date", "not-a-date", "valid date"),
    ],
)
def test_bad_client_input_gets_a_field_level_message_and_saves_nothing(clinician, login, field, value, message):
    web = login(clinician)
    response = web.post("/clients/new/", NEW_CLIENT | {field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Client.objects.exists()


def test_script_typed_into_a_name_is_shown_as_text(clinician, login):
    web = login(clinician)
    web.post("/clients/new/", NEW_CLIENT | {"preferred_name": "<script>alert(1)</script>"})
    client = Client.objects.get()
    page = web.get(f"/clients/{client.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_second_of_two_concurrent_edits_is_refused_and_shows_both_texts(clinician, own_client, login):
    web = login(clinician)
    stale_version = own_client.version
    form = {
        "given_name": own_client.given_name,
        "family_name": own_client.family_name,
        "date_of_birth": "1990-05-17",
        "chart_number": own_client.chart_number,
        "intake_date": "2026-09-01",
        "version": stale_version,
    }
    assert web.post(f"/clients/{own_client.pk}/edit/", form | {"phone": "555-0101"}).status_code == 302
    response = web.post(f"/clients/{own_client.pk}/edit/", form | {"phone": "555-0202"})
    assert response.status_code == 200
    own_client.refresh_from_db()
    assert own_client.phone == "555-0101"
    soup = BeautifulSoup(response.content, "html.parser")
    assert "555-0101" in soup.select_one(".conflict").get_text()
    assert soup.find("input", {"name": "phone"})["value"] == "555-0202"


def test_discharge_archives_without_deleting(clinician, own_client, login):
    web = login(clinician)
    response = web.post(
        f"/clients/{own_client.pk}/discharge/", {"discharged_on": "2026-11-20", "discharge_reason": "Goals met"}
    )
    assert response.status_code == 302
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.DISCHARGED
    listed = web.get("/clients/").content.decode()
    assert own_client.chart_number not in listed
    assert own_client.chart_number in web.get("/clients/?status=discharged").content.decode()


def test_discharge_requires_a_reason(clinician, own_client, login):
    web = login(clinician)
    response = web.post(f"/clients/{own_client.pk}/discharge/", {"discharged_on": "2026-11-20", "discharge_reason": ""})
    assert response.status_code == 200
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.ACTIVE


def test_client_list_search_finds_by_name_and_chart_number(clinician, login):
    ClientFactory(primary_clinician=clinician, given_name="Findable", chart_number="Q-1")
    ClientFactory(primary_clinician=clinician, given_name="Other", chart_number="Q-2")
    web = login(clinician)
    assert "Findable" in web.post("/clients/", {"q": "findab"}).content.decode()
    assert "Other" not in web.post("/clients/", {"q": "findab"}).content.decode()
    partial = web.post("/clients/", {"q": "Q-2"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "Other" in partial.content.decode()


def test_client_search_term_never_appears_in_a_url(clinician, login):
    ClientFactory(primary_clinician=clinician, given_name="Findable")
    web = login(clinician)
    page = BeautifulSoup(web.get("/clients/").content, "html.parser")
    search = page.find("input", attrs={"name": "q"})
    form = search.find_parent("form")
    assert form["method"] == "post" and "hx-post" in form.attrs and "hx-get" not in form.attrs
    assert "hx-push-url" not in form.attrs
    assert web.get("/clients/?q=nomatch-xyz").context["q"] == "", "a query-string search is ignored"


def test_presenting_problem_with_a_malformed_diagnosis_code_is_refused(clinician, own_client, login):
    web = login(clinician)
    data = {"title": "Worry", "clients_words": "I worry.", "severity": "mild", "diagnosis_code": "41.1X"}
    response = web.post(f"/clients/{own_client.pk}/problems/new/", data)
    assert response.status_code == 200
    assert "ICD-10-CM" in response.context["form"].errors["diagnosis_code"][0]
    assert not PresentingProblem.objects.exists()
    response = web.post(f"/clients/{own_client.pk}/problems/new/", data | {"diagnosis_code": "f41.1"})
    assert response.status_code == 302
    assert PresentingProblem.objects.get().diagnosis_code == "F41.1"
