"""Discharging a client: the client side archives the record, the plan side closes what was active.

Clients sit below plans (clients imports nothing from plans), so the whole act is composed here,
and this is what the discharge page, the API's discharge action and a progress review's
"discharge" decision call.
"""

import datetime as dt

from django.db import transaction

from accounts.models import User
from clients.models import Client
from clients.services import discharge_client
from plans.lifecycle.transitions import close_plan
from plans.models import TreatmentPlan


@transaction.atomic
def discharge_client_and_close_plans(*, actor: User, client: Client, discharged_on: dt.date, reason: str) -> Client:
    """Archive a client and close their active plan, in one transaction. Nothing is deleted."""
    current = discharge_client(actor=actor, client=client, discharged_on=discharged_on, reason=reason)
    for plan in TreatmentPlan.objects.filter(client=current, status=TreatmentPlan.Status.ACTIVE):
        close_plan(actor=actor, plan=plan, reason=f"Client discharged: {reason}")
    return current
