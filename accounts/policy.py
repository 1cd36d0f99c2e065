"""Every role question, answered in one place.

Modelled on wagtail's permission policies: `can(user, action, obj)` answers "may this person do
this, to this record or in their practice?" (wagtail's `user_has_permission` and
`user_has_permission_for_instance`), and `instances(user, action, queryset)` answers "which
records?" (`instances_user_has_permission_for`) by handing over to the queryset door in
accounts/access.py, which asks this module for the role facts it turns into a filter. The small
predicates (`is_practice_admin`, `is_clinician`, `needs_cosignature`, `supervises`, ...) are the
facts themselves; nothing outside accounts reads a Membership's role flags or a Supervision row
to decide what someone may do (tests/accounts/test_policy.py fails when something does).

Three rules hold for every answer:

- only an active member of a practice may do anything, and only in their own practice;
- a practice admin manages the practice (staff, library, exports, audit, security) and reads
  every record of it, but changes no clinical content and signs off nothing as admin;
- a supervisor signs off (co-signs) a trainee's plan, and reads their supervisees' caseloads:
  that is clinical work, so only an active clinician of the practice whose credentials are on
  record (the degrees and licences printed with a signature) may do it. The staff services check
  this when a role or a supervision link is set; the policy checks it again whenever the role is
  used, so a supervision row that reached the database some other way (a shell, a restore, an
  old bug) still grants nothing to someone not qualified.

And one narrower rule sits inside the plan: the formulation's countertransference is the
clinician's private working material, not the record, so reading a plan is not enough to read
it (see the READ_COUNTERTRANSFERENCE actions).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property

from django.db.models import F, Q, QuerySet

from accounts.models import Membership, Practice, StaffDeactivation, Supervision, User

SUPERVISOR_NEEDS_CLINICIAN = "A supervisor must also be a clinician of the practice."
SUPERVISOR_NEEDS_CREDENTIALS = (
    "A supervisor needs credentials on record (e.g. “PhD, LP”), printed with their co-signature."
)
NOT_YOUR_OWN_ROLES = "You cannot change your own roles or credentials; ask another admin of the practice."
NOT_YOUR_OWN_SUPERVISION = "You cannot appoint yourself, or end your own link, as a supervisor; ask another admin."


class Action(enum.StrEnum):
    """What the application asks permission for; each is answered by `can`."""

    # A clinical record (anything with a caseload queryset): the access door decides.
    VIEW = "view"
    EDIT = "edit"
    # A plan: the author signs (submits) and revises it; a supervisor of the author approves
    # (co-signs) it or returns it for changes; both comment on it.
    SIGN = "sign"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    COMMENT = "comment"
    # In the practice: open a client record on one's own caseload (clinicians).
    CREATE_CLIENT = "create_client"
    # Act as a supervisor (the sign-off queue); with a User as obj: supervise that person now.
    SUPERVISE = "supervise"
    # The practice admin's work; obj, if given, is the practice or a record of it.
    MANAGE_STAFF = "manage_staff"
    MANAGE_LIBRARY = "manage_library"
    SHARE_TEMPLATE = "share_template"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    MANAGE_SECURITY = "manage_security"
    # Client links (issue 15): the practice's link settings (expiry, crisis text, scheduled
    # questionnaires) and the response rates per clinician and measure.
    MANAGE_CLIENT_LINK_SETTINGS = "manage_client_link_settings"
    VIEW_RESPONSE_RATES = "view_response_rates"
    # A plan's private working material (the formulation's countertransference): the clinician's,
    # legally apart from the record, so it follows a stricter rule than the plan it sits in (issue
    # 14). The author and the author's current supervisors read it on the plan's pages, and may
    # download the supervision copy of the PDF that includes it; the API returns it to the author
    # only, since the supervisor's explicit, audited way to take it away is the supervision copy.
    READ_COUNTERTRANSFERENCE = "read_countertransference"
    READ_SUPERVISION_COPY = "read_supervision_copy"
    READ_COUNTERTRANSFERENCE_VIA_API = "read_countertransference_via_api"


# --- Role facts -----------------------------------------------------------------


def has_credentials(credentials: str | None) -> bool:
    return bool((credentials or "").strip())


def membership_of(user) -> Membership | None:
    """The place in a practice through which `user` may act now: None when signed out,
    deactivated or not part of a practice."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.active_membership


def practice_id_of(user) -> int | None:
    membership = membership_of(user)
    return membership.practice_id if membership is not None else None


