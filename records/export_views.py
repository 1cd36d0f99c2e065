from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import User
from clients.forms import DateInput
from clients.models import Client
from core.dates import ClinicalDateFormField
from core.idempotency import once_per_form
from core.outbox import enqueue
from records import exports
from records.models import BulkExport, BulkExportItem


def _require_admin(request):
    """The export pages are an admin's: to everyone else they do not exist."""
    if not policy.can(request.user, policy.Action.EXPORT):
        raise Http404
    return policy.membership_of(request.user)


class ExportForm(forms.Form):
    client_status = forms.ChoiceField(
        label="Clients", choices=[("", "All clients"), *Client.Status.choices], required=False
    )
    clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="All clinicians")
    date_from = ClinicalDateFormField(label="Plans starting from", required=False, widget=DateInput())
    date_to = ClinicalDateFormField(label="Plans starting until", required=False, widget=DateInput())

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        # Former clinicians too: their old caseloads are exported as well.
        self.fields["clinician"].queryset = policy.clinicians(practice, include_deactivated=True).order_by(
            "family_name", "given_name"
        )


@login_required
@once_per_form
def export_list(request):
    membership = _require_admin(request)
    form = ExportForm(request.POST or None, practice=membership.practice)
    if request.method == "POST" and form.is_valid():
        try:
            export = exports.request_export(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Export started. You can leave this page; it keeps running.")
            return redirect("records:export_detail", pk=export.pk)
    own = BulkExport.objects.of_requester(request.user)[:20]
    context = {"form": form, "exports": own, "in_scope": _count_in_scope(request, membership, form)}
    return render(request, "records/exports.html", context)


def _count_in_scope(request, membership, form: ExportForm) -> int | None:
    """How many plans the chosen filters take: of the posted form, or of the filters the page
    sends as they change (htmx GET), or of every plan when nothing is chosen yet."""
    if request.method != "POST":
        form = ExportForm(request.GET or None, practice=membership.practice)
    if form.is_bound and not form.is_valid():
        return None
    filters = form.cleaned_data if form.is_bound else {}
    return exports.count_in_scope(actor=request.user, **filters)


def _own_export(request, pk: int) -> BulkExport:
    _require_admin(request)
    return get_object_or_404(BulkExport.objects.of_requester(request.user), pk=pk)


@login_required
def export_detail(request, pk: int):
    export = _own_export(request, pk)
    context = {
        "export": export,
        "progress": exports.progress(export),
        "failures": export.items.filter(status=BulkExportItem.Status.FAILED).select_related("plan__client"),
    }
    template = "records/_export_progress.html" if request.htmx else "records/export_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def export_retry(request, pk: int):
    export = _own_export(request, pk)
    try:
        failed = exports.retry_failed(actor=request.user, export=export)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("records:export_detail", pk=export.pk)

    with transaction.atomic():
        for item_id in failed:
            enqueue("plans.tasks.render_export_item", item_id)
    messages.success(request, f"Retrying {len(failed)} plan{'s' if len(failed) != 1 else ''}.")
    return redirect("records:export_detail", pk=export.pk)


@login_required
def export_download(request, pk: int):
    export = _own_export(request, pk)
    if export.status != BulkExport.Status.FINISHED or not export.zip_path:
        raise Http404("This export is not ready or has expired.")
    # Streamed from disk (gunicorn hands the open file to sendfile); the ZIP is never read whole,
    # so serving a practice's archive takes the same memory at 30 plans as at 3,000.
    response = FileResponse(
        default_storage.open(export.zip_path, "rb"),
        as_attachment=True,
        filename=f"psyplan-export-{export.pk}.zip",
        content_type="application/zip",
    )
    # Where there is no sendfile, blocks larger than FileResponse's 4 KiB, still far below a ZIP.
    response.block_size = exports.CHUNK
    response["Cache-Control"] = "no-store"
    return response
