from celery import shared_task

from audit import log


# The name it had in accounts, which beat's "audit-checkpoint" entry and queued messages hold.
@shared_task(name="accounts.tasks.write_audit_checkpoint", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def write_audit_checkpoint() -> int:
    """Beat's daily checkpoint of the access log; answers the number of entries it covers.

    Safe to run twice: a second line records the same or a later head. A log that does not
    verify gets no checkpoint, and the task fails with the reason (ChainBroken) in the worker's log.
    """
    return log.write_checkpoint().entries
