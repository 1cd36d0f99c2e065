"""The discharge page. Routed as clients:discharge by config/urls.py; it lives on the plan side
because discharging closes the client's plans (see plans/discharge.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.access import get_editable_or_403
from clients.forms import DischargeForm
from clients.models import Client
from plans.discharge import discharge_client_and_close_plans


@login_required
def client_discharge(request, pk: int):
    client = get_editable_or_403(Client.objects.all(), request.user, pk=pk)
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            discharge_client_and_close_plans(
                actor=request.user,
                client=client,
                discharged_on=form.cleaned_data["discharged_on"],
                reason=form.cleaned_data["discharge_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{client.display_name} has been discharged. The record is archived.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/discharge_form.html", {"form": form, "client": client})
