"""Project-level pages: the role-aware home page and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import policy
from clients.models import Client
from config.celery import app as celery_app
from notes import selectors as note_selectors
from participation.models import ClientRiskAlert
from plans.models import TreatmentPlan
from progress import selectors as progress_selectors
from progress.models import ProgressReview
from records.models import BulkExport


@login_required
def home(request):
    user = request.user
    membership = policy.membership_of(user)
    roles = policy.Roles(user)
    context: dict = {"membership": membership, "roles": roles}
    if membership is not None:
        if roles.clinician:
            context["caseload"] = (
                Client.objects.visible_to(request.user).active().filter(primary_clinician=request.user)[:50]
            )
        if roles.supervisor:
            supervisees = policy.current_supervisions().filter(supervisor=user).select_related("supervisee__membership")
            counts = dict(
                Client.objects.visible_to(request.user)
                .active()
                .filter(primary_clinician__in=[s.supervisee_id for s in supervisees])
                .values_list("primary_clinician")
                .annotate(n=Count("pk"))
            )
            context["supervisees"] = [
                (s.supervisee, counts.get(s.supervisee_id, 0), policy.needs_cosignature(s.supervisee))
                for s in supervisees
            ]
        if roles.clinician:
            context["reviews_due"] = (
                ProgressReview.objects.visible_to(request.user)
                .open()
                .filter(plan__client__primary_clinician=request.user)
                .select_related("plan__client")
                .order_by("due_date")[:20]
            )
        if roles.clinician:
            # Capped and joined, so the page costs the same however many sessions there are.
            context["unsigned_notes"] = note_selectors.notes_unsigned_after(user)[:20]
        if roles.clinician or roles.supervisor:
            # The clients' alerts they were told of (or whose client is theirs now), until acknowledged.
            context["client_alerts"] = (
                ClientRiskAlert.objects.for_dashboard(user)
                .select_related("client__primary_clinician", "score__definition")
                .order_by("raised_at", "pk")[:20]
            )
        if roles.clinician or roles.supervisor:
            # Their own notes' flags, and as a supervisor their supervisees' (notes.selectors.risk_flags).
            context["risk_flags"] = note_selectors.risk_flags(user).select_related("session__service_type", "author")[
                :20
            ]
            # Clients whose latest PHQ-9 answered item 9 above 0, also badged on the client list.
            context["phq9_risks"] = progress_selectors.latest_phq9_at_risk(user).select_related("client")[:20]
        context["needs_you"] = _needs_you(user, roles, context)
        if roles.practice_admin:
            context["staff_count"] = policy.manageable_memberships(request.user).filter(user__is_active=True).count()
            context["client_count"] = Client.objects.visible_to(request.user).active().count()
            context["overdue_reviews"] = (
                ProgressReview.objects.visible_to(request.user)
                .filter(status=ProgressReview.Status.OVERDUE)
                .select_related("plan__client", "plan__author")
                .order_by("due_date")[:50]
            )
    return render(request, "home.html", context)


def _needs_you(user, roles, context) -> list[tuple[str, int, str]]:
    """What needs this person, with counts, in the order they would act on it: each row is
    (label, count, link). "Review" means a progress review throughout; a plan waiting for a
    supervisor is "sign-off", as in the menu."""
    rows: list[tuple[str, int, str]] = []
    if roles.clinician or roles.supervisor:
        rows.append(("Client alerts", ClientRiskAlert.objects.for_dashboard(user).count(), "#client-alerts-title"))
        risks = note_selectors.risk_flags(user).count() + progress_selectors.latest_phq9_at_risk(user).count()
        rows.append(("Risk flags", risks, "#risk-title"))
    if roles.clinician:
        own = TreatmentPlan.objects.visible_to(user).filter(author=user)
        context["own_plans"] = list(
            own.filter(status__in=[TreatmentPlan.Status.CHANGES_REQUESTED, TreatmentPlan.Status.DRAFT])
            .select_related("client")
            .order_by("status", "updated_at")[:20]  # changes requested before drafts
        )
        plans = own.aggregate(
            returned=Count("pk", filter=Q(status=TreatmentPlan.Status.CHANGES_REQUESTED)),
            drafts=Count("pk", filter=Q(status=TreatmentPlan.Status.DRAFT)),
        )
        rows.append(("Changes requested", plans["returned"], "#own-plans-title"))
        rows.append(("Drafts", plans["drafts"], "#own-plans-title"))
        overdue = Q(status=ProgressReview.Status.OVERDUE)
        reviews = (
            ProgressReview.objects.visible_to(user)
            .open()
            .filter(plan__client__primary_clinician=user)
            .aggregate(overdue=Count("pk", filter=overdue), due=Count("pk", filter=~overdue))
        )
        rows.append(("Reviews overdue", reviews["overdue"], "#reviews-due-title"))
        rows.append(("Reviews due", reviews["due"], "#reviews-due-title"))
        rows.append(("Notes to sign", note_selectors.notes_unsigned_after(user).count(), "#unsigned-title"))
    if roles.supervisor:
        waiting = TreatmentPlan.objects.awaiting_signoff_by(user)
        context["awaiting_signoff"] = list(waiting.select_related("client", "author")[:10])
        rows.append(("Plans awaiting your sign-off", waiting.count(), reverse("plans:signoff_queue")))
        overdue = ProgressReview.objects.visible_to(user).filter(
            status=ProgressReview.Status.OVERDUE, plan__author_id__in=policy.supervisee_ids(user)
        )
        rows.append(("Supervisees' reviews overdue", overdue.count(), reverse("plans:signoff_queue")))
    if roles.practice_admin:
        unsupervised = policy.trainees_without_supervisor(user)
        context["unsupervised"] = list(unsupervised.select_related("user")[:20])
        rows.append(("Trainees without a supervisor", unsupervised.count(), reverse("accounts:staff_list")))
        practice_overdue = ProgressReview.objects.visible_to(user).filter(status=ProgressReview.Status.OVERDUE)
        rows.append(("Reviews overdue in the practice", practice_overdue.count(), "#overdue-title"))
        exports = BulkExport.objects.of_requester(user).filter(
            status__in=[BulkExport.Status.QUEUED, BulkExport.Status.RUNNING]
        )
        rows.append(("Exports in progress", exports.count(), reverse("records:exports")))
    return rows


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "down" for name, ok in checks.items()})
    body["broker_transport"] = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return JsonResponse(body, status=200 if healthy else 503)
