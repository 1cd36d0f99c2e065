"""Signatures carry the real time; only builders of synthetic history may date them on the day."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from notes import services
from tests.notes.builders import full_note

ROOT = Path(__file__).resolve().parents[2]
NAIVE = dt.datetime(2026, 1, 5, 12)  # noqa: DTZ001 - naive on purpose: the clock refuses it
ALLOWED = ("notes/services.py", "demo/", "tests/")


def test_only_the_demo_and_tests_date_signatures_with_the_synthetic_clock():
    tops = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in ("var", "static")]
    users = [
        str(path.relative_to(ROOT))
        for top in tops
        for path in top.rglob("*.py")
        if "synthetic_signing_time" in path.read_text(encoding="utf-8")
    ]
    assert users and all(path.startswith(ALLOWED) for path in users), users


def test_a_note_signed_in_the_synthetic_clock_carries_that_moment_and_then_real_time_again(session, clinician):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    moment = session.starts_at + dt.timedelta(hours=3)
    with services.synthetic_signing_time(moment):
        signature = services.sign_note(actor=clinician, note=note)
    assert signature.signed_at == moment and note.__class__.objects.get(pk=note.pk).signed_at == moment
    before = timezone.now()
    addendum = services.add_addendum(actor=clinician, note=note, text="A later addition.")
    assert addendum.written_at >= before


@pytest.mark.parametrize("moment", [NAIVE, timezone.now() + dt.timedelta(hours=1)])
def test_the_synthetic_clock_refuses_a_naive_or_future_moment(moment):
    with pytest.raises(ValueError, match="already passed"), services.synthetic_signing_time(moment):
        pass
