"""Two-factor sign-in, the practice's security settings and the audit page."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import policy
from accounts.auth import has_two_factor, two_factor_required
from accounts.models import Membership, User
from audit import log

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
            log.record(action=log.Action.TWO_FACTOR, detail=f"verified with {type(device).__name__}")
            return redirect(_safe_next(request))
        log.record(action=log.Action.TWO_FACTOR, outcome=log.FAILED, detail="wrong or reused code")
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
                log.record(action=log.Action.TWO_FACTOR_ENROLLED, object_type="user", object_id=user.pk)
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
    log.record(action=log.Action.TWO_FACTOR_ENROLLED, detail="new backup codes")
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
        log.record(action=log.Action.TWO_FACTOR_DISABLED, object_type="user", object_id=user.pk)
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
            log.record(
                action=log.Action.SECURITY_SETTINGS,
                object_type="practice",
                object_id=practice.pk,
                subject_practice_id=practice.pk,
                detail=f"all staff: {practice.require_two_factor}, admins: {practice.require_two_factor_for_admins}",
            )
        messages.success(request, "Security settings saved.")
        return redirect("accounts:security_settings")
    return render(request, "accounts/security_settings.html", {"form": form})
