from django import forms

from core import sms
from core.dates import ClinicalDateFormField
from participation.models import ClientLink
from progress import measures

MEASURE_LABELS = {"phq9": "PHQ-9 (depression)", "gad7": "GAD-7 (anxiety)"}


class LinkCreateForm(forms.Form):
    measure_codes = forms.MultipleChoiceField(
        label="Questionnaires",
        choices=list(MEASURE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["phq9", "gad7"],
    )
    delivery = forms.ChoiceField(
        label="How the client gets it",
        choices=ClientLink.Delivery.choices,
        widget=forms.RadioSelect,
        initial=ClientLink.Delivery.HAND,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not sms.enabled():
            # Not offered where no text backend is set up (core/sms.py); the service refuses it too.
            self.fields["delivery"].choices = [
                (value, label) for value, label in ClientLink.Delivery.choices if value != ClientLink.Delivery.SMS
            ]


class BirthDateForm(forms.Form):
    date_of_birth = ClinicalDateFormField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter your date of birth.", "invalid": "Enter a date, such as 1990-04-21."},
    )


class QuestionnaireForm(forms.Form):
    """One radio group per item of each questionnaire, named <code>_<item number>."""

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for definition in definitions:
            names = []
            for number, text in enumerate(measures.ITEMS[definition.code], start=1):
                name = f"{definition.code}_{number}"
                self.fields[name] = forms.TypedChoiceField(
                    label=f"{number}. {text}",
                    choices=measures.RESPONSES,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer for this question."},
                )
                names.append(name)
            self.groups.append((definition, names))

    def bound_groups(self):
        return [(definition, [self[name] for name in names]) for definition, names in self.groups]

    def answers(self) -> dict[str, list[int]]:
        return {definition.code: [self.cleaned_data[name] for name in names] for definition, names in self.groups}
