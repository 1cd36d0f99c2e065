from django import forms

from clients.models import Client, PresentingProblem
from core.dates import ClinicalDateFormField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ClientForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Not a model field: the service stamps the date and who recorded it (clients.services.update_client).
    contact_consent = forms.BooleanField(
        label="The client consents to electronic contact (email and text)",
        required=False,
        help_text="Without it, Psyplan sends the client nothing. The date and who recorded it are kept.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["contact_consent"].initial = self.instance.has_contact_consent

    class Meta:
        model = Client
        fields = [
            "given_name",
            "family_name",
            "preferred_name",
            "date_of_birth",
            "chart_number",
            "intake_date",
            "email",
            "phone",
            "address",
        ]
        # The number client links are texted to (participation, issue 15).
        labels = {"phone": "Mobile number"}
        widgets = {
            "date_of_birth": DateInput(),
            "intake_date": DateInput(),
            "address": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        # The service validates the whole record (with practice and clinician
        # set); here only field-level checks run, so errors are not doubled.
        pass


class DischargeForm(forms.Form):
    discharged_on = ClinicalDateFormField(label="Discharge date", widget=DateInput())
    discharge_reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class PresentingProblemForm(forms.ModelForm):
    class Meta:
        model = PresentingProblem
        fields = [
            "title",
            "clients_words",
            "observed_symptoms",
            "onset",
            "duration",
            "severity",
            "functional_impact",
            "diagnosis_code",
            "diagnosis_label",
        ]
        widgets = {
            "clients_words": forms.Textarea(attrs={"rows": 3}),
            "observed_symptoms": forms.Textarea(attrs={"rows": 3}),
            "functional_impact": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        pass

    def clean_diagnosis_code(self):
        # People type f33.1; the record keeps the canonical F33.1.
        return self.cleaned_data["diagnosis_code"].strip().upper()
