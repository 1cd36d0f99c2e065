"""What the plan editor and the formulation editor share: forms that carry a version, service errors
shown on the form, and the inline edit of one item (autosaved or saved in full, a stale save kept
beside the other person's text).

Both editors sit above core (plans/editor/views.py, formulation/views.py), so the edit flow is written
once here and each editor says only which service saves the item, what answers a full save and how
its item form renders.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.errors import StaleEditError
from core.params import int_param

SAVE_STATUS_TEMPLATE = "includes/save_status.html"


class ServiceValidatedForm(forms.ModelForm):
    """Field-level checks here; whole-record validation in the service, mapped back onto fields.

    The base of every editor form that carries a version."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        bound = (args[0] if args else kwargs.get("data")) is not None
        if not (bound and instance is not None):
            super().__init__(*args, **kwargs)
            return
        # A posted edit is read, checked and shown again from what was posted, and the service saves
        # it onto the record as it stands when locked: the record's stored values (each of its links a
        # query) would only be read to be ignored, on every autosave.
        super().__init__(*args, **(kwargs | {"instance": None}))
        self.instance = instance

    def _post_clean(self):
        pass

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def expected_version(request, form) -> int:
    """The version an edit was based on: the "save mine over theirs" override, else the form's."""
    override = int_param(request.POST.get("overwrite_version"), name="overwrite_version")
    return override or form.cleaned_data["version"] or 0


def errors_to_form(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: on its field where the form has one, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def conflict_fields(form, current) -> list[tuple[str, str]]:
    """Their saved text beside yours, field by field, for the "someone else saved first" message."""
    rows = []
    for name, field in form.fields.items():
        if name == "version":
            continue
        value = getattr(current, name, "")
        if hasattr(value, "all"):
            value = ", ".join(str(v) for v in value.all())
        elif hasattr(current, f"get_{name}_display"):
            value = getattr(current, f"get_{name}_display")()
        rows.append((field.label or name, value))
    return rows


def edit_item(
    request: HttpRequest,
    *,
    kind: str,
    item,
    form: ServiceValidatedForm,
    save_url: str,
    update: Callable[..., Any],
    saved: Callable[[], HttpResponse],
    form_template: str,
    form_context: Callable[..., dict],
) -> HttpResponse:
    """Edit one item inline. `update(expected_version=, values=)` is the service call; `saved()` answers a
    full save; `form_context(**extra)` is the item form's context, to which the item and any conflict
    are added. An autosave (`?autosave=1`) answers with the save status, never the form."""
    autosave = request.GET.get("autosave") == "1"
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            result = update(expected_version=expected_version(request, form), values=form.values())
        except StaleEditError as exc:
            conflict = exc.current
            form.add_error(None, exc)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if autosave:
                status = {"section": f"{kind}-{item.pk}", "saved_at": timezone.now(), "version": result.version}
                return render(request, SAVE_STATUS_TEMPLATE, status)
            return saved()
    theirs = conflict_fields(form, conflict) if conflict else None
    if autosave:
        return render(
            request,
            SAVE_STATUS_TEMPLATE,
            {
                "section": f"{kind}-{item.pk}",
                "save_url": save_url,
                "conflict": conflict,
                "current_version": conflict.version if conflict else None,
                "conflict_fields": theirs,
                "errors": [e for errs in form.errors.values() for e in errs] if not conflict else None,
            },
        )
    return render(request, form_template, form_context(item=item, conflict=conflict, conflict_fields=theirs))


def swap_with_neighbour(siblings: list, current, direction: str) -> None:
    """Swap `current` with its neighbour above ("up") or below ("down") among `siblings` (locked, in
    display order) and renumber them; at either end nothing moves."""
    index = next(i for i, s in enumerate(siblings) if s.pk == current.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.order != position:
            sibling.order = position
            sibling.save(update_fields=["order"])
