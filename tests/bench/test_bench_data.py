"""`make bench` runs every group in one scratch database, each building its own practice."""

from bench import data


def test_each_benchmark_group_gets_its_own_practice_and_staff(db):
    first = data.practice_with_staff()
    second = data.practice_with_staff()
    assert first[0] != second[0]
    assert {u.email for u in first[1:]}.isdisjoint({u.email for u in second[1:]})
