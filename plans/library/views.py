"""The practice's library: templates and catalogues. Everyone reads it; admins extend it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import policy
from accounts.access import get_visible_or_404
from clients.models import Client
from core.editing import errors_to_form
from core.idempotency import once_per_form
from core.params import BadParameter, int_param
from formulation.models import ConflictType, DefenseMechanism
from plans.library import services
from plans.models import InterventionTechnique, MeasureDefinition, PlanTemplate, TreatmentPlan

CATALOGUES = {
    "technique": (InterventionTechnique, ["name", "kind", "description", "when_it_fits"], "Intervention technique"),
    "defense": (DefenseMechanism, ["name", "level", "description"], "Defense mechanism"),
    "conflict": (ConflictType, ["name", "description"], "Core conflict type"),
    "measure": (MeasureDefinition, ["name", "min_score", "max_score", "direction"], "Outcome measure"),
}
# Catalogues of apps above plans (notes' service types), shown as a list of names: kind -> heading.
REGISTERED_HEADINGS: dict[str, str] = {}


def register_catalogue(kind: str, *, model: type, fields: list[str], label: str, heading: str) -> None:
    """An app above plans adds its practice-extensible catalogue to the library (from its ready()):
    the library lists it and its admins add to it through the same form and service."""
    CATALOGUES[kind] = (model, fields, label)
    REGISTERED_HEADINGS[kind] = heading


def _catalogue_form(kind: str, data=None):
    model, fields, _ = CATALOGUES[kind]
    form_class = forms.modelform_factory(
        model,
        fields=fields,
        widgets={"description": forms.Textarea(attrs={"rows": 2}), "when_it_fits": forms.Textarea(attrs={"rows": 2})},
    )
    form = form_class(data, prefix=kind)
    form._post_clean = lambda: None  # the service validates the complete entry
    return form


class TemplateReviewForm(forms.Form):
    """Every text a template saved from a plan would carry, for the admin to read and edit.

    Built from the plan's current goals and objectives; only what is posted back (and kept)
    is saved, so the library holds exactly the reviewed text.
    """

    name = forms.CharField(max_length=200, label="Template name")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    fingerprint = forms.CharField(widget=forms.HiddenInput)
    confirmed = forms.BooleanField(
        label="I have read every text above and removed anything that could identify the client",
        required=False,
    )

    def __init__(self, *args, source: list[services.GoalText], fingerprint: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fingerprint"].initial = fingerprint
        self.structure = []  # [(goal prefix, [objective prefixes])]
        for g, goal in enumerate(source, start=1):
            gp = f"g{g}"
            self.fields[f"{gp}-keep"] = forms.BooleanField(label=f"Keep goal {g}", required=False, initial=True)
            self.fields[f"{gp}-statement"] = forms.CharField(
                label="Goal statement", max_length=300, required=False, initial=goal.statement
            )
            objective_prefixes = []
            for o, objective in enumerate(goal.objectives, start=1):
                op = f"{gp}o{o}"
                self.fields[f"{op}-keep"] = forms.BooleanField(
                    label=f"Keep objective {g}.{o}", required=False, initial=True
                )
                self.fields[f"{op}-statement"] = forms.CharField(
                    label="Objective statement",
                    max_length=500,
                    required=False,
                    initial=objective.statement,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.fields[f"{op}-measure"] = forms.CharField(
                    label="Measure", max_length=500, required=False, initial=objective.measure
                )
                self.fields[f"{op}-target"] = forms.CharField(
                    label="Target", max_length=300, required=False, initial=objective.target
                )
                self.fields[f"{op}-months"] = forms.IntegerField(
                    label="Months to target",
                    min_value=1,
                    max_value=120,
                    required=False,
                    initial=objective.months_to_target,
                )
                objective_prefixes.append(op)
            self.structure.append((gp, objective_prefixes))
        self.order_fields(["name", "description"])

    def goal_groups(self):
        """Bound fields grouped for the template: [(goal fields, [(objective fields)])]."""
        return [
            (
                {"keep": self[f"{gp}-keep"], "statement": self[f"{gp}-statement"]},
                [{k: self[f"{op}-{k}"] for k in ("keep", "statement", "measure", "target", "months")} for op in ops],
            )
            for gp, ops in self.structure
        ]

    def clean(self):
        data = super().clean()
        for gp, ops in self.structure:
            if not data.get(f"{gp}-keep"):
                continue
            if not (data.get(f"{gp}-statement") or "").strip():
                self.add_error(f"{gp}-statement", "Write the goal, or untick “Keep goal”.")
            for op in ops:
                if not data.get(f"{op}-keep"):
                    continue
                if not (data.get(f"{op}-statement") or "").strip():
                    self.add_error(f"{op}-statement", "Write the objective, or untick “Keep”.")
                if data.get(f"{op}-months") is None and f"{op}-months" not in self.errors:
                    self.add_error(f"{op}-months", "Give the months to target, from 1 to 120.")
        return data

    def reviewed_goals(self) -> list[services.GoalText]:
        data = self.cleaned_data
        return [
            services.GoalText(
                statement=data[f"{gp}-statement"],
                objectives=tuple(
                    services.ObjectiveText(
                        statement=data[f"{op}-statement"],
                        measure=data[f"{op}-measure"],
                        target=data[f"{op}-target"],
                        months_to_target=data[f"{op}-months"],
                    )
                    for op in ops
                    if data.get(f"{op}-keep")
                ),
            )
            for gp, ops in self.structure
            if data.get(f"{gp}-keep")
        ]


def _practice_id(request) -> int:
    practice_id = policy.practice_id_of(request.user)
    if practice_id is None:
        raise Http404
    return practice_id


@login_required
def library(request):
    practice_id = _practice_id(request)
    is_admin = policy.can(request.user, policy.Action.MANAGE_LIBRARY)
    templates = list(
        PlanTemplate.objects.filter(Q(practice__isnull=True) | Q(practice_id=practice_id))
        .select_related("created_by")
        .prefetch_related("goals__objectives")
        .order_by("practice_id", "name")
    )
    # Which plan a template came from is shown only to those who may see that plan.
    source_ids = {t.source_plan_id for t in templates if t.source_plan_id}
    visible_sources = set(
        TreatmentPlan.objects.visible_to(request.user).filter(pk__in=source_ids).values_list("pk", flat=True)
    )
    for t in templates:
        t.visible_source_id = t.source_plan_id if t.source_plan_id in visible_sources else None
    context = {
        "templates": templates,
        # The psychodynamic techniques first: the integrated modalities come beside them.
        "techniques": InterventionTechnique.objects.available_to(practice_id).order_by(
            models.Case(models.When(kind=InterventionTechnique.Kind.PSYCHODYNAMIC, then=0), default=1),
            "name",
        ),
        "defenses": DefenseMechanism.objects.available_to(practice_id),
        "conflict_types": ConflictType.objects.available_to(practice_id),
        "measures": MeasureDefinition.objects.available_to(practice_id),
        "registered_catalogues": [
            (heading, CATALOGUES[kind][0].objects.available_to(practice_id))
            for kind, heading in REGISTERED_HEADINGS.items()
        ],
        "is_admin": is_admin,
        "catalogue_forms": [(kind, label, _catalogue_form(kind)) for kind, (_, _, label) in CATALOGUES.items()]
        if is_admin
        else [],
    }
    return render(request, "plans/library.html", context)


@login_required
@require_POST
@once_per_form
def catalogue_add(request, kind: str):
    if kind not in CATALOGUES:
        raise Http404
    if not policy.can(request.user, policy.Action.MANAGE_LIBRARY):
        raise Http404
    form = _catalogue_form(kind, request.POST)
    if form.is_valid():
        try:
            services.add_catalogue_entry(actor=request.user, model=CATALOGUES[kind][0], **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Added “{form.cleaned_data['name']}” to your practice's catalogue.")
    else:
        messages.error(request, "Not added: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("plans:library")


@login_required
@once_per_form
def template_from_plan(request, pk: int):
    """Review, edit and then share a plan's goals and objectives as a practice template."""
    plan = get_visible_or_404(TreatmentPlan.objects.select_related("client"), request.user, pk=pk)
    if not policy.can(request.user, policy.Action.SHARE_TEMPLATE, plan):
        raise Http404
    source = services.template_texts_from_plan(plan)
    fingerprint = services.template_source_fingerprint(plan)
    form = TemplateReviewForm(request.POST or None, source=source, fingerprint=fingerprint)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = services.publish_plan_as_template(
                actor=request.user,
                plan=plan,
                reviewed_fingerprint=data["fingerprint"],
                name=data["name"],
                description=data["description"],
                goals=form.reviewed_goals(),
                confirmed=data["confirmed"],
            )
        except ValidationError as exc:
            if exc.messages and not hasattr(exc, "error_dict") and data["fingerprint"] != fingerprint:
                # Show the plan's current text to review afresh, keeping the name and description.
                form = TemplateReviewForm(
                    initial={"name": data["name"], "description": data["description"]},
                    source=source,
                    fingerprint=fingerprint,
                )
                messages.error(request, " ".join(exc.messages))
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, f"Shared “{template.name}” in your practice's library.")
            return redirect("plans:library")
    return render(request, "plans/template_from_plan.html", {"form": form, "plan": plan})


