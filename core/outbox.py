"""Transactional outbox for Celery tasks.

`enqueue("app.tasks.name", *args)` writes the message in the current transaction and, after
commit, publishes it with a bounded attempt. If the broker does not answer, the message stays
in the table, a short circuit-breaker stops further requests from waiting on a dead broker,
and `relay()` (run by beat and by `manage.py relay_outbox`) publishes what is pending once the
broker is back. Tasks are idempotent, so the rare double publish (sent, then the stamp not
saved) does no harm.
"""

import logging

import redis
from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import OutboxMessage

log = logging.getLogger(__name__)

CIRCUIT_KEY = "outbox:broker-down"
CIRCUIT_SECONDS = 30


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, ConnectionError, TimeoutError, OSError]
    errors.append(redis.exceptions.RedisError)
    return tuple(errors)


def broker_down() -> bool:
    try:
        return bool(cache.get(CIRCUIT_KEY))
    except Exception:  # noqa: BLE001 - the cache may live on the same Redis that is down
        return True


def _open_circuit() -> None:
    try:
        cache.set(CIRCUIT_KEY, True, CIRCUIT_SECONDS)
    except Exception:  # noqa: BLE001, S110 - nothing more to do when the cache is down too
        pass


def _registered_task(name: str):
    """The task registered under `name`. Looked up by its registered name, not imported by module path:
    a task that moves to another app keeps its name (rows already in the outbox hold it). The web process
    imports the apps' tasks modules only when it first needs one that it has not loaded yet."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue(task: str, *args, **kwargs) -> None:
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: publish(message.pk))


def publish(message_id: int, *, force: bool = False) -> bool:
    """Try to hand one message to the broker; True when it is (or already was) sent."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    if broker_down() and not force:
        return False
    task = _registered_task(message.task)
    try:
        task.apply_async(args=message.args, kwargs=message.kwargs, retry=False)
    except _broker_errors() as exc:
        _open_circuit()
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=type(exc).__name__[:200]
        )
        log.warning("broker unavailable; %s kept in the outbox (message %s)", message.task, message.pk)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=message.attempts + 1)
    return True


def relay(limit: int = 500) -> tuple[int, int]:
    """Publish pending messages, oldest first. Returns (sent, still pending)."""
    sent = 0
    for message_id in OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]:
        if not publish(message_id, force=True):
            break
        sent += 1
    return sent, OutboxMessage.objects.filter(sent_at__isnull=True).count()
