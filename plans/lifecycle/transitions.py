"""The plan lifecycle: every change of state is one of these functions, with the signatures they give.

The rest of a version's life after drafting sits beside this module in plans/lifecycle/: the
supervisor's comments (comments.py), the signed canonical content (canonical.py) and the quotes it
freezes (quotes.py), the database guards that keep signed content fixed (guards.py), version
comparison (compare.py) and the views of sign-off and the rest of the lifecycle (views.py).

draft --submit--> in review --approve--> active --amend/approve--> superseded
            \\                \\-request changes--> changes requested --revise--> draft
             \\--submit, no co-signature needed--> active --close--> closed

Each function checks who may act and from which state, runs in a transaction,
writes a PlanTransition (who, when, from, to, comment) and queues notifications
on commit. A move that is not allowed raises TransitionError with a clear
message and changes nothing, wherever it is called from.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.access import can_edit
from accounts.models import User
from audit import log
from core.notify import notify
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.lifecycle import quotes
from plans.lifecycle.canonical import canonical_json, verify
from plans.models import (
    Comment,
    Goal,
    Intervention,
    Objective,
    PlanTransition,
    Signature,
    TreatmentPlan,
    add_months,
)
from plans.signals import plan_closed

Status = TreatmentPlan.Status
Action = policy.Action


class TransitionError(ValidationError):
    """The requested change of state is not allowed; nothing was changed."""


def _lock(plan: TreatmentPlan) -> TreatmentPlan:
    return TreatmentPlan.objects.select_for_update().select_related("client__practice", "author").get(pk=plan.pk)


def _require_status(plan: TreatmentPlan, *allowed: str, action: str) -> None:
    if plan.status not in allowed:
        raise TransitionError(f"You cannot {action} a plan that is {plan.get_status_display().lower()}.")


def _audit(plan: TreatmentPlan, actor: User, action: str) -> None:
    """The access-log entry for a sign, approve, request-changes, revise, amend or close."""
    log.record(
        action=action,
        actor=actor,
        object_type="plan",
        object_id=plan.pk,
        client_id=plan.client_id,
        subject_practice_id=plan.client.practice_id,
        detail=f"v{plan.version_number} {plan.status}",
    )


def _record(plan: TreatmentPlan, actor: User, to_status: str, comment: str = "", **fields) -> PlanTransition:
    transition = PlanTransition.objects.create(
        plan=plan, actor=actor, from_status=plan.status, to_status=to_status, comment=comment, **fields
    )
    plan.status = to_status
    if to_status in (Status.SUPERSEDED, Status.CLOSED):
        # A plan that stops being active has nothing left to review: progress (above plans) cancels
        # its open reviews, in this transaction.
        plan_closed.send(sender=TreatmentPlan, plan=plan)
    return transition


def _signed_content(plan: TreatmentPlan) -> dict:
    """The canonical JSON a signature stores, and its hash."""
    signed = canonical_json(plan)
    return {"canonical_json": signed.decode("utf-8"), "content_hash": hashlib.sha256(signed).hexdigest()}


def _sign(plan: TreatmentPlan, signer: User, meaning: str) -> Signature:
    return Signature.objects.create(
        plan=plan,
        signer=signer,
        meaning=meaning,
        printed_name=signer.get_full_name(),
        credentials=signer.credentials,
        signed_at=timezone.now(),
        timezone=plan.client.practice.timezone,
        **_signed_content(plan),
    )


# Who supervises whom is the policy's answer (accounts.policy), used here under the names the
# lifecycle has always offered its callers.
current_supervisors = policy.current_supervisors
supervises = policy.supervises


def _plan_url(plan: TreatmentPlan) -> str:
    return reverse("plans:detail", args=[plan.pk])


def _activate(plan: TreatmentPlan, actor: User) -> None:
    plan.activated_at = timezone.now()
    # Reviews fall due one interval (e.g. three calendar months) after activation.
    plan.next_review_date = add_months(plan.client.practice.today(), plan.review_interval)
    previous = plan.previous_version
    if previous is not None and previous.status == Status.ACTIVE:
        previous = _lock(previous)
        _record(previous, actor, Status.SUPERSEDED, f"Superseded by version {plan.version_number}.")
        previous.save(update_fields=["status", "updated_at"])


@transaction.atomic
def submit_plan(*, actor: User, plan: TreatmentPlan) -> TreatmentPlan:
    """The author signs. Without a co-signature requirement that makes the plan active."""
    plan = _lock(plan)
    _require_status(plan, Status.DRAFT, action="submit")
    if not policy.can(actor, Action.SIGN, plan):
        raise TransitionError("Only the plan's author can submit and sign it.")
    if not Objective.objects.current().filter(goal__plan=plan, goal__removed_at__isnull=True).exists():
        raise TransitionError("Add at least one goal with an objective before submitting.")
    needs_cosignature = policy.needs_cosignature(actor)
    supervisors = current_supervisors(actor, plan.client.practice_id)
    if needs_cosignature and not supervisors:
        raise TransitionError(
            "Your plans need a supervisor's co-signature, and no supervisor is assigned to you. "
            "Ask your practice admin to assign one."
        )
    # Freeze what the version quotes from the client's record before signing it (while the
    # version is still a draft in the database, the only time its copy can be written).
    quotes.freeze(plan)
    _sign(plan, actor, Signature.Meaning.AUTHORED)
    plan.submitted_at = timezone.now()
    if needs_cosignature:
        _record(plan, actor, Status.IN_REVIEW)
        plan.save(update_fields=["status", "submitted_at", "updated_at"])
        notify(
            recipients=supervisors,
            key=f"plan:{plan.pk}:submitted:{plan.submitted_at.timestamp()}",
            verb="a plan awaits your review",
            text=f"{actor.get_full_name()} submitted plan v{plan.version_number} for {plan.client.chart_number}.",
            url=_plan_url(plan),
        )
    else:
        _record(plan, actor, Status.ACTIVE, "Signed by the author; no co-signature required.")
        _activate(plan, actor)
        plan.save(update_fields=["status", "submitted_at", "activated_at", "next_review_date", "updated_at"])
    _audit(plan, actor, log.Action.SIGN)
    return plan


@transaction.atomic
def request_changes(*, actor: User, plan: TreatmentPlan, comment: str) -> TreatmentPlan:
    plan = _lock(plan)
    _require_status(plan, Status.IN_REVIEW, action="request changes to")
    _require_signoff_supervisor(actor, plan)
    if not comment.strip():
        raise TransitionError({"comment": "Say what needs to change: a comment is required."})
    # What the supervisor read, kept with their request so the resubmission can be compared with it
    # (plans/lifecycle/revision.py).
    read = canonical_json(plan).decode("utf-8")
    transition = _record(plan, actor, Status.CHANGES_REQUESTED, comment, content_when_changes_requested=read)
    plan.save(update_fields=["status", "updated_at"])
    # The author's signature covered the submitted text, which is about to change.
    plan.signatures.valid().filter(meaning=Signature.Meaning.AUTHORED).update(
        voided_at=timezone.now(), void_reason="Returned for changes"
    )
    Comment.objects.create(plan=plan, author=actor, anchor_kind=Comment.Anchor.PLAN, body=comment)
    notify(
        recipients=[plan.author],
        key=f"plan:{plan.pk}:changes:{transition.pk}",
        verb="changes were requested on your plan",
        text=f"{actor.get_full_name()} asked for changes to plan v{plan.version_number} "
        f"for {plan.client.chart_number}.",
        url=_plan_url(plan),
    )
    _audit(plan, actor, log.Action.REQUEST_CHANGES)
    return plan


@transaction.atomic
def start_revision(*, actor: User, plan: TreatmentPlan) -> TreatmentPlan:
    plan = _lock(plan)
    _require_status(plan, Status.CHANGES_REQUESTED, action="revise")
    if not policy.can(actor, Action.SIGN, plan):
        raise TransitionError("Only the plan's author can revise it.")
    _record(plan, actor, Status.DRAFT, "Revising after review.")
    plan.save(update_fields=["status", "updated_at"])
    _audit(plan, actor, log.Action.REVISE)
    return plan


def _require_signoff_supervisor(actor: User, plan: TreatmentPlan) -> None:
    if actor.pk == plan.author_id:
        raise TransitionError("Nobody approves or reviews their own plan.")
    if not policy.can(actor, Action.APPROVE, plan):
        raise TransitionError("Only a current supervisor of the plan's author can review it.")


@transaction.atomic
def approve_plan(*, actor: User, plan: TreatmentPlan, comment: str = "") -> TreatmentPlan:
    """The supervisor co-signs; the plan becomes active and any version it amends is superseded."""
    plan = _lock(plan)
    _require_status(plan, Status.IN_REVIEW, action="approve")
    _require_signoff_supervisor(actor, plan)
    authored = plan.signatures.valid().filter(meaning=Signature.Meaning.AUTHORED).first()
    # Checked afresh against the stored JSON and the hash, as the plan page checks it.
    if authored is None or not verify(plan).matches:
        raise TransitionError("The plan's content no longer matches the author's signature; it cannot be approved.")
    _sign(plan, actor, Signature.Meaning.REVIEWED_AND_APPROVED)
    transition = _record(plan, actor, Status.ACTIVE, comment)
    _activate(plan, actor)
    plan.save(update_fields=["status", "activated_at", "next_review_date", "updated_at"])
    notify(
        recipients=[plan.author],
        key=f"plan:{plan.pk}:approved:{transition.pk}",
        verb="your plan was approved",
        text=f"{actor.get_full_name()} approved and co-signed plan v{plan.version_number} "
        f"for {plan.client.chart_number}.",
        url=_plan_url(plan),
    )
    _audit(plan, actor, log.Action.APPROVE)
    return plan


@transaction.atomic
def close_plan(*, actor: User, plan: TreatmentPlan, reason: str) -> TreatmentPlan:
    plan = _lock(plan)
    _require_status(plan, Status.ACTIVE, action="close")
    if not can_edit(actor, plan):
        raise TransitionError("Only the client's clinician can close this plan.")
    if not reason.strip():
        raise TransitionError({"reason": "Give the reason for closing the plan."})
    _record(plan, actor, Status.CLOSED, reason)
    plan.closed_at = timezone.now()
    plan.save(update_fields=["status", "closed_at", "updated_at"])
    _audit(plan, actor, log.Action.CLOSE)
    return plan


@transaction.atomic
def amend_plan(*, actor: User, plan: TreatmentPlan) -> TreatmentPlan:
    """Copy an active plan into a new draft version n+1. Version n stays active until the new one is."""
    plan = _lock(plan)
    _require_status(plan, Status.ACTIVE, action="amend")
    if not can_edit(actor, plan):
        raise TransitionError("Only the client's clinician can amend this plan.")
    if TreatmentPlan.objects.filter(previous_version=plan).exists():
        raise TransitionError("This version already has an amendment in progress; continue that one.")
    amendment = TreatmentPlan.objects.create(
        client=plan.client,
        practice_id=plan.practice_id,
        author=actor,
        status=Status.DRAFT,
        version_number=plan.version_number + 1,
        previous_version=plan,
        lineage=plan.lineage,
        start_date=plan.start_date,
        horizon_months=plan.horizon_months,
        review_interval=plan.review_interval,
        next_review_date=plan.next_review_date,
    )
    amendment.presenting_problems.set(plan.presenting_problems.all())
    _copy_content(plan, amendment)
    PlanTransition.objects.create(
        plan=amendment,
        actor=actor,
        from_status=Status.DRAFT,
        to_status=Status.DRAFT,
        comment=f"Amendment of version {plan.version_number}.",
    )
    _audit(amendment, actor, log.Action.AMEND)
    return amendment


def _copied_fields(item) -> dict:
    """An item's editable plain fields (its model's EDITABLE_FIELDS, the many-to-many links apart,
    which are remapped to the copies), with its place and lineage: what an amendment carries over.
    Copied by column (`conflict_type_id`, not `conflict_type`), so copying costs no query."""
    model = type(item)
    fields = [model._meta.get_field(name) for name in model.EDITABLE_FIELDS]
    values = {f.attname: getattr(item, f.attname) for f in fields if not f.many_to_many}
    return {**values, "order": item.order, "lineage": item.lineage}


def _copy_content(source: TreatmentPlan, target: TreatmentPlan) -> None:
    """Deep-copy the formulation, goals, objectives and interventions, keeping each item's lineage."""
    old = Formulation.objects.get(plan=source)
    new = Formulation.objects.create(plan=target, **{name: getattr(old, name) for name in Formulation.SECTION_FIELDS})
    conflicts = {}
    for c in CoreConflict.objects.current().filter(formulation=old):
        conflicts[c.pk] = CoreConflict.objects.create(formulation=new, **_copied_fields(c))
    defenses = {}
    for d in DefenseObservation.objects.current().filter(formulation=old):
        defenses[d.pk] = DefenseObservation.objects.create(formulation=new, **_copied_fields(d))
    objectives = {}
    for g in Goal.objects.current().filter(plan=source).prefetch_related("objectives"):
        goal = Goal.objects.create(plan=target, **_copied_fields(g))
        for o in g.objectives.all():
            if o.removed_at is not None:
                continue
            # All its editable fields, the measure binding included (once spelled out here without it).
            copy = Objective.objects.create(goal=goal, **_copied_fields(o))
            copy.presenting_problems.set(o.presenting_problems.all())
            copy.conflicts.set([conflicts[c.pk] for c in o.conflicts.all() if c.pk in conflicts])
            copy.defenses.set([defenses[d.pk] for d in o.defenses.all() if d.pk in defenses])
            objectives[o.pk] = copy
    for i in Intervention.objects.current().filter(plan=source).prefetch_related("objectives"):
        copy = Intervention.objects.create(plan=target, **_copied_fields(i))
        copy.objectives.set([objectives[o.pk] for o in i.objectives.all() if o.pk in objectives])


