from core.outbox import enqueue


def notify(*, recipients, key: str, verb: str, text: str, url: str) -> None:
    """Queue a notice for each recipient, through the outbox, with the surrounding transaction."""
    for recipient in recipients:
        enqueue("accounts.tasks.deliver_notification", recipient.pk, f"{key}:to:{recipient.pk}", verb, text, url)
