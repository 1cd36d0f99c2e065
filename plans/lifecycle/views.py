"""Views for sign-off and the rest of the lifecycle: submit, request changes, revise, approve, amend,
close, the client's agreement; the supervisor's comments and sign-off queue; notifications; version
comparison. Each parses input, fetches through the access door, calls plans.lifecycle and answers.

"Sign-off" is the supervisor's approval of a submitted plan; the quarterly "progress review" is
another thing, with its own views (progress/views.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.access import get_editable_or_403, get_visible_or_404
from accounts.forms import SignerForm
from accounts.models import Notification
from core.idempotency import once_per_form
from formulation.private import fields_hidden_from
from plans import page_parts
from plans.editor.views import plan_page
from plans.lifecycle import canonical, comments, transitions
from plans.lifecycle.compare import compare_versions
from plans.lifecycle.revision import changes_on_resubmission
from plans.models import Comment, TreatmentPlan
from plans.selectors import load_plan_page, plan_queryset, signing_summary
from plans.templatetags.plan_tags import anchor_id


class CommentForm(forms.Form):
    anchor = forms.CharField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


def _visible_plan(request, pk: int) -> TreatmentPlan:
    return get_visible_or_404(plan_queryset(), request.user, pk=pk)


def _run(request, plan: TreatmentPlan, action, success: str, **kwargs):
    try:
        result = action(actor=request.user, plan=plan, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plans:detail", pk=plan.pk)
    messages.success(request, success)
    return redirect("plans:detail", pk=result.pk)


# --- The review steps of the two signatures ------------------------------------------------
# Signing is never one click: GET shows what is signed and what the signature means, POST takes the
# signer's password or code again (accounts/reauth.py), then signs in one transaction, only if the
# content is still what the step showed.

STALE_STEP = "The plan changed after you opened this page, so nothing was signed. Check it again below, then sign."


def _submit_refusal(user, plan: TreatmentPlan) -> str:
    if plan.status != TreatmentPlan.Status.DRAFT:
        return f"You cannot submit a plan that is {plan.get_status_display().lower()}."
    if not policy.can(user, policy.Action.SIGN, plan):
        return "Only the plan's author can submit and sign it."
    return ""


def _approve_refusal(user, plan: TreatmentPlan) -> str:
    if plan.author_id == user.pk:
        return "Nobody approves or reviews their own plan."
    if not policy.can(user, policy.Action.APPROVE, plan):
        return "Only a current supervisor of the plan's author can review it."
    if plan.status != TreatmentPlan.Status.IN_REVIEW:
        return f"You cannot approve a plan that is {plan.get_status_display().lower()}."
    return ""


def _signing_step(request, plan: TreatmentPlan, *, refusal, act: str, action, success: str, step: dict, **kwargs):
    refused = refusal(request.user, plan)
    if refused:
        messages.error(request, refused)
        return redirect("plans:detail", pk=plan.pk)
    signer_form = SignerForm(
        request.POST if request.method == "POST" else None, user=request.user, act=f"plan {plan.pk} {act}"
    )
    if request.method == "POST" and signer_form.is_valid():
        try:
            with transaction.atomic():
                locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
                if request.POST.get("content_hash", "") != canonical.content_hash(locked):
                    raise StalePlanStep
                result = action(actor=request.user, plan=plan, **kwargs)
        except StalePlanStep:
            signer_form.add_error(None, STALE_STEP)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("plans:detail", pk=plan.pk)
        else:
            messages.success(request, success)
            return redirect("plans:detail", pk=result.pk)
    context = {"summary": signing_summary(plan), "signer_form": signer_form, **kwargs, **step}
    return render(request, "plans/sign.html", context)


class StalePlanStep(Exception):
    """The plan's content is no longer what the review step showed."""


