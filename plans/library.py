"""The practice's library: templates and catalogues. Everyone reads it; admins extend it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import get_visible_or_404
from accounts.idempotency import once_per_form
from formulation.models import ConflictType, DefenseMechanism
from plans import services
from plans.models import InterventionTechnique, MeasureDefinition, PlanTemplate, TreatmentPlan

CATALOGUES = {
    "technique": (InterventionTechnique, ["name", "kind", "description"], "Intervention technique"),
    "defense": (DefenseMechanism, ["name", "level", "description"], "Defense mechanism"),
    "conflict": (ConflictType, ["name", "description"], "Core conflict type"),
    "measure": (MeasureDefinition, ["name", "min_score", "max_score", "direction"], "Outcome measure"),
}


def _catalogue_form(kind: str, data=None):
    model, fields, _ = CATALOGUES[kind]
    form_class = forms.modelform_factory(
        model, fields=fields, widgets={"description": forms.Textarea(attrs={"rows": 2})}
    )
    form = form_class(data, prefix=kind)
    form._post_clean = lambda: None  # the service validates the complete entry
    return form


class TemplateFromPlanForm(forms.Form):
    name = forms.CharField(max_length=200, label="Template name")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


def _practice_id(request) -> int:
    membership = request.user.active_membership
    if membership is None:
        raise Http404
    return membership.practice_id


@login_required
def library(request):
    practice_id = _practice_id(request)
    is_admin = request.user.active_membership.is_practice_admin
    templates = PlanTemplate.objects.filter(Q(practice__isnull=True) | Q(practice_id=practice_id))
    context = {
        "templates": templates.prefetch_related("goals__objectives").order_by("practice_id", "name"),
        "techniques": InterventionTechnique.objects.available_to(practice_id),
        "defenses": DefenseMechanism.objects.available_to(practice_id),
        "conflict_types": ConflictType.objects.available_to(practice_id),
        "measures": MeasureDefinition.objects.available_to(practice_id),
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
    if not request.user.active_membership or not request.user.active_membership.is_practice_admin:
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
def template_from_plan(request, pk: int):
    plan = get_visible_or_404(TreatmentPlan.objects.select_related("client"), request.user, pk=pk)
    membership = request.user.active_membership
    if not membership.is_practice_admin:
        raise Http404
    form = TemplateFromPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.save_plan_as_template(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved “{template.name}” to your practice's templates.")
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
