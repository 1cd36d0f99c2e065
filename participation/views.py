"""Staff pages for client links: the "Client links" part of the client page, making and revoking one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import get_editable_or_403, get_visible_or_404
from clients.models import Client
from core.idempotency import once_per_form
from participation import services
from participation.forms import AcknowledgeAlertForm, LinkCreateForm
from participation.models import ClientLink, ClientRiskAlert

LINKS_ON_CLIENT_PAGE = 10
ALERTS_ON_CLIENT_PAGE = 10


def client_links_part(*, user, client: Client, can_edit: bool) -> dict:
    """The "Client links" part of the client page (registered in participation/apps.py)."""
    links = list(ClientLink.objects.visible_to(user).filter(client=client)[:LINKS_ON_CLIENT_PAGE])
    return {
        "links": links,
        "can_create": can_edit and client.is_active,
        "form": LinkCreateForm() if can_edit and client.is_active else None,
        "has_consent": client.has_contact_consent,
        "has_email": bool(client.email),
        # The alert history, acknowledged ones included: they leave the dashboards, not the record.
        "alerts": list(
            ClientRiskAlert.objects.visible_to(user)
            .filter(client=client)
            .select_related("score__definition", "acknowledged_by")[:ALERTS_ON_CLIENT_PAGE]
        ),
    }


def client_alert_banner_part(*, user, client: Client, can_edit: bool) -> dict:
    """The open alerts, at the top of the client page (registered in participation/apps.py)."""
    return {"open": list(ClientRiskAlert.objects.visible_to(user).open().filter(client=client))}


@login_required
@require_POST
@once_per_form
def link_create(request, client_pk: int):
    client = get_editable_or_403(Client.objects.select_related("practice"), request.user, pk=client_pk)
    form = LinkCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose at least one questionnaire and how the client gets the link.")
        return redirect("clients:detail", pk=client.pk)
    try:
        link, path = services.create_link(
            actor=request.user,
            client=client,
            purpose=ClientLink.Purpose.QUESTIONNAIRES,
            delivery=form.cleaned_data["delivery"],
            measure_codes=form.cleaned_data["measure_codes"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("clients:detail", pk=client.pk)
    if link.delivery == ClientLink.Delivery.EMAIL:
        messages.success(request, "The link is on its way to the client's email address.")
        return redirect("clients:detail", pk=client.pk)
    # Shown in this one answer only: only the token's hash is kept, so it cannot be shown again.
    response = render(
        request,
        "participation/link_created.html",
        {"client": client, "link": link, "url": settings.SITE_URL.rstrip("/") + path, "path": path},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def link_revoke(request, client_link_pk: int):
    link = get_editable_or_403(ClientLink.objects.all(), request.user, pk=client_link_pk)
    try:
        services.revoke_link(actor=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The link is revoked: it no longer opens.")
    return redirect("clients:detail", pk=link.client_id)


@login_required
@once_per_form
def alert_acknowledge(request, client_alert_pk: int):
    """An alert, and (for the client's clinician or their supervisor) the note that acknowledges it."""
    alert = get_visible_or_404(
        ClientRiskAlert.objects.select_related("client", "score__definition", "acknowledged_by"),
        request.user,
        pk=client_alert_pk,
    )
    may_act = alert.is_open and services.may_acknowledge(request.user, alert)
    if request.method == "POST" and not may_act:
        if alert.is_open:
            raise PermissionDenied("Only the client's clinician or their supervisor acknowledges the alert.")
        messages.info(request, "This alert was already acknowledged.")
        return redirect("participation:alert_acknowledge", client_alert_pk=alert.pk)
    form = AcknowledgeAlertForm(request.POST or None) if may_act else None
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledge_alert(actor=request.user, alert=alert, note=form.cleaned_data["note"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, "Alert acknowledged. It is off the dashboards and stays in the client's record.")
            return redirect("clients:detail", pk=alert.client_id)
    return render(request, "participation/alert.html", {"alert": alert, "client": alert.client, "form": form})
