from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from accounts import policy
from accounts.access import can_edit, get_editable_or_403, get_visible_or_404
from clients import flags as client_flags
from clients import page_parts, services
from clients.forms import ClientForm, PresentingProblemForm
from clients.models import Client
from core.errors import StaleEditError
from core.idempotency import once_per_form


@login_required
def client_list(request):
    """The caseload list. The search term travels in a POST body, never in the URL: names in
    query strings end up in browser history, proxy and server logs and Referer headers."""
    params = request.POST if request.method == "POST" else request.GET
    status = params.get("status", "active")
    term = request.POST.get("q", "") if request.method == "POST" else ""
    clients = Client.objects.visible_to(request.user).select_related("primary_clinician").search(term)
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    page = Paginator(clients, 50).get_page(params.get("page"))
    page.object_list = list(page.object_list)
    flags = client_flags.flags_for(user=request.user, client_ids=[c.pk for c in page.object_list])
    for client in page.object_list:
        client.list_flags = flags.get(client.pk, [])
    context = {
        "page": page,
        "status": status,
        "q": term,
        "statuses": Client.Status.choices,
        "can_create": policy.can(request.user, policy.Action.CREATE_CLIENT),
    }
    template = "clients/_client_rows.html" if request.htmx else "clients/client_list.html"
    return render(request, template, context)


@login_required
def client_detail(request, pk: int):
    client = get_visible_or_404(Client.objects.select_related("primary_clinician", "practice"), request.user, pk=pk)
    editable = can_edit(request.user, client)
    notices = page_parts.fill(page_parts.CLIENT_DETAIL_NOTICES, user=request.user, client=client, can_edit=editable)
    notice_parts = notices.pop("page_parts")
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "problems": client.presenting_problems.current(),
            # Through the relation, so that clients imports nothing from plans (plans sits above it).
            "plans": client.plans.visible_to(request.user)
            .select_related("author")
            .order_by("-version_number", "-created_at"),
            "can_edit": editable,
            # The sections apps above clients add (notes: the session history).
            **notices,
            "notice_parts": notice_parts,
            **page_parts.fill(page_parts.CLIENT_DETAIL, user=request.user, client=client, can_edit=editable),
        },
    )


@login_required
@once_per_form
def client_create(request):
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            client = services.create_client(actor=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Client record opened for {client.display_name}.")
            return redirect("clients:detail", pk=client.pk)
    elif request.method == "GET":
        if not policy.can(request.user, policy.Action.CREATE_CLIENT):
            raise PermissionDenied("Only clinicians open client records.")
    return render(request, "clients/client_form.html", {"form": form, "title": "New client"})


@login_required
def client_edit(request, pk: int):
    client = get_editable_or_403(Client.objects.all(), request.user, pk=pk)
    form = ClientForm(request.POST or None, instance=client, initial={"version": client.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            client = services.update_client(
                actor=request.user, client=client, expected_version=form.cleaned_data["version"] or 0, **data
            )
        except StaleEditError as exc:
            conflict = exc.current
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Client details saved.")
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "client": client, "conflict": conflict, "title": f"Edit {client.display_name}"},
    )


@login_required
@once_per_form
def problem_create(request, pk: int):
    client = get_editable_or_403(Client.objects.all(), request.user, pk=pk)
    form = PresentingProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_presenting_problem(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Presenting problem added.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/problem_form.html", {"form": form, "client": client})
