from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from accounts.access import get_visible_or_404
from plans.selectors import plan_queryset
from records import pdf


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
