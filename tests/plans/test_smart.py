import datetime as dt

from plans.editor.smart import check_objective

BASE = {
    "statement": "Identify and name negative self-talk in a daily journal",
    "measure": "Journal entries reviewed weekly",
    "target": "Catches it at least 4 days a week",
    "baseline": "Notices it about once a week",
    "target_date": dt.date(2027, 3, 1),
    "has_goal": True,
    "problem_count": 1,
    "plan_start": dt.date(2026, 11, 1),
    "plan_horizon": dt.date(2027, 11, 1),
    "today": dt.date(2026, 11, 22),
}


def codes(**changes):
    return [f.code for f in check_objective(**(BASE | changes))]


def test_a_complete_objective_has_nothing_missing():
    assert codes() == []


def test_vague_verbs_are_flagged_as_not_specific():
    assert codes(statement="Understand her feelings about her mother") == ["vague_verb"]
    assert codes(statement="Feel better about work") == ["vague_verb"]


def test_missing_measure_and_target_are_flagged():
    assert codes(measure="", target=" ") == ["no_measure", "no_target"]


def test_target_dates_missing_past_and_beyond_the_horizon_are_flagged():
    assert codes(target_date=None) == ["no_target_date"]
    assert codes(target_date=dt.date(2026, 11, 21)) == ["target_date_past"]
    assert codes(target_date=dt.date(2027, 11, 2)) == ["beyond_horizon"]


def test_objective_with_no_goal_or_problem_is_flagged_as_not_relevant():
    assert codes(has_goal=False, problem_count=0) == ["no_goal", "no_problem"]


def test_a_target_with_a_vague_quantifier_and_no_number_is_flagged():
    assert codes(target="In most episodes") == ["vague_target"]
    assert codes(target="Speaks up more often") == ["vague_target"]


def test_a_target_with_a_count_is_not_flagged_as_vague():
    assert codes(target="Speaks up in most sessions, at least 3 of 4") == []
    assert codes(target="Uses the skill in 80% of episodes") == []


def test_a_missing_baseline_is_flagged():
    assert codes(baseline="") == ["no_baseline"]


def test_a_target_date_within_four_weeks_of_the_start_asks_whether_it_is_achievable():
    assert codes(target_date=dt.date(2026, 11, 28)) == ["too_soon"]
    assert codes(target_date=dt.date(2026, 11, 29)) == []


def test_a_target_that_repeats_the_baseline_is_flagged():
    assert codes(target="Notices it about once a week", baseline="notices it  about once a week") == [
        "target_is_baseline"
    ]


def test_each_finding_names_the_field_it_is_about_and_grouping_clears_the_rest():
    from plans.editor.smart import GUIDED_FIELDS, by_field, check_objective

    grouped = by_field(check_objective(**(BASE | {"target": "in most episodes", "baseline": ""})))
    assert [f.code for f in grouped["target"]] == ["vague_target"]
    assert [f.code for f in grouped["baseline"]] == ["no_baseline"]
    assert set(grouped) == set(GUIDED_FIELDS) and grouped["statement"] == []
