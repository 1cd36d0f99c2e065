"""The migration drill's verdict (bench.migration_drill.compare), on made-up snapshots: what it
calls a match and what a loss, without building a database."""

import copy
from pathlib import Path

import pytest

from bench.migration_drill import (
    BASE_COMMIT,
    DrillError,
    Snapshot,
    compare,
    imported_from,
    resolve,
    signature_states,
)

SUMMARY = "3 signatures on 2 plan versions checked; 0 do not match"


def snapshot() -> Snapshot:
    return Snapshot(
        tables={
            "django_migrations": 68,
            "django_content_type": 3,
            "auth_permission": 12,
            "plans_treatmentplan": 2,
            "plans_signature": 3,
            "plans_progressreview": 8,
            "accounts_accesslog": 5,
        },
        migrations={("plans", "0001_initial"), ("accounts", "0001_initial")},
        content_types={1: "accounts.accesslog", 2: "plans.progressreview", 3: "plans.treatmentplan"},
        schema={
            ("plans_progressreview", "index plans_progressreview_pkey"),
            ("plans_treatmentplan", "trigger psyplan_history"),
        },
        signatures={10: "valid", 11: "voided", 12: "valid"},
        signature_command=(0, SUMMARY),
        audit=(0, 5, "Access log intact: 5 entries, every link and MAC verified."),
    )


def moved(before: Snapshot) -> Snapshot:
    """What a correct model move leaves: the same rows, relabelled content types, new migrations."""
    after = copy.deepcopy(before)
    after.tables["django_migrations"] += 2
    after.migrations |= {("progress", "0001_initial"), ("plans", "0020_move_progress")}
    after.content_types = {1: "audit.accesslog", 2: "progress.progressreview", 3: "plans.treatmentplan"}
    return after


def test_the_same_database_after_migrating_passes():
    before = snapshot()
    assert compare(before, copy.deepcopy(before)).problems == []


def test_a_correct_move_passes_and_lists_the_relabelled_content_types_and_new_migrations():
    verdict = compare(snapshot(), moved(snapshot()))
    assert verdict.ok, verdict.problems
    assert "content type 2 relabelled: plans.progressreview -> progress.progressreview" in verdict.notes
    assert "migration applied by the new code: progress.0001_initial" in verdict.notes


def test_django_migrations_growing_is_not_a_mismatch_and_its_row_says_why():
    verdict = compare(snapshot(), moved(snapshot()))
    (row,) = [r for r in verdict.rows if r[0] == "django_migrations"]
    assert row[1:3] == ("68", "70")
    assert row[3].startswith("excluded: grows by design")


def test_a_lost_row_fails_naming_the_table():
    after = moved(snapshot())
    after.tables["plans_progressreview"] -= 1
    verdict = compare(snapshot(), after)
    assert verdict.problems == ["table plans_progressreview: 8 rows before, 7 after (1 lost)"]
    (row,) = [r for r in verdict.rows if r[0] == "plans_progressreview"]
    assert row[3] == "MISMATCH: 1 lost"


def test_a_gained_row_fails_too():
    after = moved(snapshot())
    after.tables["accounts_accesslog"] += 1
    assert compare(snapshot(), after).problems[0] == "table accounts_accesslog: 5 rows before, 6 after (1 gained)"


def test_a_table_gone_after_migrating_fails():
    after = moved(snapshot())
    del after.tables["plans_progressreview"]
    assert "table plans_progressreview is gone after migrating (it had 8 rows)" in compare(snapshot(), after).problems


def test_a_new_empty_table_is_listed_and_a_new_table_with_rows_fails():
    after = moved(snapshot())
    after.tables["progress_newthing"] = 0
    verdict = compare(snapshot(), after)
    assert verdict.ok
    assert "new table progress_newthing (empty)" in verdict.notes
    after.tables["progress_newthing"] = 4
    assert compare(snapshot(), after).problems == ["table progress_newthing is new and not empty: 4 rows"]


def test_a_failing_signature_fails_naming_it():
    after = moved(snapshot())
    after.signatures[12] = "mismatch"
    after.signature_command = (1, "3 signatures on 2 plan versions checked; 1 do not match")
    verdict = compare(snapshot(), after)
    assert "1 signature valid before migrating, mismatch after: 12" in verdict.problems
    assert any(p.startswith("verify_signatures failed after migrating") for p in verdict.problems)
    (row,) = [r for r in verdict.rows if r[0] == "signatures (verify_signatures)"]
    assert row[1:] == ("2 valid, 1 voided", "1 mismatch, 1 valid, 1 voided", "MISMATCH")


def test_a_signature_gone_or_added_fails():
    after = moved(snapshot())
    del after.signatures[10]
    after.signatures[13] = "valid"
    problems = compare(snapshot(), after).problems
    assert "signature 10 is gone" in problems
    assert "signature 13 is new" in problems


def test_a_baseline_whose_signatures_do_not_verify_fails():
    before = snapshot()
    before.signatures[10] = "mismatch"
    problems = compare(before, copy.deepcopy(before)).problems
    assert problems == ["1 signature did not verify even before migrating (mismatch), so the baseline is broken: 10"]


