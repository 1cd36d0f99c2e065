from django import forms

from core.dates import ClinicalDateFormField
from participation.models import ClientLink
from participation.services import AllianceAnswer
from progress import measures

MEASURE_LABELS = {
    "phq9": "PHQ-9 (depression)",
    "gad7": "GAD-7 (anxiety)",
    "alliance": "Alliance, as the client rates it (bond, goals, tasks)",
}

# The client-rated alliance in plain words: the same three dimensions the clinician rates at review.
ALLIANCE_ITEMS = {
    "bond": "I feel my therapist and I trust and understand each other",
    "goals": "We agree on what I want to get out of therapy",
    "tasks": "We agree on how we are working on it",
}
ALLIANCE_SCALE = [(1, "1 · Not at all true"), (2, "2"), (3, "3"), (4, "4"), (5, "5 · Completely true")]


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


class BirthDateForm(forms.Form):
    date_of_birth = ClinicalDateFormField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter your date of birth.", "invalid": "Enter a date, such as 1990-04-21."},
    )


class QuestionnaireForm(forms.Form):
    """One radio group per item of each questionnaire, named <code>_<item number>."""

    def __init__(self, *args, definitions, alliance: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        self.asks_alliance = alliance
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
        if alliance:
            for key, text in ALLIANCE_ITEMS.items():
                self.fields[f"alliance_{key}"] = forms.TypedChoiceField(
                    label=text,
                    choices=ALLIANCE_SCALE,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose a number from 1 to 5."},
                )
            self.fields["alliance_comment"] = forms.CharField(
                label="Anything you would like to add? (optional)",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def bound_groups(self):
        return [(definition, [self[name] for name in names]) for definition, names in self.groups]

    def alliance_fields(self):
        return [self[f"alliance_{key}"] for key in ALLIANCE_ITEMS] if self.asks_alliance else []

    def answers(self) -> dict[str, list[int]]:
        return {definition.code: [self.cleaned_data[name] for name in names] for definition, names in self.groups}

    def alliance_answer(self) -> AllianceAnswer | None:
        if not self.asks_alliance:
            return None
        data = self.cleaned_data
        return AllianceAnswer(
            bond=data["alliance_bond"],
            goals=data["alliance_goals"],
            tasks=data["alliance_tasks"],
            comment=data.get("alliance_comment", ""),
        )


class AcknowledgeAlertForm(forms.Form):
    note = forms.CharField(
        label="What you did about it",
        help_text="For example: phoned the client, assessed risk, agreed a safety plan. Kept in the client's record.",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write what you did about it: the alert is acknowledged with a note."},
    )
