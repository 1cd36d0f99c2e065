from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from accounts.access import get_visible_or_404
from audit import log
from plans.selectors import plan_queryset
from records import pdf


def pdf_response(rendered: pdf.RenderedPdf) -> HttpResponse:
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{rendered.file_name}"'
    # A clinical record: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    response["X-Content-SHA256"] = rendered.sha256
    return response


def audience_of(request, value: str | None) -> pdf.Audience:
    """The audience asked for (the record when none or an unknown one is), named in the access log
    entry of the download, or of its refusal."""
    audience = pdf.Audience(value) if value in pdf.AUDIENCES else pdf.Audience.CLINICAL
    log.describe(request, f"audience={audience}")
    return audience


SUMMARY_YES = ("1", "true", "on", "yes")
SUMMARY_NO = ("", "0", "false", "off", "no")


def summary_of(request, value: str | None) -> bool:
    """Whether the progress summary was asked for (?summary=1), named in the access log entry.
    Raises ValueError for a value that is neither yes nor no."""
    value = (value or "").strip().lower()
    if value not in SUMMARY_YES + SUMMARY_NO:
        raise ValueError(value)
    wanted = value in SUMMARY_YES
    if wanted:
        detail = getattr(getattr(request, "_request", request), "audit_detail", "")
        log.describe(request, f"{detail} summary=progress".strip())
    return wanted


@login_required
def plan_pdf(request, pk: int):
    """The PDF of this version (current or earlier) for anyone who can read the plan; its
    supervision copy (?audience=supervision) only for those the policy allows (403 for others);
    with ?summary=1 the record adds the progress summary since the last review."""
    audience = audience_of(request, request.GET.get("audience"))
    try:
        summary = summary_of(request, request.GET.get("summary"))
    except ValueError:
        # An unknown value on a link is not worth an error page: the record without the summary.
        summary = False
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    return pdf_response(pdf.render_pdf(plan, audience=audience, reader=request.user, summary=summary))
