import pytest

from formulation.models import DefenseMechanism
from plans.models import InterventionTechnique, PlanTemplate
from tests.factories import make_plan


def _publish(admin, plan, name):
    from plans.library import services as library_services

    return library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name=name,
        goals=library_services.template_texts_from_plan(plan),
        confirmed=True,
    )


def test_admin_saves_a_plan_as_a_practice_template_that_clinicians_can_start_from(admin, clinician, own_client, login):
    plan = make_plan(own_client, goals=2, objectives=2)
    web = login(admin)
    form = web.get(f"/plans/{plan.pk}/save-as-template/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    response = web.post(f"/plans/{plan.pk}/save-as-template/", {**data, "name": "Our intimacy plan", "confirmed": "on"})
    assert response.status_code == 302
    template = PlanTemplate.objects.get(name="Our intimacy plan")
    assert template.practice == own_client.practice
    assert [g.statement for g in template.goals.all()] == ["Goal 1", "Goal 2"]
    assert template.goals.first().objectives.first().months_to_target == 4
    assert PlanTemplate.objects.available_to(clinician.membership.practice_id).filter(pk=template.pk).exists()


def test_another_practice_never_sees_the_template(admin, outsider, own_client):
    template = _publish(admin, make_plan(own_client), "Private to Home")
    assert not PlanTemplate.objects.available_to(outsider.membership.practice_id).filter(pk=template.pk).exists()


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
def test_only_admins_save_templates(role, request, own_client, login):
    plan = make_plan(own_client)
    web = login(request.getfixturevalue(role))
    assert web.post(f"/plans/{plan.pk}/save-as-template/", {"name": "Nope"}).status_code == 404
    assert not PlanTemplate.objects.filter(name="Nope").exists()


def test_admin_extends_the_catalogues_for_their_practice_only(admin, outsider, login):
    web = login(admin)
    web.post(
        "/plans/library/technique/add/",
        {"technique-name": "Mentalization-based work", "technique-kind": "psychodynamic"},
    )
    web.post("/plans/library/defense/add/", {"defense-name": "Somatization", "defense-level": 1})
    home = admin.membership.practice_id
    assert InterventionTechnique.objects.available_to(home).filter(name="Mentalization-based work").exists()
    assert DefenseMechanism.objects.available_to(home).filter(name="Somatization").exists()
    elsewhere = outsider.membership.practice_id
    assert not InterventionTechnique.objects.available_to(elsewhere).filter(name="Mentalization-based work").exists()


def test_a_duplicate_catalogue_name_is_refused_with_a_message(admin, login):
    web = login(admin)
    response = web.post(
        "/plans/library/technique/add/",
        {"technique-name": "dream analysis", "technique-kind": "psychodynamic"},
        follow=True,
    )
    assert "already in the catalogue" in response.content.decode()
    assert InterventionTechnique.objects.filter(name__iexact="dream analysis").count() == 1


def test_library_page_lists_built_in_templates_for_everyone(clinician, login):
    page = login(clinician).get("/plans/library/").content.decode()
    assert "Psychodynamic core" in page and "Depression (psychodynamic)" in page
    assert "New intervention technique" not in page


def test_admin_adds_a_custom_measure_that_clinicians_can_record(admin, clinician, own_client, login):
    from plans.lifecycle import transitions
    from plans.models import MeasureDefinition
    from progress.models import MeasureScore
    from progress.services import record_measure

    web = login(admin)
    web.post(
        "/plans/library/measure/add/",
        {
            "measure-name": "Sleep quality",
            "measure-min_score": 0,
            "measure-max_score": 10,
            "measure-direction": "higher",
        },
    )
    measure = MeasureDefinition.objects.get(name="Sleep quality")
    assert (measure.practice_id, measure.code, measure.item_count) == (own_client.practice_id, "sleep-quality", 0)
    transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    record_measure(
        actor=clinician, client=own_client, definition=measure, recorded_on=own_client.practice.today(), total=7
    )
    assert MeasureScore.objects.get(definition=measure).total == 7
    response = web.post(
        "/plans/library/measure/add/",
        {"measure-name": "Backwards", "measure-min_score": 5, "measure-max_score": 1, "measure-direction": "lower"},
        follow=True,
    )
    assert "highest score must be above" in response.content.decode()