def _practice_id(practice) -> int | None:
    if practice is None or isinstance(practice, int):
        return practice
    if isinstance(practice, Practice):
        return practice.pk
    raise TypeError(f"Expected a Practice or its id, not {type(practice).__name__}.")


def _in_practice(membership: Membership, practice) -> bool:
    return practice is None or membership.practice_id == _practice_id(practice)


def is_practice_admin(user, practice: Practice | int | None = None) -> bool:
    """Is `user` an active admin of `practice` (of their own practice, if none is named)?"""
    membership = membership_of(user)
    return bool(membership and membership.is_practice_admin and _in_practice(membership, practice))


def is_clinician(user, practice: Practice | int | None = None) -> bool:
    """Is `user` an active clinician of `practice` (of their own, if none is named)?"""
    membership = membership_of(user)
    return bool(membership and membership.is_clinician and _in_practice(membership, practice))


def needs_cosignature(user) -> bool:
    """Do this clinician's plans become active only when a supervisor co-signs them (a trainee)?

    A fact about the person's plans, not a permission: it holds for a deactivated author too,
    whose plans keep saying how they were signed.
    """
    if user is None or not user.is_authenticated:
        return False
    if "active_membership" not in user.__dict__ and User.membership.is_cached(user):
        membership = user.membership  # loaded with the user (select_related): no query of its own
    else:
        membership = user.active_membership
    return bool(membership and membership.is_clinician and membership.requires_cosignature)


def clinicians(practice: Practice | int, *, include_deactivated: bool = False) -> QuerySet[User]:
    """The clinicians of a practice (with `include_deactivated`, former ones too, whose caseloads remain)."""
    people = User.objects.filter(membership__practice_id=_practice_id(practice), membership__is_clinician=True)
    return people if include_deactivated else people.filter(is_active=True)


def practice_admins(practice: Practice | int) -> QuerySet[User]:
    """The active admins of a practice (who hear of what no supervisor can deal with)."""
    return User.objects.filter(
        is_active=True, membership__practice_id=_practice_id(practice), membership__is_practice_admin=True
    )


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


def may_supervise(user, practice_id: int | None = None) -> bool:
    """May `user` act as a supervisor in this practice (their own, if none is named) right now:
    sign off, co-sign, read supervisees?

    Asked of the database, not of the user object, whose roles may have been loaded before a change.
    """
    if user is None or not user.is_authenticated:
        return False
    if practice_id is None:
        practice_id = practice_id_of(user)
        if practice_id is None:
            return False
    return User.objects.filter(qualified_supervisor_q(), pk=user.pk, membership__practice_id=practice_id).exists()


def current_supervisions() -> QuerySet[Supervision]:
    """The supervision links that count today: current, the supervisor still qualified, and both
    people members of the practice the link was made in."""
    return Supervision.objects.current().filter(
        qualified_supervisor_q("supervisor__"),
        supervisor__membership__practice_id=F("practice_id"),
        supervisee__membership__practice_id=F("practice_id"),
    )


def supervises(supervisor, supervisee, practice_id: int | None = None) -> bool:
    """Does `supervisor` supervise `supervisee` now (in `practice_id`, if named)? A current link
    alone is not enough: the supervisor must be a qualified clinician of the practice today."""
    if supervisor is None or not supervisor.is_authenticated or supervisee is None:
        return False
    links = current_supervisions().filter(supervisor=supervisor, supervisee=supervisee)
    if practice_id is not None:
        links = links.filter(practice_id=practice_id)
    return links.exists()


def supervisee_ids(supervisor) -> QuerySet:
    """The ids of the people `supervisor` supervises now, as a subquery-ready queryset."""
    if supervisor is None or not supervisor.is_authenticated:
        return Supervision.objects.none().values_list("supervisee_id", flat=True)
    return current_supervisions().filter(supervisor=supervisor).values_list("supervisee_id", flat=True)


def current_supervisors(supervisee, practice_id: int | None = None) -> list[User]:
    """The people who supervise `supervisee` now (and can sign off their plans)."""
    links = current_supervisions().filter(supervisee=supervisee)
    if practice_id is not None:
        links = links.filter(practice_id=practice_id)
    return [link.supervisor for link in links.select_related("supervisor")]


def qualified_supervisors(practice: Practice | int) -> QuerySet[User]:
    """Who may be given supervisees in the practice today: its active, qualified supervisors."""
    return User.objects.filter(qualified_supervisor_q(), membership__practice_id=_practice_id(practice))


