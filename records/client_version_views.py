"""The client version as a web page, for staff to read what the client will read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import get_visible_or_404
from plans.selectors import plan_queryset
from records import client_version


@login_required
def plan_client_version(request, pk: int):
    """The plain-language version of this plan version, as the client reads it, for anyone who can
    read the plan (the client version PDF's readers). Its read is in the access log (audit/routes.py)."""
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    version = client_version.for_plan(plan)
    return render(request, "records/client_version.html", {"plan": plan, "client_version": version})
