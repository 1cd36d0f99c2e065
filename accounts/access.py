"""The one door to clinical records.

Every clinical record hangs off a Client, and a client belongs to one
practice and one primary clinician's caseload. Who may see or change a
record is decided here and only here:

- a clinician sees and edits the clients on their own caseload;
- a supervisor also sees (but does not edit) their current supervisees' clients;
- a practice admin sees every record of their practice, for export and
  oversight, and edits none of its clinical content;
- nobody sees anything of another practice.

Querysets for clinical models subclass `CaseloadQuerySet`, which turns these
rules into a filter; the role facts behind them (who is an admin, a clinician,
whose supervisor) are accounts.policy's, asked once per request. Views, API endpoints, exports and tasks fetch through
`visible_to(user)` / `editable_by(user)`, and `get_visible_or_404` /
`get_editable_or_403` give the HTTP answers: outside the user's view is 404,
so that existence is not leaked; visible but not theirs to change is 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts import policy


@dataclass(frozen=True)
class Scope:
    practice_id: int | None = None
    sees_whole_practice: bool = False
    # Clinicians whose caseloads this user can read (own and supervisees').
    readable_caseloads: frozenset[int] = frozenset()
    # Clinicians whose caseloads this user can change (their own, if a clinician).
    editable_caseloads: frozenset[int] = frozenset()


NO_ACCESS = Scope()


def scope_for(user) -> Scope:
    """Work out once per request what this user's roles let them reach."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_psyplan_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._psyplan_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after roles or supervision change mid-request."""
    user.__dict__.pop("_psyplan_scope", None)
    user.__dict__.pop("active_membership", None)


def _compute_scope(user) -> Scope:
    # The role facts are the policy's (accounts.policy); this module only turns them into a filter.
    practice_id = policy.practice_id_of(user)
    if practice_id is None:
        return NO_ACCESS
    own = frozenset({user.pk}) if policy.is_clinician(user) else frozenset()
    # Reading supervisees' caseloads is supervision: only for a qualified supervisor, asked of the policy.
    readable = set(own) | set(policy.supervisee_ids(user).filter(practice_id=practice_id))
    return Scope(
        practice_id=practice_id,
        sees_whole_practice=policy.is_practice_admin(user),
        readable_caseloads=frozenset(readable),
        editable_caseloads=own,
    )


def caseload_filter(user, client_path: str = "", *, for_edit: bool = False) -> Q:
    """The Q that keeps a queryset to records reachable through `client_path`.

    `client_path` is the lookup from the model to its Client ("" for Client
    itself, "client" for a presenting problem, "plan__client" for a goal).
    """
    scope = scope_for(user)
    if scope.practice_id is None:
        return Q(pk__in=[])
    prefix = f"{client_path}__" if client_path else ""
    in_practice = Q(**{f"{prefix}practice_id": scope.practice_id})
    if for_edit:
        owners = scope.editable_caseloads
    elif scope.sees_whole_practice:
        return in_practice
    else:
        owners = scope.readable_caseloads
    if not owners:
        return Q(pk__in=[])
    return in_practice & Q(**{f"{prefix}primary_clinician_id__in": sorted(owners)})


class CaseloadQuerySet(models.QuerySet):
    """Base queryset for every clinical record; subclasses name their path to Client."""

    client_path: str = ""

    def visible_to(self, user):
        return self.filter(caseload_filter(user, self.client_path))

    def editable_by(self, user):
        return self.filter(caseload_filter(user, self.client_path, for_edit=True))


def get_visible_or_404(queryset: CaseloadQuerySet, user, **lookup):
    return get_object_or_404(queryset.visible_to(user), **lookup)


def get_editable_or_403(queryset: CaseloadQuerySet, user, **lookup):
    """Fetch for a change: 404 when out of view, 403 when in view but not theirs."""
    obj = get_visible_or_404(queryset, user, **lookup)
    if not queryset.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied("You can read this record but not change it.")
    return obj


def can_edit(user, obj) -> bool:
    return policy.can(user, policy.Action.EDIT, obj)