@dataclass(frozen=True)
class SuperviseeOfLeaver:
    """A supervisee of someone about to be deactivated, and who else supervises them now."""

    link: Supervision
    other_supervisors: list[User]

    @property
    def supervisee(self) -> User:
        return self.link.supervisee

    @property
    def left_without_supervisor(self) -> bool:
        return not self.other_supervisors


def supervisees_of_leaver(person: User) -> list[SuperviseeOfLeaver]:
    """Every current link in which `person` supervises (as recorded, qualified or not: deactivation
    ends them all), with each supervisee's other current supervisors, who can still sign off."""
    links = list(
        Supervision.objects.current()
        .filter(supervisor=person)
        .select_related("supervisee")
        .order_by("supervisee__family_name", "supervisee__given_name", "pk")
    )
    others: dict[int, list[User]] = {link.supervisee_id: [] for link in links}
    for other in (
        current_supervisions()
        .filter(supervisee_id__in=others)
        .exclude(supervisor=person)
        .select_related("supervisor")
        .order_by("supervisor__family_name", "supervisor__given_name")
    ):
        others[other.supervisee_id].append(other.supervisor)
    return [SuperviseeOfLeaver(link=link, other_supervisors=others[link.supervisee_id]) for link in links]


def open_deactivation(person: User) -> StaffDeactivation | None:
    """The deactivation `person` is in now, if it was recorded (accounts deactivated before the
    record existed have none, and so nothing to offer back)."""
    return StaffDeactivation.objects.filter(person=person, reactivated_at__isnull=True).first()


def restorable_links(person: User) -> QuerySet[Supervision]:
    """The links `person`'s current deactivation ended that reactivation may start again: the
    supervisee still an active clinician of the practice, no current link of the pair already, and
    `person` still holding a supervisor's roles (asked before the account is switched back on)."""
    deactivation = open_deactivation(person)
    membership = getattr(person, "membership", None)
    if deactivation is None or membership is None:
        return Supervision.objects.none()
    if not membership.is_supervisor or supervisor_role_problems(
        is_clinician=membership.is_clinician, is_supervisor=True, credentials=person.credentials
    ):
        return Supervision.objects.none()
    already = Supervision.objects.current().filter(supervisor=person).values("supervisee_id")
    return (
        deactivation.ended_supervisions.filter(
            supervisee__is_active=True,
            supervisee__membership__practice_id=deactivation.practice_id,
            supervisee__membership__is_clinician=True,
        )
        .exclude(supervisee_id__in=already)
        .select_related("supervisee")
        .order_by("supervisee__family_name", "supervisee__given_name", "pk")
    )


def links_ended_by_deactivation(person: User) -> QuerySet[Supervision]:
    """Every link `person`'s current deactivation ended, offered back or not."""
    deactivation = open_deactivation(person)
    if deactivation is None:
        return Supervision.objects.none()
    return deactivation.ended_supervisions.select_related("supervisee").order_by(
        "supervisee__family_name", "supervisee__given_name", "pk"
    )


# --- The policy -------------------------------------------------------------------


def _door_has(user, obj, door: str) -> bool:
    """Ask the record's caseload queryset (accounts.access) whether `obj` is within `user`'s reach."""
    if obj is None:
        raise ValueError("Reading or changing is asked of a record: pass it as obj.")
    return getattr(type(obj)._default_manager, door)(user).filter(pk=obj.pk).exists()


def _practice_of(obj) -> int | None:
    """The practice a record belongs to, for the admin's practice-level actions."""
    if obj is None or isinstance(obj, int | Practice):
        return _practice_id(obj)
    if hasattr(obj, "practice_id"):
        return obj.practice_id
    if hasattr(obj, "client"):
        return obj.client.practice_id
    raise TypeError(f"{type(obj).__name__} belongs to no practice.")


def _admin_of_record(user, obj) -> bool:
    if obj is not None and _practice_of(obj) is None:
        # A built-in catalogue entry or template belongs to no practice: nobody manages it.
        return False
    return is_practice_admin(user, _practice_of(obj) if obj is not None else None)


def _may_sign_off(user, plan) -> bool:
    return plan.author_id != user.pk and supervises(user, plan.author, plan.client.practice_id)


def _may_supervise(user, obj) -> bool:
    if obj is None:
        return may_supervise(user)
    return supervises(user, obj)


