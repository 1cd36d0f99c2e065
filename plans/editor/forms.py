from django import forms

from clients.forms import DateInput
from clients.models import PresentingProblem
from core.dates import ClinicalDateFormField
from core.editing import ServiceValidatedForm
from plans.models import (
    Goal,
    Intervention,
    InterventionTechnique,
    MeasureDefinition,
    Objective,
    PlanTemplate,
    TreatmentPlan,
)


class PlanStartForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.none(),
        required=False,
        empty_label="Blank plan",
        label="Start from",
        help_text="Everything copied from a template can be edited.",
    )
    start_date = ClinicalDateFormField(widget=DateInput())
    review_interval = forms.TypedChoiceField(
        choices=TreatmentPlan.ReviewInterval.choices, coerce=int, initial=TreatmentPlan.ReviewInterval.QUARTERLY
    )
    presenting_problems = forms.ModelMultipleChoiceField(
        queryset=PresentingProblem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Presenting problems this plan addresses",
    )

    def __init__(self, *args, client, open_plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = PlanTemplate.objects.available_to(client.practice_id)
        # The same templates the choice offers, each with its preview (plans:template_preview).
        self.preview_templates = list(self.fields["template"].queryset)
        self.fields["presenting_problems"].queryset = client.presenting_problems.current()
        if open_plans:
            # A second plan beside one still in play is rarely meant (the usual path is amending it),
            # so it takes a deliberate tick.
            self.fields["separate_plan"] = forms.BooleanField(
                required=True,
                label="Start a separate plan anyway",
                help_text="The client's current plan stays as it is; the two plans run side by side.",
                error_messages={
                    "required": "The client already has a plan in play. Amend or continue it, "
                    "or tick this box to start a separate plan."
                },
            )


class PlanDetailsForm(ServiceValidatedForm):
    horizon_months = forms.IntegerField(label="Plan horizon (months)", min_value=1, max_value=36)

    class Meta:
        model = TreatmentPlan
        fields = TreatmentPlan.DETAIL_FIELDS
        widgets = {"start_date": DateInput(), "presenting_problems": forms.CheckboxSelectMultiple}

    def __init__(self, *args, plan: TreatmentPlan, **kwargs):
        super().__init__(*args, instance=plan, initial={"version": plan.version}, **kwargs)
        self.fields["presenting_problems"].queryset = plan.client.presenting_problems.current()


# The plain-language version reads this in place of the statement (records/client_version.py).
CLIENTS_WORDS_LABEL = "In the client's words (optional)"


class GoalForm(ServiceValidatedForm):
    class Meta:
        model = Goal
        fields = Goal.EDITABLE_FIELDS
        labels = {"statement": "Goal", "clients_words": CLIENTS_WORDS_LABEL}
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "clients_words": forms.Textarea(attrs={"rows": 2})}


class ObjectiveForm(ServiceValidatedForm):
    class Meta:
        model = Objective
        fields = Objective.EDITABLE_FIELDS
        labels = {
            "statement": "Objective",
            "clients_words": CLIENTS_WORDS_LABEL,
            "presenting_problems": "Presenting problems it addresses",
            "bound_measure": "Bind to a measure (optional)",
            "bound_comparator": "Criterion",
            "bound_threshold": "Threshold",
        }
        help_texts = {"bound_measure": "e.g. PHQ-9 total below 10: its progress then follows the recorded scores."}
        widgets = {
            "clients_words": forms.Textarea(attrs={"rows": 2}),
            "target_date": DateInput(),
            "presenting_problems": forms.CheckboxSelectMultiple,
            "conflicts": forms.CheckboxSelectMultiple,
            "defenses": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, plan: TreatmentPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenting_problems"].queryset = plan.presenting_problems.all()
        self.fields["conflicts"].queryset = plan.formulation.conflicts.current().select_related("conflict_type")
        self.fields["conflicts"].label = "Core conflicts it works on"
        self.fields["defenses"].queryset = plan.formulation.defenses.current().select_related("mechanism")
        self.fields["defenses"].label = "Defenses it works on"
        self.fields["bound_measure"].queryset = MeasureDefinition.objects.available_to(plan.client.practice_id)


class InterventionForm(ServiceValidatedForm):
    class Meta:
        model = Intervention
        fields = Intervention.EDITABLE_FIELDS
        widgets = {"objectives": forms.CheckboxSelectMultiple, "rationale": forms.Textarea(attrs={"rows": 2})}
        labels = {"objectives": "Objectives it serves"}

    def __init__(self, *args, plan: TreatmentPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technique"].queryset = InterventionTechnique.objects.available_to(plan.client.practice_id)
        self.fields["objectives"].queryset = Objective.objects.current().filter(
            goal__plan=plan, goal__removed_at__isnull=True
        )

    def chosen_technique(self) -> InterventionTechnique | None:
        """The technique the form shows as chosen (posted or saved), for its description beside the select."""
        value = self["technique"].value()
        if not str(value or "").isdigit():
            return None
        return self.fields["technique"].queryset.filter(pk=value).first()
