from django import forms

from core.dates import ClinicalDateFormField
from progress.measures import ITEMS, RESPONSES, SUGGESTED_STATUS
from progress.models import CcrtJudgement, ObjectiveProgress, ProgressReview
from progress.services import CCRT_PARTS, CcrtInput, EntryInput, MeasureInput, ReviewRecord

ALLIANCE = [(i, str(i)) for i in range(1, 6)]


class ReviewForm(forms.Form):
    """One form for the whole review: an entry per objective, measures item by item, the alliance,
    the summary and the decision. Field names are built from ids so the template can group them."""

    alliance_bond = forms.TypedChoiceField(label="Bond", choices=ALLIANCE, coerce=int, widget=forms.RadioSelect)
    alliance_goals = forms.TypedChoiceField(
        label="Agreement on goals", choices=ALLIANCE, coerce=int, widget=forms.RadioSelect
    )
    alliance_tasks = forms.TypedChoiceField(
        label="Agreement on tasks", choices=ALLIANCE, coerce=int, widget=forms.RadioSelect
    )
    alliance_note = forms.CharField(
        label="Ruptures or resistance", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    summary = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 4}), max_length=8000)
    decision = forms.ChoiceField(choices=ProgressReview.Decision.choices, widget=forms.RadioSelect)
    discharge_reason = forms.CharField(
        label="Reason for discharge", required=False, max_length=2000, help_text="Needed only when discharging."
    )

    # The clinician's judgement of the plan's CCRT; left unanswered, the review records none.
    ccrt_judgement = forms.ChoiceField(
        label="Your judgement of the plan's CCRT",
        choices=CcrtJudgement.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    ccrt_wish = forms.CharField(label="Wish", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    ccrt_response_of_other = forms.CharField(
        label="Response of other", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    ccrt_response_of_self = forms.CharField(
        label="Response of self", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, *args, objectives, achievements: dict, measures, ccrt: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        self.measures = measures
        # The edit fields start from the plan's own CCRT (what the clinician wrote), never from the episodes.
        for part, value in (ccrt or {}).items():
            self.fields[f"ccrt_{part}"].initial = value
        for o in objectives:
            suggested = SUGGESTED_STATUS.get(achievements.get(o.pk) or "", "")
            self.fields[f"o{o.pk}_status"] = forms.ChoiceField(
                # A blank first choice: the clinician picks the status (a bound measure may suggest one).
                label="Status",
                choices=[("", "Choose…"), *ObjectiveProgress.Status.choices],
                initial=suggested or None,
            )
            self.fields[f"o{o.pk}_rating"] = forms.IntegerField(label="Progress (%)", min_value=0, max_value=100)
            self.fields[f"o{o.pk}_evidence"] = forms.CharField(
                label="Evidence observed", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
            )
        for m in measures:
            if m.item_count:
                texts = ITEMS.get(m.code, [f"Item {i + 1}" for i in range(m.item_count)])
                for i in range(m.item_count):
                    self.fields[f"m{m.pk}_i{i}"] = forms.TypedChoiceField(
                        label=f"{i + 1}. {texts[i]}",
                        choices=RESPONSES,
                        coerce=int,
                        required=False,
                        widget=forms.RadioSelect,
                    )
            else:
                self.fields[f"m{m.pk}_total"] = forms.IntegerField(
                    label=f"{m.name} score ({m.min_score}–{m.max_score})",
                    min_value=m.min_score,
                    max_value=m.max_score,
                    required=False,
                )

    def objective_rows(self):
        return [
            (o, self[f"o{o.pk}_status"], self[f"o{o.pk}_rating"], self[f"o{o.pk}_evidence"]) for o in self.objectives
        ]

    def measure_groups(self):
        groups = []
        for m in self.measures:
            if m.item_count:
                groups.append((m, [self[f"m{m.pk}_i{i}"] for i in range(m.item_count)], None))
            else:
                groups.append((m, [], self[f"m{m.pk}_total"]))
        return groups

    def clean(self):
        data = super().clean()
        for m in self.measures:
            if not m.item_count:
                continue
            answers = [data.get(f"m{m.pk}_i{i}") for i in range(m.item_count)]
            answered = [a for a in answers if a not in (None, "")]
            if answered and len(answered) != m.item_count:
                for i, a in enumerate(answers):
                    if a in (None, ""):
                        self.add_error(
                            f"m{m.pk}_i{i}", f"Answer all {m.item_count} {m.name} items, or none to skip it."
                        )
        if (
            data.get("decision") == ProgressReview.Decision.DISCHARGE
            and not (data.get("discharge_reason") or "").strip()
        ):
            self.add_error("discharge_reason", "Give the reason for discharge.")
        if data.get("ccrt_judgement") == CcrtJudgement.EDITED and not any(
            (data.get(f"ccrt_{part}") or "").strip() for part in CCRT_PARTS
        ):
            self.add_error("ccrt_wish", "Write the CCRT as it now reads, or confirm the plan's.")
        return data

    def ccrt_fields(self):
        return [self[f"ccrt_{part}"] for part in CCRT_PARTS]

    def ccrt_input(self) -> CcrtInput | None:
        data = self.cleaned_data
        if not data.get("ccrt_judgement"):
            return None
        return CcrtInput(data["ccrt_judgement"], **{part: data.get(f"ccrt_{part}", "") for part in CCRT_PARTS})

    def measure_inputs(self):
        inputs = []
        for m in self.measures:
            if m.item_count:
                items = [self.cleaned_data.get(f"m{m.pk}_i{i}") for i in range(m.item_count)]
                if all(i not in (None, "") for i in items):
                    inputs.append(MeasureInput(m, items=[int(i) for i in items]))
            elif self.cleaned_data.get(f"m{m.pk}_total") is not None:
                inputs.append(MeasureInput(m, total=self.cleaned_data[f"m{m.pk}_total"]))
        return inputs

    def entry_inputs(self):
        return [
            EntryInput(
                o,
                self.cleaned_data[f"o{o.pk}_status"],
                self.cleaned_data[f"o{o.pk}_rating"],
                self.cleaned_data[f"o{o.pk}_evidence"],
            )
            for o in self.objectives
        ]

    def review_record(self) -> ReviewRecord:
        data = self.cleaned_data
        return ReviewRecord(
            entries=self.entry_inputs(),
            measures=self.measure_inputs(),
            alliance_bond=data["alliance_bond"],
            alliance_goals=data["alliance_goals"],
            alliance_tasks=data["alliance_tasks"],
            alliance_note=data["alliance_note"],
            summary=data["summary"],
            decision=data["decision"],
            discharge_reason=data["discharge_reason"],
            ccrt=self.ccrt_input(),
        )


class MeasureForm(forms.Form):
    """Record one measure between reviews."""

    recorded_on = ClinicalDateFormField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        if definition.item_count:
            texts = ITEMS.get(definition.code, [f"Item {i + 1}" for i in range(definition.item_count)])
            for i in range(definition.item_count):
                self.fields[f"i{i}"] = forms.TypedChoiceField(
                    label=f"{i + 1}. {texts[i]}", choices=RESPONSES, coerce=int, widget=forms.RadioSelect
                )
        else:
            self.fields["total"] = forms.IntegerField(
                label=f"Score ({definition.min_score}–{definition.max_score})",
                min_value=definition.min_score,
                max_value=definition.max_score,
            )

    def item_fields(self):
        return [self[f"i{i}"] for i in range(self.definition.item_count)]
