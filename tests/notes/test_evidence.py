"""The notes' evidence for a review: attendance, evidence per objective, drift, grouped episodes and
defensive functioning, read in a fixed number of queries."""

import datetime as dt

import pytest

from formulation.models import DefenseMechanism
from notes import evidence
from notes.evidence import least_squares_slope, normalised
from plans.lifecycle import transitions
from plans.models import Objective
from tests.factories import make_plan, staff
from tests.notes.builders import held, record, weekly_history


@pytest.fixture
def two_objective_plan(own_client):
    return transitions.submit_plan(actor=own_client.primary_clinician, plan=make_plan(own_client, objectives=2))


def _defense(name):
    return DefenseMechanism.objects.get(name=name, practice=None)


@pytest.fixture
def history(clinician, own_client, two_objective_plan, individual):
    """Two signed notes, a draft, a no-show and a late cancellation."""
    first, second = Objective.objects.filter(goal__plan=two_objective_plan).order_by("order", "pk")
    held(
        clinician,
        own_client,
        individual,
        dt.date(2026, 11, 3),
        objectives=[
            {"objective": first, "evidence": "Named the pattern with her sister.", "movement": "some_movement"}
        ],
        defenses=[
            {"mechanism": _defense("Isolation of affect"), "count": 3},
            {"mechanism": _defense("Humour"), "count": None},
        ],
        episodes=[
            {
                "other": "sibling",
                "wish": "to be seen",
                "response_of_other": "she talks over me",
                "response_of_self": "I go quiet",
            },
            {
                "other": "therapist",
                "wish": "to be looked after",
                "response_of_other": "you will tire of me",
                "response_of_self": "I say I am fine",
            },
        ],
    )
    held(
        clinician,
        own_client,
        individual,
        dt.date(2026, 11, 10),
        objectives=[{"objective": first, "evidence": "Stayed with the anger.", "movement": "clear_movement"}],
        defenses=[{"mechanism": _defense("Denial"), "count": 2}],
        episodes=[
            {
                "other": "partner",
                "wish": "  To be   SEEN ",
                "response_of_other": "he looks away",
                "response_of_self": "i go quiet",
            },
        ],
    )
    record(clinician, own_client, individual, date=dt.date(2026, 11, 17), attendance="no_show", reason="Did not come.")
    record(clinician, own_client, individual, date=dt.date(2026, 11, 20), attendance="late_cancellation", reason="Ill.")
    # A draft names the second objective: not evidence until signed.
    held(
        clinician,
        own_client,
        individual,
        dt.date(2026, 11, 24),
        sign=False,
        objectives=[{"objective": second, "evidence": "Draft line.", "movement": ""}],
    )
    return two_objective_plan, first, second


def _evidence(plan, **kwargs):
    objectives = list(Objective.objects.filter(goal__plan=plan).order_by("order", "pk"))
    return evidence.plan_evidence(plan, objectives=objectives, **kwargs)


def test_sessions_are_counted_by_attendance_and_drafts_are_counted_apart(history):
    plan, _, _ = history
    found = _evidence(plan)
    assert dict(found.attendance) == {
        "Attended": 3,
        "Late cancellation": 1,
        "No-show": 1,
        "Cancelled by clinician": 0,
    }
    assert found.held == 3
    assert found.drafts_left_out == 1


def test_each_objective_lists_its_signed_evidence_and_the_unworked_one_drifts(history):
    plan, first, second = history
    found = _evidence(plan)
    by_objective = {item.objective: item for item in found.objectives}
    lines = by_objective[first].lines
    assert [(line.evidence, line.movement_label) for line in lines] == [
        ("Named the pattern with her sister.", "Some movement"),
        ("Stayed with the anger.", "Clear movement"),
    ]
    assert [line.session.local_starts_at.date() for line in lines] == [dt.date(2026, 11, 3), dt.date(2026, 11, 10)]
    assert by_objective[first].count == 2
    assert by_objective[first].movements == {"Some movement": 1, "Clear movement": 1}
    # Only a draft worked on the second objective: drafts are not evidence.
    assert by_objective[second].lines == [] and by_objective[second].drifting
    assert [item.objective for item in found.drifting] == [second]


def test_episodes_are_grouped_by_normalised_text_with_transference_apart(history):
    plan, _, _ = history
    found = _evidence(plan)
    relational = found.relational
    assert relational.count == 2
    assert [(t.text, t.count, t.recurring) for t in relational.wishes] == [("to be seen", 2, True)]
    assert [(t.text, t.count) for t in relational.responses_of_self] == [("I go quiet", 2)]
    assert sorted(t.text for t in relational.responses_of_other) == ["he looks away", "she talks over me"]
    assert relational.recurring
    assert relational.suggested() == {
        "wish": "to be seen",
        "response_of_other": "she talks over me",
        "response_of_self": "I go quiet",
    }
    transference = found.transference
    assert transference.count == 1
    assert [t.text for t in transference.wishes] == ["to be looked after"]
    assert not transference.recurring


