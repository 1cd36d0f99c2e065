"""Staff pages for client links: the "Client links" part of the client page, making and revoking one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import get_editable_or_403
from clients.models import Client
from core import sms
from core.idempotency import once_per_form
from participation import services
from participation.forms import LinkCreateForm
from participation.models import ClientLink

LINKS_ON_CLIENT_PAGE = 10


def client_links_part(*, user, client: Client, can_edit: bool) -> dict:
    """The "Client links" part of the client page (registered in participation/apps.py)."""
    links = list(ClientLink.objects.visible_to(user).filter(client=client)[:LINKS_ON_CLIENT_PAGE])
    return {
        "links": links,
        "can_create": can_edit and client.is_active,
        "form": LinkCreateForm() if can_edit and client.is_active else None,
        "has_consent": client.has_contact_consent,
        "has_email": bool(client.email),
        "has_phone": bool(client.phone.strip()),
        "can_text": sms.enabled(),
    }


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
    if link.delivery == ClientLink.Delivery.SMS:
        messages.success(request, "The link is on its way to the client's mobile number.")
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
