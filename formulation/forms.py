from django import forms
from django.core.exceptions import ValidationError

from core.params import int_param
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation


class ServiceValidatedForm(forms.ModelForm):
    """Field-level checks here; whole-record validation in the service, mapped back onto fields.

    The base of every editor form that carries a version, the plan editor's (plans/editor/forms.py) included."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def _post_clean(self):
        pass

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def expected_version(request, form) -> int:
    """The version an edit was based on: the "save mine over theirs" override, else the form's."""
    override = int_param(request.POST.get("overwrite_version"), name="overwrite_version")
    return override or form.cleaned_data["version"] or 0


def errors_to_form(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: on its field where the form has one, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def conflict_fields(form, current) -> list[tuple[str, str]]:
    """Their saved text beside yours, field by field, for the "someone else saved first" message."""
    rows = []
    for name, field in form.fields.items():
        if name == "version":
            continue
        value = getattr(current, name, "")
        if hasattr(value, "all"):
            value = ", ".join(str(v) for v in value.all())
        elif hasattr(current, f"get_{name}_display"):
            value = getattr(current, f"get_{name}_display")()
        rows.append((field.label or name, value))
    return rows


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
