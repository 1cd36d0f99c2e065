from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from plans.lifecycle.canonical import canonical_json, content_hash, verify
from plans.models import TreatmentPlan
from progress.models import MeasureScore, ObjectiveProgress, ProgressReview


@override_settings(DEBUG=True)
def test_seed_demo_scale_builds_full_signed_plans_with_a_year_of_reviews(db):
    call_command("seed_demo", "--scale", "12")
    plans = TreatmentPlan.objects.filter(client__practice__name="Scale Practice")
    assert plans.count() == 12 and set(plans.values_list("status", flat=True)) == {"active"}
    plan = plans.first()
    assert plan.signatures.get().content_hash == content_hash(plan)
    assert plan.signatures.get().canonical_json.encode() == canonical_json(plan) and verify(plan).matches
    assert ProgressReview.objects.filter(plan=plan, status="completed").count() == 4
    assert MeasureScore.objects.filter(client=plan.client).count() == 4
    assert ObjectiveProgress.objects.filter(review__plan=plan).count() == 4 * 9
    assert plan.next_review_date > plan.client.practice.today()


@override_settings(DEBUG=True)
def test_seed_demo_scale_gives_each_plan_recent_weekly_sessions_signed_with_real_hashes(db):
    from demo.scale import SESSIONS
    from notes import canonical
    from notes.models import NoteSignature, ProgressNote, TherapySession

    call_command("seed_demo", "--scale", "3")
    plan = TreatmentPlan.objects.filter(client__practice__name="Scale Practice").first()
    sessions = TherapySession.objects.filter(plan=plan)
    assert sessions.count() == SESSIONS and sessions.first().starts_at < timezone.now()
    notes = ProgressNote.objects.filter(session__plan=plan)
    assert notes.signed().count() == SESSIONS - 1 and notes.drafts().get().session == sessions.first()
    for signature in NoteSignature.objects.filter(note__session__plan=plan):
        assert signature.content_hash == canonical.digest(canonical.note_json(signature.note))
        assert signature.note.signed_at == signature.signed_at > signature.note.session.starts_at
    last_objective = plan.goals.order_by("-order").first().objectives.order_by("-order").first()
    assert not notes.filter(objectives_worked__objective=last_objective).exists()
