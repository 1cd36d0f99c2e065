from django import forms

from accounts.models import Practice
from core import sms
from core.dates import ClinicalDateFormField
from participation.models import DECLINE_COMMENT_MAX_LENGTH, ClientLink
from participation.services import CLIENT_QUESTIONNAIRES, AllianceAnswer
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


def delivery_choices() -> list[tuple[str, str]]:
    # Texts are not offered where no text backend is set up (core/sms.py); the service refuses them too.
    if sms.enabled():
        return list(ClientLink.Delivery.choices)
    return [(value, label) for value, label in ClientLink.Delivery.choices if value != ClientLink.Delivery.SMS]


class DeliveryForm(forms.Form):
    """How a new link reaches the client: by email, by text where texts are set up, or by hand."""

    delivery = forms.ChoiceField(
        label="How the client gets it",
        choices=ClientLink.Delivery.choices,
        widget=forms.RadioSelect,
        initial=ClientLink.Delivery.HAND,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivery"].choices = delivery_choices()


class LinkCreateForm(DeliveryForm):
    measure_codes = forms.MultipleChoiceField(
        label="Questionnaires",
        choices=list(MEASURE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["phq9", "gad7"],
    )
    field_order = ["measure_codes", "delivery"]


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


class AgreementLinkForm(DeliveryForm):
    """The plan page's "Ask the client to agree": only how the link reaches the client."""


class AgreeForm(forms.Form):
    typed_name = forms.CharField(
        label="Type your full name to agree",
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words", "spellcheck": "false"}),
        error_messages={"required": "Type your name to agree.", "max_length": "Keep your name to 300 characters."},
    )


class DeclineForm(forms.Form):
    comment = forms.CharField(
        label="What would you like to change? (optional)",
        required=False,
        max_length=DECLINE_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"Keep your comment to {DECLINE_COMMENT_MAX_LENGTH} characters."},
    )


# --- The practice's client-link settings and the response rates (practice admins) -------------


def _measure_choices() -> list[tuple[str, str]]:
    # Read when the form is made, from services.CLIENT_QUESTIONNAIRES: a questionnaire added there is
    # offered here without a change to this form.
    return [(code, MEASURE_LABELS.get(code, code.upper())) for code in CLIENT_QUESTIONNAIRES]


class ClientLinkSettingsForm(forms.ModelForm):
    client_link_days = forms.IntegerField(
        label="Client links work for (days)",
        min_value=1,
        max_value=30,
        error_messages={
            "min_value": "A link works for at least one day.",
            "max_value": "A link works for at most 30 days.",
            "required": "Enter how many days a link works.",
        },
    )
    client_default_measures = forms.MultipleChoiceField(
        label="Questionnaires sent with every scheduled link",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Besides the measures the plan's objectives are bound to.",
    )
    questionnaires_every_sessions = forms.IntegerField(
        label="Also every N attended sessions",
        required=False,
        min_value=1,
        max_value=52,
        help_text="Leave empty to send questionnaires only before reviews.",
        error_messages={
            "min_value": "Enter a number of sessions from 1 to 52, or leave it empty.",
            "max_value": "Enter a number of sessions from 1 to 52, or leave it empty.",
        },
    )

    class Meta:
        model = Practice
        fields = [
            "client_link_days",
            "crisis_text",
            "scheduled_questionnaires",
            "client_default_measures",
            "questionnaires_every_sessions",
        ]
        error_messages = {"crisis_text": {"required": "Enter the text a client at risk sees."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _measure_choices()
        self.fields["client_default_measures"].choices = choices
        known = {code for code, _ in choices}
        # A code no longer offered (taken out of CLIENT_QUESTIONNAIRES) is dropped rather than failing the form.
        self.initial["client_default_measures"] = [
            code for code in (self.instance.client_default_measures or []) if code in known
        ]
        self.fields["crisis_text"].widget.attrs.update({"rows": 5})

    def clean_crisis_text(self) -> str:
        text = (self.cleaned_data.get("crisis_text") or "").strip()
        if not text:
            raise forms.ValidationError("Enter the text a client at risk sees.")
        return text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scheduled_questionnaires") is False and cleaned.get("questionnaires_every_sessions"):
            self.add_error(
                "questionnaires_every_sessions",
                "Turn on scheduled questionnaires to send them after sessions too, or leave this empty.",
            )
        return cleaned


class ResponseRatePeriodForm(forms.Form):
    # Optional: an empty date keeps the default period's end of it (the last 90 days).
    start = ClinicalDateFormField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, such as 2026-09-01."},
    )
    end = ClinicalDateFormField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, such as 2026-11-30."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The end of the period comes after its start.")
        return cleaned
