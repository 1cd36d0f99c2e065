"""What plans tells the apps above it, which it does not import.

`plan_closed` is sent with `plan=` when a version stops being active for good (closed, or superseded
by its amendment), inside the transaction that records the change, so whatever a receiver writes
commits or rolls back with it (progress cancels the version's open reviews).
"""

from django.dispatch import Signal

plan_closed = Signal()