def test_verify_signatures_checking_fewer_signatures_after_fails():
    after = moved(snapshot())
    after.signature_command = (0, "2 signatures on 2 plan versions checked; 0 do not match")
    assert compare(snapshot(), after).problems == [
        "verify_signatures checked 3 signatures before and 2 after (3 in the table before)"
    ]


def test_a_broken_audit_chain_or_lost_entries_fail():
    after = moved(snapshot())
    after.audit = (1, None, "Access log truncated: 1 entry missing since the checkpoint.")
    problems = compare(snapshot(), after).problems
    assert problems == [
        "verify_audit_log failed after migrating: Access log truncated: 1 entry missing since the checkpoint.",
        "the audit chain verified 5 entries before and None after",
    ]


def test_a_stale_content_type_left_by_a_move_fails():
    after = moved(snapshot())
    # The move created a fresh content type instead of relabelling the old one.
    after.content_types[2] = "plans.progressreview"
    after.content_types[4] = "progress.progressreview"
    after.tables["django_content_type"] += 1
    problems = compare(snapshot(), after).problems
    assert "table django_content_type: 3 rows before, 4 after (1 gained)" in problems
    assert "content type 4 (progress.progressreview) is new: a moved model's old one was not relabelled" in problems


def test_a_renamed_index_or_dropped_trigger_fails():
    after = moved(snapshot())
    after.schema = {
        ("plans_progressreview", "index progress_progressreview_pkey"),
    }
    verdict = compare(snapshot(), after)
    assert verdict.problems == [
        "index plans_progressreview_pkey on plans_progressreview is gone (renamed or dropped)",
        "trigger psyplan_history on plans_treatmentplan is gone (renamed or dropped)",
    ]
    assert "new index progress_progressreview_pkey on plans_progressreview" in verdict.notes


def test_the_base_commit_is_a_full_hash_so_a_clone_resolves_it_unambiguously():
    assert len(BASE_COMMIT) == 40
    int(BASE_COMMIT, 16)


def test_a_base_commit_missing_from_the_clone_fails_with_a_clear_message():
    with pytest.raises(DrillError, match="is not in this clone's history, so there is nothing to migrate from"):
        resolve("0123456789abcdef0123456789abcdef01234567")


def test_signature_states_come_from_the_mismatches_verify_signatures_names():
    command = {
        "code": 1,
        "stdout": "",
        "stderr": "MISMATCH plan 7, signature 12 (authored, 2026-10-01): the content in the database does not "
        "hash to the signed hash [changed: goals[0].statement]\n"
        "3 signatures on 2 plan versions checked; 1 do not match\n",
    }
    assert signature_states({10: False, 11: True, 12: False}, command) == {10: "valid", 11: "voided", 12: "mismatch"}


def test_many_broken_signatures_make_one_line_naming_the_first_twenty():
    before = snapshot()
    before.signatures = {pk: "valid" for pk in range(1, 31)}
    after = copy.deepcopy(before)
    after.signatures = {pk: "mismatch" for pk in range(1, 31)}
    problems = compare(before, after).problems
    expected = "30 signatures valid before migrating, mismatch after: " + ", ".join(map(str, range(1, 21)))
    assert expected + " and 10 more" in problems


def test_the_old_code_imported_from_the_current_checkout_stops_the_drill(tmp_path):
    old_tree = tmp_path / "base"
    apps = {
        "django.contrib.auth": "/venv/lib/python3.11/site-packages/django/contrib/auth",
        "accounts": str(old_tree / "accounts"),
        "plans": "/work/checkout/plans",
    }
    with pytest.raises(DrillError, match="app plans was imported from /work/checkout/plans, not from"):
        imported_from(apps, old_tree, "old")
    apps["plans"] = str(old_tree / "plans")
    imported_from(apps, old_tree, "old")
    with pytest.raises(DrillError, match="no plans app"):
        imported_from({"accounts": str(old_tree / "accounts")}, Path(old_tree), "old")


def with_new_app_model(before: Snapshot) -> Snapshot:
    """A release that also adds an app: its model's content type and four default permissions appear."""
    after = moved(before)
    after.content_types[4] = "notes.therapysession"
    after.tables["django_content_type"] += 1
    after.tables["auth_permission"] += 4
    after.tables["notes_therapysession"] = 0
    after.tables["notes_servicetype"] = 5
    return after


def test_a_new_apps_models_content_types_permissions_and_seeded_catalogue_pass():
    verdict = compare(snapshot(), with_new_app_model(snapshot()))
    assert verdict.problems == []
    assert "new model notes.therapysession (app notes: sessions and progress notes (issue 14))" in verdict.notes
    assert ("auth_permission", "12", "16", "equal, plus 4 for the new apps' models") in verdict.rows


def test_a_permission_lost_while_a_new_app_adds_its_own_still_fails():
    after = with_new_app_model(snapshot())
    after.tables["auth_permission"] -= 1
    problems = compare(snapshot(), after).problems
    assert "table auth_permission: 12 rows before, 15 after (1 lost beyond the 4 the new apps' models add)" in problems


def test_a_new_table_with_rows_fails_unless_its_migration_seeds_it():
    after = with_new_app_model(snapshot())
    after.tables["notes_progressnote"] = 1
    problems = compare(snapshot(), after).problems
    assert problems == ["table notes_progressnote is new and not empty: 1 rows"]
