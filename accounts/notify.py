from django.db import transaction


def notify(*, recipients, key: str, verb: str, text: str, url: str) -> None:
    """Queue a notice for each recipient once the surrounding transaction commits."""
    from accounts.tasks import deliver_notification

    for recipient in recipients:
        rkey = f"{key}:to:{recipient.pk}"
        transaction.on_commit(
            lambda r=recipient.pk, k=rkey: deliver_notification.delay(r, k, verb, text, url), robust=True
        )
