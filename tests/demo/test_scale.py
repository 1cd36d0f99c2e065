from django.core.management import call_command
from django.test import override_settings

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