@login_required
@require_POST
def template_set_active(request, pk: int):
    template = get_object_or_404(PlanTemplate, pk=pk, practice_id=_practice_id(request))
    try:
        services.set_template_active(actor=request.user, template=template, active=request.POST.get("active") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("plans:library")


class TechniqueDescriptionForm(forms.ModelForm):
    class Meta:
        model = InterventionTechnique
        fields = ["description", "when_it_fits"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "when_it_fits": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass  # the service validates and saves the entry


@login_required
def technique_describe(request, pk: int):
    """The admin writes what a practice technique is and when it fits."""
    practice_id = _practice_id(request)
    if not policy.can(request.user, policy.Action.MANAGE_LIBRARY, practice_id):
        raise Http404
    # Only the practice's own techniques: the built-in texts are Psyplan's.
    technique = get_object_or_404(InterventionTechnique, pk=pk, practice_id=practice_id)
    form = TechniqueDescriptionForm(request.POST or None, instance=technique)
    if request.method == "POST" and form.is_valid():
        try:
            services.describe_technique(
                actor=request.user,
                technique=technique,
                what_it_is=form.cleaned_data["description"],
                when_it_fits=form.cleaned_data["when_it_fits"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"Saved the description of “{technique.name}”.")
            return redirect(f"{reverse('plans:library')}#technique-{technique.pk}")
    return render(request, "plans/technique_describe.html", {"form": form, "technique": technique})


@login_required
@require_GET
def technique_about(request):
    """What the technique chosen in an intervention form is and when it fits (htmx, on change).

    The form's prefix says which select to read, so one route serves every intervention editor.
    """
    practice_id = _practice_id(request)
    prefix = request.GET.get("prefix", "")
    if not (prefix.replace("-", "").isalnum() and len(prefix) <= 40):
        raise BadParameter("prefix must name an intervention form.")
    technique_pk = int_param(request.GET.get(f"{prefix}-technique"), name="technique")
    technique = None
    if technique_pk is not None:
        technique = InterventionTechnique.objects.available_to(practice_id).filter(pk=technique_pk).first()
    return render(request, "plans/_technique_about.html", {"technique": technique})


def _start_client(request) -> Client | None:
    """The client whose new-plan page the preview was opened from, if the reader may start their plan."""
    try:
        client_pk = int_param(request.GET.get("for_client"), name="for_client")
    except BadParameter:
        return None
    if client_pk is None:
        return None
    client = Client.objects.editable_by(request.user).filter(pk=client_pk).first()
    return client if client is not None and client.is_active else None


@login_required
@require_GET
def template_preview(request, pk: int):
    """A template's goals, objectives and interventions, before a plan is started from it.

    Through the same door as the template choice on the new-plan page (PlanStartForm): built-in
    and the reader's practice's active templates; another practice's is a 404.
    """
    template = get_object_or_404(
        PlanTemplate.objects.available_to(_practice_id(request)).prefetch_related(
            "goals__objectives", "interventions__technique", "interventions__objectives"
        ),
        pk=pk,
    )
    objective_numbers = {}
    for g, goal in enumerate(template.goals.all(), start=1):
        for o, objective in enumerate(goal.objectives.all(), start=1):
            objective_numbers[objective.pk] = f"{g}.{o}"
    interventions = [
        (i, [objective_numbers[o.pk] for o in i.objectives.all() if o.pk in objective_numbers])
        for i in template.interventions.all()
    ]
    return render(
        request,
        "plans/template_preview.html",
        {
            "template": template,
            "objective_numbers": objective_numbers,
            "interventions": interventions,
            "client": _start_client(request),
        },
    )
