"""What changed between two versions of a plan (plans/lifecycle/compare.py), one behaviour per test.

Each test compares an active version with its amendment (a fresh draft of the same content),
after changing one thing in the amendment through the services, as a clinician would.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from formulation import services as formulation_services
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation
from plans.editor import services
from plans.lifecycle import transitions
from plans.lifecycle.compare import Change, compare_versions, word_diff
from plans.models import Goal, Intervention, InterventionTechnique, Objective
from tests.factories import make_plan

TECHNIQUE = "Defense analysis"
CONFLICT = "care self sufficiency"  # the conflict's title: its type's code, in words
DEFENSE = "Isolation of affect"


@pytest.fixture
def original(own_client, clinician):
    """An active version with two goals, each with one objective and its intervention."""
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client, goals=2))


@pytest.fixture
def amendment(original, clinician):
    return transitions.amend_plan(actor=clinician, plan=original)


def _items(diff) -> list[tuple[str, str, str]]:
    return sorted((item.kind, item.title, item.state) for item in diff.items)


def _item(diff, kind: str):
    (item,) = [item for item in diff.items if item.kind == kind]
    return item


def _objective(plan, number: str = "1.1") -> Objective:
    return Objective.objects.get(goal__plan=plan, statement=f"Identify pattern {number} in relationships")


def _edit(clinician, item, **values):
    if isinstance(item, Objective):
        values.setdefault("presenting_problems", list(item.presenting_problems.all()))
    # The formulation's items are edited by its own services, the plan's by the plan editor's.
    edit = formulation_services if isinstance(item, CoreConflict | DefenseObservation) else services
    return edit.update_item(actor=clinician, item=item, expected_version=item.version, values=values)


def _new_conflict(clinician, plan) -> CoreConflict:
    return formulation_services.add_conflict(
        actor=clinician,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.exclude(code="care-self-sufficiency").order_by("pk").first(),
        intensity=CoreConflict.Intensity.LOW,
        mode=CoreConflict.Mode.ACTIVE,
        description="A second conflict.",
    )


# --- No differences ------------------------------------------------------------


def test_comparing_a_version_with_itself_shows_no_differences(original):
    diff = compare_versions(original, original)
    assert diff.is_empty
    assert (diff.plan, diff.formulation, diff.items) == ([], [], [])


def test_an_amendment_left_as_it_was_shows_no_differences_not_even_its_version_number(original, amendment):
    assert amendment.version_number == original.version_number + 1
    assert compare_versions(original, amendment).is_empty


def test_items_that_did_not_change_are_not_listed(original, amendment, clinician):
    _edit(clinician, Intervention.objects.filter(plan=amendment).first(), frequency="twice weekly")
    # Only the intervention: neither goal, objective, conflict nor defense is listed.
    assert _items(compare_versions(original, amendment)) == [("Intervention", TECHNIQUE, "changed")]


# --- Plan details and formulation sections ------------------------------------


def test_a_changed_plan_detail_is_listed_with_its_label_old_and_new_value(original, amendment, clinician):
    amendment = services.update_plan_details(
        actor=clinician,
        plan=amendment,
        expected_version=amendment.version,
        start_date=amendment.start_date,
        review_interval=amendment.review_interval,
        horizon_months=18,
        presenting_problems=list(amendment.presenting_problems.all()),
    )
    diff = compare_versions(original, amendment)
    assert diff.plan == [Change("Horizon (months)", 12, 18)]
    assert (diff.formulation, diff.items) == ([], [])


def test_a_changed_formulation_field_is_listed_under_its_sections_title(original, amendment, clinician):
    formulation = amendment.formulation
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=formulation,
        section="narrative",
        expected_version=formulation.section_version("narrative"),
        values={"narrative_hypothesis": "Needs no one, so as not to be let down."},
    )
    diff = compare_versions(original, amendment)
    assert diff.formulation == [
        ("Narrative hypothesis", [Change("Narrative hypothesis", "", "Needs no one, so as not to be let down.")])
    ]
    assert (diff.plan, diff.items) == ([], [])


def test_several_fields_of_one_section_are_listed_together_and_untouched_sections_not_at_all(
    original, amendment, clinician
):
    formulation = amendment.formulation
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=formulation,
        section="development",
        expected_version=formulation.section_version("development"),
        values={"childhood_experiences": "Father absent.", "losses": "Mother, 2019."},
    )
    (section,) = compare_versions(original, amendment).formulation
    title, changes = section
    assert title == "Developmental history"
    assert [(c.label, c.old, c.new) for c in changes] == [
        ("Childhood experiences", "", "Father absent."),
        ("Losses and separations", "", "Mother, 2019."),
    ]


# --- Goals -----------------------------------------------------------------------


def test_a_reworded_goal_shows_as_changed_not_as_removed_and_added(original, amendment, clinician):
    _edit(clinician, Goal.objects.get(plan=amendment, statement="Goal 1"), statement="Grieve the loss")
    diff = compare_versions(original, amendment)
    assert _items(diff) == [("Goal", "Grieve the loss", "changed")]
    assert _item(diff, "Goal").changes == [Change("Statement", "Goal 1", "Grieve the loss")]


def test_an_added_goal_is_listed_as_added(original, amendment, clinician):
    services.add_goal(actor=clinician, plan=amendment, statement="Sleep through the night")
    diff = compare_versions(original, amendment)
    assert _items(diff) == [("Goal", "Sleep through the night", "added")]
    assert _item(diff, "Goal").changes == []


def test_a_removed_goal_is_listed_as_removed_with_its_objectives(original, amendment, clinician):
    services.remove_item(actor=clinician, item=Goal.objects.get(plan=amendment, statement="Goal 2"))
    assert _items(compare_versions(original, amendment)) == [
        ("Goal", "Goal 2", "removed"),
        ("Objective", "Identify pattern 2.1 in relationships", "removed"),
    ]


# --- Objectives ------------------------------------------------------------------


def test_a_changed_objective_lists_each_changed_field(original, amendment, clinician):
    _edit(clinician, _objective(amendment), target="Names 4 patterns", baseline="Names none")
    diff = compare_versions(original, amendment)
    assert _items(diff) == [("Objective", "Identify pattern 1.1 in relationships", "changed")]
    assert _item(diff, "Objective").changes == [
        Change("Baseline", "", "Names none"),
        Change("Target", "Names 2 patterns", "Names 4 patterns"),
    ]


def test_an_added_objective_is_listed_as_added(original, amendment, clinician):
    goal = Goal.objects.get(plan=amendment, statement="Goal 1")
    services.add_objective(
        actor=clinician,
        goal=goal,
        statement="Sleeps six hours",
        measure="Sleep diary",
        target="6 hours",
        presenting_problems=list(amendment.presenting_problems.all()),
        conflicts=[],
        defenses=[],
    )
    assert _items(compare_versions(original, amendment)) == [("Objective", "Sleeps six hours", "added")]


def test_a_removed_objective_is_listed_as_removed_and_unlinked_from_its_intervention(original, amendment, clinician):
    services.remove_item(actor=clinician, item=_objective(amendment, "2.1"))
    diff = compare_versions(original, amendment)
    # Its goal's own fields did not change, so the goal is not listed.
    assert _items(diff) == [
        ("Intervention", TECHNIQUE, "changed"),
        ("Objective", "Identify pattern 2.1 in relationships", "removed"),
    ]
    assert _item(diff, "Intervention").changes == [
        Change("Objectives served", ["Identify pattern 2.1 in relationships"], [])
    ]


def test_an_objectives_links_are_shown_by_the_linked_items_names_not_their_lineages(original, amendment, clinician):
    second = _new_conflict(clinician, amendment)
    objective = _objective(amendment)
    _edit(clinician, objective, conflicts=[*objective.conflicts.all(), second])
    diff = compare_versions(original, amendment)
    second_title = second.conflict_type.code.replace("-", " ")
    assert _items(diff) == [
        ("Core conflict", second_title, "added"),
        ("Objective", "Identify pattern 1.1 in relationships", "changed"),
    ]
    (change,) = _item(diff, "Objective").changes
    assert change.label == "Conflicts worked on"
    assert change.old == [CONFLICT] and sorted(change.new) == sorted([CONFLICT, second_title])


# --- Interventions ---------------------------------------------------------------


def test_a_changed_intervention_lists_its_changed_field(original, amendment, clinician):
    _edit(clinician, Intervention.objects.filter(plan=amendment).first(), frequency="twice weekly")
    assert _item(compare_versions(original, amendment), "Intervention").changes == [
        Change("Frequency", "weekly", "twice weekly")
    ]


def test_an_added_intervention_is_listed_as_added(original, amendment, clinician):
    services.add_intervention(
        actor=clinician,
        plan=amendment,
        technique=InterventionTechnique.objects.exclude(name=TECHNIQUE).order_by("pk").first(),
        objectives=[_objective(amendment)],
        frequency="weekly",
    )
    diff = compare_versions(original, amendment)
    assert [(i.kind, i.state) for i in diff.items] == [("Intervention", "added")]


def test_a_removed_intervention_is_listed_as_removed(original, amendment, clinician):
    services.remove_item(actor=clinician, item=Intervention.objects.filter(plan=amendment).first())
    assert _items(compare_versions(original, amendment)) == [("Intervention", TECHNIQUE, "removed")]


# --- Formulation items: conflicts and defenses ---------------------------------------


def test_a_changed_conflict_lists_its_changed_field(original, amendment, clinician):
    _edit(clinician, CoreConflict.objects.get(formulation__plan=amendment), intensity=CoreConflict.Intensity.LOW)
    diff = compare_versions(original, amendment)
    assert _items(diff) == [("Core conflict", CONFLICT, "changed")]
    # By the choice's label, not its stored value.
    assert _item(diff, "Core conflict").changes == [Change("Intensity", "Significant", "Low")]


def test_an_added_conflict_is_listed_as_added(original, amendment, clinician):
    second = _new_conflict(clinician, amendment)
    assert _items(compare_versions(original, amendment)) == [
        ("Core conflict", second.conflict_type.code.replace("-", " "), "added")
    ]


def test_a_removed_conflict_is_listed_as_removed_and_unlinked_from_its_objectives(original, amendment, clinician):
    formulation_services.remove_item(actor=clinician, item=CoreConflict.objects.get(formulation__plan=amendment))
    diff = compare_versions(original, amendment)
    assert ("Core conflict", CONFLICT, "removed") in _items(diff)
    objectives = [item for item in diff.items if item.kind == "Objective"]
    assert len(objectives) == 2
    assert all(item.changes == [Change("Conflicts worked on", [CONFLICT], [])] for item in objectives)


def test_a_changed_defense_lists_its_changed_field(original, amendment, clinician):
    _edit(clinician, DefenseObservation.objects.get(formulation__plan=amendment), evidence="Smiles when sad.")
    diff = compare_versions(original, amendment)
    assert _items(diff) == [("Defense", DEFENSE, "changed")]
    assert _item(diff, "Defense").changes == [
        Change("Evidence", "Describes the loss without feeling.", "Smiles when sad.")
    ]


def test_an_added_defense_is_listed_as_added(original, amendment, clinician):
    formulation_services.add_defense(
        actor=clinician,
        formulation=amendment.formulation,
        mechanism=DefenseMechanism.objects.get(name="Projection"),
        evidence="Sees anger in others.",
    )
    assert _items(compare_versions(original, amendment)) == [("Defense", "Projection", "added")]


def test_a_removed_defense_is_listed_as_removed(original, amendment, clinician):
    formulation_services.remove_item(actor=clinician, item=DefenseObservation.objects.get(formulation__plan=amendment))
    assert ("Defense", DEFENSE, "removed") in _items(compare_versions(original, amendment))


# --- Across an amendment chain --------------------------------------------------


def test_comparing_across_an_amendment_chain_shows_the_net_change_and_each_step_its_own(original, amendment, clinician):
    _edit(clinician, _objective(amendment), target="Names 4 patterns")
    second = transitions.submit_plan(actor=clinician, plan=amendment)
    third = transitions.amend_plan(actor=clinician, plan=second)
    _edit(clinician, _objective(third), target="Names 6 patterns")
    third = transitions.submit_plan(actor=clinician, plan=third)
    assert third.version_number == 3

    def target(older, newer):
        return _item(compare_versions(older, newer), "Objective").changes

    assert target(original, third) == [Change("Target", "Names 2 patterns", "Names 6 patterns")]
    assert target(original, second) == [Change("Target", "Names 2 patterns", "Names 4 patterns")]
    assert target(second, third) == [Change("Target", "Names 4 patterns", "Names 6 patterns")]


# --- The compare page -------------------------------------------------------------


def test_the_compare_page_shows_a_changed_objectives_old_and_new_target(original, amendment, clinician, login):
    _edit(clinician, _objective(amendment), target="Names 4 patterns")
    amendment = transitions.submit_plan(actor=clinician, plan=amendment)
    page = BeautifulSoup(login(clinician).get(f"/plans/{amendment.pk}/compare/?from=1&to=2").content, "html.parser")
    changed = [a for a in page.select(".diff-item.diff-changed") if "Objective" in a.h3.get_text()]
    assert len(changed) == 1
    row = [tr for tr in changed[0].select("tbody tr") if tr.th.get_text() == "Target"][0]
    assert [td.get_text() for td in row.select("td")] == ["Names 2 patterns", "Names 4 patterns"]


# --- In the reader's words: labels, yes/no, dates, links added and removed, words changed ------


def test_a_changed_status_is_shown_by_its_label_not_its_stored_value(original, amendment, clinician):
    _edit(clinician, _objective(amendment), status=Objective.Status.IN_PROGRESS)
    (change,) = _item(compare_versions(original, amendment), "Objective").changes
    assert change == Change("Status", "Not started", "In progress")
    # A label is read whole, not marked word by word as free text is.
    assert not change.is_text


def test_a_yes_no_field_reads_yes_or_no_and_a_date_is_formatted(original, amendment, clinician):
    objective = _objective(amendment)
    was = objective.addresses_relational_pattern
    _edit(clinician, objective, addresses_relational_pattern=not was, target_date=dt.date(2027, 3, 5))
    changes = {c.label: c for c in _item(compare_versions(original, amendment), "Objective").changes}
    relational = changes["Works on the relational pattern"]
    assert (relational.old, relational.new) == (("Yes", "No") if was else ("No", "Yes"))
    assert changes["Target date"].new == "5 March 2027"


def test_a_removed_link_is_listed_by_name_as_removed_and_an_added_one_as_added(original, amendment, clinician):
    services.remove_item(actor=clinician, item=_objective(amendment, "2.1"))
    (change,) = _item(compare_versions(original, amendment), "Intervention").changes
    assert change.removed == ["Identify pattern 2.1 in relationships"] and change.added == []
    reverse = Change("Objectives served", [], ["Identify pattern 2.1 in relationships"])
    assert reverse.added == ["Identify pattern 2.1 in relationships"] and reverse.removed == []


def test_a_changed_free_text_field_is_marked_word_by_word(original, amendment, clinician):
    _edit(clinician, _objective(amendment), target="Names 4 patterns")
    (change,) = _item(compare_versions(original, amendment), "Objective").changes
    assert change.is_text
    assert (change.old_marked, change.new_marked) == ("Names <del>2</del> patterns", "Names <ins>4</ins> patterns")


def test_a_word_diff_marks_the_words_taken_out_and_put_in():
    before, after = word_diff("Names 2 patterns in sessions", "Names 4 patterns in sessions")
    assert before == "Names <del>2</del> patterns in sessions"
    assert after == "Names <ins>4</ins> patterns in sessions"


def test_a_phrase_replaced_is_marked_as_one_not_word_by_word():
    before, after = word_diff("Sleeps badly most nights", "Sleeps well on most nights")
    assert before == "Sleeps <del>badly</del> most nights"
    assert after == "Sleeps <ins>well on</ins> most nights"


def test_a_word_diff_escapes_what_was_typed_before_marking_it():
    before, after = word_diff("Plain words", "Plain <script>alert(1)</script> words")
    assert "<script>" not in after
    assert after == "Plain <ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> words"
    assert before == "Plain words"


def test_the_compare_page_lists_links_added_and_removed_by_name_never_a_python_list(
    original, amendment, clinician, login
):
    services.remove_item(actor=clinician, item=_objective(amendment, "2.1"))
    page = login(clinician).get(f"/plans/{amendment.pk}/compare/?from=1&to=2").content.decode()
    assert "<del>Removed: Identify pattern 2.1 in relationships</del>" in page
    assert "[&#x27;" not in page and "['" not in page


def test_the_compare_page_marks_changed_words_and_escapes_a_script_typed_into_a_target(
    original, amendment, clinician, login
):
    _edit(clinician, _objective(amendment), target="Names 2 <script>alert(1)</script> patterns")
    page = login(clinician).get(f"/plans/{amendment.pk}/compare/?from=1&to=2").content.decode()
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page
    assert "<script>alert(1)" not in page
