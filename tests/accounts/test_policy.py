"""accounts.policy answers every role question: a matrix of role x action x record, the places
where two checks used to give different answers, and a scan of the source that keeps the role
flags behind the policy."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import PermissionDenied

from accounts import policy
from accounts.models import Membership, User
from accounts.policy import Action, can
from clients.models import Client
from core.models import OutboxMessage
from formulation.models import DefenseMechanism
from plans.library import services as library_services
from plans.lifecycle import transitions
from plans.models import PlanTemplate, TreatmentPlan
from progress import scheduling
from progress.models import ProgressReview
from records import exports
from records.models import BulkExport
from tests.factories import ClientFactory, SupervisionFactory, make_plan, staff

CAST = ("clinician", "colleague", "trainee", "supervisor", "admin", "admin_clinician", "outsider", "deactivated")


@pytest.fixture
def admin_clinician(practice):
    """An admin who also keeps a caseload of her own."""
    return staff(practice, is_clinician=True, is_practice_admin=True)


@pytest.fixture
def deactivated(practice):
    """Once a clinician and admin of the practice; deactivated, so now nothing."""
    user = staff(practice, is_clinician=True, is_practice_admin=True)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def cast(request, clinician, colleague, trainee, supervisor, admin, outsider):
    return {name: request.getfixturevalue(name) for name in CAST}


@pytest.fixture
def records(cast):
    """A client and a draft plan on the clinician's caseload, the same on the admin-clinician's."""
    own_plan = make_plan(ClientFactory(primary_clinician=cast["clinician"]))
    admins_plan = make_plan(ClientFactory(primary_clinician=cast["admin_clinician"]))
    return {
        "clinician's client": own_plan.client,
        "clinician's plan": own_plan,
        "admin-clinician's client": admins_plan.client,
        "admin-clinician's plan": admins_plan,
    }


def everyone_but(*names):
    return set(CAST) - set(names)


# (action, record, who may): every other member of the cast may not.
RECORD_MATRIX = [
    (Action.VIEW, "clinician's client", {"clinician", "supervisor", "admin", "admin_clinician"}),
    (Action.VIEW, "clinician's plan", {"clinician", "supervisor", "admin", "admin_clinician"}),
    (Action.EDIT, "clinician's client", {"clinician"}),
    (Action.EDIT, "clinician's plan", {"clinician"}),
    (Action.SIGN, "clinician's plan", {"clinician"}),
    (Action.APPROVE, "clinician's plan", {"supervisor"}),
    (Action.REQUEST_CHANGES, "clinician's plan", {"supervisor"}),
    (Action.COMMENT, "clinician's plan", {"clinician", "supervisor"}),
    (Action.SHARE_TEMPLATE, "clinician's plan", {"admin", "admin_clinician"}),
    (Action.VIEW, "admin-clinician's client", {"admin", "admin_clinician"}),
    (Action.EDIT, "admin-clinician's client", {"admin_clinician"}),
    (Action.SIGN, "admin-clinician's plan", {"admin_clinician"}),
    # Nobody supervises the admin-clinician: her own signature makes her plan active.
    (Action.APPROVE, "admin-clinician's plan", set()),
    (Action.COMMENT, "admin-clinician's plan", {"admin_clinician"}),
    # The formulation's countertransference: the author and her current supervisors, never the
    # admin as admin; through the API the author only.
    (Action.READ_COUNTERTRANSFERENCE, "clinician's plan", {"clinician", "supervisor"}),
    (Action.READ_SUPERVISION_COPY, "clinician's plan", {"clinician", "supervisor"}),
    (Action.READ_COUNTERTRANSFERENCE_VIA_API, "clinician's plan", {"clinician"}),
    (Action.READ_COUNTERTRANSFERENCE, "admin-clinician's plan", {"admin_clinician"}),
    (Action.READ_SUPERVISION_COPY, "admin-clinician's plan", {"admin_clinician"}),
    (Action.READ_COUNTERTRANSFERENCE_VIA_API, "admin-clinician's plan", {"admin_clinician"}),
]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("action", "record", "allowed"), RECORD_MATRIX, ids=lambda v: str(v))
def test_each_role_may_do_to_each_record_exactly_what_the_policy_says(cast, records, who, action, record, allowed):
    assert can(cast[who], action, records[record]) is (who in allowed)


# (action, who may, in the home practice): practice-level questions.
PRACTICE_MATRIX = [
    (Action.CREATE_CLIENT, {"clinician", "colleague", "trainee", "supervisor", "admin_clinician"}),
    (Action.SUPERVISE, {"supervisor"}),
    (Action.MANAGE_STAFF, {"admin", "admin_clinician"}),
    (Action.MANAGE_LIBRARY, {"admin", "admin_clinician"}),
    (Action.EXPORT, {"admin", "admin_clinician"}),
    (Action.VIEW_AUDIT, {"admin", "admin_clinician"}),
    (Action.MANAGE_SECURITY, {"admin", "admin_clinician"}),
    (Action.MANAGE_CLIENT_LINK_SETTINGS, {"admin", "admin_clinician"}),
    (Action.VIEW_RESPONSE_RATES, {"admin", "admin_clinician"}),
]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("action", "allowed"), PRACTICE_MATRIX, ids=lambda v: str(v))
def test_each_role_may_do_in_the_home_practice_exactly_what_the_policy_says(cast, practice, who, action, allowed):
    obj = None if action is Action.SUPERVISE else practice
    assert can(cast[who], action, obj) is (who in allowed)


def test_an_outsider_is_a_clinician_only_in_their_own_practice(outsider, practice, other_practice):
    assert can(outsider, Action.CREATE_CLIENT)
    assert can(outsider, Action.CREATE_CLIENT, other_practice)
    assert not can(outsider, Action.CREATE_CLIENT, practice)


def test_an_admin_of_another_practice_manages_nothing_here(practice, other_practice):
    elsewhere_admin = staff(other_practice, is_practice_admin=True)
    assert can(elsewhere_admin, Action.MANAGE_STAFF)
    for action in (Action.MANAGE_STAFF, Action.MANAGE_LIBRARY, Action.EXPORT, Action.VIEW_AUDIT):
        assert not can(elsewhere_admin, action, practice)
    assert not can(elsewhere_admin, Action.MANAGE_STAFF, staff(practice).membership)


def test_built_in_library_entries_are_managed_by_nobody(admin):
    built_in = PlanTemplate.objects.filter(practice__isnull=True).first()
    assert built_in is not None
    assert not can(admin, Action.MANAGE_LIBRARY, built_in)


def test_supervising_a_person_is_asked_of_the_current_qualified_link(supervisor, clinician, colleague, trainee):
    assert can(supervisor, Action.SUPERVISE, clinician)
    assert can(supervisor, Action.SUPERVISE, trainee)
    assert not can(supervisor, Action.SUPERVISE, colleague)
    assert set(policy.supervisee_ids(supervisor)) == {clinician.pk, trainee.pk}
    assert policy.current_supervisors(trainee) == [supervisor]
    assert policy.supervises(supervisor, trainee) and not policy.supervises(trainee, supervisor)


PRIVATE_READS = (
    Action.READ_COUNTERTRANSFERENCE,
    Action.READ_SUPERVISION_COPY,
    Action.READ_COUNTERTRANSFERENCE_VIA_API,
)


def test_a_trainees_supervisor_reads_her_countertransference_on_screen_and_in_the_copy_not_through_the_api(
    trainee, supervisor, clinician
):
    plan = make_plan(ClientFactory(primary_clinician=trainee))
    assert [can(trainee, a, plan) for a in PRIVATE_READS] == [True, True, True]
    assert [can(supervisor, a, plan) for a in PRIVATE_READS] == [True, True, False]
    assert [can(clinician, a, plan) for a in PRIVATE_READS] == [False, False, False]


def test_the_countertransference_follows_the_current_qualified_link_not_a_past_one(supervisor, clinician, practice):
    plan = make_plan(ClientFactory(primary_clinician=clinician))
    assert can(supervisor, Action.READ_SUPERVISION_COPY, plan)
    link = supervisor.supervisions_given.get(supervisee=clinician)
    link.ended_on = practice.today()
    link.save(update_fields=["ended_on"])
    policy_user = User.objects.get(pk=supervisor.pk)
    assert not any(can(policy_user, a, plan) for a in PRIVATE_READS)
    # A current link to someone no longer qualified (credentials gone) grants nothing either.
    SupervisionFactory(supervisor=policy_user, supervisee=clinician)
    assert can(User.objects.get(pk=supervisor.pk), Action.READ_COUNTERTRANSFERENCE, plan)
    User.objects.filter(pk=supervisor.pk).update(credentials=" ")
    assert not any(can(User.objects.get(pk=supervisor.pk), a, plan) for a in PRIVATE_READS)


def test_an_author_whose_client_left_her_caseload_no_longer_reads_it(clinician, colleague):
    """The author as such is not enough: the plan must still be in her view (the access door)."""
    plan = make_plan(ClientFactory(primary_clinician=clinician))
    Client.objects.filter(pk=plan.client_id).update(primary_clinician=colleague)
    assert not any(can(User.objects.get(pk=clinician.pk), a, plan) for a in PRIVATE_READS)
    # The new primary clinician edits the plan but is not its author: she does not read it either.
    assert can(colleague, Action.EDIT, plan)
    assert not any(can(colleague, a, plan) for a in PRIVATE_READS)


def test_only_trainees_plans_need_cosignature(clinician, trainee, admin):
    assert policy.needs_cosignature(trainee)
    assert not policy.needs_cosignature(clinician)
    assert not policy.needs_cosignature(admin)


def test_the_queryset_side_is_the_access_door(cast, records):
    for who in CAST:
        user = cast[who]
        assert set(policy.instances(user, Action.VIEW, Client.objects.all())) == set(Client.objects.visible_to(user))
        assert set(policy.instances(user, Action.EDIT, TreatmentPlan.objects.all())) == set(
            TreatmentPlan.objects.editable_by(user)
        )
    with pytest.raises(ValueError, match="one record at a time"):
        policy.instances(cast["admin"], Action.APPROVE, TreatmentPlan.objects.all())


def test_actions_are_named_by_the_enum_and_unknown_ones_are_refused(clinician, own_client):
    assert can(clinician, "view", own_client)
    with pytest.raises(ValueError):
        can(clinician, "delete", own_client)


# --- Where two checks gave different answers ----------------------------------------------
# The staff services refused a deactivated admin; the library, the bulk export and the staff
# list's queryset did not. The policy refuses everywhere.


def test_a_deactivated_admin_cannot_add_to_the_practice_library(deactivated, admin):
    entry = {"model": DefenseMechanism, "level": DefenseMechanism.Level.HIGH_ADAPTIVE}
    with pytest.raises(PermissionDenied):
        library_services.add_catalogue_entry(actor=deactivated, name="Sublimation (ours)", **entry)
    assert not DefenseMechanism.objects.filter(name="Sublimation (ours)").exists()
    # The same entry from an active admin is added: only the actor made the difference.
    library_services.add_catalogue_entry(actor=admin, name="Sublimation (ours)", **entry)
    assert DefenseMechanism.objects.filter(name="Sublimation (ours)").exists()


def test_a_deactivated_admin_cannot_request_a_bulk_export(deactivated):
    with pytest.raises(PermissionDenied):
        exports.request_export(actor=deactivated)
    assert not BulkExport.objects.exists()


def test_a_deactivated_admin_reaches_neither_staff_records_nor_their_old_exports(deactivated, admin, practice):
    export = BulkExport.objects.create(practice=practice, requested_by=deactivated)
    assert policy.manageable_memberships(admin).filter(user=deactivated).exists()
    assert not policy.manageable_memberships(deactivated).exists()
    assert not BulkExport.objects.of_requester(deactivated).filter(pk=export.pk).exists()


def test_an_overdue_review_with_no_supervisor_is_escalated_to_active_admins_only(
    colleague, admin, deactivated, practice
):
    # The escalation listed every admin flag, deactivated or not; everywhere else only active admins count.
    plan = transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague)))
    OutboxMessage.objects.all().delete()
    scheduling.run_for_practice(practice, plan.next_review_date + dt.timedelta(days=8))
    assert ProgressReview.objects.get(plan=plan).escalated_at is not None
    notices = OutboxMessage.objects.filter(task="accounts.tasks.deliver_notification")
    recipients = {m.args[0] for m in notices if m.args[2] == "a plan review is overdue"}
    assert recipients == {admin.pk}


def test_a_link_to_someone_now_in_another_practice_lets_no_one_review_their_plans(
    supervisor, clinician, practice, other_practice
):
    # The access door ignored such a link; the lifecycle's own query still honoured it.
    Membership.objects.filter(user=clinician).update(practice=other_practice)
    assert not transitions.supervises(supervisor, clinician, practice.pk)
    assert transitions.current_supervisors(clinician, practice.pk) == []
    assert not policy.supervises(supervisor, clinician)


def _unqualified_supervisor(practice, supervisee, **roles):
    """A supervisor whose credentials were cleared outside the staff services (a shell, a restore)."""
    user = staff(practice, is_clinician=True, is_supervisor=True, **roles)
    SupervisionFactory(supervisor=user, supervisee=supervisee)
    User.objects.filter(pk=user.pk).update(credentials="")
    return User.objects.get(pk=user.pk)


def test_the_signoff_queue_lists_no_overdue_reviews_through_an_unqualified_link(colleague, practice, login):
    # The queue's plans came through qualified links only; its overdue list took any link, which
    # for an admin (who sees the whole practice) listed reviews of people she no longer supervises.
    boss = _unqualified_supervisor(practice, colleague, is_practice_admin=True)
    plan = transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague)))
    scheduling.run_for_practice(practice, plan.next_review_date + dt.timedelta(days=8))
    assert ProgressReview.objects.get(plan=plan).status == ProgressReview.Status.OVERDUE
    queue = BeautifulSoup(login(boss).get("/plans/sign-off/").content, "html.parser")
    assert f"/plans/{plan.pk}/#reviews" not in [a["href"] for a in queue.select("main a[href]")]


def test_an_unqualified_supervisor_is_not_offered_the_signoff_queue(colleague, practice, login):
    # The menu and the home page asked the supervisor flag; the queue itself asks for a qualified supervisor.
    user = _unqualified_supervisor(practice, colleague)
    page = BeautifulSoup(login(user).get("/").content, "html.parser")
    assert "/plans/sign-off/" not in [a["href"] for a in page.select("nav a[href]")]
    assert page.find("h2", string="Your supervisees") is None


def test_a_qualified_supervisor_is_offered_the_signoff_queue_and_sees_their_trainee(supervisor, trainee, login):
    page = BeautifulSoup(login(supervisor).get("/").content, "html.parser")
    assert "/plans/sign-off/" in [a["href"] for a in page.select("nav a[href]")]
    card = page.find("h2", string="Your supervisees").find_parent("section")
    assert trainee.printed_name in card.get_text() and "trainee" in card.get_text()


# --- The rule stays enforced ----------------------------------------------------------------

ROLE_FLAGS = {"is_practice_admin", "is_supervisor", "is_clinician", "requires_cosignature"}
SUPERVISION_READS = {"supervisions_given", "supervisions_received"}

# Where the raw role facts may be read or written: the policy and the door themselves, the
# models, and the code that edits roles (forms, the staff services and pages) or builds data.
ANYWHERE_IN = {
    "accounts/policy.py",
    "accounts/models.py",
    "accounts/access.py",
    "accounts/forms.py",
    "accounts/admin.py",
    "demo/management/commands/seed_demo.py",
    "demo/scale.py",
}
IN_FUNCTIONS = {
    "accounts/services.py": {
        "_check_roles",
        "invite_staff",
        "update_staff_roles",
        "set_supervisors",
        "deactivate_staff",
        "reactivate_staff",
    },
    "accounts/views.py": {"staff_list", "staff_invite", "staff_edit"},
}
SKIPPED_DIRS = {".venv", "tests", "migrations", "node_modules", "static", "bench", ".git", "media"}


def _source_files(suffix: str):
    root = Path(settings.BASE_DIR)
    for path in sorted(root.rglob(f"*{suffix}")):
        relative = path.relative_to(root)
        if not SKIPPED_DIRS.intersection(relative.parts):
            yield relative.as_posix(), path


def _role_reads(tree: ast.AST):
    """(line, function, what) for each place the tree touches a role flag or a supervision link."""
    found = []

    def visit(node, function):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        asks_policy = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "policy"
        if isinstance(node, ast.Attribute) and node.attr in ROLE_FLAGS | SUPERVISION_READS and not asks_policy:
            found.append((node.lineno, function, node.attr))
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and isinstance(node.value, ast.Name)
            and node.value.id == "Supervision"
        ):
            found.append((node.lineno, function, "Supervision.objects"))
        if isinstance(node, ast.keyword) and node.arg and node.arg.split("__")[-1] in ROLE_FLAGS:
            found.append((node.value.lineno, function, node.arg))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(re.search(rf"(^|__){flag}$", node.value) for flag in ROLE_FLAGS):
                found.append((node.lineno, function, repr(node.value)))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_no_code_outside_the_policy_reads_the_raw_role_flags():
    offences = []
    scanned = 0
    for name, path in _source_files(".py"):
        scanned += 1
        if name in ANYWHERE_IN:
            continue
        allowed = IN_FUNCTIONS.get(name, set())
        for line, function, what in _role_reads(ast.parse(path.read_text(), filename=name)):
            if function not in allowed:
                offences.append(f"{name}:{line} ({function or 'module'}) reads {what}")
    assert scanned > 50, "the scan found too few files to mean anything"
    assert not offences, "Ask accounts.policy instead:\n" + "\n".join(offences)


def test_no_template_reads_the_raw_role_flags():
    pattern = re.compile(r"\.(" + "|".join(sorted(ROLE_FLAGS)) + r")\b")
    offences = []
    templates = list(_source_files(".html"))
    assert templates
    for name, path in templates:
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(text):
                offences.append(f"{name}:{number}: {text.strip()}")
    assert not offences, "Templates ask `roles` (accounts.policy.Roles):\n" + "\n".join(offences)


def test_the_scan_catches_each_way_of_reading_a_role():
    source = """
def view(request, user):
    a = request.user.active_membership.is_practice_admin
    b = Membership.objects.filter(is_practice_admin=True)
    c = User.objects.filter(membership__is_supervisor=True)
    d = Supervision.objects.current()
    e = user.supervisions_received.all()
    f = Q(**{"membership__requires_cosignature": True})
    g = policy.is_practice_admin(user)
"""
    whats = [what for _, _, what in _role_reads(ast.parse(source))]
    assert whats == [
        "is_practice_admin",
        "is_practice_admin",
        "membership__is_supervisor",
        "Supervision.objects",
        "supervisions_received",
        "'membership__requires_cosignature'",
    ]