@transaction.atomic
def record_client_agreement(*, actor: User, plan: TreatmentPlan, client_name: str) -> Signature:
    """The client signs the plan summary to record agreement; the clinician records it in session."""
    plan = _lock(plan)
    _require_status(plan, Status.ACTIVE, action="record the client's agreement to")
    if not can_edit(actor, plan):
        raise TransitionError("Only the client's clinician records the client's agreement.")
    signature = _client_agreement(plan, client_name, Signature.Method.IN_SESSION)
    _audit(plan, actor, log.Action.SIGN)
    return signature


@transaction.atomic
def accept_client_agreement(*, plan: TreatmentPlan, typed_name: str) -> Signature:
    """The client agrees themselves, by typing their name on the client version (issue 15).

    No staff member acts, so there is no can_edit check: the caller (participation.services) is
    the authority, having verified the client's link to this version and the client's date of
    birth. The caller records the act in the access log, with the client's request."""
    plan = _lock(plan)
    if plan.status != Status.ACTIVE:
        raise TransitionError("This version of the plan is no longer the current one.")
    return _client_agreement(plan, typed_name, Signature.Method.CLIENT_LINK)


def _client_agreement(plan: TreatmentPlan, name: str, method: str) -> Signature:
    """One client agreement per version, bound to its canonical content as it is now."""
    if not name.strip():
        raise TransitionError({"client_name": "Type the name the client signed with."})
    if plan.signatures.filter(meaning=Signature.Meaning.CLIENT_AGREEMENT, voided_at__isnull=True).exists():
        raise TransitionError("The client's agreement is already recorded for this version.")
    return Signature.objects.create(
        plan=plan,
        signer=None,
        meaning=Signature.Meaning.CLIENT_AGREEMENT,
        printed_name=name.strip()[:300],
        credentials="client",
        signing_method=method,
        signed_at=timezone.now(),
        timezone=plan.client.practice.timezone,
        **_signed_content(plan),
    )
