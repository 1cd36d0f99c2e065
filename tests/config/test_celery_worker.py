"""Tasks through a real Celery worker on the configured broker (Redis in CI)."""

import pytest
from django.core import mail

from accounts.models import User
from accounts.tasks import send_staff_invitation
from tests.conftest import wait_for


@pytest.mark.celery_worker
def test_invitation_email_is_sent_by_a_real_worker(celery_worker_app, transactional_db, practice):
    from tests.factories import MembershipFactory

    user = User.objects.create_user("worker-test@example.test", None, given_name="W", family_name="T")
    MembershipFactory(user=user, practice=practice)
    send_staff_invitation.delay(user.pk)
    wait_for(lambda: mail.outbox)
    assert [m.to for m in mail.outbox] == [["worker-test@example.test"]]
