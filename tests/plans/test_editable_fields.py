"""Each editor's field list is defined once, on its model, and every editor uses that list.

The form (the browser), the API's input serializers and the services' `update_item` once spelled the
objective's fields out separately; a field added to one and not the others was silently dropped
by the service or refused by the API. These tests fail when an editor's fields drift from the
model's list.
"""

import pytest

from formulation import forms as formulation_forms
from formulation.models import CoreConflict, DefenseObservation
from plans.api import serializers as api
from plans.editor import forms, services
from plans.models import Goal, Intervention, Objective, TreatmentPlan

FORMS = {
    Goal: forms.GoalForm,
    Objective: forms.ObjectiveForm,
    Intervention: forms.InterventionForm,
    CoreConflict: formulation_forms.ConflictForm,
    DefenseObservation: formulation_forms.DefenseForm,
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


@pytest.mark.parametrize("model", list(services.EDITABLE), ids=lambda m: m.__name__)
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


def _by_lineage(model, plan):
    parent = {Objective: "goal__plan", CoreConflict: "formulation__plan", DefenseObservation: "formulation__plan"}
    return {item.lineage: item for item in model.objects.current().filter(**{parent.get(model, "plan"): plan})}


def _editable_values(item) -> dict:
    values = {}
    for name in type(item).EDITABLE_FIELDS:
        field = type(item)._meta.get_field(name)
        if field.many_to_many:
            # Linked items are copies in the amendment: the same lineage stands for the same item.
            related = getattr(item, name).all()
            values[name] = sorted(str(getattr(r, "lineage", r.pk)) for r in related)
        else:
            values[name] = getattr(item, field.attname)
    return values


def test_an_amendment_starts_with_every_editable_field_of_every_item_as_signed(own_client, clinician):
    from plans.lifecycle import transitions
    from plans.models import MeasureDefinition
    from tests.factories import make_plan

    plan = make_plan(own_client)
    objective = Objective.objects.get(goal__plan=plan)
    services.update_item(
        actor=clinician,
        item=objective,
        expected_version=objective.version,
        values={
            "bound_measure": MeasureDefinition.objects.get(code="phq9"),
            "bound_comparator": "lt",
            "bound_threshold": 10,
            "baseline": "PHQ-9 of 17",
        },
    )
    active = transitions.submit_plan(actor=clinician, plan=plan)
    amendment = transitions.amend_plan(actor=clinician, plan=active)

    for model in FORMS:
        signed, copied = _by_lineage(model, active), _by_lineage(model, amendment)
        assert signed and signed.keys() == copied.keys(), model.__name__
        for lineage, item in signed.items():
            assert _editable_values(copied[lineage]) == _editable_values(item), model.__name__
    assert Objective.objects.get(goal__plan=amendment).bound_threshold == 10
