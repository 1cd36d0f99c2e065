"""Two-factor sign-in, the practice's security settings and the audit page."""

from __future__ import annotations

import base64
import csv
import datetime as dt

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, policy
from accounts.auth import has_two_factor, two_factor_required
from accounts.models import AccessLog, Membership, User
from clients.models import Client
from config.dates import ClinicalDateFormField

BACKUP_CODE_COUNT = 10


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def new_backup_codes(user: User) -> list[str]:
    """Replace the person's backup codes with fresh ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@login_required
def two_factor_verify(request):
    """The second step of sign-in for people with two-factor."""
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if not has_two_factor(request.user):
        return redirect("accounts:two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()
            audit.record(action=audit.Action.TWO_FACTOR, detail=f"verified with {type(device).__name__}")
            return redirect(_safe_next(request))
        audit.record(action=audit.Action.TWO_FACTOR, outcome=audit.FAILED, detail="wrong or reused code")
        form.add_error("token", "That code is not right, or was already used. Try the next one.")
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
def two_factor_setup(request):
    """Set up an authenticator app: show the secret and QR code, confirm with a first code."""
    user = request.user
    if has_two_factor(user):
        if not user.is_verified():
            return redirect("accounts:two_factor_verify")
        return render(
            request,
            "accounts/two_factor_status.html",
            {
                "required": two_factor_required(user),
                "backup_left": StaticToken.objects.filter(device__user=user).count(),
            },
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = new_backup_codes(user)
                audit.record(action=audit.Action.TWO_FACTOR_ENROLLED, object_type="user", object_id=user.pk)
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": _safe_next(request)})
        form.add_error("token", "That code does not match. Check the time on your phone and try the next code.")
    uri = device.config_url
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": _base32(device.bin_key),
            "uri": uri,
            "qr_svg": segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"),
            "required": two_factor_required(user),
            "next": _safe_next(request),
        },
    )


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


@login_required
@require_POST
def two_factor_backup_codes(request):
    if not (has_two_factor(request.user) and request.user.is_verified()):
        raise Http404
    codes = new_backup_codes(request.user)
    audit.record(action=audit.Action.TWO_FACTOR_ENROLLED, detail="new backup codes")
    return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": "/"})


@login_required
@require_POST
def two_factor_disable(request):
    user = request.user
    if not (has_two_factor(user) and user.is_verified()) or two_factor_required(user):
        raise Http404
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(action=audit.Action.TWO_FACTOR_DISABLED, object_type="user", object_id=user.pk)
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("home")


# --- Practice security settings -----------------------------------------------


def _admin_membership(request, action: policy.Action) -> Membership:
    """The security and audit pages are an admin's: to everyone else they do not exist."""
    if not policy.can(request.user, action):
        raise Http404
    return policy.membership_of(request.user)


class SecuritySettingsForm(forms.Form):
    require_two_factor = forms.BooleanField(label="Require two-factor sign-in for all staff", required=False)
    require_two_factor_for_admins = forms.BooleanField(
        label="Require two-factor sign-in for practice admins", required=False
    )


@login_required
def security_settings(request):
    practice = _admin_membership(request, policy.Action.MANAGE_SECURITY).practice
    initial = {
        "require_two_factor": practice.require_two_factor,
        "require_two_factor_for_admins": practice.require_two_factor_for_admins,
    }
    form = SecuritySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            practice.require_two_factor = form.cleaned_data["require_two_factor"]
            practice.require_two_factor_for_admins = form.cleaned_data["require_two_factor_for_admins"]
            practice.save(update_fields=["require_two_factor", "require_two_factor_for_admins"])
            audit.record(
                action=audit.Action.SECURITY_SETTINGS,
                object_type="practice",
                object_id=practice.pk,
                subject_practice_id=practice.pk,
                detail=f"all staff: {practice.require_two_factor}, admins: {practice.require_two_factor_for_admins}",
            )
        messages.success(request, "Security settings saved.")
        return redirect("accounts:security_settings")
    return render(request, "accounts/security_settings.html", {"form": form})


# --- The audit page ------------------------------------------------------------

SORTS = {
    "at": ("at", "pk"),
    "-at": ("-at", "-pk"),
    "actor": ("actor_email", "-at"),
    "-actor": ("-actor_email", "-at"),
    "action": ("action", "-at"),
    "-action": ("-action", "-at"),
}


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    client = forms.TypedChoiceField(choices=(), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(choices=[("", "Any action"), *audit.Action.CHOICES], required=False)
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
        self.fields["user"].queryset = User.objects.filter(membership__practice_id=practice_id).order_by(
            "family_name", "given_name"
        )
        self.fields["client"].choices = [("", "Any client")] + [
            (pk, f"{chart} · {given} {family}")
            for pk, chart, given, family in Client.objects.visible_to(admin)
            .order_by("chart_number")
            .values_list("pk", "chart_number", "given_name", "family_name")
        ]

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
        return queryset.order_by(*SORTS.get(data.get("sort") or "-at", SORTS["-at"]))


CSV_COLUMNS = [
    "id",
    "at_utc",
    "actor_email",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "client_id",
    "ip",
    "user_agent",
    "detail",
    "hash",
]


def _csv_cell(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in text a user could have chosen."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def audit_log(request):
    """The practice's access log for its admins: filter, sort, page and export as CSV."""
    membership = _admin_membership(request, policy.Action.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None, admin=request.user)
    entries = AccessLog.objects.for_practice(membership.practice_id).select_related("actor")
    entries = form.filter(entries) if form.is_valid() else entries.order_by(*SORTS["-at"])
    if request.GET.get("format") == "csv" and (form.is_valid() or not request.GET):
        params = {k: v for k, v in request.GET.items() if k != "format" and v}
        audit.record(
            action=audit.Action.AUDIT_EXPORT,
            object_type="access_log",
            subject_practice_id=membership.practice_id,
            detail="filters: " + (", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "none"),
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="psyplan-audit-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for e in entries.iterator(chunk_size=2000):
            writer.writerow(
                [
                    _csv_cell(v)
                    for v in (
                        e.pk,
                        e.at.astimezone(dt.UTC).isoformat(),
                        e.actor_email,
                        e.action,
                        e.outcome,
                        e.object_type,
                        e.object_id,
                        e.client_id,
                        e.ip,
                        e.user_agent,
                        e.detail,
                        e.hash,
                    )
                ]
            )
        return response
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    labels = dict(audit.Action.CHOICES)
    rows = list(page.object_list)
    for entry in rows:
        entry.action_label = labels.get(entry.action, entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "entries": rows,
            "query": query.urlencode(),
        },
    )
