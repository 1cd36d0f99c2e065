"""Staff pages for client links: the "Client links" part of the client page, the "Client agreement"
part of the plan page, making and revoking a link."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import can_edit, get_editable_or_403, get_visible_or_404
from clients.models import Client
from core import sms
from core.idempotency import once_per_form
from participation import services
from participation.forms import AcknowledgeAlertForm, AgreementLinkForm, LinkCreateForm
from participation.models import ClientLink, ClientRiskAlert
from plans.models import Signature, TreatmentPlan
from plans.selectors import plan_queryset

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
        "has_phone": bool(client.phone.strip()),
        "can_text": sms.enabled(),
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


def plan_agreement_part(*, user, plan: TreatmentPlan, page, today) -> dict:
    """The plan page's "Client agreement" part (registered in participation/apps.py): the version's
    agreement as given, the client's answers through links, and where to ask for one."""
    agreements = [
        s for s in plan.signatures.all() if s.meaning == Signature.Meaning.CLIENT_AGREEMENT and s.voided_at is None
    ]
    links = list(
        ClientLink.objects.visible_to(user)
        .filter(plan=plan, purpose=ClientLink.Purpose.AGREEMENT)
        .select_related("signature")[:LINKS_ON_CLIENT_PAGE]
    )
    writable = can_edit(user, plan)
    can_ask = writable and plan.status == TreatmentPlan.Status.ACTIVE and plan.client.is_active and not agreements
    return {
        "agreements": agreements,
        "links": links,
        "declines": [link for link in links if link.declined_at],
        "can_revoke": writable,
        "form": AgreementLinkForm() if can_ask else None,
        "is_active": plan.status == TreatmentPlan.Status.ACTIVE,
        "has_consent": plan.client.has_contact_consent,
        "has_email": bool(plan.client.email),
    }


@login_required
@require_POST
@once_per_form
def agreement_link_create(request, plan_pk: int):
    """ "Ask the client to agree": an agreement link to this version, emailed or handed over."""
    plan = get_editable_or_403(plan_queryset(), request.user, pk=plan_pk)
    form = AgreementLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the client gets the link.")
        return redirect("plans:detail", pk=plan.pk)
    try:
        link, path = services.create_link(
            actor=request.user,
            client=plan.client,
            purpose=ClientLink.Purpose.AGREEMENT,
            delivery=form.cleaned_data["delivery"],
            plan=plan,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plans:detail", pk=plan.pk)
    if link.delivery == ClientLink.Delivery.EMAIL:
        messages.success(request, "The link is on its way to the client's email address.")
        return redirect("plans:detail", pk=plan.pk)
    response = render(
        request,
        "participation/link_created.html",
        {"client": plan.client, "link": link, "url": settings.SITE_URL.rstrip("/") + path, "path": path},
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
    if request.POST.get("back") == "plan" and link.plan_id:
        return redirect("plans:detail", pk=link.plan_id)
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
