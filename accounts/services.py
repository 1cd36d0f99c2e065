"""Staff workflows: invite, change roles and supervisors, deactivate and reactivate.

Each function checks that the acting user is an admin of the practice, runs
in one transaction, and defers email to Celery until the commit.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.access import forget_scope
from accounts.models import Membership, PasswordResetRequest, Practice, StaffDeactivation, Supervision, User
from audit import log
from core.outbox import enqueue


def _require_practice_admin(actor: User, practice: Practice) -> None:
    if not policy.can(actor, policy.Action.MANAGE_STAFF, practice):
        raise PermissionDenied("Only an admin of this practice can manage its staff.")


def _check_roles(
    *,
    is_clinician: bool,
    is_supervisor: bool,
    is_practice_admin: bool,
    requires_cosignature: bool,
    credentials: str,
) -> None:
    if not (is_clinician or is_supervisor or is_practice_admin):
        raise ValidationError("Give this person at least one role.")
    problems = policy.supervisor_role_problems(
        is_clinician=is_clinician, is_supervisor=is_supervisor, credentials=credentials
    )
    if requires_cosignature and not is_clinician:
        problems["requires_cosignature"] = "Only a clinician's plans can require co-signature."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def invite_staff(
    *,
    actor: User,
    practice: Practice,
    email: str,
    given_name: str,
    family_name: str,
    credentials: str = "",
    is_clinician: bool = False,
    is_supervisor: bool = False,
    is_practice_admin: bool = False,
    requires_cosignature: bool = False,
    supervisors: Iterable[User] = (),
) -> Membership:
    """Create an account with no usable password and email a link to choose one."""
    _require_practice_admin(actor, practice)
    _check_roles(
        is_clinician=is_clinician,
        is_supervisor=is_supervisor,
        is_practice_admin=is_practice_admin,
        requires_cosignature=requires_cosignature,
        credentials=credentials,
    )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email address already has an account."})
    user = User.objects.create_user(
        email, password=None, given_name=given_name, family_name=family_name, credentials=credentials
    )
    membership = Membership.objects.create(
        user=user,
        practice=practice,
        is_clinician=is_clinician,
        is_supervisor=is_supervisor,
        is_practice_admin=is_practice_admin,
        requires_cosignature=requires_cosignature,
    )
    set_supervisors(actor=actor, supervisee=membership, supervisors=supervisors)
    log.record(
        action=log.Action.STAFF_CHANGE,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        subject_practice_id=practice.pk,
        detail=f"invited as {', '.join(membership.role_names)}",
    )

    enqueue("accounts.tasks.send_staff_invitation", user.pk)
    return membership


def _refuse_own_role_change(membership: Membership, *, credentials: str, **roles: bool) -> None:
    """An admin's own roles are changed by another admin, never by herself: otherwise one
    account could make itself a supervisor, appoint itself over a trainee and co-sign."""
    changed = [name for name, value in roles.items() if getattr(membership, name) != value]
    if credentials.strip() != membership.user.credentials.strip():
        changed.append("credentials")
    if changed:
        raise ValidationError(dict.fromkeys(changed, policy.NOT_YOUR_OWN_ROLES))


@transaction.atomic
def update_staff_roles(
    *,
    actor: User,
    membership: Membership,
    is_clinician: bool,
    is_supervisor: bool,
    is_practice_admin: bool,
    requires_cosignature: bool,
    credentials: str | None = None,
    supervisors: Iterable[User] = (),
) -> Membership:
    _require_practice_admin(actor, membership.practice)
    if credentials is None:
        credentials = membership.user.credentials
    if membership.user_id == actor.pk:
        _refuse_own_role_change(
            membership,
            is_clinician=is_clinician,
            is_supervisor=is_supervisor,
            is_practice_admin=is_practice_admin,
            requires_cosignature=requires_cosignature,
            credentials=credentials,
        )
    _check_roles(
        is_clinician=is_clinician,
        is_supervisor=is_supervisor,
        is_practice_admin=is_practice_admin,
        requires_cosignature=requires_cosignature,
        credentials=credentials,
    )
    if (
        membership.is_supervisor
        and not is_supervisor
        and Supervision.objects.current().filter(supervisor=membership.user, supervisee=actor).exists()
    ):
        # Taking the role away would end the actor's own supervision link.
        raise ValidationError({"is_supervisor": policy.NOT_YOUR_OWN_SUPERVISION})
    roles_before = ", ".join(membership.role_names) or "none"
    membership.is_clinician = is_clinician
    membership.is_supervisor = is_supervisor
    membership.is_practice_admin = is_practice_admin
    membership.requires_cosignature = requires_cosignature
    membership.save()
    if credentials != membership.user.credentials:
        membership.user.credentials = credentials
        membership.user.save(update_fields=["credentials"])
    set_supervisors(actor=actor, supervisee=membership, supervisors=supervisors)
    if not is_supervisor:
        Supervision.objects.current().filter(supervisor=membership.user).update(ended_on=timezone.localdate())
    log.record(
        action=log.Action.ROLE_CHANGE,
        actor=actor,
        object_type="user",
        object_id=membership.user_id,
        subject_practice_id=membership.practice_id,
        detail=f"roles: {roles_before} -> {', '.join(membership.role_names) or 'none'}",
    )
    forget_scope(actor)
    return membership


@transaction.atomic
def set_supervisors(*, actor: User, supervisee: Membership, supervisors: Iterable[User]) -> None:
    """Make `supervisors` the clinician's current supervisors; ended ones keep their history."""
    _require_practice_admin(actor, supervisee.practice)
    wanted = {s.pk: s for s in supervisors}
    if wanted and not supervisee.is_clinician:
        raise ValidationError({"supervisors": "Only clinicians are supervised."})
    if supervisee.user_id in wanted:
        raise ValidationError({"supervisors": "Nobody supervises themselves."})
    current = Supervision.objects.current().filter(supervisee=supervisee.user)
    linked = set(current.values_list("supervisor_id", flat=True))
    # Nobody changes a link they are part of: not their own supervisors, not whom they supervise.
    if supervisee.user_id == actor.pk and linked != set(wanted):
        raise ValidationError({"supervisors": policy.NOT_YOUR_OWN_SUPERVISION})
    if (actor.pk in wanted) != (actor.pk in linked):
        raise ValidationError({"supervisors": policy.NOT_YOUR_OWN_SUPERVISION})
    eligible = set(
        User.objects.filter(policy.qualified_supervisor_q(), membership__practice=supervisee.practice)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    # A link that already exists is kept as it is; only new ones must meet today's rule.
    if set(wanted) - eligible - linked:
        raise ValidationError(
            {
                "supervisors": "Choose supervisors from this practice's active supervisors: "
                "clinicians with credentials on record."
            }
        )
    current.exclude(supervisor_id__in=wanted).update(ended_on=timezone.localdate())
    existing = set(current.values_list("supervisor_id", flat=True))
    Supervision.objects.bulk_create(
        Supervision(practice=supervisee.practice, supervisor_id=pk, supervisee=supervisee.user)
        for pk in wanted
        if pk not in existing
    )


REASSIGN_NEEDS_QUALIFIED = (
    "Choose an active supervisor of this practice: a clinician with credentials on record, "
    "other than the person being deactivated."
)
RESTORE_NOT_OFFERED = "Choose only links this deactivation ended that can start again."


@dataclass(frozen=True)
class Deactivated:
    deactivation: StaffDeactivation
    ended: list[Supervision]
    reassigned: list[Supervision]


@transaction.atomic
def deactivate_staff(*, actor: User, membership: Membership, reassign_to: User | None = None) -> Deactivated:
    """Stop someone signing in. Their records, signatures and history stay; the supervision links
    in which they supervise end (recorded as ended by this deactivation, so reactivation can offer
    them back) and, with `reassign_to`, each supervisee gets that supervisor in their place."""
    _require_practice_admin(actor, membership.practice)
    if membership.user_id == actor.pk:
        raise ValidationError("You cannot deactivate your own account.")
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if not user.is_active:
        raise ValidationError(f"{user} is already deactivated.")
    links = [entry.link for entry in policy.supervisees_of_leaver(user)]
    takes_over: list[Supervision] = []
    if reassign_to is not None:
        if (
            reassign_to.pk == user.pk
            or not policy.qualified_supervisors(membership.practice)
            .filter(pk=reassign_to.pk)
            .exclude(pk=user.pk)
            .exists()
        ):
            raise ValidationError({"reassign_to": REASSIGN_NEEDS_QUALIFIED})
        # Appointing oneself, or a supervisor of one's own, is another admin's act (as on the roles page).
        if reassign_to.pk == actor.pk or any(link.supervisee_id == actor.pk for link in links):
            raise ValidationError({"reassign_to": policy.NOT_YOUR_OWN_SUPERVISION})
        already = set(
            Supervision.objects.current()
            .filter(supervisor=reassign_to, supervisee_id__in=[link.supervisee_id for link in links])
            .values_list("supervisee_id", flat=True)
        )
        # Nobody supervises themselves, and a supervisee who has reassign_to already keeps that link.
        takes_over = [link for link in links if link.supervisee_id not in already | {reassign_to.pk}]
    deactivation = StaffDeactivation.objects.create(practice=membership.practice, person=user, deactivated_by=actor)
    user.is_active = False
    user.save(update_fields=["is_active"])
    Supervision.objects.filter(pk__in=[link.pk for link in links]).update(
        ended_on=timezone.localdate(), ended_by_deactivation=deactivation
    )
    reassigned = Supervision.objects.bulk_create(
        Supervision(practice=membership.practice, supervisor=reassign_to, supervisee=link.supervisee, replaces=link)
        for link in takes_over
    )
    end_all_sessions(user)
    detail = f"deactivated; supervision of {len(links)} ended"
    if reassign_to is not None:
        detail += f", {len(reassigned)} reassigned to {reassign_to.printed_name} (user {reassign_to.pk})"
    log.record(
        action=log.Action.STAFF_CHANGE,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        subject_practice_id=membership.practice_id,
        detail=detail,
    )
    membership.user = user
    return Deactivated(deactivation=deactivation, ended=links, reassigned=reassigned)


@transaction.atomic
def reactivate_staff(*, actor: User, membership: Membership, restore: Iterable[Supervision] = ()) -> list[Supervision]:
    """Let someone sign in again. Nothing their deactivation ended comes back unless named in
    `restore` (links their deactivation ended, which start again from today, each recording the
    link it restores); the restored links are returned."""
    _require_practice_admin(actor, membership.practice)
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if user.is_active:
        raise ValidationError(f"{user} is already active.")
    wanted = {link.pk for link in restore}
    offered = {link.pk: link for link in policy.restorable_links(user)}
    if wanted - set(offered):
        raise ValidationError({"restore": RESTORE_NOT_OFFERED})
    if any(offered[pk].supervisee_id == actor.pk for pk in wanted):
        raise ValidationError({"restore": policy.NOT_YOUR_OWN_SUPERVISION})
    deactivation = policy.open_deactivation(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    if deactivation is not None:
        deactivation.reactivated_at = timezone.now()
        deactivation.reactivated_by = actor
        deactivation.save(update_fields=["reactivated_at", "reactivated_by"])
    restored = Supervision.objects.bulk_create(
        Supervision(
            practice=membership.practice, supervisor=user, supervisee_id=offered[pk].supervisee_id, replaces_id=pk
        )
        for pk in sorted(wanted)
    )
    log.record(
        action=log.Action.STAFF_CHANGE,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        subject_practice_id=membership.practice_id,
        detail=f"reactivated; supervision of {len(restored)} restored",
    )
    membership.user = user
    return restored


def end_all_sessions(user: User, *, except_session_key: str | None = None) -> int:
    """End every session of `user`, optionally sparing the current one, and revoke every API
    token of theirs: sign-out, a password change or reset and deactivation all come here, and a
    token must not outlive them."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == except_session_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    user.auth_token_set.all().delete()
    return ended


@transaction.atomic
def request_password_reset(*, email: str) -> None:
    """Queue a reset email for `email`, whether or not an account has it.

    Nothing here looks the account up: the task does, after the answer has gone, so every
    address gets the same answer in the same time.
    """
    reset_request = PasswordResetRequest.objects.create(email=email)
    enqueue("accounts.tasks.send_password_reset", reset_request.pk)
