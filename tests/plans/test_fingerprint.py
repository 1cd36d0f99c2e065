"""A kept signature check is only used while PostgreSQL's row versions show that not one row of
the version changed since (plans/lifecycle/fingerprint.py).

Most tests run inside one transaction, where the fingerprint is withheld (a transaction's own
rewrites keep its id); the ones that need it kept run with real commits (`transaction=True`).
"""

import re

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from formulation.models import ConflictType
from plans.lifecycle import canonical, fingerprint, transitions
from plans.models import Goal, Intervention, InterventionTechnique, Objective, TreatmentPlan
from tests.factories import make_plan
from tests.plans.test_signed_content import guards_off

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row versions (xmin) are PostgreSQL's")
TABLE = re.compile(r'(?:FROM|JOIN) "(\w+)"')


@pytest.fixture
def signed(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))


class Reads:
    """`verify_locked`'s `read`, counting the full checks it is asked for."""

    def __init__(self, plan: TreatmentPlan):
        self.plan, self.count = plan, 0

    def __call__(self) -> TreatmentPlan:
        self.count += 1
        return canonical.content_queryset().get(pk=self.plan.pk)


@postgresql_only
@pytest.mark.django_db
def test_every_table_a_signature_check_reads_is_one_the_fingerprint_reads(signed):
    with CaptureQueriesContext(connection) as checked:
        canonical.verify(TreatmentPlan.objects.get(pk=signed.pk))
    read_by_check = {table for query in checked.captured_queries for table in TABLE.findall(query["sql"])}
    in_fingerprint = {rows.model._meta.db_table for rows in fingerprint.sources(signed)}
    assert read_by_check - in_fingerprint == set()
    assert {"plans_objective_conflicts", "plans_intervention_objectives", "plans_signature"} <= read_by_check


@postgresql_only
@pytest.mark.django_db
def test_no_fingerprint_is_given_inside_a_transaction_that_has_written(signed):
    # This test's transaction wrote the plan: its rows all carry this transaction's id.
    assert fingerprint.fingerprint(signed) is None
    reads = Reads(signed)
    canonical.verify_locked(signed, read=reads)
    canonical.verify_locked(signed, read=reads)
    assert reads.count == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_kept_check_is_used_until_any_row_of_the_version_changes_behind_the_guards(signed, clinician):
    plan = signed
    reads = Reads(plan)
    first = canonical.verify_locked(plan, read=reads)
    again = canonical.verify_locked(plan, read=reads)
    assert reads.count == 1 and first.matches and again.matches
    assert again.current_hash == first.current_hash and [c.state for c in again.checks] == ["valid"]
    # The kept check leaves out the stored JSON, read again when asked for.
    assert again.checks[0].signature.canonical_json == first.checks[0].signature.canonical_json

    goal = Goal.objects.filter(plan=plan).first()
    objective = Objective.objects.filter(goal=goal).first()
    conflict = plan.formulation.conflicts.first()
    intervention = Intervention.objects.filter(plan=plan).first()
    link = (
        objective.conflicts.remove if objective.conflicts.filter(pk=conflict.pk).exists() else objective.conflicts.add
    )
    changes = [
        ("plans_goal", lambda: Goal.objects.filter(pk=goal.pk).update(statement="Rewritten after signing")),
        ("plans_objective", lambda: Objective.objects.filter(pk=objective.pk).update(order=objective.order)),
        # A link made or undone, and a catalogue's name changed: rows the content reads beside the plan's own.
        ("plans_objective_conflicts", lambda: link(conflict)),
        (None, lambda: ConflictType.objects.filter(pk=conflict.conflict_type_id).update(name="Renamed")),
        (
            None,
            lambda: InterventionTechnique.objects.filter(pk=intervention.technique_id).update(name="Renamed too"),
        ),
    ]
    for table, change in changes:
        before = reads.count
        if table is None:
            change()
        else:
            with guards_off(table):
                change()
        canonical.verify_locked(plan, read=reads)
        assert reads.count == before + 1, table
        canonical.verify_locked(plan, read=reads)
        assert reads.count == before + 1, table  # and kept again
    assert not canonical.verify_locked(plan, read=reads).matches
    # An update that writes the same values is a new row version too, so it is checked in full.
    assert canonical.verify(plan).differences == canonical.verify_locked(plan, read=reads).differences


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_tampering_after_the_page_and_the_api_kept_their_check_shows_on_both_next_time(signed, clinician, login):
    plan = signed
    web = login(clinician)
    api = APIClient()
    api.force_authenticate(clinician)
    tables_read = []
    for _ in range(2):  # the second from the kept check
        page = BeautifulSoup(web.get(f"/plans/{plan.pk}/").content, "html.parser")
        assert "matches" in page.select_one("#signature-check").get_text(" ", strip=True)
        with CaptureQueriesContext(connection) as read:
            assert api.get(f"/api/v1/plans/{plan.pk}/").json()["verification"]["matches"] is True
        queries = [q["sql"] for q in read.captured_queries if "txid_current_if_assigned" not in q["sql"]]
        tables_read.append({table for sql in queries for table in TABLE.findall(sql)})
    # The second API read is the fingerprint (left out here) and the cache: the tree is not read again.
    assert {"plans_goal", "plans_objective", "plans_signature"} <= tables_read[0]
    assert not {"plans_goal", "plans_objective", "plans_signature"} & tables_read[1]

    with guards_off("plans_goal"):
        Goal.objects.filter(plan=plan).update(statement="Rewritten after signing")

    page = BeautifulSoup(web.get(f"/plans/{plan.pk}/").content, "html.parser")
    assert "no longer matches" in page.select_one("#signature-check").get_text(" ", strip=True)
    assert "Goal 1: Rewritten after signing" in page.select_one("#plan-structure").get_text()
    body = api.get(f"/api/v1/plans/{plan.pk}/").json()
    assert body["verification"]["matches"] is False and body["verification"]["differences"] == ["goals[0].statement"]
    assert body["goals"][0]["statement"] == "Rewritten after signing"