@login_required
@once_per_form
def submit(request, pk: int):
    plan = get_editable_or_403(plan_queryset(), request.user, pk=pk)
    needs_signoff = policy.needs_cosignature(request.user)
    if needs_signoff:
        success = "Signed and sent to your supervisor for co-signature."
        step = {
            "title": "Sign and submit for sign-off",
            "lead": "Your signature sends the plan to your supervisor for co-signature. The content is locked "
            "until it is signed off.",
        }
    else:
        success = "Signed. The plan is now active."
        step = {
            "title": "Sign and activate",
            "lead": "Your signature makes the plan active. A signed version never changes: later changes are "
            "made by amending it.",
        }
    step |= {"meaning": "authored", "button": step["title"], "action_url": reverse("plans:submit", args=[pk])}
    return _signing_step(
        request, plan, refusal=_submit_refusal, act="sign", action=transitions.submit_plan, success=success, step=step
    )


@login_required
@require_POST
@once_per_form
def request_changes(request, pk: int):
    plan = _visible_plan(request, pk)
    return _run(
        request,
        plan,
        transitions.request_changes,
        "Returned to the author with your comments.",
        comment=request.POST.get("comment", ""),
    )


@login_required
@require_POST
@once_per_form
def revise(request, pk: int):
    plan = _visible_plan(request, pk)
    return _run(
        request, plan, transitions.start_revision, "The plan is a draft again: make the changes, then resubmit."
    )


@login_required
@once_per_form
def approve(request, pk: int):
    plan = _visible_plan(request, pk)
    step = {
        "title": "Approve and co-sign",
        "lead": "Your co-signature makes the plan active, as its author signed it.",
        "meaning": "reviewed and approved",
        "button": "Approve and co-sign",
        "action_url": reverse("plans:approve", args=[pk]),
        "with_comment": True,
    }
    return _signing_step(
        request,
        plan,
        refusal=_approve_refusal,
        act="co-sign",
        action=transitions.approve_plan,
        success="Approved and co-signed. The plan is active.",
        step=step,
        comment=request.POST.get("comment", "")[:4000],
    )


@login_required
@require_POST
@once_per_form
def amend(request, pk: int):
    plan = _visible_plan(request, pk)
    return _run(request, plan, transitions.amend_plan, "Amendment started as a new draft version.")


@login_required
@require_POST
@once_per_form
def close(request, pk: int):
    plan = _visible_plan(request, pk)
    return _run(request, plan, transitions.close_plan, "The plan is closed.", reason=request.POST.get("reason", ""))


