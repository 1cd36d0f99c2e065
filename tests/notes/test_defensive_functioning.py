"""The session's defensive functioning: the mean DMRS level of the defenses seen, weighted by count."""

import pytest

from notes.models import defensive_functioning


def test_nothing_observed_has_no_functioning_rather_than_zero():
    assert defensive_functioning([]) is None


def test_one_defense_gives_its_own_level():
    assert defensive_functioning([(6, None)]) == 6


def test_defenses_without_a_count_each_count_once():
    assert defensive_functioning([(7, None), (1, None)]) == 4


def test_counts_weight_the_mean():
    # Isolation of affect (6) seen three times, humour (7) once: (18 + 7) / 4.
    assert defensive_functioning([(6, 3), (7, 1)]) == 6.25


def test_a_count_of_none_and_of_one_weigh_the_same():
    assert defensive_functioning([(3, 1), (5, None)]) == defensive_functioning([(3, None), (5, 1)]) == 4


def test_the_mean_is_rounded_to_two_places():
    assert defensive_functioning([(7, 1), (6, 1), (6, 1)]) == 6.33


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        defensive_functioning([(4, -1)])


def test_the_note_computes_it_from_its_defenses(clinician, session):
    from notes import services
    from tests.notes.builders import full_note

    note = services.save_note(actor=clinician, session=session, **full_note(session))
    assert note.defensive_functioning == 6.25
