from django import forms

from core.editing import ServiceValidatedForm
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation


def section_form(section: str):
    fields = Formulation.SECTIONS[section][1]
    widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields if name != "attachment_pattern"}
    return forms.modelform_factory(Formulation, form=ServiceValidatedForm, fields=fields, widgets=widgets)


def section_forms(formulation: Formulation) -> list[tuple[str, str, forms.ModelForm]]:
    """(key, title, form) of every section, as the plan page shows them (forms to the author, text to readers)."""
    return [
        (
            key,
            title,
            section_form(key)(instance=formulation, prefix=key, initial={"version": formulation.section_version(key)}),
        )
        for key, (title, _) in Formulation.SECTIONS.items()
    ]


class ConflictForm(ServiceValidatedForm):
    class Meta:
        model = CoreConflict
        fields = CoreConflict.EDITABLE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conflict_type"].queryset = ConflictType.objects.available_to(practice_id)


class DefenseForm(ServiceValidatedForm):
    class Meta:
        model = DefenseObservation
        fields = DefenseObservation.EDITABLE_FIELDS
        widgets = {"evidence": forms.Textarea(attrs={"rows": 2})}
        labels = {"mechanism": "Defense"}

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        mechanisms = list(DefenseMechanism.objects.available_to(practice_id))
        grouped: dict[str, list] = {}
        for mechanism in mechanisms:
            grouped.setdefault(mechanism.get_level_display(), []).append((mechanism.pk, mechanism.name))
        self.fields["mechanism"].queryset = DefenseMechanism.objects.available_to(practice_id)
        self.fields["mechanism"].choices = [("", "---------"), *grouped.items()]
