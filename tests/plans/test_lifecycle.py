"""Submit, sign off (approve or request changes), amend, close: who may, from which state, and what is
recorded. The sign-off queue and the comments are in test_signoff.py."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import DatabaseError, connection, transaction

from accounts.models import Notification
from accounts.tasks import deliver_notification
from plans.discharge import discharge_client_and_close_plans
from plans.editor import services
from plans.lifecycle import transitions
from plans.lifecycle.canonical import content_hash
from plans.models import Goal, ImmutableRecordError, Objective, PlanTransition, Signature, TreatmentPlan
from tests.factories import PASSWORD, ClientFactory, make_plan

Status = TreatmentPlan.Status


@pytest.fixture
def trainee_plan(trainee):
    return make_plan(ClientFactory(primary_clinician=trainee))


@pytest.fixture
def active_plan(own_client, clinician):
    plan = make_plan(own_client)
    return transitions.submit_plan(actor=clinician, plan=plan)


def _snapshot(plan):
    plan.refresh_from_db()
    return (plan.status, plan.transitions.count(), plan.signatures.count())


def test_clinician_without_cosignature_signs_and_activates_in_one_step(clinician, own_client):
    plan = make_plan(own_client)
    plan = transitions.submit_plan(actor=clinician, plan=plan)
    assert plan.status == Status.ACTIVE and plan.activated_at
    signature = plan.signatures.get()
    assert signature.meaning == Signature.Meaning.AUTHORED
    assert signature.printed_name == clinician.get_full_name() and signature.credentials == clinician.credentials
    assert signature.timezone == "America/New_York"
    assert signature.content_hash == content_hash(plan)
    transition = plan.transitions.get()
    assert (transition.from_status, transition.to_status, transition.actor) == ("draft", "active", clinician)


def test_a_trainees_submission_waits_for_signoff_and_tells_the_supervisor_without_naming_the_client(
    trainee, supervisor, trainee_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    assert plan.status == Status.IN_REVIEW
    assert Notification.objects.filter(recipient=supervisor, verb="a plan awaits your review").exists()
    assert mail.outbox and trainee_plan.client.family_name not in mail.outbox[-1].body


def test_the_supervisors_approval_activates_the_plan_with_both_signatures(trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    plan = transitions.approve_plan(actor=supervisor, plan=plan)
    assert plan.status == Status.ACTIVE
    assert list(plan.signatures.values_list("meaning", flat=True)) == ["authored", "reviewed_and_approved"]


def test_the_supervisors_approval_tells_the_trainee(
    trainee, supervisor, trainee_plan, django_capture_on_commit_callbacks
):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.approve_plan(actor=supervisor, plan=plan)
    assert Notification.objects.filter(recipient=trainee, verb="your plan was approved").exists()


def test_an_approved_plans_page_shows_both_signatures_valid(trainee, supervisor, trainee_plan, login):
    plan = transitions.approve_plan(actor=supervisor, plan=transitions.submit_plan(actor=trainee, plan=trainee_plan))
    page = BeautifulSoup(login(supervisor).get(f"/plans/{plan.pk}/").content, "html.parser")
    rows = [r.get_text(" ", strip=True) for r in page.select(".signatures tbody tr")]
    assert any("Authored" in r and trainee.get_full_name() in r and "Valid" in r for r in rows)
    assert any("Reviewed and approved" in r and supervisor.get_full_name() in r for r in rows)
    assert "The content matches its signatures" in page.select_one(".signatures").get_text()


def test_nobody_approves_their_own_plan(supervisor, practice):
    client = ClientFactory(primary_clinician=supervisor)
    supervisor.membership.requires_cosignature = True
    supervisor.membership.save()
    from tests.factories import SupervisionFactory, staff

    other_supervisor = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=other_supervisor, supervisee=supervisor)
    plan = transitions.submit_plan(actor=supervisor, plan=make_plan(client))
    before = _snapshot(plan)
    with pytest.raises(transitions.TransitionError, match="own plan"):
        transitions.approve_plan(actor=supervisor, plan=plan)
    assert _snapshot(plan) == before


@pytest.mark.parametrize("role", ["colleague", "admin", "outsider"])
def test_approval_by_someone_who_does_not_supervise_the_author_fails(role, request, trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    before = _snapshot(plan)
    with pytest.raises(transitions.TransitionError, match="supervisor of the plan's author"):
        transitions.approve_plan(actor=request.getfixturevalue(role), plan=plan)
    assert _snapshot(plan) == before


def test_trainee_without_a_supervisor_cannot_activate_a_plan(trainee, trainee_plan):
    before = _snapshot(trainee_plan)
    with pytest.raises(transitions.TransitionError, match="no supervisor is assigned"):
        transitions.submit_plan(actor=trainee, plan=trainee_plan)
    assert _snapshot(trainee_plan) == before == ("draft", 0, 0)


def test_editing_a_plan_in_review_is_refused_everywhere(trainee, supervisor, trainee_plan, login):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    goal = plan.goals.get()
    web = login(trainee)
    response = web.post(
        f"/plans/items/goal/{goal.pk}/edit/",
        {f"goal-{goal.pk}-statement": "Sneaky", f"goal-{goal.pk}-version": goal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "x"}).status_code == 403
    goal.refresh_from_db()
    assert goal.statement != "Sneaky"


def test_requesting_changes_needs_a_comment(trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    with pytest.raises(transitions.TransitionError, match="comment is required"):
        transitions.request_changes(actor=supervisor, plan=plan, comment="  ")
    assert _snapshot(plan) == ("in_review", 1, 1)


def test_requesting_changes_voids_the_authors_signature(trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    plan = transitions.request_changes(actor=supervisor, plan=plan, comment="Tie objective 1 to the CCRT.")
    assert plan.status == Status.CHANGES_REQUESTED
    assert plan.signatures.get().voided_at is not None


def test_a_revision_is_an_editable_draft_and_resubmitting_it_signs_it_anew(trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    plan = transitions.request_changes(actor=supervisor, plan=plan, comment="Tie objective 1 to the CCRT.")
    plan = transitions.start_revision(actor=trainee, plan=plan)
    assert plan.status == Status.DRAFT and plan.is_editable
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    assert plan.signatures.valid().count() == 1
    assert plan.signatures.count() == 2


def test_only_the_author_can_submit(colleague, supervisor, own_client):
    plan = make_plan(own_client)
    for actor in (colleague, supervisor):
        with pytest.raises(transitions.TransitionError):
            transitions.submit_plan(actor=actor, plan=plan)
    assert _snapshot(plan) == ("draft", 0, 0)


def test_refused_transition_in_the_browser_shows_the_message_and_changes_nothing(trainee, trainee_plan, login):
    plan = trainee_plan
    web = login(trainee)
    response = web.post(f"/plans/{plan.pk}/approve/", {"password": PASSWORD}, follow=True)
    assert "own plan" in response.content.decode() or "cannot approve" in response.content.decode()
    assert _snapshot(plan) == ("draft", 0, 0)


# --- A signed plan never changes -----------------------------------------------


def test_signed_plan_refuses_save(active_plan):
    goal = active_plan.goals.get()
    goal.statement = "Changed after signing"
    with pytest.raises(ImmutableRecordError):
        goal.save()
    active_plan.start_date = active_plan.start_date.replace(year=2030)
    with pytest.raises(ImmutableRecordError):
        active_plan.save()
    formulation = active_plan.formulation
    formulation.narrative_hypothesis = "Rewritten"
    with pytest.raises(ImmutableRecordError):
        formulation.save()


def test_signed_plan_refuses_queryset_update(active_plan):
    for queryset, values in [
        (Goal.objects.filter(plan=active_plan), {"statement": "Bulk"}),
        (Objective.objects.filter(goal__plan=active_plan), {"target": "Bulk"}),
        (TreatmentPlan.objects.filter(pk=active_plan.pk), {"horizon_months": 24}),
        (Signature.objects.filter(plan=active_plan), {"content_hash": "0" * 64}),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            queryset.update(**values)
    assert not Goal.objects.filter(statement="Bulk").exists()


def test_signed_plan_refuses_raw_sql(active_plan):
    goal = active_plan.goals.get()
    statements = [
        ("UPDATE plans_goal SET statement = 'raw' WHERE id = %s", [goal.pk]),
        (
            'INSERT INTO plans_goal (plan_id, statement, description, "order", version, lineage) '
            "VALUES (%s, 'raw', '', 9, 1, %s)",
            [active_plan.pk, "0" * 32],
        ),
        ("UPDATE plans_treatmentplan SET status = 'draft' WHERE id = %s", [active_plan.pk]),
    ]
    if connection.vendor == "postgresql":
        statements += [
            ("DELETE FROM plans_intervention WHERE plan_id = %s", [active_plan.pk]),
            ("DELETE FROM plans_treatmentplan WHERE id = %s", [active_plan.pk]),
        ]
    for sql, params in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    goal.refresh_from_db()
    active_plan.refresh_from_db()
    assert goal.statement != "raw" and active_plan.status == Status.ACTIVE


def test_status_can_still_move_on_from_active(active_plan, clinician):
    plan = transitions.close_plan(actor=clinician, plan=active_plan, reason="Goals met")
    assert plan.status == Status.CLOSED


def test_discharging_a_client_closes_their_active_plan(active_plan, clinician):
    discharge_client_and_close_plans(
        actor=clinician, client=active_plan.client, discharged_on=active_plan.start_date, reason="Moved"
    )
    active_plan.refresh_from_db()
    assert active_plan.status == Status.CLOSED
    assert "Client discharged" in active_plan.transitions.last().comment


# --- Amendments ------------------------------------------------------------------
# What an amendment changed, and the compare page, are tested in tests/plans/test_compare.py.


def _amend_target(clinician, amendment, target: str) -> None:
    objective = Objective.objects.get(goal__plan=amendment)
    services.update_item(
        actor=clinician,
        item=objective,
        expected_version=objective.version,
        values={"target": target, "presenting_problems": list(objective.presenting_problems.all())},
    )


def test_an_amendment_is_a_new_draft_version_of_the_same_items(active_plan, clinician):
    amendment = transitions.amend_plan(actor=clinician, plan=active_plan)
    assert (amendment.version_number, amendment.status, amendment.previous_version) == (2, "draft", active_plan)
    old_objective = Objective.objects.get(goal__plan=active_plan)
    new_objective = Objective.objects.get(goal__plan=amendment)
    assert new_objective.lineage == old_objective.lineage and new_objective.pk != old_objective.pk
    assert list(new_objective.conflicts.values_list("lineage", flat=True)) == list(
        old_objective.conflicts.values_list("lineage", flat=True)
    )


def test_a_plan_is_amended_only_once_at_a_time(active_plan, clinician):
    transitions.amend_plan(actor=clinician, plan=active_plan)
    with pytest.raises(transitions.TransitionError, match="already has an amendment"):
        transitions.amend_plan(actor=clinician, plan=active_plan)


def test_activating_an_amendment_supersedes_the_old_version(active_plan, clinician):
    amendment = transitions.amend_plan(actor=clinician, plan=active_plan)
    _amend_target(clinician, amendment, "Names 4 patterns")
    amendment = transitions.submit_plan(actor=clinician, plan=amendment)
    active_plan.refresh_from_db()
    assert amendment.status == Status.ACTIVE and active_plan.status == Status.SUPERSEDED


def test_a_superseded_version_still_reads_exactly_as_signed(active_plan, clinician, login):
    amendment = transitions.amend_plan(actor=clinician, plan=active_plan)
    _amend_target(clinician, amendment, "Names 4 patterns")
    transitions.submit_plan(actor=clinician, plan=amendment)
    old_page = login(clinician).get(f"/plans/{active_plan.pk}/").content.decode()
    assert "Names 2 patterns" in old_page and "The content matches its signatures" in old_page


# --- Notifications and transitions ------------------------------------------


def test_delivering_a_notification_twice_sends_it_once(clinician):
    for _ in range(2):
        deliver_notification(clinician.pk, "test:once", "something happened", "Text", "/plans/1/")
    assert Notification.objects.filter(recipient=clinician).count() == 1
    assert len(mail.outbox) == 1


def test_transitions_record_who_when_from_to_and_comment(trainee, supervisor, trainee_plan):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    transitions.request_changes(actor=supervisor, plan=plan, comment="Please revise")
    rows = list(PlanTransition.objects.filter(plan=plan).values_list("actor", "from_status", "to_status", "comment"))
    assert rows == [
        (trainee.pk, "draft", "in_review", ""),
        (supervisor.pk, "in_review", "changes_requested", "Please revise"),
    ]


def test_a_plan_viewed_in_review_then_revised_is_approved_against_its_new_content(
    trainee, supervisor, trainee_plan, login
):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    assert login(supervisor).get(f"/plans/{plan.pk}/").status_code == 200  # may cache what it computed
    plan = transitions.request_changes(actor=supervisor, plan=plan, comment="Sharpen the target.")
    plan = transitions.start_revision(actor=trainee, plan=plan)
    objective = Objective.objects.get(goal__plan=plan)
    services.update_item(
        actor=trainee,
        item=objective,
        expected_version=objective.version,
        values={"target": "Names 3 patterns", "presenting_problems": list(objective.presenting_problems.all())},
    )
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    plan = transitions.approve_plan(actor=supervisor, plan=plan)
    assert plan.status == Status.ACTIVE
    assert all(s.content_hash == content_hash(plan) for s in plan.signatures.valid())
