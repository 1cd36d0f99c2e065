from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import get_visible_or_404
from core.idempotency import once_per_form
from plans import lifecycle, pdf
from plans.selectors import plan_queryset


def pdf_response(rendered: pdf.RenderedPdf) -> HttpResponse:
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{rendered.file_name}"'
    # A clinical record: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = rendered.sha256
    return response


@login_required
def plan_pdf(request, pk: int):
    """The PDF of this version (current or earlier) for anyone who can read the plan."""
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    audience = "client" if request.GET.get("audience") == "client" else "clinical"
    return pdf_response(pdf.render_pdf(plan, audience=audience))


@login_required
@require_POST
@once_per_form
def client_agreement(request, pk: int):
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    try:
        lifecycle.record_client_agreement(
            actor=request.user, plan=plan, client_name=request.POST.get("client_name", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The client's agreement is recorded with this version.")
    return redirect("plans:detail", pk=plan.pk)
