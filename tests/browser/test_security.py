import pytest
from playwright.sync_api import expect

from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_and_editor_work_under_the_csp_and_names_stay_out_of_the_url(page, sign_in, clinician, axe):
    ClientFactory(primary_clinician=clinician, given_name="Searchable", family_name="Person")
    ClientFactory(primary_clinician=clinician, given_name="Hidden", family_name="Other")
    plan = make_plan(ClientFactory(primary_clinician=clinician))
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, clinician)
    page.goto("/clients/")
    page.get_by_label("Search by name or chart number").fill("Searcha")
    expect(page.get_by_role("link", name="Searchable Person")).to_be_visible()
    expect(page.get_by_role("link", name="Hidden Other")).to_have_count(0)
    assert "Searcha" not in page.url
    axe(page, "client list filtered by a search")
    page.goto(f"/plans/{plan.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations == []
