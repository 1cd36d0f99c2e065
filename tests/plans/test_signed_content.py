"""Signed means frozen, and the check tells the truth.

A signed version's canonical content quotes the client's chart number and the presenting
problems' titles and codes, which stay editable on the client's record. These tests edit them
through the API after signing, and tamper with the frozen content behind the guards' back, and
read what the plan page, the PDF, the API, FHIR and `verify_signatures` say.
"""

import contextlib
import hashlib
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from pypdf import PdfReader
from rest_framework.test import APIClient

from clients.models import PresentingProblem
from plans.lifecycle import canonical, guards, transitions
from plans.models import Goal, ImmutableRecordError, PlanQuote, Signature, TreatmentPlan
from records import pdf
from records.fhir import plan_bundle
from tests.factories import ClientFactory, PresentingProblemFactory, make_plan


@contextlib.contextmanager
def guards_off(table: str):
    """Step around the database guards, as someone with the database owner's rights could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks from this test's inserts would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER psyplan_guard")
        else:
            guards.drop_sqlite(cursor)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER psyplan_guard")
            else:
                guards.install_sqlite(cursor)


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _patch(api, url: str, data: dict):
    etag = api.get(url)["ETag"]
    response = api.patch(url, data, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    return response


def _page(web, plan) -> BeautifulSoup:
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _check_text(soup) -> str:
    return soup.select_one("#signature-check").get_text(" ", strip=True)


@pytest.fixture
def signed(own_client, clinician):
    """An active version, signed by its author (who needs no co-signature)."""
    PresentingProblemFactory(client=own_client, title="Not on this plan")
    plan = make_plan(own_client)
    problem = plan.presenting_problems.get()
    PresentingProblem.objects.filter(pk=problem.pk).update(diagnosis_code="F33.1")
    return transitions.submit_plan(actor=clinician, plan=plan)


def test_editing_the_chart_number_and_a_problem_through_the_api_after_signing_changes_nothing_the_version_says(
    signed, clinician, login
):
    plan = signed
    web = login(clinician)
    signed_chart = plan.client.chart_number
    assert "The content matches its signatures." in _check_text(_page(web, plan))  # the page as it was cached
    api = _api(clinician)
    problem = plan.presenting_problems.get()
    _patch(api, f"/api/v1/clients/{plan.client_id}/", {"chart_number": "RENUMBERED-9"})
    _patch(api, f"/api/v1/presenting-problems/{problem.pk}/", {"title": "Renamed problem", "diagnosis_code": "F41.1"})

    soup = _page(web, plan)
    assert "The content matches its signatures." in _check_text(soup)
    # ...and it is true: what the page shows and what the database holds is what was signed.
    assert signed_chart in soup.h1.get_text() and "chart number now RENUMBERED-9" in soup.h1.get_text()
    problems = soup.select_one("#problems-title").parent.get_text(" ", strip=True)
    assert "Low mood" in problems and "F33.1" in problems and "Renamed problem" not in problems
    objective_links = soup.select_one(".objective .links").get_text(" ", strip=True)
    assert "Low mood" in objective_links and "Renamed problem" not in objective_links
    content = canonical.canonical_content(plan)
    assert content["plan"]["chart_number"] == signed_chart
    assert content["plan"]["presenting_problems"] == [["Low mood", "F33.1"]]
    assert content["goals"][0]["objectives"][0]["presenting_problems"] == ["Low mood"]
    signature = plan.signatures.get()
    assert canonical.canonical_json(plan).decode() == signature.canonical_json
    assert canonical.verify(plan).matches

    html = pdf.render_html(plan)
    assert f"Plan v1 · {signed_chart}" in html and "Low mood" in html and "Renamed problem" not in html
    assert "F41.1" not in html and "RENUMBERED-9" not in html
    rendered = pdf.render_plan_id(plan.pk, user=clinician)
    assert rendered.file_name == "plan-RENUMBERED-9-v1.pdf"  # files are named by today's unique chart number
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.content)).pages)
    assert f"Plan v1 · {signed_chart}" in text and "Low mood" in text and "Renamed problem" not in text
    conditions = [e["resource"] for e in plan_bundle(plan)["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["F33.1"]
    assert conditions[0]["code"]["text"] == "Low mood"


def test_the_next_version_and_a_draft_read_the_clients_record_as_it_is_now(signed, clinician):
    plan = signed
    problem = plan.presenting_problems.get()
    _patch(_api(clinician), f"/api/v1/presenting-problems/{problem.pk}/", {"title": "Renamed problem"})
    amendment = transitions.amend_plan(actor=clinician, plan=plan)
    assert canonical.canonical_content(amendment)["plan"]["presenting_problems"] == [["Renamed problem", "F33.1"]]
    assert canonical.canonical_content(plan)["plan"]["presenting_problems"] == [["Low mood", "F33.1"]]
    amendment = transitions.submit_plan(actor=clinician, plan=amendment)
    assert amendment.quote.problems[0]["title"] == "Renamed problem"
    assert canonical.verify(amendment).matches and canonical.verify(TreatmentPlan.objects.get(pk=plan.pk)).matches


def test_a_version_returned_for_changes_quotes_the_record_afresh_when_submitted_again(trainee, supervisor):
    client = ClientFactory(primary_clinician=trainee)
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(client))
    problem = plan.presenting_problems.get()
    plan = transitions.request_changes(actor=supervisor, plan=plan, comment="Recode the problem.")
    plan = transitions.start_revision(actor=trainee, plan=plan)
    _patch(_api(trainee), f"/api/v1/presenting-problems/{problem.pk}/", {"diagnosis_code": "F43.10"})
    plan = transitions.submit_plan(actor=trainee, plan=plan)
    plan = transitions.approve_plan(actor=supervisor, plan=plan)
    assert PlanQuote.objects.get(plan=plan).problems[0]["diagnosis_code"] == "F43.10"
    verification = canonical.verify(plan)
    assert [c.state for c in verification.checks] == ["voided", "valid", "valid"] and verification.matches


def test_each_signature_stores_the_exact_json_it_signed(signed, supervisor):
    signature = signed.signatures.get()
    assert signature.canonical_json.encode() == canonical.canonical_json(signed)
    assert hashlib.sha256(signature.canonical_json.encode()).hexdigest() == signature.content_hash
    assert json.loads(signature.canonical_json)["schema"] == canonical.SCHEMA


def test_tampering_behind_the_guards_after_the_page_was_seen_shows_as_a_mismatch_on_page_pdf_and_api(
    signed, clinician, login
):
    plan = signed
    web = login(clinician)
    before = _page(web, plan)  # caches whatever the page caches
    assert "matches" in _check_text(before)
    assert before.select_one(".integrity-alert") is None
    assert _api(clinician).get(f"/api/v1/plans/{plan.pk}/").json()["verification"]["matches"] is True
    with guards_off("plans_goal"):
        Goal.objects.filter(plan=plan).update(statement="Rewritten after signing")

    soup = _page(web, plan)
    assert "no longer matches" in _check_text(soup)
    assert "no longer matches its signatures" in soup.select_one(".integrity-alert[role=alert]").get_text()
    assert "goals[0].statement" in soup.select_one(".signatures").get_text()
    assert soup.select_one(".signatures tbody tr")["data-state"] == "mismatch"
    # The page shows the content as the database holds it, not a cached copy.
    assert "Goal 1: Rewritten after signing" in soup.select_one("#plan-structure").get_text()

    html = pdf.render_html(plan)
    assert "Warning: the content no longer matches a valid signature." in html
    assert html.index("no longer matches its signatures; see Signatures") < html.index("Presenting problems")
    assert "Does not match the content" in html
    assert "no longer matches its signatures" in pdf.render_html(plan, audience="client")

    body = _api(clinician).get(f"/api/v1/plans/{plan.pk}/").json()
    assert body["verification"]["matches"] is False
    assert body["verification"]["signatures"][0]["state"] == "mismatch"
    assert body["verification"]["differences"] == ["goals[0].statement"]
    assert body["verification"]["content_hash"] == canonical.content_hash(plan) != body["signatures"][0]["content_hash"]


def test_a_tampered_quote_and_a_tampered_signature_are_both_caught(signed):
    plan = signed
    with guards_off("plans_planquote"):
        PlanQuote.objects.filter(plan=plan).update(chart_number="FORGED")
    verification = canonical.verify(plan)
    assert not verification.matches and verification.differences == ["plan.chart_number"]
    with guards_off("plans_planquote"):
        PlanQuote.objects.filter(plan=plan).update(chart_number=plan.client.chart_number)
    assert canonical.verify(plan).matches

    # Stored JSON rewritten to the tampered content and hash left alone: the JSON no longer hashes to the hash.
    forged = canonical.canonical_json(plan).decode().replace('"Goal 1"', '"Forged goal"')
    with guards_off("plans_signature"):
        Signature.objects.filter(plan=plan).update(canonical_json=forged)
    problems = canonical.verify(plan).checks[0].problems
    assert "the stored signed content does not hash to the signed hash" in problems
    assert "the content in the database differs from the stored signed content" in problems


def test_the_database_refuses_to_change_what_a_signed_version_quotes_or_its_stored_json(signed):
    plan = signed
    quote = PlanQuote.objects.get(plan=plan)
    quote.chart_number = "X"
    with pytest.raises(ImmutableRecordError):
        quote.save()
    with pytest.raises(ImmutableRecordError):
        quote.delete()
    for queryset, values in [
        (PlanQuote.objects.filter(plan=plan), {"chart_number": "X"}),
        (PlanQuote.objects.filter(plan=plan), {"problems": []}),
        (Signature.objects.filter(plan=plan), {"canonical_json": "{}"}),
        (Signature.objects.filter(plan=plan), {"canonical_json": ""}),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            queryset.update(**values)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO plans_planquote (plan_id, chart_number, problems, taken_at) VALUES (%s, 'X', '[]', %s)",
            [plan.pk, "2026-11-30T00:00:00+00:00"],
        )
    assert PlanQuote.objects.get(plan=plan).chart_number == plan.client.chart_number


def _legacy(plan: TreatmentPlan) -> Signature:
    """A signature as given before the signed JSON was stored (only its hash)."""
    with guards_off("plans_signature"):
        Signature.objects.filter(plan=plan).update(canonical_json="")
    return plan.signatures.get()


def test_a_signature_given_before_the_json_was_stored_verifies_by_its_hash_and_can_be_filled_in_once(signed):
    plan = signed
    signature = _legacy(plan)
    assert canonical.verify(plan).matches
    # The guard lets an empty JSON be filled in once (the command checks the hash first) ...
    call_command("verify_signatures", "--store-missing")
    signature.refresh_from_db()
    assert signature.canonical_json.encode() == canonical.canonical_json(plan)
    # ... and never changed after that.
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(canonical_json=signature.canonical_json + " ")


def test_a_signature_in_a_format_this_build_does_not_know_is_reported_not_crashed_on(signed, clinician):
    Signature.objects.create(
        plan=signed,
        signer=clinician,
        meaning=Signature.Meaning.CLIENT_AGREEMENT,
        printed_name="A. Client",
        signed_at=signed.signatures.get().signed_at,
        timezone="UTC",
        content_hash="0" * 64,
        canonical_json='{"schema":"psyplan.plan-content/99"}',
    )
    checks = canonical.verify(signed).checks
    assert checks[1].state == "mismatch" and "format this build does not know" in checks[1].problems[0]


def test_verify_signatures_reports_every_mismatch_and_exits_non_zero(signed, clinician, capsys):
    other = transitions.submit_plan(actor=clinician, plan=make_plan(signed.client))
    call_command("verify_signatures")
    assert "2 signatures on 2 plan versions checked; 0 do not match" in capsys.readouterr().out
    with guards_off("plans_planquote"):
        PlanQuote.objects.filter(plan=other).update(chart_number="FORGED")
    with pytest.raises(CommandError, match="1 do not match"):
        call_command("verify_signatures")
    err = capsys.readouterr().err
    assert f"MISMATCH plan {other.pk}, signature" in err and "plan.chart_number" in err


def test_a_signed_plan_pages_query_count_does_not_grow_with_plan_size_cold_or_warm(clinician, login):
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    small = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    large = make_plan(ClientFactory(primary_clinician=clinician), goals=6, objectives=4, interventions=2)
    small, large = (transitions.submit_plan(actor=clinician, plan=p) for p in (small, large))
    web = login(clinician)
    web.get(f"/plans/{small.pk}/")  # warm session and content types

    def count(plan, *, cold: bool) -> int:
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(f"/plans/{plan.pk}/").status_code == 200
        return len(ctx.captured_queries)

    assert count(small, cold=True) == count(large, cold=True)
    web.get(f"/plans/{small.pk}/")
    assert count(small, cold=False) == count(large, cold=False)


def test_editing_the_clients_record_while_a_plan_is_in_review_neither_changes_nor_blocks_what_is_approved(
    trainee, supervisor
):
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    submitted_chart = plan.client.chart_number
    _patch(_api(trainee), f"/api/v1/clients/{plan.client_id}/", {"chart_number": "MOVED-1"})
    plan = transitions.approve_plan(actor=supervisor, plan=plan)
    approved = plan.signatures.get(meaning=Signature.Meaning.REVIEWED_AND_APPROVED)
    assert json.loads(approved.canonical_json)["plan"]["chart_number"] == submitted_chart
    assert approved.canonical_json == plan.signatures.get(meaning=Signature.Meaning.AUTHORED).canonical_json


def test_a_supervisor_cannot_approve_content_that_no_longer_matches_the_authors_stored_signature(trainee, supervisor):
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    with guards_off("plans_planquote"):
        PlanQuote.objects.filter(plan=plan).update(chart_number="FORGED")
    with pytest.raises(transitions.TransitionError, match="no longer matches"):
        transitions.approve_plan(actor=supervisor, plan=plan)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == TreatmentPlan.Status.IN_REVIEW
