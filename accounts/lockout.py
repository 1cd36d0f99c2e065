"""Sign-in lockout: three limits over django-axes' failure counts, and one refusal for form and API.

Axes counts failures per `AXES_LOCKOUT_PARAMETERS` group but compares every group with one
`AXES_FAILURE_LIMIT`. We count three groups, each with its own limit within the cool-off:

- one account from one address: `AXES_FAILURE_LIMIT` (5);
- one address, whatever the accounts: `AXES_IP_FAILURE_LIMIT` (20), so that an address cannot try
  a few passwords on every account;
- one account, whatever the addresses: `AXES_ACCOUNT_FAILURE_LIMIT` (10), so that many addresses
  cannot guess one account without limit.

The handler reports each group's count on the scale of `AXES_FAILURE_LIMIT` (a group at its own
limit reads as exactly `AXES_FAILURE_LIMIT`), so axes' own comparisons, in the authentication
backend and after each failure, apply all three limits unchanged.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render

# The one answer to a locked sign-in, on the form and from the token endpoint alike. It does not
# say which limit was reached: that would tell a guesser whether the account exists.
LOCKOUT_MESSAGE = (
    "There were too many failed sign-ins for this account or from your network. For its protection, "
    "sign-in is paused for a while. Try again later, or reset your password."
)
LOCKOUT_CODE = "locked_out"

# Each lockout group, by its parameters, with the setting holding its limit and how the
# access log describes it.
_GROUPS = {
    ("ip_address", "username"): ("AXES_FAILURE_LIMIT", "for this account from this address"),
    ("ip_address",): ("AXES_IP_FAILURE_LIMIT", "from this address across accounts"),
    ("username",): ("AXES_ACCOUNT_FAILURE_LIMIT", "for this account across addresses"),
}


def _group(parameter) -> tuple[str, ...]:
    return tuple(sorted([parameter] if isinstance(parameter, str) else parameter))


def group_limit(parameter) -> tuple[int, str]:
    setting, description = _GROUPS[_group(parameter)]
    return getattr(settings, setting), description


class TieredLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout group (see the module docstring)."""

    def get_failures(self, request, credentials=None) -> int:
        scale = settings.AXES_FAILURE_LIMIT
        worst = 0
        groups = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(groups, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            limit, description = group_limit(parameter)
            scaled = failures * scale // limit  # >= scale exactly when failures >= limit
            if scaled >= scale and not getattr(request, "psyplan_lockout_reason", ""):
                request.psyplan_lockout_reason = f"{failures} failed sign-ins {description} (limit {limit})"
            worst = max(worst, scaled)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in clears only that account's failures from that address.

        Axes would clear every group's attempts: a guesser who signs in to an account of their
        own would wipe their address's count across accounts, and the owner signing in would
        wipe the guesses on her account from everywhere.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def retry_after_seconds(request) -> int | None:
    """The cool-off, for Retry-After (the longest a lockout can still last)."""
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page says it in HTML, the API in its error format."""
    retry_after = retry_after_seconds(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"status": 429, "code": LOCKOUT_CODE, "detail": LOCKOUT_MESSAGE, "fields": {}}, status=429
        )
    else:
        response = render(request, "accounts/locked_out.html", {"message": LOCKOUT_MESSAGE}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
