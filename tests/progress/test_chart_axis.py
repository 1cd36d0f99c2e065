"""The charts' time axis spans the data with readable date labels, and a measure's chart draws
the target of each objective bound to it (progress/charts.py)."""

import datetime as dt

import pytest

from plans.lifecycle import transitions
from plans.models import MeasureDefinition, Objective
from progress import charts
from progress.selectors import bound_targets
from progress.services import record_measure
from tests.factories import make_plan

DAY = dt.timedelta(days=1)


def test_a_single_point_gets_a_window_of_two_weeks_either_side_not_years():
    only = dt.date(2026, 3, 5)
    assert charts.time_window([only]) == (only - 14 * DAY, only + 14 * DAY)


def test_two_points_a_week_apart_fill_the_axis_with_a_little_room_either_side():
    first, last = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
    start, end = charts.time_window([last, first])
    assert start < first and last < end
    assert (first - start).days <= 3 and (end - last).days <= 3


def test_four_years_of_data_are_padded_by_a_few_months_at_most():
    first, last = dt.date(2022, 1, 10), dt.date(2026, 1, 5)
    start, end = charts.time_window([first, dt.date(2024, 6, 1), last])
    assert start < first and last < end
    assert (first - start).days <= 100 and (end - last).days <= 100


@pytest.mark.parametrize("span_days", [0, 1, 6, 7, 13, 30, 45, 90, 200, 365, 800, 1461, 4000])
def test_date_ticks_never_exceed_the_maximum_and_stay_inside_the_window(span_days):
    first = dt.date(2025, 11, 20)
    start, end = charts.time_window([first, first + span_days * DAY])
    for most in (3, 5, 6):
        ticks = charts.date_ticks(start, end, max_ticks=most)
        assert 2 <= len(ticks) <= most
        assert all(start <= t <= end for t in ticks)
        assert ticks == sorted(set(ticks))
        labels = charts.date_labels(ticks)
        assert len(labels) == len(ticks) and all(len(label) <= 11 for label in labels)


def test_date_labels_are_compact_with_the_year_written_where_it_changes():
    weekly = [dt.date(2025, 12, 22), dt.date(2025, 12, 29), dt.date(2026, 1, 5)]
    assert charts.date_labels(weekly) == ["22 Dec 2025", "29 Dec", "5 Jan 2026"]
    monthly = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert charts.date_labels(monthly) == ["Jan 2026", "Feb", "Mar"]
    yearly = [dt.date(2023, 1, 1), dt.date(2024, 1, 1)]
    assert charts.date_labels(yearly) == ["2023", "2024"]


def test_the_objectives_chart_of_a_single_review_shows_weeks_around_it_not_years():
    svg = charts.objective_chart([("1.1", [(dt.date(2026, 3, 5), 40)]), ("1.2", [(dt.date(2026, 3, 5), 60)])])
    # The labels are text in the SVG (svg.fonttype none): days of that month, and no other year.
    assert "2 Mar" in svg and "9 Mar" in svg
    assert "2025" not in svg and "2027" not in svg


def test_a_chart_has_at_most_six_date_labels_over_four_years():
    points = [(dt.date(2022, 1, 10) + 30 * n * DAY, 50) for n in range(49)]
    svg = charts.objective_chart([("1.1", points)])
    years = [str(y) for y in range(2021, 2027)]
    assert 2 <= sum(f">{y}</text>" in svg for y in years) <= 6


@pytest.fixture
def phq9(db):
    return MeasureDefinition.objects.get(code="phq9")


def _scored(plan, clinician, phq9):
    for days_ago, items in ((21, [2] * 9), (0, [1] * 9)):
        record_measure(
            actor=clinician,
            client=plan.client,
            definition=phq9,
            recorded_on=plan.client.practice.today() - days_ago * DAY,
            items=items,
        )
    return plan


def test_a_measure_chart_draws_the_target_of_an_objective_bound_to_it(own_client, clinician, phq9, login):
    draft = make_plan(own_client)
    Objective.objects.filter(goal__plan=draft).update(bound_measure=phq9, bound_comparator="lte", bound_threshold=9)
    plan = _scored(transitions.submit_plan(actor=clinician, plan=draft), clinician, phq9)
    svg = login(clinician).get(f"/plans/{plan.pk}/charts/phq9.svg").content.decode()
    assert "Target ≤ 9 (objective 1.1)" in svg
    assert 'id="target-line' in svg


def test_a_measure_chart_has_no_target_line_when_no_objective_is_bound_to_it(own_client, clinician, phq9, login):
    plan = _scored(transitions.submit_plan(actor=clinician, plan=make_plan(own_client)), clinician, phq9)
    svg = login(clinician).get(f"/plans/{plan.pk}/charts/phq9.svg").content.decode()
    assert "PHQ-9 over time" in svg
    assert "Target" not in svg and "target-line" not in svg


def test_a_target_on_another_measure_draws_no_line_on_this_one(own_client, clinician, phq9, login):
    draft = make_plan(own_client)
    gad7 = MeasureDefinition.objects.get(code="gad7")
    Objective.objects.filter(goal__plan=draft).update(bound_measure=gad7, bound_comparator="lt", bound_threshold=5)
    plan = _scored(transitions.submit_plan(actor=clinician, plan=draft), clinician, phq9)
    assert "Target" not in login(clinician).get(f"/plans/{plan.pk}/charts/phq9.svg").content.decode()


def test_each_bound_objective_gives_its_measure_a_target_labelled_with_its_number(own_client, phq9):
    draft = make_plan(own_client)
    objective = Objective.objects.filter(goal__plan=draft).first()
    objective.bound_measure, objective.bound_comparator, objective.bound_threshold = phq9, "lt", 10
    assert bound_targets([("1.1", objective)]) == {phq9.pk: [(10, "Target < 10 (objective 1.1)")]}