def test_defensive_functioning_per_session_its_trend_and_the_defenses_seen_most(history):
    plan, _, _ = history
    functioning = _evidence(plan).functioning
    # (6 x 3 + 7 x 1) / 4 on the first, denial (3) alone on the second.
    assert [p.level for p in functioning.points] == [6.25, 3.0]
    # Two sessions make a line, not a trend.
    assert functioning.slope_per_month is None
    assert functioning.trend == "not enough sessions for a trend"
    assert [(d.mechanism.name, d.times) for d in functioning.top_defenses] == [
        ("Isolation of affect", 3),
        ("Denial", 2),
        ("Humour", 1),
    ]


def test_a_third_session_gives_the_least_squares_trend(history, clinician, own_client, individual):
    plan, first, _ = history
    held(
        clinician,
        own_client,
        individual,
        dt.date(2026, 11, 13),
        objectives=[{"objective": first, "evidence": "Held the silence.", "movement": ""}],
        defenses=[{"mechanism": _defense("Denial"), "count": None}],
    )
    functioning = _evidence(plan).functioning
    assert [p.level for p in functioning.points] == [6.25, 3.0, 3.0]
    # Least squares over days 0, 7 and 10: about -10.49 levels a month.
    days, levels = [0, 7, 10], [6.25, 3.0, 3.0]
    expected = least_squares_slope(list(zip(days, levels, strict=True))) * 30
    assert functioning.slope_per_month == pytest.approx(expected, abs=0.001)
    assert functioning.slope_per_month == pytest.approx(-10.49, abs=0.01)
    assert functioning.trend == "falling"
    # Humour was recorded without a count: it counts once.
    assert [(d.mechanism.name, d.times) for d in functioning.top_defenses] == [
        ("Isolation of affect", 3),
        ("Denial", 3),
        ("Humour", 1),
    ]


def test_only_sessions_from_the_date_on_count(history):
    plan, first, _ = history
    found = _evidence(plan, since=dt.date(2026, 11, 9))
    assert found.held == 2
    assert [line.evidence for line in found.objectives[0].lines] == ["Stayed with the anger."]
    assert len(found.functioning.points) == 1
    assert found.functioning.slope_per_month is None
    assert found.functioning.trend == "not enough sessions for a trend"


def test_without_a_review_the_evidence_starts_at_the_plans_start(history):
    plan, _, _ = history
    assert _evidence(plan).since == plan.start_date


def test_the_drift_flags_name_the_objectives_no_signed_note_worked_on(history):
    plan, first, second = history
    flags = evidence.drift_flags(plan=plan, objectives=[first, second])
    assert flags.objective_ids == {second.pk}
    assert flags.message() == f"Not worked on in any session since {plan.start_date:%Y-%m-%d}"


def test_a_draft_plan_has_no_drift_flags(own_client):
    plan = make_plan(own_client)
    assert evidence.drift_flags(plan=plan, objectives=list(Objective.objects.filter(goal__plan=plan))) is None


def test_evidence_follows_an_objective_into_the_amendment(history, clinician):
    plan, first, _ = history
    amendment = transitions.amend_plan(actor=clinician, plan=plan)
    objectives = list(Objective.objects.filter(goal__plan=amendment).order_by("order", "pk"))
    found = evidence.plan_evidence(amendment, objectives=objectives)
    assert len(found.objectives[0].lines) == 2
    assert found.objectives[0].objective.lineage == first.lineage


def test_text_is_normalised_for_case_and_spacing():
    assert normalised("  To be\tSEEN \n") == "to be seen"


def test_least_squares_slope():
    assert least_squares_slope([(0, 1), (1, 3), (2, 5)]) == pytest.approx(2)
    assert least_squares_slope([(0, 4), (1, 4)]) == 0
    assert least_squares_slope([(3, 1), (3, 2)]) is None


@pytest.mark.parametrize("weeks", [3, 30])
def test_the_evidence_costs_the_same_queries_whatever_the_history(
    weeks, clinician, own_client, active_plan, individual, django_assert_num_queries
):
    weekly_history(clinician, own_client, individual, weeks)
    objectives = list(Objective.objects.filter(goal__plan=active_plan))
    # A fixed count (plus the baseline's): attendance; the objectives' counts and latest lines; the
    # episodes, one query per component; the functioning per session and the defenses seen most.
    with django_assert_num_queries(9):
        found = evidence.plan_evidence(active_plan, objectives=objectives)
    assert found.held == weeks - weeks // 5
    # Every signed line is counted; only the latest few are listed.
    assert found.objectives[0].count == found.held
    assert len(found.objectives[0].lines) == min(found.held, evidence.LINES_SHOWN)
    assert len(found.functioning.points) == found.held


def test_the_evidence_is_read_through_the_sessions_door(history, clinician, practice):
    plan, _, _ = history
    assert _evidence(plan, user=clinician).held == _evidence(plan).held
    # Someone with no view of the client sees no sessions at all.
    stranger = staff(practice, is_clinician=True)
    assert _evidence(plan, user=stranger).sessions == 0
