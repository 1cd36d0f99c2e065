"""A template can be read before a plan is started from it: goals, objectives, interventions."""

import pytest
from bs4 import BeautifulSoup
from django.apps import apps

from plans.library import services as library_services
from plans.models import Intervention, InterventionTechnique, PlanTemplate, TreatmentPlan
from tests.factories import ClientFactory, make_plan


@pytest.fixture
def practice_template(admin, own_client):
    plan = make_plan(own_client, goals=1, objectives=1)
    return library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name="Home's own template",
        goals=library_services.template_texts_from_plan(plan),
        confirmed=True,
    )


def _text(response) -> str:
    return BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)


def test_the_preview_shows_the_templates_goals_objectives_and_interventions(clinician, own_client, login):
    template = PlanTemplate.objects.get(practice=None, name="Depression (psychodynamic)")
    response = login(clinician).get(f"/plans/library/templates/{template.pk}/preview/?for_client={own_client.pk}")
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    text = page.get_text(" ", strip=True)
    assert "Goal 1: Reduce reliance on maladaptive defenses" in text
    for objective in template.goals.get().objectives.all():
        assert objective.statement in text and objective.measure in text and objective.target in text
    assert "1.3 Connect repressed feelings to current mood" in text
    interventions = page.find("section", attrs={"aria-labelledby": "preview-interventions-title"})
    headings = [h.get_text(" ", strip=True) for h in interventions.find_all("h3")]
    assert headings == [
        "Supportive techniques Psychodynamic",
        "Defense analysis Psychodynamic",
        "Interpretation Psychodynamic",
    ]
    interpretation = InterventionTechnique.objects.get(practice=None, name="Interpretation")
    assert interpretation.description in text and interpretation.when_it_fits in text
    assert "serves objective 1.3" in text and "serves objectives 1.1, 1.2" in text
    start = page.find("a", string=lambda s: s and "from this template" in s)
    assert start["href"] == f"/plans/new/for-client/{own_client.pk}/?template={template.pk}"


def test_the_new_plan_page_offers_a_preview_of_each_template_it_can_start_from(
    clinician, own_client, practice_template, login
):
    web = login(clinician)
    page = BeautifulSoup(web.get(f"/plans/new/for-client/{own_client.pk}/").content, "html.parser")
    offered = {o["value"] for o in page.find("select", attrs={"name": "template"}).find_all("option") if o["value"]}
    previews = {a["href"] for a in page.select(".template-previews a")}
    assert previews == {f"/plans/library/templates/{pk}/preview/?for_client={own_client.pk}" for pk in offered}
    assert str(practice_template.pk) in offered

    # Back from a preview, that template is already chosen; starting stays the form's one act.
    back = BeautifulSoup(
        web.get(f"/plans/new/for-client/{own_client.pk}/?template={practice_template.pk}").content, "html.parser"
    )
    chosen = back.find("select", attrs={"name": "template"}).find("option", selected=True)
    assert chosen["value"] == str(practice_template.pk)


def test_another_practices_template_is_not_found_nor_chosen(practice_template, outsider, login):
    web = login(outsider)
    assert web.get(f"/plans/library/templates/{practice_template.pk}/preview/").status_code == 404
    their_client = ClientFactory(primary_clinician=outsider)
    page = web.get(f"/plans/new/for-client/{their_client.pk}/?template={practice_template.pk}").content.decode()
    assert "Home&#x27;s own template" not in page and "Home's own template" not in page
    assert f'value="{practice_template.pk}" selected' not in page


def test_a_retired_template_is_not_previewed_as_it_is_not_offered(practice_template, admin, clinician, login):
    library_services.set_template_active(actor=admin, template=practice_template, active=False)
    assert login(clinician).get(f"/plans/library/templates/{practice_template.pk}/preview/").status_code == 404


def test_the_preview_offers_the_start_only_for_a_client_the_reader_may_plan_for(
    clinician, colleague, own_client, login
):
    template = PlanTemplate.objects.get(practice=None, name="Psychodynamic core")
    url = f"/plans/library/templates/{template.pk}/preview/?for_client={own_client.pk}"
    page = login(colleague).get(url)
    assert page.status_code == 200
    assert own_client.display_name not in _text(page)
    assert "/plans/new/" not in page.content.decode()
    assert login(clinician).get(url.replace(str(own_client.pk), "x")).status_code == 200


def test_previewing_changes_nothing(clinician, own_client, login):
    template = PlanTemplate.objects.get(practice=None, name="Psychodynamic core")
    models = [
        apps.get_model(label)
        for label in (
            "plans.TreatmentPlan",
            "plans.Goal",
            "plans.Objective",
            "plans.Intervention",
            "plans.PlanTemplate",
            "plans.InterventionTemplate",
            "plans.ObjectiveTemplate",
        )
    ]
    before = [m.objects.count() for m in models]
    web = login(clinician)
    assert web.get(f"/plans/library/templates/{template.pk}/preview/?for_client={own_client.pk}").status_code == 200
    assert web.post(f"/plans/library/templates/{template.pk}/preview/").status_code == 405
    assert [m.objects.count() for m in models] == before


def test_starting_from_a_template_copies_the_interventions_the_preview_showed(clinician, own_client, login):
    template = PlanTemplate.objects.get(practice=None, name="Anxiety with relationship difficulties")
    web = login(clinician)
    response = web.post(
        f"/plans/new/for-client/{own_client.pk}/",
        {"template": template.pk, "start_date": "2026-11-30", "review_interval": 3},
    )
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(client=own_client)
    copied = [
        (i.technique.name, i.frequency, sorted(o.statement for o in i.objectives.all()))
        for i in Intervention.objects.filter(plan=plan).order_by("order")
    ]
    assert copied == [
        ("Clarification", "each session", ["Identify recurring themes in conflicts"]),
        (
            "Interpretation of transference",
            "when closeness in therapy stirs anxiety",
            ["Explore early experiences with caregivers", "Recognize defenses used to avoid intimacy"],
        ),
        ("Supportive techniques", "while anxiety runs high", ["Reduce anxiety symptoms"]),
    ]
    assert all(o.goal.plan_id == plan.pk for i in plan.interventions.all() for o in i.objectives.all())
