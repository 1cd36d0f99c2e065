"""The audit page: a practice's access log for its admins, filtered, sorted, paged and exported as CSV.

The log grows by every read of every record, so nothing here reads it whole: a page is the 100
entries after (or before) one entry in the chosen order (keyset pagination, `core.keyset`, served
by the indexes on the practice, the person and the client with the time), with no total count, and
the CSV is streamed row by row from a server-side cursor.

The one part of audit that looks upward: who may read the page is the role policy's answer
(accounts.policy) and the client filter lists the admin's clients (clients.models). The
import-linter contract allows exactly these two imports, from this module only; the rest of
audit stays below accounts, which writes to the log.
"""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.forms.utils import flatatt
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts import policy
from audit import log
from audit.models import AccessLog
from clients.models import Client
from core import keyset
from core.dates import ClinicalDateFormField
from core.params import int_param

# Each order ends with the primary key, so that it is total and a keyset page can start after any row.
SORTS = {
    "at": ("at", "pk"),
    "-at": ("-at", "-pk"),
    "actor": ("actor_email", "-at", "-pk"),
    "-actor": ("-actor_email", "-at", "-pk"),
    "action": ("action", "-at", "-pk"),
    "-action": ("-action", "-at", "-pk"),
}
PAGE_SIZE = 100
CSV_CHUNK = 2000


class ManyOptionsSelect(forms.Select):
    """A select rendered in Python. Django renders each option through a template of its own, which
    for a practice's thousands of clients was most of the audit page's time; the markup is the same."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                ("" if option["value"] is None else option["value"], " selected" if option["selected"] else "", label)
                for _, group, _ in widget["optgroups"]
                for option in group
                for label in [option["label"]]
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options)


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone", widget=ManyOptionsSelect
    )
    client = forms.TypedChoiceField(choices=(), required=False, coerce=int, empty_value=None, widget=ManyOptionsSelect)
    action = forms.ChoiceField(choices=[("", "Any action"), *log.Action.CHOICES], required=False)
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *AccessLog.Outcome.choices], required=False)
    date_from = ClinicalDateFormField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = ClinicalDateFormField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        choices=[
            ("-at", "Newest first"),
            ("at", "Oldest first"),
            ("actor", "Person A–Z"),
            ("-actor", "Person Z–A"),
            ("action", "Action A–Z"),
            ("-action", "Action Z–A"),
        ],
        required=False,
    )

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, **kwargs)

        practice_id = policy.practice_id_of(admin)
        self.fields["user"].queryset = (
            get_user_model().objects.filter(membership__practice_id=practice_id).order_by("family_name", "given_name")
        )
        self.fields["client"].choices = [("", "Any client")] + [
            (pk, f"{chart} · {given} {family}")
            for pk, chart, given, family in Client.objects.visible_to(admin)
            .order_by("chart_number")
            .values_list("pk", "chart_number", "given_name", "family_name")
        ]

    def order(self) -> tuple[str, ...]:
        return SORTS.get(self.cleaned_data.get("sort") or "-at", SORTS["-at"])

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("user"):
            queryset = queryset.filter(actor=data["user"])
        if data.get("client"):
            queryset = queryset.filter(client_id=data["client"])
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        if data.get("outcome"):
            queryset = queryset.filter(outcome=data["outcome"])
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            queryset = queryset.filter(at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz))
        if data.get("date_to"):
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            queryset = queryset.filter(at__lt=end)
        return queryset


# Each CSV column and the model field behind it, in order.
CSV_COLUMN_FIELDS = [
    ("id", "pk"),
    ("at_utc", "at"),
    *((name, name) for name in ("actor_email", "action", "outcome", "object_type", "object_id", "client_id")),
    *((name, name) for name in ("ip", "user_agent", "detail", "hash")),
]
CSV_COLUMNS = [column for column, _ in CSV_COLUMN_FIELDS]
CSV_FIELDS = [field for _, field in CSV_COLUMN_FIELDS]


def _csv_cell(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in text a user could have chosen."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# How a record's type reads in the log; anything else reads as its type with spaces.
RECORD_WORDS = {
    "plan": "Treatment plan",
    "plan_template": "Plan template",
    "progress_review": "Progress review",
    "session": "Session",
    "process_note": "Process note",
    "bulk_export": "Bulk export",
    "client_link": "Client link",
    "client_alert": "Client alert",
    "access_log": "Audit log",
    "user": "Staff member",
    "problem": "Presenting problem",
    "defense": "Defense",
    "conflict": "Conflict",
}


def record_in_words(object_type: str, object_id: str) -> str:
    if not object_type:
        return ""
    words = RECORD_WORDS.get(object_type, object_type.replace("_", " ").capitalize())
    return f"{words} {object_id}" if object_id else words


def detail_in_words(detail: str) -> str:
    """A route name ("plans:detail 404") reads as the page it names ("plans · detail page, answered 404");
    a detail written in words by a service passes unchanged."""
    head, _, rest = (detail or "").partition(" ")
    if ":" not in head or " " in head:
        return detail
    namespace, _, name = head.partition(":")
    words = f"{namespace.replace('_', ' ')} · {name.replace('_', ' ')} page"
    if rest.isdigit():
        return f"{words}, answered {rest}"
    return f"{words} {rest}".strip()


class _Echo:
    """csv.writer writes into this and gets the line back, to be yielded rather than buffered."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(entries):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    # Values, not model instances: the export is the log's widest read, and its cost is per row.
    for row in entries.values_list(*CSV_FIELDS).iterator(chunk_size=CSV_CHUNK):
        at = row[1].astimezone(dt.UTC).isoformat()
        yield writer.writerow([_csv_cell(v) for v in (row[0], at, *row[2:])])


