"""Who reads the formulation's countertransference on the plan's pages and through the API.

The rule is accounts.policy's (the READ_COUNTERTRANSFERENCE actions): on the plan page and the
version comparison, the author (who writes it) and the author's current supervisors (supervision
is its purpose), not the practice admin; through the API, the author only, the field left out for
everyone else.
"""

import pytest
from bs4 import BeautifulSoup

from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from tests.factories import make_plan
from tests.records.test_supervision_copy import PRIVATE, TRANSFERENCE, write_countertransference

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return write_countertransference(make_plan(own_client))


def _section(page: bytes):
    return BeautifulSoup(page, "html.parser").find(
        lambda tag: tag.name in ("form", "div") and tag.find("h3", string="Transference and countertransference")
    )


@pytest.mark.parametrize(
    ("role", "reads"), [("clinician", True), ("supervisor", True), ("admin", False)], ids=lambda v: str(v)
)
def test_the_plan_page_shows_it_to_the_author_and_supervisors_and_not_to_the_admin(role, reads, plan, request, login):
    web = login(request.getfixturevalue(role))
    page = web.get(f"/plans/{plan.pk}/")
    assert page.status_code == 200
    section = _section(page.content)
    assert TRANSFERENCE in section.get_text(), "the rest of the section shows to every reader"
    assert (PRIVATE in page.content.decode()) is reads
    assert ("Countertransference" in section.get_text()) is reads
    links = [a["href"] for a in BeautifulSoup(page.content, "html.parser").select(".plan-records a")]
    assert (f"/plans/{plan.pk}/pdf/?audience=supervision" in links) is reads


def test_the_author_edits_it_and_is_told_it_is_private(plan, clinician, login):
    web = login(clinician)
    section = _section(web.get(f"/plans/{plan.pk}/").content)
    field = section.find("textarea", attrs={"name": "transference-countertransference"})
    assert field is not None and PRIVATE in field.get_text()
    assert "left out of the PDF record" in section.find(id=f"{field['id']}_helptext").get_text()
    saved = web.post(
        f"/plans/{plan.pk}/formulation/transference/",
        {
            "transference-transference": TRANSFERENCE,
            "transference-countertransference": "Now: boredom",
            "transference-resistance": "",
            "transference-version": plan.formulation.section_version("transference"),
        },
        headers=HX,
    )
    assert "Saved at" in saved.content.decode()
    plan.formulation.refresh_from_db()
    assert plan.formulation.countertransference == "Now: boredom"


def test_an_editor_who_is_not_the_author_neither_sees_nor_overwrites_it(plan, clinician, colleague, login):
    """The plan's author is someone else (the caseload moved outside the app): the client's clinician
    edits the draft, but the form leaves the private field out and saving keeps its text."""
    TreatmentPlan.objects.filter(pk=plan.pk).update(author=colleague)
    web = login(clinician)
    page = web.get(f"/plans/{plan.pk}/")
    assert PRIVATE not in page.content.decode()
    assert _section(page.content).find("textarea", attrs={"name": "transference-countertransference"}) is None
    saved = web.post(
        f"/plans/{plan.pk}/formulation/transference/",
        {
            "transference-transference": "Edited by the new clinician",
            "transference-resistance": "",
            "transference-version": plan.formulation.section_version("transference"),
        },
        headers=HX,
    )
    assert "Saved at" in saved.content.decode()
    plan.formulation.refresh_from_db()
    assert plan.formulation.transference == "Edited by the new clinician"
    assert plan.formulation.countertransference == PRIVATE


@pytest.mark.parametrize(
    ("role", "reads"), [("clinician", True), ("supervisor", True), ("admin", False)], ids=lambda v: str(v)
)
def test_the_version_comparison_shows_its_change_only_to_those_who_read_it(
    role, reads, plan, clinician, request, login
):
    v1 = transitions.submit_plan(actor=clinician, plan=plan)
    v2 = write_countertransference(transitions.amend_plan(actor=clinician, plan=v1), "Since the break: envy")
    page = login(request.getfixturevalue(role)).get(f"/plans/{v2.pk}/compare/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Formulation: Transference and countertransference" in body, "the change is never silently dropped"
    assert (PRIVATE in body and "Since the break: envy" in body) is reads
    assert ("private working material, not shown" in body) is not reads


@pytest.mark.parametrize(
    ("role", "reads"),
    [("clinician", True), ("supervisor", False), ("admin", False)],
    ids=lambda v: str(v),
)
def test_the_api_returns_it_to_the_author_only_and_leaves_it_out_for_others(role, reads, plan, request, api):
    caller = api(request.getfixturevalue(role))
    one = caller.get(f"/api/v1/formulations/{plan.formulation.pk}/")
    listed = caller.get(f"/api/v1/formulations/?plan={plan.pk}")
    assert one.status_code == 200 and listed.status_code == 200
    for body in (one.json(), listed.json()["results"][0]):
        assert body["transference"] == TRANSFERENCE
        assert ("countertransference" in body) is reads
        if reads:
            assert body["countertransference"] == PRIVATE
    assert (PRIVATE in one.content.decode() + listed.content.decode()) is reads


def test_the_authors_api_change_answers_with_it(plan, clinician, api):
    caller = api(clinician)
    etag = caller.get(f"/api/v1/formulations/{plan.formulation.pk}/")["ETag"]
    response = caller.patch(
        f"/api/v1/formulations/{plan.formulation.pk}/",
        {"countertransference": "Sleepy in sessions"},
        format="json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    assert response.json()["countertransference"] == "Sleepy in sessions"
    assert response.json()["transference"] == TRANSFERENCE


def test_the_schema_documents_the_field_as_optional_and_private(api, clinician):
    schema = api(clinician).get("/api/schema/?format=json").json()
    formulation = schema["components"]["schemas"]["Formulation"]
    assert "countertransference" in formulation["properties"]
    assert "countertransference" not in formulation.get("required", [])
    assert "author" in formulation["properties"]["countertransference"]["description"]
