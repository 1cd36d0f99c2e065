"""Who may hold the supervisor's part, answered in one place.

A supervisor reviews and co-signs a trainee's plan, and reads their supervisees'
caseloads: that is clinical work, so only an active clinician of the practice
whose credentials are on record (the degrees and licences printed with a
signature) may do it. The staff services check this when a role or a
supervision link is set; the lifecycle and the access scope check it again when
the role is used, so a supervision row that reached the database some other way
(a shell, a restore, an old bug) still grants nothing to someone not qualified.
"""

from __future__ import annotations

from django.db.models import Q

SUPERVISOR_NEEDS_CLINICIAN = "A supervisor must also be a clinician of the practice."
SUPERVISOR_NEEDS_CREDENTIALS = (
    "A supervisor needs credentials on record (e.g. “PhD, LP”), printed with their co-signature."
)
NOT_YOUR_OWN_ROLES = "You cannot change your own roles or credentials; ask another admin of the practice."
NOT_YOUR_OWN_SUPERVISION = "You cannot appoint yourself, or end your own link, as a supervisor; ask another admin."


def has_credentials(credentials: str | None) -> bool:
    return bool((credentials or "").strip())


def supervisor_role_problems(*, is_clinician: bool, is_supervisor: bool, credentials: str | None) -> dict[str, str]:
    """Field errors for a set of roles that would make an unqualified supervisor; empty if fine."""
    if not is_supervisor:
        return {}
    problems = {}
    if not is_clinician:
        problems["is_supervisor"] = SUPERVISOR_NEEDS_CLINICIAN
    if not has_credentials(credentials):
        problems["credentials"] = SUPERVISOR_NEEDS_CREDENTIALS
    return problems


def qualified_supervisor_q(prefix: str = "") -> Q:
    """The Q, on User (or through `prefix`, e.g. "supervisor__"), of people who may act as supervisors."""
    p = prefix
    return Q(
        **{
            f"{p}is_active": True,
            f"{p}membership__is_supervisor": True,
            f"{p}membership__is_clinician": True,
        }
    ) & ~Q(**{f"{p}credentials__regex": r"^\s*$"})


def may_supervise(user, practice_id: int | None) -> bool:
    """May `user` act as a supervisor in this practice right now (review, co-sign, read supervisees)?

    Asked of the database, not of the user object, whose roles may have been loaded before a change.
    """
    from accounts.models import User

    if user is None or not user.is_authenticated or practice_id is None:
        return False
    return User.objects.filter(qualified_supervisor_q(), pk=user.pk, membership__practice_id=practice_id).exists()