def _csv_response(request, entries, practice_id: int) -> StreamingHttpResponse:
    params = {k: v for k, v in request.GET.items() if k != "format" and v}
    log.record(
        action=log.Action.AUDIT_EXPORT,
        object_type="access_log",
        subject_practice_id=practice_id,
        detail="filters: " + (", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "none"),
    )
    # Streamed: a year of a practice's log is millions of rows, and neither the worker nor the
    # database should hold them at once (`iterator` reads through a server-side cursor, in chunks).
    response = StreamingHttpResponse(_csv_lines(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="psyplan-audit-{stamp}.csv"'
    return response


@login_required
def audit_log(request):
    """The practice's access log for its admins: filter, sort, page and export as CSV."""
    # The page is an admin's: to everyone else it does not exist.
    if not policy.can(request.user, policy.Action.VIEW_AUDIT):
        raise Http404
    membership = policy.membership_of(request.user)
    form = AuditFilterForm(request.GET or None, admin=request.user)
    scope = AccessLog.objects.for_practice(membership.practice_id)
    valid = form.is_valid()
    entries = form.filter(scope) if valid else scope
    order = form.order() if valid else SORTS["-at"]
    if request.GET.get("format") == "csv" and (valid or not request.GET):
        return _csv_response(request, entries.order_by(*order), membership.practice_id)
    page = keyset.page(
        entries.select_related("actor"),
        order=order,
        scope=scope,
        after=int_param(request.GET.get("after"), name="after"),
        before=int_param(request.GET.get("before"), name="before"),
        size=PAGE_SIZE,
    )
    labels = dict(log.Action.CHOICES)
    rows = page.rows
    # The client by name, as this admin may see them (one query for the page); a client the admin
    # cannot see (another practice's, in a cross-practice denial) stays a number.
    client_ids = {e.client_id for e in rows if e.client_id}
    clients = (
        {
            c.pk: f"{c.display_name} ({c.chart_number})"
            for c in Client.objects.visible_to(request.user).filter(pk__in=client_ids)
        }
        if client_ids
        else {}
    )
    for entry in rows:
        entry.action_label = labels.get(entry.action, entry.action)
        entry.client_label = clients.get(entry.client_id, f"#{entry.client_id}" if entry.client_id else "")
        entry.record_label = record_in_words(entry.object_type, entry.object_id)
        entry.detail_label = detail_in_words(entry.detail)
    query = request.GET.copy()
    for cursor in ("after", "before", "page", "format"):
        query.pop(cursor, None)
    # "Older" and "Newer" when the order is by time; otherwise the direction is the sort's own.
    by_time = order[0].removeprefix("-") == "at"
    newest_first = order[0] == "-at"
    return render(
        request,
        "audit/audit_log.html",
        {
            "form": form,
            "page": page,
            "entries": rows,
            "query": query.urlencode(),
            "next_label": ("Older" if newest_first else "Newer") if by_time else "Next",
            "previous_label": ("Newer" if newest_first else "Older") if by_time else "Previous",
        },
    )
