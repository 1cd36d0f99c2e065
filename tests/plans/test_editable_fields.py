"""Each editor's field list is defined once, on its model, and every editor uses that list.

The form (the browser), the API's input serializers and `services.update_item` once spelled the
objective's fields out separately; a field added to one and not the others was silently dropped
by the service or refused by the API. These tests fail when an editor's fields drift from the
model's list.
"""

import pytest

from formulation.api.serializers import FormulationInputSerializer, FormulationSerializer
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans import forms, services
from plans.api import serializers as api
from plans.models import Goal, Intervention, Objective, TreatmentPlan

FORMS = {
    Goal: forms.GoalForm,
    Objective: forms.ObjectiveForm,
    Intervention: forms.InterventionForm,
    CoreConflict: forms.ConflictForm,
    DefenseObservation: forms.DefenseForm,
}
# model: (input serializer, create serializer, the create serializer's parent field, output serializer)
SERIALIZERS = {
    Goal: (api.GoalInputSerializer, api.GoalCreateSerializer, "plan", api.GoalSerializer),
    Objective: (api.ObjectiveInputSerializer, api.ObjectiveCreateSerializer, "goal", api.ObjectiveSerializer),
    Intervention: (
        api.InterventionInputSerializer,
        api.InterventionCreateSerializer,
        "plan",
        api.InterventionSerializer,
    ),
}


@pytest.mark.parametrize("model", list(FORMS), ids=lambda m: m.__name__)
def test_each_editable_field_is_a_field_of_its_model(model):
    for name in model.EDITABLE_FIELDS:
        assert model._meta.get_field(name).editable, name
    assert len(set(model.EDITABLE_FIELDS)) == len(model.EDITABLE_FIELDS)


@pytest.mark.parametrize("model", list(FORMS), ids=lambda m: m.__name__)
def test_the_form_edits_the_models_fields_in_their_order(model):
    assert [name for name in FORMS[model].base_fields if name != "version"] == list(model.EDITABLE_FIELDS)


@pytest.mark.parametrize("model", list(FORMS), ids=lambda m: m.__name__)
def test_update_item_changes_exactly_the_models_fields(model):
    plain, links = services.EDITABLE[model]
    assert set(plain) | set(links) == set(model.EDITABLE_FIELDS)
    assert not set(plain) & set(links)
    assert all(model._meta.get_field(name).many_to_many for name in links)


@pytest.mark.parametrize("model", list(SERIALIZERS), ids=lambda m: m.__name__)
def test_the_api_takes_and_shows_the_models_fields(model):
    edit, create, parent, output = SERIALIZERS[model]
    assert set(edit().fields) == set(model.EDITABLE_FIELDS)
    assert set(create().fields) == {parent, *model.EDITABLE_FIELDS}
    assert set(model.EDITABLE_FIELDS) <= set(output().fields)


def test_the_plan_details_editors_take_the_plans_detail_fields():
    assert [name for name in forms.PlanDetailsForm.base_fields if name != "version"] == list(
        TreatmentPlan.DETAIL_FIELDS
    )
    assert set(api.PlanUpdateSerializer().fields) == set(TreatmentPlan.DETAIL_FIELDS)
    assert set(TreatmentPlan.DETAIL_FIELDS) <= set(api.PlanSerializer().fields)


def test_the_formulation_editors_take_every_sections_fields():
    listed = [name for _, fields in Formulation.SECTIONS.values() for name in fields]
    assert list(Formulation.SECTION_FIELDS) == listed
    assert set(FormulationInputSerializer().fields) == set(listed)
    assert set(listed) <= set(FormulationSerializer().fields)
    for section, (_, fields) in Formulation.SECTIONS.items():
        form = forms.formulation_section_form(section)
        assert [name for name in form.base_fields if name != "version"] == fields
