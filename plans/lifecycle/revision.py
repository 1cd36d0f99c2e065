"""What changed since a supervisor asked for changes.

The content as the supervisor read it is kept with their request
(`PlanTransition.content_when_changes_requested`, canonical JSON); it is compared in words with the
content now (plans.lifecycle.compare), while the author revises ("changed so far") and after they
resubmit, so the supervisor reads what is new instead of the whole plan again. The supervisors'
comments resolved since the request are listed beside it.
"""

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from plans.lifecycle.canonical import FORMATS, SCHEMA, canonical_content
from plans.lifecycle.compare import VersionDiff, compare_contents
from plans.models import Comment, PlanTransition, Signature, TreatmentPlan

Status = TreatmentPlan.Status

# While the author revises and once they resubmit; before they start (changes requested) nothing
# can have changed, and after sign-off the round is over.
SHOWN_WHILE = (Status.DRAFT, Status.IN_REVIEW)


@dataclass
class SinceChangesRequested:
    request: PlanTransition
    diff: VersionDiff
    # The supervisors' comments resolved since the request, and how many are still open.
    resolved: list[Comment] = field(default_factory=list)
    still_open: int = 0

    @property
    def resubmitted(self) -> bool:
        return self.request.plan.status == Status.IN_REVIEW


def _read(request: PlanTransition) -> dict | None:
    try:
        content = json.loads(request.content_when_changes_requested)
    except ValueError:
        return None
    return content if isinstance(content, dict) and content.get("schema") in FORMATS else None


def since_changes_requested(
    plan: TreatmentPlan,
    *,
    comments: Iterable[Comment],
    content_now: dict | None = None,
    leave_out: Collection[str] = (),
) -> SinceChangesRequested | None:
    """The changes since the latest request for changes on this version, or None when there is no
    such round going on. `content_now` saves rendering the content again when the caller has it
    (the plan page's signature check does); `leave_out` are the private fields the reader may not read."""
    if plan.status not in SHOWN_WHILE:
        return None
    request = (
        PlanTransition.objects.filter(plan=plan, to_status=Status.CHANGES_REQUESTED)
        .exclude(content_when_changes_requested="")
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    read = _read(request) if request is not None else None
    if read is None:
        return None
    request.plan = plan
    if content_now is None or content_now.get("schema") != read["schema"]:
        content_now = canonical_content(plan, schema=read["schema"])
    diff = compare_contents(read, content_now, practice_id=plan.client.practice_id, leave_out=leave_out)
    supervisors = [c for c in comments if c.author_id != plan.author_id]
    return SinceChangesRequested(
        request=request,
        diff=diff,
        resolved=[c for c in supervisors if c.resolved_at is not None and c.resolved_at >= request.created_at],
        still_open=sum(1 for c in supervisors if c.resolved_at is None),
    )


def changes_on_resubmission(plans: Iterable[TreatmentPlan]) -> dict[int, int]:
    """For the sign-off queue: plan id -> how many things changed since changes were last asked
    for, for each plan that was resubmitted after a request. Two queries for the whole queue: the
    requests and the author's signatures, whose JSON is what was resubmitted."""
    ids = [p.pk for p in plans]
    if not ids:
        return {}
    latest: dict[int, str] = {}
    requests = (
        PlanTransition.objects.filter(plan_id__in=ids, to_status=Status.CHANGES_REQUESTED)
        .exclude(content_when_changes_requested="")
        .order_by("created_at", "pk")
        .values_list("plan_id", "content_when_changes_requested")
    )
    for plan_id, content in requests:
        latest[plan_id] = content
    if not latest:
        return {}
    resubmitted = (
        Signature.objects.valid()
        .filter(plan_id__in=latest, meaning=Signature.Meaning.AUTHORED)
        .exclude(canonical_json="")
        .values_list("plan_id", "canonical_json")
    )
    counts = {}
    for plan_id, signed in resubmitted:
        try:
            before, after = json.loads(latest[plan_id]), json.loads(signed)
        except ValueError:
            continue
        if before.get("schema") == after.get("schema") == SCHEMA:
            counts[plan_id] = compare_contents(before, after, practice_id=None, name_measures=False).count
    return counts
