"""The formulation's editors take the fields its models list once (see tests/plans/test_editable_fields.py)."""

import pytest

from formulation import forms
from formulation.api.serializers import FormulationInputSerializer, FormulationSerializer
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.editor import services as plan_services


@pytest.mark.parametrize("model", [CoreConflict, DefenseObservation], ids=lambda m: m.__name__)
def test_the_form_edits_the_models_fields_in_their_order(model):
    form = {CoreConflict: forms.ConflictForm, DefenseObservation: forms.DefenseForm}[model]
    assert [name for name in form.base_fields if name != "version"] == list(model.EDITABLE_FIELDS)


@pytest.mark.parametrize("model", [CoreConflict, DefenseObservation], ids=lambda m: m.__name__)
def test_the_formulation_items_update_sets_every_editable_field_and_they_hold_no_links(model):
    # formulation.services.update_item sets each of EDITABLE_FIELDS in place; a many-to-many link
    # would need setting apart after the save, as the plan's update_item does.
    assert not any(model._meta.get_field(name).many_to_many for name in model.EDITABLE_FIELDS)
    assert model not in plan_services.EDITABLE


def test_the_formulation_editors_take_every_sections_fields():
    listed = [name for _, fields in Formulation.SECTIONS.values() for name in fields]
    assert list(Formulation.SECTION_FIELDS) == listed
    assert set(FormulationInputSerializer().fields) == set(listed)
    assert set(listed) <= set(FormulationSerializer().fields)
    for section, (_, fields) in Formulation.SECTIONS.items():
        form = forms.section_form(section)
        assert [name for name in form.base_fields if name != "version"] == fields
