"""The forms of the session and note pages. Field-level checks here, the rules in notes.services
(its ValidationErrors come back onto these forms by field or by the part of the note they name)."""

import re

from django import forms

from clients.forms import DateInput
from core.dates import ClinicalDateFormField
from notes.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    NoteConflict,
    NoteObjective,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)
from notes.selectors import NoteChoices

EPISODE_PARTS = ("other", "wish", "response_of_other", "response_of_self")
# The parts of a note that save_note names in its errors, each shown above its own fieldset.
NOTE_GROUPS = ("objectives", "interventions", "conflicts", "defenses", "episodes")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class SessionForm(forms.Form):
    date = ClinicalDateFormField(widget=DateInput())
    start_time = forms.TimeField(label="Start time", widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES, initial=50
    )
    modality = forms.ChoiceField(choices=TherapySession.Modality.choices, initial=TherapySession.Modality.IN_PERSON)
    attendance = forms.ChoiceField(
        choices=TherapySession.Attendance.choices, initial=TherapySession.Attendance.ATTENDED
    )
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), empty_label=None)
    reason = forms.CharField(
        label="Reason (when it did not take place)",
        required=False,
        max_length=500,
    )

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        available = ServiceType.objects.available_to(practice_id)
        self.fields["service_type"].queryset = available
        # Most sessions are individual ones; intake comes first in the list but happens once.
        if not self.is_bound and "service_type" not in self.initial:
            self.initial["service_type"] = available.filter(code="individual").values_list("pk", flat=True).first()

    def clean(self):
        data = super().clean()
        attended = data.get("attendance") == TherapySession.Attendance.ATTENDED
        reason = (data.get("reason") or "").strip()
        if "attendance" in data and not attended and not reason:
            self.add_error("reason", "Say why the session did not take place.")
        if attended:
            data["reason"] = ""
        return data


