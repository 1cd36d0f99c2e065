"""Techniques that explain themselves: built-in descriptions, the library, the intervention editor,
and the practice admin's own techniques."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied

from audit.models import AccessLog
from plans.library import services as library_services
from plans.models import InterventionTechnique
from tests.factories import make_plan

HX = {"HX-Request": "true"}


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s])


@pytest.fixture
def practice_technique(admin):
    return library_services.add_catalogue_entry(
        actor=admin, model=InterventionTechnique, name="Mentalization-based work", kind="psychodynamic"
    )


def test_every_built_in_technique_says_what_it_is_and_when_it_fits_after_migrate(db):
    built_in = InterventionTechnique.objects.filter(practice__isnull=True)
    assert built_in.filter(kind=InterventionTechnique.Kind.PSYCHODYNAMIC).count() >= 11
    for technique in built_in:
        assert 1 <= _sentences(technique.description) <= 3, technique.name
        assert 1 <= _sentences(technique.when_it_fits) <= 3, technique.name
        assert 2 <= _sentences(technique.description) + _sentences(technique.when_it_fits), technique.name


def test_the_library_page_shows_each_technique_with_what_it_is_and_when_it_fits(clinician, login):
    page = BeautifulSoup(login(clinician).get("/plans/library/").content, "html.parser")
    clarification = InterventionTechnique.objects.get(practice=None, name="Clarification")
    entry = page.find("details", id=f"technique-{clarification.pk}")
    assert entry.summary.get_text(" ", strip=True).startswith("Clarification")
    text = entry.get_text(" ", strip=True)
    assert clarification.description in text and clarification.when_it_fits in text
    assert [dt.get_text() for dt in entry.find_all("dt")] == ["What it is", "When it fits"]
    assert not entry.find("a"), "clinicians read the text; only the admin describes a practice technique"


def test_the_intervention_form_shows_the_chosen_techniques_description_beside_the_select(clinician, own_client, login):
    plan = make_plan(own_client)
    web = login(clinician)
    form = BeautifulSoup(web.get(f"/plans/{plan.pk}/intervention/add/", headers=HX).content, "html.parser")
    select = form.find("select", attrs={"name": "intervention-new-technique"})
    panel = select.find_parent("div", class_="field").find_next_sibling("div")
    assert "technique-about" in panel["class"]
    assert panel["hx-get"] == "/plans/library/techniques/about/"
    assert panel["hx-include"] == f"#{select['id']}"
    assert "Choose a technique" in panel.get_text()

    # Choosing one asks the server for its text (the panel's htmx GET on change).
    transference = InterventionTechnique.objects.get(practice=None, name="Interpretation of transference")
    about = web.get(
        "/plans/library/techniques/about/",
        {"prefix": "intervention-new", "intervention-new-technique": transference.pk},
        headers=HX,
    ).content
    about = BeautifulSoup(about, "html.parser").get_text(" ", strip=True)
    assert transference.description in about and transference.when_it_fits in about

    # An intervention being edited shows its technique's text from the first render.
    intervention = plan.interventions.get()
    edit = BeautifulSoup(
        web.get(f"/plans/items/intervention/{intervention.pk}/edit/", headers=HX).content, "html.parser"
    )
    shown = edit.find("div", id=f"about-intervention-{intervention.pk}").get_text(" ", strip=True)
    assert intervention.technique.name == "Defense analysis"
    assert intervention.technique.description in shown


def test_the_technique_text_names_only_techniques_of_the_readers_practice(practice_technique, admin, outsider, login):
    library_services.describe_technique(
        actor=admin, technique=practice_technique, what_it_is="Our own way of working.", when_it_fits=""
    )
    web = login(outsider)
    about = web.get(
        "/plans/library/techniques/about/",
        {"prefix": "intervention-new", "intervention-new-technique": practice_technique.pk},
    )
    assert about.status_code == 200
    assert "Choose a technique" in about.content.decode()
    assert "Our own way" not in about.content.decode() and "Mentalization" not in about.content.decode()
    assert web.get("/plans/library/techniques/about/", {"prefix": "bad prefix!"}).status_code == 400
    assert web.get("/plans/library/techniques/about/", {"prefix": "i", "i-technique": "x1"}).status_code == 400


def test_the_admin_describes_a_practice_technique_that_the_library_then_shows(practice_technique, admin, login):
    web = login(admin)
    library = BeautifulSoup(web.get("/plans/library/").content, "html.parser")
    entry = library.find("details", id=f"technique-{practice_technique.pk}")
    assert "No description yet." in entry.get_text()
    link = entry.find("a")["href"]
    assert link == f"/plans/library/techniques/{practice_technique.pk}/describe/"
    response = web.post(
        link,
        {
            "description": "  Helping the client think about their own and others' minds.  ",
            "when_it_fits": "When feelings overwhelm the capacity to reflect.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/plans/library/#technique-{practice_technique.pk}"
    practice_technique.refresh_from_db()
    assert practice_technique.description == "Helping the client think about their own and others' minds."
    assert practice_technique.when_it_fits == "When feelings overwhelm the capacity to reflect."
    page = web.get("/plans/library/").content.decode()
    assert "When feelings overwhelm the capacity to reflect." in page
    entry = AccessLog.objects.get(action="technique_describe")
    assert (entry.actor_id, entry.object_id) == (admin.pk, str(practice_technique.pk))


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"description": "", "when_it_fits": "With anxious clients."}, "description", "Say what the technique is"),
        ({"description": "x" * 1501, "when_it_fits": ""}, "description", "at most 1500 characters"),
        ({"description": "Fine.", "when_it_fits": "y" * 1501}, "when_it_fits", "at most 1500 characters"),
    ],
)
def test_a_description_that_does_not_fit_is_refused_on_its_field(
    values, field, message, practice_technique, admin, login
):
    response = login(admin).post(f"/plans/library/techniques/{practice_technique.pk}/describe/", values)
    assert response.status_code == 200
    errors = BeautifulSoup(response.content, "html.parser").find("ul", id=f"id_{field}_error")
    assert message in errors.get_text()
    practice_technique.refresh_from_db()
    assert (practice_technique.description, practice_technique.when_it_fits) == ("", "")


@pytest.mark.parametrize("role", ["clinician", "supervisor", "outsider"])
def test_only_the_practice_admin_describes_the_practices_techniques(role, request, practice_technique, login):
    web = login(request.getfixturevalue(role))
    url = f"/plans/library/techniques/{practice_technique.pk}/describe/"
    assert web.get(url).status_code == 404
    assert web.post(url, {"description": "Taken over.", "when_it_fits": ""}).status_code == 404
    practice_technique.refresh_from_db()
    assert practice_technique.description == ""


def test_another_practices_admin_cannot_describe_our_technique(practice_technique, other_practice, login):
    from tests.factories import staff

    web = login(staff(other_practice, is_practice_admin=True))
    url = f"/plans/library/techniques/{practice_technique.pk}/describe/"
    assert web.post(url, {"description": "Taken over.", "when_it_fits": ""}).status_code == 404
    practice_technique.refresh_from_db()
    assert practice_technique.description == ""


def test_built_in_descriptions_are_not_the_practices_to_rewrite(admin, login):
    clarification = InterventionTechnique.objects.get(practice=None, name="Clarification")
    before = clarification.description
    web = login(admin)
    url = f"/plans/library/techniques/{clarification.pk}/describe/"
    assert web.post(url, {"description": "Ours now.", "when_it_fits": ""}).status_code == 404
    clarification.refresh_from_db()
    assert clarification.description == before
    with pytest.raises(PermissionDenied):
        library_services.describe_technique(actor=admin, technique=clarification, what_it_is="Ours.", when_it_fits="")
