"""Plans as PDF records, made with WeasyPrint.

The HTML comes from Django templates (so everything a person typed is escaped), the CSS is
small and purpose-made with system fonts, and charts are the same SVGs as on the web page,
embedded as data URIs. Following WeasyPrint's advice on speed, rendering happens in the
long-lived process with one reused FontConfiguration, and nothing is fetched over the network.
"""

import base64
import enum
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import policy
from accounts.models import Practice
from plans.lifecycle import canonical, quotes
from plans.models import Signature, TreatmentPlan
from plans.selectors import load_plan_page, plan_queryset
from progress import charts, measures
from progress.models import ProgressReview
from progress.selectors import load_progress, review_evidence
from records import client_version


class Audience(enum.StrEnum):
    """Who a PDF is for, which decides what it contains."""

    # The record: everything but the clinician's private working material.
    CLINICAL = "clinical"
    # The plain-language summary for the client.
    CLIENT = "client"
    # The record with the private working material, for supervision only: not part of the record,
    # and says so on every page. Who may have it is the policy's (Action.READ_SUPERVISION_COPY).
    SUPERVISION = "supervision"


AUDIENCES = tuple(Audience)
SUPERVISION_BANNER = "Supervision copy — contains the clinician's countertransference; not part of the record"


@lru_cache(maxsize=1)
def font_config():
    # Lazy: importing WeasyPrint costs about 0.5 s, paid only by processes that render a PDF.
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _url_fetcher():
    """Only data: URIs: a PDF never reaches the network or the file system, and a broken
    chart fails the render instead of silently leaving a gap in a clinical record."""
    # Lazy: importing WeasyPrint costs about 0.5 s, paid only by processes that render a PDF.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def plan_context(plan: TreatmentPlan, *, audience: str, reader=None, summary: bool = False) -> dict:
    practice = plan.client.practice
    today = practice.today()
    # Checked against the database as it is now, so a record printed from content that no
    # longer matches its signatures says so.
    verification = canonical.verify(plan)
    page = load_plan_page(plan, today=today, content_hash=verification.current_hash)
    progress = load_progress(plan, page, today=today)
    chart_uris = []
    if audience != Audience.CLIENT:
        for definition, scores in progress.measure_series:
            svg = charts.measure_chart(
                definition,
                [(s.recorded_on, s.total) for s in scores],
                progress.measure_targets.get(definition.pk, []),
            )
            chart_uris.append((definition, scores, _data_uri(svg)))
    signatures = [check.signature for check in verification.checks]
    # The optional progress summary: the signed notes since the last review (never process notes,
    # which live behind their own door, nor the formulation's countertransference). Not in the
    # client's version, which is the plan in plain words.
    evidence = None
    if summary and audience != Audience.CLIENT:
        evidence = review_evidence(plan, objectives=page.objectives)
    now = timezone.localtime(timezone.now(), practice.tzinfo)
    # An objective's status as the latest completed review rated it (matched by lineage across
    # versions); the objective's own field only until a review has rated it.
    reviewed_status = {}
    numbers = {}
    for number, objective, cells in progress.objective_rows:
        numbers[objective.pk] = number
        rated = [(review, entry) for review, entry in zip(progress.completed, cells, strict=False) if entry]
        if rated:
            reviewed_status[objective.pk] = rated[-1]
    # The golden thread: what each objective addresses in the formulation, by name.
    addresses: dict[int, list[str]] = {}
    for item in page.thread:
        for objective in item.objectives:
            addresses.setdefault(objective.pk, []).append(f"{item.kind.lower()} {item.label}")
    return {
        "reviewed_status": reviewed_status,
        "objective_numbers": numbers,
        "addresses": addresses,
        "plan": plan,
        "client": plan.client,
        "practice": practice,
        "page": page,
        "progress": progress,
        "charts": chart_uris,
        "evidence": evidence,
        "verification": verification,
        # A submitted version prints the chart number it was signed with (plans/lifecycle/quotes.py).
        "chart_number": quotes.chart_number(plan),
        "generated_at": now,
        "audience": audience,
        # The private fields are printed only in the supervision copy, which is headed as such.
        "private_fields": audience == Audience.SUPERVISION,
        "banner": SUPERVISION_BANNER if audience == Audience.SUPERVISION else "",
        "printed_for": reader,
        # The plan in plain words (records/client_version.py), as the HTML client version says it.
        "client_version": client_version.build(plan, page) if audience == Audience.CLIENT else None,
        "achievement_labels": measures.ACHIEVEMENT_LABELS,
        "completed_reviews": [r for r in progress.completed if r.status == ProgressReview.Status.COMPLETED],
        "paper": "letter" if practice.paper_size == Practice.PaperSize.LETTER else "A4",
        "client_agreement": [
            s for s in signatures if s.meaning == Signature.Meaning.CLIENT_AGREEMENT and not s.voided_at
        ],
    }


def render_html(plan: TreatmentPlan, *, audience: str = Audience.CLINICAL, reader=None, summary: bool = False) -> str:
    """The PDF's HTML for `audience`. The supervision copy is made only for a `reader` the policy
    lets have it (PermissionDenied otherwise), whoever calls, and names them on its first page."""
    if audience not in AUDIENCES:
        raise ValueError(f"Unknown audience {audience!r}")
    if audience == Audience.SUPERVISION and not policy.can(reader, policy.Action.READ_SUPERVISION_COPY, plan):
        raise PermissionDenied("Only the plan's author and the author's supervisors may have its supervision copy.")
    template = "records/pdf/client_plan.html" if audience == Audience.CLIENT else "records/pdf/plan.html"
    # Times print in the practice's timezone, whichever process renders (web or worker).
    with timezone.override(plan.client.practice.tzinfo):
        return render_to_string(template, plan_context(plan, audience=audience, reader=reader, summary=summary))


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    sha256: str
    file_name: str


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """Raw WeasyPrint on ready HTML, with the shared font configuration."""
    # Lazy: importing WeasyPrint costs about 0.5 s, paid only by processes that render a PDF.
    from weasyprint import HTML

    document = HTML(string=html, base_url=settings.SITE_URL, url_fetcher=_url_fetcher()).render(
        font_config=font_config()
    )
    return document.write_pdf(), len(document.pages)


def render_pdf(
    plan: TreatmentPlan, *, audience: str = Audience.CLINICAL, reader=None, summary: bool = False
) -> RenderedPdf:
    """The PDF for `audience`; `reader` is who it is made for (needed for the supervision copy);
    `summary` adds the progress summary from the notes since the last review."""
    content, pages = html_to_pdf(render_html(plan, audience=audience, reader=reader, summary=summary))
    suffix = "" if audience == Audience.CLINICAL else f"-{audience}"
    # Named by the client's chart number now, which is unique in the practice (a signed version's
    # own chart number, printed inside, may since have been given to someone else).
    name = f"plan-{plan.client.chart_number}-v{plan.version_number}{suffix}.pdf"
    return RenderedPdf(content, pages, hashlib.sha256(content).hexdigest(), _safe_file_name(name))


def _safe_file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in name)


def render_plan_id(plan_id: int, *, user) -> RenderedPdf:
    """Render a plan's record by id for `user` (a task's requester), fetched through the access
    door: a plan out of their view raises TreatmentPlan.DoesNotExist, as a plan that does not exist.

    Always the clinical record: what a task renders (a bulk export) leaves the system as the record,
    so it never carries the private working material of the supervision copy."""
    return render_pdf(plan_queryset().visible_to(user).get(pk=plan_id), audience=Audience.CLINICAL)
