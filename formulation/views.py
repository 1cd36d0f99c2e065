"""The formulation's part of the plan editor: its text sections autosave, and its core conflicts and
defenses are added, edited, reordered and removed inline through htmx. Every write goes through
formulation.services.

The formulation is edited on the plan page, which plans (above formulation) renders. After an item
changes, the page's whole structure is redrawn, because the golden thread beside the goals reads the
formulation; how is the plan page's to say, so plans registers it here at start-up (`register_page`
from plans/apps.py) and this module never imports plans.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_editable_or_403
from core import editing
from core.editing import conflict_fields, errors_to_form, expected_version
from core.errors import StaleEditError
from core.idempotency import once_per_form
from core.params import choice_param
from formulation import services
from formulation.forms import ConflictForm, DefenseForm, section_form
from formulation.models import CoreConflict, DefenseObservation, Formulation
from formulation.private import fields_hidden_from

# kind (as in the URL): (model, form, label)
ITEMS = {
    "conflict": (CoreConflict, ConflictForm, "core conflict"),
    "defense": (DefenseObservation, DefenseForm, "defense"),
}


@dataclass(frozen=True)
class PlanPage:
    """How the plan page that hosts the formulation redraws its structure, given the plan's id."""

    structure_response: Callable[[HttpRequest, int], HttpResponse]
    structure_url: Callable[[int], str]


_page: PlanPage | None = None


def register_page(page: PlanPage) -> None:
    global _page
    _page = page


def _host() -> PlanPage:
    if _page is None:
        raise RuntimeError("No plan page registered for the formulation editor (plans registers it in ready()).")
    return _page


class KindConverter:
    """The formulation's item kinds in the editor's URLs, so they and the plan's kinds share one path shape."""

    regex = "|".join(ITEMS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _formulations():
    return Formulation.objects.select_related("plan__client")


def _item_form(kind: str, formulation: Formulation, data=None, instance=None):
    _, form_class, _ = ITEMS[kind]
    initial = {"version": instance.version} if instance is not None else {}
    prefix = f"{kind}-{instance.pk if instance is not None else 'new'}"
    return form_class(data, instance=instance, initial=initial, prefix=prefix, practice_id=formulation.practice_id)


def _form_context(kind: str, formulation: Formulation, form, **extra) -> dict:
    return {
        "form": form,
        "kind": kind,
        "label": ITEMS[kind][2],
        "plan_id": formulation.plan_id,
        "structure_url": _host().structure_url(formulation.plan_id),
        "item": None,
        **extra,
    }


@login_required
@require_POST
def section_save(request, pk: int, section: str):
    """Autosave (and explicit save) of one formulation section of plan `pk`; answers with out-of-band
    updates only, so the text being typed is never replaced."""
    if section not in Formulation.SECTIONS:
        raise Http404
    formulation = get_editable_or_403(_formulations(), request.user, plan_id=pk)
    # An editor who may not read the private fields (the author's caseload moved to them outside
    # the app) is not sent them, and their saves keep the stored text.
    hidden = fields_hidden_from(request.user, formulation.plan)
    form = section_form(section, leave_out=hidden)(request.POST, instance=formulation, prefix=section)
    context = {
        "section": section,
        "saved_at": None,
        "conflict": None,
        "errors": None,
        "save_url": reverse("formulation:section", args=[pk, section]),
    }
    if form.is_valid():
        expected = expected_version(request, form)
        try:
            saved = services.save_formulation_section(
                actor=request.user,
                formulation=formulation,
                section=section,
                expected_version=expected,
                values={**{name: getattr(formulation, name) for name in hidden}, **form.values()},
            )
        except StaleEditError as exc:
            context["conflict"] = exc.current
            context["conflict_fields"] = conflict_fields(form, exc.current)
            context["current_version"] = exc.current.section_version(section)
        except ValidationError as exc:
            context["errors"] = exc.messages
        else:
            context["saved_at"] = timezone.now()
            context["version"] = saved.section_version(section)
    else:
        context["errors"] = [
            f"{form[f].label}: {e}" for f, errs in form.errors.items() if f in form.fields for e in errs
        ]
    return render(request, "includes/save_status.html", context)


@login_required
@once_per_form
def item_add(request, pk: int, kind: str):
    formulation = get_editable_or_403(_formulations(), request.user, plan_id=pk)
    if not formulation.is_editable:
        raise PermissionDenied("This plan is no longer a draft: amend it to make changes.")
    form = _item_form(kind, formulation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        add = services.add_conflict if kind == "conflict" else services.add_defense
        try:
            add(actor=request.user, formulation=formulation, **form.values())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return _host().structure_response(request, formulation.plan_id)
    return render(request, "formulation/_item_form.html", _form_context(kind, formulation, form))


def _editable_item(request, kind: str, item_pk: int):
    model, _, _ = ITEMS[kind]
    item = get_editable_or_403(model.objects.current(), request.user, pk=item_pk)
    return item, _formulations().get(pk=item.formulation_id)


@login_required
def item_edit(request, kind: str, item_pk: int):
    item, formulation = _editable_item(request, kind, item_pk)
    if not formulation.is_editable:
        raise PermissionDenied("This plan is no longer a draft: amend it to make changes.")
    form = _item_form(kind, formulation, request.POST or None, instance=item)
    return editing.edit_item(
        request,
        kind=kind,
        item=item,
        form=form,
        save_url=reverse("formulation:item_edit", args=[kind, item.pk]),
        update=lambda **change: services.update_item(actor=request.user, item=item, **change),
        saved=lambda: _host().structure_response(request, formulation.plan_id),
        form_template="formulation/_item_form.html",
        form_context=lambda **extra: _form_context(kind, formulation, form, **extra),
    )


@login_required
@require_POST
def item_remove(request, kind: str, item_pk: int):
    item, formulation = _editable_item(request, kind, item_pk)
    services.remove_item(actor=request.user, item=item)
    return _host().structure_response(request, formulation.plan_id)


@login_required
@require_POST
def item_move(request, kind: str, item_pk: int, direction: str):
    direction = choice_param(direction, name="direction", choices=("up", "down"))
    item, formulation = _editable_item(request, kind, item_pk)
    services.move_item(actor=request.user, item=item, direction=direction)
    return _host().structure_response(request, formulation.plan_id)