class SessionEditForm(SessionForm):
    """The session as recorded, changed while its note is not signed; the version catches a second tab."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    """The note of one attended session: the plan's items to choose from, the DMRS catalogue by
    level, relationship episodes as rows, the risk check and the free text."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    interventions = forms.MultipleChoiceField(
        label="Interventions used", required=False, widget=forms.CheckboxSelectMultiple
    )
    risk = forms.ChoiceField(label="Risk check", choices=ProgressNote.Risk.choices, widget=forms.RadioSelect)
    safety_plan = forms.CharField(
        label="Safety plan",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the risk is moderate or high.",
    )
    what_happened = forms.CharField(
        label="What happened", required=False, max_length=12000, widget=forms.Textarea(attrs={"rows": 5})
    )
    plan_for_next_time = forms.CharField(
        label="Plan for next time", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data=None, *, choices: NoteChoices, note: ProgressNote | None = None, **kwargs):
        super().__init__(data, prefix="note", **kwargs)
        self.choices = choices
        self.group_errors: dict[str, list[str]] = {}
        self.fields["interventions"].choices = [(str(i.pk), str(i)) for i in choices.interventions]
        for objective in choices.objectives:
            self.fields[f"obj_{objective.pk}"] = forms.BooleanField(label=objective.statement, required=False)
            self.fields[f"obj_{objective.pk}_evidence"] = forms.CharField(
                label="Evidence (one line)", required=False, max_length=300
            )
            self.fields[f"obj_{objective.pk}_movement"] = forms.ChoiceField(
                label="Movement", required=False, choices=NoteObjective.Movement.choices
            )
        for conflict in choices.conflicts:
            self.fields[f"conflict_{conflict.pk}"] = forms.BooleanField(label=str(conflict), required=False)
            self.fields[f"conflict_{conflict.pk}_intensity"] = forms.ChoiceField(
                label="Intensity", choices=NoteConflict.Intensity.choices, initial=NoteConflict.Intensity.SIGNIFICANT
            )
        for _, mechanisms in choices.defense_levels:
            for mechanism in mechanisms:
                self.fields[f"defense_{mechanism.pk}"] = forms.BooleanField(label=mechanism.name, required=False)
                self.fields[f"defense_{mechanism.pk}_count"] = forms.IntegerField(
                    label="Times seen", required=False, min_value=1, max_value=999
                )
        existing = list(note.episodes.all()) if note is not None else []
        self.episode_count = max(self._posted_episodes(data), len(existing) + 1)
        for index in range(self.episode_count):
            self._add_episode_fields(self, index)
        if note is not None and data is None:
            self.initial.update(self._initial_from(note, existing))
        elif data is None:
            self.initial.update({"risk": ProgressNote.Risk.NONE})

    @staticmethod
    def _add_episode_fields(form, index: int) -> None:
        form.fields[f"episode_{index}_other"] = forms.ChoiceField(
            label="The other person",
            required=False,
            choices=[("", "Choose…"), *RelationshipEpisode.Other.choices],
        )
        for part, label in (
            ("wish", "Wish"),
            ("response_of_other", "Response of other"),
            ("response_of_self", "Response of self"),
        ):
            form.fields[f"episode_{index}_{part}"] = forms.CharField(label=label, required=False, max_length=300)

    def _posted_episodes(self, data) -> int:
        if not data:
            return 0
        pattern = re.compile(rf"^{self.prefix}-episode_(\d+)_other$")
        indexes = [int(m.group(1)) for key in data.keys() if (m := pattern.match(key)) and len(m.group(1)) < 3]
        return max(indexes) + 1 if indexes else 0

    def _initial_from(self, note: ProgressNote, episodes: list) -> dict:
        initial = {
            "version": note.version,
            "risk": note.risk,
            "safety_plan": note.safety_plan,
            "what_happened": note.what_happened,
            "plan_for_next_time": note.plan_for_next_time,
            "interventions": [str(i.intervention_id) for i in note.interventions_used.all()],
        }
        for row in note.objectives_worked.all():
            initial |= {
                f"obj_{row.objective_id}": True,
                f"obj_{row.objective_id}_evidence": row.evidence,
                f"obj_{row.objective_id}_movement": row.movement,
            }
        for row in note.conflicts_active.all():
            initial |= {f"conflict_{row.conflict_id}": True, f"conflict_{row.conflict_id}_intensity": row.intensity}
        for row in note.defenses.all():
            initial |= {f"defense_{row.mechanism_id}": True, f"defense_{row.mechanism_id}_count": row.count}
        for index, episode in enumerate(episodes):
            initial |= {f"episode_{index}_{part}": getattr(episode, part) for part in EPISODE_PARTS}
        return initial

    # --- What the template walks --------------------------------------------------

    def objective_rows(self):
        return [
            (o, self[f"obj_{o.pk}"], self[f"obj_{o.pk}_evidence"], self[f"obj_{o.pk}_movement"])
            for o in self.choices.objectives
        ]

    def conflict_rows(self):
        return [(c, self[f"conflict_{c.pk}"], self[f"conflict_{c.pk}_intensity"]) for c in self.choices.conflicts]

    def defense_groups(self):
        groups = []
        for label, mechanisms in self.choices.defense_levels:
            rows = [(m, self[f"defense_{m.pk}"], self[f"defense_{m.pk}_count"]) for m in mechanisms]
            chosen = any(box.value() for _, box, _ in rows)
            groups.append((label, rows, chosen))
        return groups

    def episode_rows(self):
        return [[self[f"episode_{i}_{part}"] for part in EPISODE_PARTS] for i in range(self.episode_count)]

    def blank_episode(self):
        """The fields of one more episode row, with `__i__` for its index (app.js fills it in)."""
        blank = forms.Form(prefix=self.prefix)
        self._add_episode_fields(blank, "__i__")
        return [blank[f"episode___i___{part}"] for part in EPISODE_PARTS]

    # --- Checks and what save_note takes ------------------------------------------

    def clean(self):
        data = super().clean()
        if data.get("risk") in ProgressNote.FLAGGED_RISKS and not (data.get("safety_plan") or "").strip():
            self.add_error("safety_plan", "A moderate or high risk needs a safety plan entry.")
        for objective in self.choices.objectives:
            if data.get(f"obj_{objective.pk}") and not (data.get(f"obj_{objective.pk}_evidence") or "").strip():
                self.add_error(f"obj_{objective.pk}_evidence", "Give the objective worked on a line of evidence.")
        for index in range(self.episode_count):
            parts = {part: (data.get(f"episode_{index}_{part}") or "").strip() for part in EPISODE_PARTS}
            if any(parts.values()):
                for part, value in parts.items():
                    if not value:
                        self.add_error(f"episode_{index}_{part}", "Fill this in, or clear the whole episode.")
        return data

    def note_values(self) -> dict:
        data = self.cleaned_data
        episodes = []
        for index in range(self.episode_count):
            row = {part: (data.get(f"episode_{index}_{part}") or "").strip() for part in EPISODE_PARTS}
            if any(row.values()):
                episodes.append(row)
        return {
            "objectives": [
                {
                    "objective": o.pk,
                    "evidence": data[f"obj_{o.pk}_evidence"],
                    "movement": data.get(f"obj_{o.pk}_movement") or "",
                }
                for o in self.choices.objectives
                if data.get(f"obj_{o.pk}")
            ],
            "interventions": [int(pk) for pk in data.get("interventions", [])],
            "conflicts": [
                {"conflict": c.pk, "intensity": data[f"conflict_{c.pk}_intensity"]}
                for c in self.choices.conflicts
                if data.get(f"conflict_{c.pk}")
            ],
            "defenses": [
                {"mechanism": m.pk, "count": data.get(f"defense_{m.pk}_count")}
                for _, mechanisms in self.choices.defense_levels
                for m in mechanisms
                if data.get(f"defense_{m.pk}")
            ],
            "episodes": episodes,
            "risk": data["risk"],
            "safety_plan": data.get("safety_plan", ""),
            "what_happened": data.get("what_happened", ""),
            "plan_for_next_time": data.get("plan_for_next_time", ""),
        }

    def add_service_errors(self, exc) -> None:
        """save_note's errors: on the field where the form has one, above the part of the note they
        name, else at the top."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.message_dict.items():
            if field in NOTE_GROUPS:
                self.group_errors.setdefault(field, []).extend(errors)
                # Keeps the form invalid-looking for the error summary.
                self.add_error(None, f"{field.capitalize()}: {' '.join(errors)}")
            elif field in self.fields:
                self.add_error(field, errors)
            else:
                self.add_error(None, errors)


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))


class ProcessNoteForm(forms.Form):
    text = forms.CharField(
        label="Private process note",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Private: only you read it, and a supervisor you share it with. Not part of the clinical record.",
    )
    session = forms.TypedChoiceField(label="About the session", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "The client in general"), *[(s.pk, str(s)) for s in sessions]]


class ShareForm(forms.Form):
    supervisor = forms.TypedChoiceField(label="Share with", coerce=int)

    def __init__(self, *args, supervisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].choices = [(s.pk, s.printed_name) for s in supervisors]
