"""The export and scheduler tasks moved out of plans but answer to the names they were registered under:
outbox rows, queued messages and the beat schedule hold those names."""

import pytest
from celery import current_app
from django.conf import settings

from core import outbox
from core.models import OutboxMessage

# registered name -> the module it lives in now
MOVED = {
    "plans.tasks.run_review_scheduler": "progress.tasks",
    "plans.tasks.schedule_practice_reviews": "progress.tasks",
    "plans.tasks.start_bulk_export": "records.tasks",
    "plans.tasks.render_export_item": "records.tasks",
    "plans.tasks.purge_expired_exports": "records.tasks",
}


def _registered():
    current_app.loader.import_default_modules()
    return current_app.tasks


@pytest.mark.parametrize("name", MOVED)
def test_a_moved_task_keeps_its_registered_name(name):
    assert _registered()[name].run.__module__ == MOVED[name]


def test_every_beat_entry_names_a_registered_task():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in _registered(), entry


@pytest.mark.django_db
def test_an_outbox_row_naming_a_moved_task_is_still_relayed():
    # Written before the move, by its old name: the relay finds the task in records.tasks.
    OutboxMessage.objects.create(task="plans.tasks.purge_expired_exports", args=[], kwargs={})
    assert outbox.relay() == (1, 0)
