"""Starting a plan for a client who already has one in play warns and points to amending it;
a separate plan takes a deliberate tick."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from tests.factories import make_plan


@pytest.fixture
def active_plan(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))


def _start_url(client):
    return reverse("plans:create", args=[client.pk])


def _warning(response):
    return BeautifulSoup(response.content, "html.parser").select_one(".planstart-open")


def test_a_client_without_a_plan_gets_the_plain_form_without_warning_or_tick(clinician, own_client, login):
    response = login(clinician).get(_start_url(own_client))
    assert _warning(response) is None
    assert "separate_plan" not in response.context["form"].fields


def test_the_new_plan_page_warns_of_the_active_plan_and_offers_to_amend_it(clinician, own_client, active_plan, login):
    response = login(clinician).get(_start_url(own_client))
    warning = _warning(response)
    assert warning is not None
    text = " ".join(warning.get_text().split())
    assert f"already has plan v{active_plan.version_number} (active)" in text
    assert warning.find("a", href=reverse("plans:detail", args=[active_plan.pk]))
    amend = warning.find("form", action=reverse("plans:amend", args=[active_plan.pk]))
    assert amend is not None
    assert f"Amend plan v{active_plan.version_number}" in amend.get_text()


def test_a_draft_in_play_is_named_with_a_link_and_no_amend_button(clinician, own_client, login):
    draft = make_plan(own_client)
    warning = _warning(login(clinician).get(_start_url(own_client)))
    assert "(draft)" in warning.get_text()
    assert warning.find("a", href=reverse("plans:detail", args=[draft.pk]))
    assert warning.find("form") is None


def test_the_amend_button_amends_the_active_plan(clinician, own_client, active_plan, login):
    web = login(clinician)
    page = BeautifulSoup(web.get(_start_url(own_client)).content, "html.parser")
    amend = page.select_one(".planstart-open form")
    data = {i["name"]: i.get("value", "") for i in amend.find_all("input") if i.get("name")}
    response = web.post(amend["action"], data)
    amendment = TreatmentPlan.objects.get(previous_version=active_plan)
    assert response["Location"] == reverse("plans:detail", args=[amendment.pk])


def test_a_second_plan_without_the_tick_is_a_field_error_and_creates_nothing(clinician, own_client, active_plan, login):
    web = login(clinician)
    response = web.post(_start_url(own_client), {"start_date": "2026-11-30", "review_interval": 3})
    assert response.status_code == 200
    assert "tick this box" in str(response.context["form"].errors["separate_plan"])
    assert TreatmentPlan.objects.filter(client=own_client).count() == 1


def test_a_second_plan_with_the_tick_is_started(clinician, own_client, active_plan, login):
    web = login(clinician)
    data = {"start_date": "2026-11-30", "review_interval": 3, "separate_plan": "on"}
    response = web.post(_start_url(own_client), data)
    second = TreatmentPlan.objects.filter(client=own_client).exclude(pk=active_plan.pk).get()
    assert response["Location"] == reverse("plans:detail", args=[second.pk])
    assert second.status == TreatmentPlan.Status.DRAFT