def _is_author(user, plan) -> bool:
    return plan.author_id == user.pk and _door_has(user, plan, "visible_to")


def _author_or_supervisor(user, plan) -> bool:
    # Supervision, not oversight: a practice admin reads the plan but not this, unless she is
    # herself its author or a current supervisor of its author.
    if _is_author(user, plan):
        return True
    return supervises(user, plan.author, plan.client.practice_id) and _door_has(user, plan, "visible_to")


def _may_export(user, obj) -> bool:
    if obj is None or isinstance(obj, int | Practice):
        return is_practice_admin(user, obj)
    # An export's files are only ever for the admin who asked for them.
    return obj.requested_by_id == user.pk and is_practice_admin(user, obj.practice_id)


def _may_share_template(user, plan) -> bool:
    if plan is None:
        return is_practice_admin(user)
    return is_practice_admin(user, plan.client.practice_id) and _door_has(user, plan, "visible_to")


_RULES = {
    Action.VIEW: lambda user, obj: _door_has(user, obj, "visible_to"),
    Action.EDIT: lambda user, obj: _door_has(user, obj, "editable_by"),
    Action.SIGN: lambda user, plan: plan.author_id == user.pk and _door_has(user, plan, "editable_by"),
    Action.APPROVE: _may_sign_off,
    Action.REQUEST_CHANGES: _may_sign_off,
    Action.COMMENT: lambda user, plan: (
        _door_has(user, plan, "visible_to") and (plan.author_id == user.pk or _may_sign_off(user, plan))
    ),
    Action.CREATE_CLIENT: lambda user, obj: is_clinician(user, _practice_of(obj)),
    Action.SUPERVISE: _may_supervise,
    Action.MANAGE_STAFF: _admin_of_record,
    Action.MANAGE_LIBRARY: _admin_of_record,
    Action.SHARE_TEMPLATE: _may_share_template,
    Action.EXPORT: _may_export,
    Action.VIEW_AUDIT: _admin_of_record,
    Action.MANAGE_SECURITY: _admin_of_record,
    Action.MANAGE_CLIENT_LINK_SETTINGS: _admin_of_record,
    Action.VIEW_RESPONSE_RATES: _admin_of_record,
    Action.READ_COUNTERTRANSFERENCE: _author_or_supervisor,
    Action.READ_SUPERVISION_COPY: _author_or_supervisor,
    Action.READ_COUNTERTRANSFERENCE_VIA_API: _is_author,
}


def can(user, action: Action, obj=None) -> bool:
    """May `user` do `action` (to `obj`, or in their practice when obj is None)?"""
    action = Action(action)
    if membership_of(user) is None:
        return False
    return bool(_RULES[action](user, obj))


def instances(user, action: Action, queryset):
    """The records of `queryset` that `user` may `action`: the access door's answer, not a second one."""
    action = Action(action)
    if action is Action.VIEW:
        return queryset.visible_to(user)
    if action is Action.EDIT:
        return queryset.editable_by(user)
    raise ValueError(f"{action} is asked of one record at a time: use can(user, action, obj).")


class Roles:
    """The signed-in person's roles, as templates ask about them (the `roles` context variable).

    Each answer comes from the policy, computed on first use, so a page that never asks costs nothing.
    """

    def __init__(self, user):
        self._user = user

    @cached_property
    def clinician(self) -> bool:
        return is_clinician(self._user)

    @cached_property
    def trainee(self) -> bool:
        return self.clinician and needs_cosignature(self._user)

    @cached_property
    def supervisor(self) -> bool:
        membership = membership_of(self._user)
        # The flag first, so that a page for someone who is no supervisor costs no query.
        return bool(membership and membership.is_supervisor and may_supervise(self._user))

    @cached_property
    def practice_admin(self) -> bool:
        return is_practice_admin(self._user)


def trainees_without_supervisor(user) -> QuerySet[Membership]:
    """Active trainees of the admin's practice with no current supervisor: their plans can be
    submitted but no one can co-sign them, so the admin's home page asks for an assignment."""
    return (
        manageable_memberships(user)
        .filter(user__is_active=True, is_clinician=True, requires_cosignature=True)
        .exclude(user_id__in=current_supervisions().values("supervisee_id"))
    )


def manageable_memberships(user) -> QuerySet[Membership]:
    """Staff records a practice admin may manage: their own practice's."""
    if not can(user, Action.MANAGE_STAFF):
        return Membership.objects.none()
    return Membership.objects.filter(practice_id=practice_id_of(user))
