"""The canonical format is a contract with every signature ever given: pin it.

A fixed plan (fixed lineage UUIDs, dates and texts, some of them not ASCII) must render to
exactly this JSON and hash. If this test fails, a change altered the format: every stored
signature would stop matching. Don't update the literal; add a new schema to plans.lifecycle.canonical
and leave the old one as it is.
"""

import hashlib

import pytest

from plans.lifecycle import canonical, transitions
from tests.plans.fixed_plan import build_fixed_plan

GOLDEN_JSON = (
    '{"formulation":{"attachment_pattern":"avoidant","ccrt_response_of_other":"",'
    '"ccrt_response_of_self":"","ccrt_wish":"","childhood_experiences":"Père absent; «silence» à table.",'
    '"conflicts":[{"description":"Sehnt sich nach Fürsorge.","id":"00000000-0000-0000-0000-000000000004",'
    '"intensity":"significant","mode":"passive","type":"care-self-sufficiency"}],'
    '"countertransference":"","defenses":[{"evidence":"Speaks of the loss flatly.",'
    '"id":"00000000-0000-0000-0000-000000000005","level":6,"mechanism":"Isolation of affect"}],'
    '"losses":"","narrative_hypothesis":"Needs no one — \\"safer\\" that way.\\nSecond line.",'
    '"resistance":"","significant_relationships":"","strengths":"","transference":""},'
    '"goals":[{"description":"Zulassen 😢","id":"00000000-0000-0000-0000-000000000001",'
    '"objectives":[{"baseline":"14","conflicts":["00000000-0000-0000-0000-000000000004"],'
    '"defenses":["00000000-0000-0000-0000-000000000005"],"id":"00000000-0000-0000-0000-000000000002",'
    '"measure":"PHQ-9","measure_binding":{"criterion":"lt","measure":"phq9",'
    '"threshold":10},"presenting_problems":["Trauer nach dem Verlust – „Leere“"],'
    '"relational_pattern":false,"responsible":"both","statement":"Name feelings in session",'
    '"status":"not_started","target":"below 10","target_date":"2027-03-01"}],'
    '"statement":"Feel the loss"}],"interventions":[{"frequency":"weekly, 50 min",'
    '"id":"00000000-0000-0000-0000-000000000003","objectives":["00000000-0000-0000-0000-000000000002"],'
    '"rationale":"Affekt zugänglich machen.","technique":"Defense analysis"}],'
    '"plan":{"chart_number":"PSY-0042","horizon_months":12,"presenting_problems":[["Sleep 睡眠",'
    '""],["Trauer nach dem Verlust – „Leere“","F43.21"]],"review_interval_months":3,'
    '"start_date":"2026-11-02","version_number":1},"schema":"psyplan.plan-content/1"}'
)
GOLDEN_SHA256 = "94ac272bc56acb3f22079ee14a4b7a91115fd97e5f2170d43d7aeb3d0b16c685"


@pytest.fixture
def fixed_plan(clinician):
    return build_fixed_plan(clinician)


def test_the_canonical_json_of_a_fixed_plan_is_exactly_the_pinned_bytes_and_hash(fixed_plan):
    signed = canonical.canonical_json(fixed_plan)
    assert signed.decode("utf-8") == GOLDEN_JSON
    assert hashlib.sha256(signed).hexdigest() == GOLDEN_SHA256 == canonical.content_hash(fixed_plan)


def test_signing_the_fixed_plan_stores_the_pinned_json_and_the_frozen_version_still_renders_it(fixed_plan, clinician):
    plan = transitions.submit_plan(actor=clinician, plan=fixed_plan)
    signature = plan.signatures.get()
    assert signature.canonical_json == GOLDEN_JSON and signature.content_hash == GOLDEN_SHA256
    # Read back from the version's own copy of what it quotes, the bytes are the same.
    assert canonical.canonical_json(plan).decode() == GOLDEN_JSON
    assert canonical.FORMATS[canonical.SCHEMA_V1] is not None and canonical.verify(plan).matches


# The fixed plan with its goal and objective also said in the client's words (issue 15).
WORDS_JSON = GOLDEN_JSON.replace(
    '"goals":[{"description"', '"goals":[{"clients_words":"Mit dem Verlust leben 🌱","description"'
).replace('"objectives":[{"baseline":"14",', '"objectives":[{"baseline":"14","clients_words":"Sagen, was ich fühle",')
WORDS_SHA256 = "39afe0c546ebe398d559ee98e0440da66b3524b794ff0d1f76944f5c333e47fa"


def _write_clients_words(plan, clinician):
    from plans.editor import services
    from plans.models import Goal, Objective

    goal = Goal.objects.get(plan=plan)
    objective = Objective.objects.get(goal=goal)
    for item, words in [(goal, "Mit dem Verlust leben 🌱"), (objective, "Sagen, was ich fühle")]:
        services.update_item(actor=clinician, item=item, expected_version=item.version, values={"clients_words": words})


def test_content_without_the_clients_words_renders_as_before_they_existed_so_old_signatures_still_verify(
    fixed_plan, clinician
):
    """GOLDEN_JSON was pinned before goals and objectives had the client's words: a version that
    has none (every version signed before) renders byte for byte the same, and its signature verifies."""
    plan = transitions.submit_plan(actor=clinician, plan=fixed_plan)
    assert "clients_words" not in plan.signatures.get().canonical_json
    assert canonical.canonical_json(plan).decode() == GOLDEN_JSON
    assert canonical.verify(plan).matches


def test_the_clients_words_when_written_are_part_of_the_signed_content_in_the_pinned_form(fixed_plan, clinician):
    _write_clients_words(fixed_plan, clinician)
    signed = canonical.canonical_json(fixed_plan)
    assert signed.decode("utf-8") == WORDS_JSON
    assert hashlib.sha256(signed).hexdigest() == WORDS_SHA256
    plan = transitions.submit_plan(actor=clinician, plan=fixed_plan)
    signature = plan.signatures.get()
    assert (signature.canonical_json, signature.content_hash) == (WORDS_JSON, WORDS_SHA256)
    assert canonical.verify(plan).matches


@pytest.mark.parametrize("tampered", ["Rewritten after signing", ""], ids=["rewritten", "emptied"])
def test_changing_the_signed_clients_words_behind_the_guards_is_a_mismatch_at_that_path(
    fixed_plan, clinician, tampered
):
    from plans.models import Goal
    from tests.plans.test_signed_content import guards_off

    _write_clients_words(fixed_plan, clinician)
    plan = transitions.submit_plan(actor=clinician, plan=fixed_plan)
    with guards_off("plans_goal"):
        Goal.objects.filter(plan=plan).update(clients_words=tampered)
    verification = canonical.verify(plan)
    assert not verification.matches
    assert verification.differences == ["goals[0].clients_words"]


def test_an_amendment_that_rewords_the_clients_words_shows_the_change(fixed_plan, clinician):
    from plans.editor import services
    from plans.lifecycle.compare import compare_versions
    from plans.models import Goal

    active = transitions.submit_plan(actor=clinician, plan=fixed_plan)
    amendment = transitions.amend_plan(actor=clinician, plan=active)
    goal = Goal.objects.get(plan=amendment)
    services.update_item(actor=clinician, item=goal, expected_version=goal.version, values={"clients_words": "Leben"})
    [item] = compare_versions(active, amendment).items
    assert [(c.label, c.old, c.new) for c in item.changes] == [("In the client's words", None, "Leben")]
