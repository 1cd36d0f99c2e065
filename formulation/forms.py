from collections.abc import Collection

from django import forms

from core.editing import ServiceValidatedForm
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation

PRIVATE_HELP = (
    "Private working material: read by the plan's author and the author's supervisors; left out of the PDF "
    "record, the client version, FHIR and bulk exports, and printed only in the supervision copy."
)


def section_form(section: str, *, leave_out: Collection[str] = ()):
    """The form of one section, without the fields in `leave_out` (the private ones, for someone
    who may not read them: neither shown nor, when saved, changed)."""
    fields = [name for name in Formulation.SECTIONS[section][1] if name not in leave_out]
    widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields if name != "attachment_pattern"}
    help_texts = {name: PRIVATE_HELP for name in fields if name in Formulation.PRIVATE_FIELDS}
    return forms.modelform_factory(
        Formulation, form=ServiceValidatedForm, fields=fields, widgets=widgets, help_texts=help_texts
    )


def section_forms(
    formulation: Formulation, *, leave_out: Collection[str] = ()
) -> list[tuple[str, str, forms.ModelForm]]:
    """(key, title, form) of every section, as the plan page shows them (forms to the author, text to readers)."""
    return [
        (
            key,
            title,
            section_form(key, leave_out=leave_out)(
                instance=formulation, prefix=key, initial={"version": formulation.section_version(key)}
            ),
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
