from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as WebClient
from django.test import override_settings

from accounts.models import Membership, Supervision, User
from clients.models import Client


@override_settings(DEBUG=True)
def test_seed_demo_creates_every_role_and_is_safe_to_run_twice(db):
    call_command("seed_demo")
    counts = (User.objects.count(), Client.objects.count(), Supervision.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Client.objects.count(), Supervision.objects.count()) == counts
    trainee = Membership.objects.get(user__email="trainee@demo.test")
    assert trainee.requires_cosignature
    supervisor = User.objects.get(email="supervisor@demo.test")
    assert set(supervisor.supervisions_given.values_list("supervisee__email", flat=True)) == {
        "clinician@demo.test",
        "trainee@demo.test",
    }
    assert Membership.objects.get(user__email="admin@demo.test").is_practice_admin
    assert Membership.objects.get(user__email="other@demo.test").practice.name == "Other Practice"
    from plans.models import Intervention, Objective, TreatmentPlan

    assert TreatmentPlan.objects.count() == Client.objects.count() == 6
    statuses = dict(TreatmentPlan.objects.values_list("client__chart_number", "status"))
    assert statuses["D-1001"] == "active" and statuses["D-1003"] == "in_review" and statuses["D-1002"] == "draft"
    for plan in TreatmentPlan.objects.all():
        assert plan.formulation.narrative_hypothesis
        assert plan.formulation.conflicts.exists() and plan.formulation.defenses.exists()
        assert Objective.objects.filter(goal__plan=plan).exists()
        assert Intervention.objects.filter(plan=plan).exists()
    for email in ["clinician@demo.test", "trainee@demo.test", "supervisor@demo.test", "admin@demo.test"]:
        web = WebClient()
        response = web.post("/accounts/login/", {"username": email, "password": "psyplan-demo"})
        assert response.status_code == 302, email


@override_settings(DEBUG=True)
def test_demo_admin_signs_in_with_the_documented_authenticator_key(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from demo.management.commands.seed_demo import DEMO_TOTP_SECRET
    from tests.two_factor import current_code

    call_command("seed_demo")
    assert DEMO_TOTP_SECRET in (Path(__file__).resolve().parents[2] / "README.md").read_text()
    web = WebClient()
    web.post("/accounts/login/", {"username": "admin@demo.test", "password": "psyplan-demo"})
    assert web.get("/").url.startswith("/accounts/two-factor/verify/")
    device = TOTPDevice.objects.get(user__email="admin@demo.test")
    assert web.post("/accounts/two-factor/verify/", {"token": current_code(device)}).status_code == 302
    assert "Practice overview" in web.get("/").content.decode()


@override_settings(DEBUG=False)
def test_seed_demo_refuses_with_debug_off(db):
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()


@override_settings(DEBUG=False)
def test_seed_demo_runs_with_debug_off_when_forced(db):
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="clinician@demo.test").exists()