@login_required
@require_POST
@once_per_form
def client_agreement(request, pk: int):
    plan = _visible_plan(request, pk)
    try:
        transitions.record_client_agreement(
            actor=request.user, plan=plan, client_name=request.POST.get("client_name", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The client's agreement is recorded with this version.")
    return redirect("plans:detail", pk=plan.pk)


def _comments_at(request, plan: TreatmentPlan, anchor: str, choice, **extra) -> str:
    """The comment block at one part of the plan, with its form, as the plan page shows it there."""
    context = {
        "plan": plan,
        "a": anchor,
        "anchors": {anchor: choice},
        "cs": list(
            plan.comments.unresolved().filter(anchor_kind=choice.kind, anchor_key=choice.key).select_related("author")
        ),
        **extra,
    }
    return render_to_string("plans/_inline_comments.html", context, request=request)


@login_required
@require_POST
@once_per_form
def comment_add(request, pk: int):
    plan = _visible_plan(request, pk)
    if not policy.can(request.user, policy.Action.COMMENT, plan):
        raise PermissionDenied("Only the author and their supervisors comment on a plan.")
    choices = comments.anchor_choices(load_plan_page(plan, today=plan.client.practice.today()))
    anchor = request.POST.get("anchor", "plan:")
    choice = choices.get(anchor)
    if choice is None:
        messages.error(request, "That part of the plan no longer exists; choose another.")
        return redirect("plans:detail", pk=plan.pk)
    body = request.POST.get("body", "")
    htmx = bool(request.headers.get("HX-Request")) and choice.inline
    try:
        comment = comments.add_comment(
            actor=request.user,
            plan=plan,
            body=body,
            anchor_kind=choice.kind,
            anchor_key=choice.key,
            anchor_label=choice.label,
        )
    except ValidationError as exc:
        error = {"anchor": anchor, "body": body, "message": " ".join(exc.messages)}
        if htmx:
            return HttpResponse(_comments_at(request, plan, anchor, choice, comment_error=error))
        if choice.inline:
            return plan_page(request, plan, comment_error=error, status=400)
        messages.error(request, "Comment not added: " + " ".join(exc.messages))
        return redirect("plans:detail", pk=plan.pk)
    if htmx:
        return _added_here(request, plan, anchor, choices)
    messages.success(request, f"Comment added on {choice.label}.")
    place = f"comments-{anchor_id(anchor)}" if choice.inline else f"comment-{comment.pk}"
    return redirect(f"{plan_detail_url(plan)}#{place}")


def _added_here(request, plan: TreatmentPlan, anchor: str, choices: dict) -> HttpResponse:
    """The part's comment block with the new comment and a fresh form, and the comments section
    out of band, so both read the same without a reload."""
    html = _comments_at(request, plan, anchor, choices[anchor], just_added=True)
    html += render_to_string(
        "plans/_comments.html",
        {
            "plan": plan,
            "all_comments": plan.comments.select_related("author", "resolved_by"),
            "anchors": choices,
            "oob": True,
        },
        request=request,
    )
    response = HttpResponse(html)
    # Retargeted, which is also what tells once_per_form the comment went in.
    response["HX-Retarget"] = f"#comments-{anchor_id(anchor)}"
    response["HX-Reswap"] = "outerHTML"
    return response


def plan_detail_url(plan) -> str:
    return reverse("plans:detail", args=[plan.pk])


@login_required
@require_POST
def comment_resolve(request, pk: int):
    comment = get_object_or_404(Comment.objects.visible_to(request.user), pk=pk)
    try:
        comments.resolve_comment(actor=request.user, comment=comment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Comment marked resolved.")
    return redirect("plans:detail", pk=comment.plan_id)


@login_required
def signoff_queue(request):
    user = request.user
    today = timezone.localdate()
    waiting = list(TreatmentPlan.objects.awaiting_signoff_by(user).select_related("client", "author"))
    now = timezone.now()
    changed = changes_on_resubmission(waiting)
    rows = [(plan, now - plan.submitted_at, changed.get(plan.pk)) for plan in waiting]
    # What apps above plans add to the queue (progress: supervisees' overdue progress reviews).
    parts = page_parts.fill(page_parts.SIGN_OFF_QUEUE, user=user, today=today)
    return render(request, "plans/signoff_queue.html", {"rows": rows, "today": today, **parts})


@login_required
def notifications(request):
    items = Notification.objects.for_user(request.user)
    if request.method == "POST":
        items.unread().update(read_at=timezone.now())
        return redirect("plans:notifications")
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "plans/notifications.html", {"page": page})


@login_required
def compare(request, pk: int):
    plan = _visible_plan(request, pk)
    versions = list(
        TreatmentPlan.objects.visible_to(request.user).filter(lineage=plan.lineage).order_by("version_number")
    )
    by_number = {v.version_number: v for v in versions}
    try:
        older = by_number[int(request.GET.get("from", plan.version_number - 1))]
        newer = by_number[int(request.GET.get("to", plan.version_number))]
    except (KeyError, ValueError):
        older, newer = (versions[-2], versions[-1]) if len(versions) > 1 else (plan, plan)
    hidden = {*fields_hidden_from(request.user, older), *fields_hidden_from(request.user, newer)}
    return render(
        request,
        "plans/compare.html",
        {
            "plan": plan,
            "versions": versions,
            "older": older,
            "newer": newer,
            "diff": compare_versions(older, newer, leave_out=hidden),
        },
    )
