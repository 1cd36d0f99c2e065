"""The practice admin's pages for client links: the practice's settings and the response rates.

To everyone but the practice's admins they do not exist (404), as the security and audit pages.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from accounts import policy
from accounts.models import Practice
from participation import reports, services
from participation.forms import MEASURE_LABELS, ClientLinkSettingsForm, ResponseRatePeriodForm


def _admins_practice(request, action: policy.Action) -> Practice:
    if not policy.can(request.user, action):
        raise Http404
    return Practice.objects.get(pk=policy.practice_id_of(request.user))


@login_required
def link_settings(request):
    practice = _admins_practice(request, policy.Action.MANAGE_CLIENT_LINK_SETTINGS)
    form = ClientLinkSettingsForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_client_link_settings(
                actor=request.user, practice=form.save(commit=False), changed=form.changed_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Client link settings saved.")
            return redirect("participation:link_settings")
    return render(request, "participation/link_settings.html", {"form": form, "practice": practice})


@login_required
def response_rates(request):
    practice = _admins_practice(request, policy.Action.VIEW_RESPONSE_RATES)
    today = practice.today()
    default = {"start": today - dt.timedelta(days=reports.DEFAULT_PERIOD_DAYS), "end": today}
    form = ResponseRatePeriodForm(request.GET if request.GET else None, initial=default)
    period = default
    if form.is_bound and form.is_valid():
        chosen = {key: form.cleaned_data[key] or default[key] for key in default}
        # One date given and the other defaulted may cross: then the default period stands.
        if chosen["start"] <= chosen["end"]:
            period = chosen
    rates = reports.response_rates(request.user, practice=practice, labels=MEASURE_LABELS, **period)
    return render(request, "participation/response_rates.html", {"form": form, "rates": rates, "practice": practice})
