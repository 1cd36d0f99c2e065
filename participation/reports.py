"""Response rates of questionnaire links, per clinician and per measure, for the practice's admins.

Read through the access door (`ClientLink.objects.visible_to`) and counted in the database: one
grouped query per table, however many links, clinicians or measures there are.

A link counts in the period it was made. The rate is answered ÷ (answered + expired): links still
open may yet be answered, and links revoked by staff or locked after wrong dates of birth were
never the client's to let lapse, so neither counts for or against it.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from participation.models import ClientLink, QuestionnaireSchedulerRun
from participation.services import CLIENT_QUESTIONNAIRES

DEFAULT_PERIOD_DAYS = 90


@dataclass
class Rate:
    label: str
    sent: int = 0
    answered: int = 0
    expired: int = 0
    open: int = 0

    @property
    def decided(self) -> int:
        return self.answered + self.expired

    @property
    def percent(self) -> int | None:
        """Rounded to a whole percent; None while no link has been answered or expired."""
        return round(100 * self.answered / self.decided) if self.decided else None

    def add(self, row: dict) -> None:
        self.sent += row["sent"]
        self.answered += row["answered"]
        self.expired += row["expired"]
        self.open += row["open"]


@dataclass
class ResponseRates:
    start: dt.date
    end: dt.date
    by_clinician: list[Rate]
    by_measure: list[Rate]
    total: Rate
    last_run: QuestionnaireSchedulerRun | None


def _counts(now: dt.datetime) -> dict:
    Status = ClientLink.Status
    return {
        "sent": Count("pk"),
        "answered": Count("pk", filter=Q(status=Status.DONE)),
        "expired": Count("pk", filter=Q(status=Status.OPEN, expires_at__lte=now)),
        "open": Count("pk", filter=Q(status=Status.OPEN, expires_at__gt=now)),
    }


def response_rates(user, *, practice, start: dt.date, end: dt.date, labels: dict[str, str]) -> ResponseRates:
    """Four queries: the door's (the reader's supervisees), per clinician, per set of measures (split
    into measures here) and the last scheduler run."""
    now = timezone.now()
    tz = practice.tzinfo
    links = ClientLink.objects.visible_to(user).filter(
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        created_at__gte=dt.datetime.combine(start, dt.time.min, tz),
        created_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz),
    )
    counts = _counts(now)

    by_clinician = []
    total = Rate("All clinicians")
    rows = (
        links.order_by()
        .values("created_by", "created_by__given_name", "created_by__family_name")
        .annotate(**counts)
        .order_by("created_by__family_name", "created_by__given_name", "created_by")
    )
    for row in rows:
        rate = Rate(f"{row['created_by__given_name']} {row['created_by__family_name']}".strip())
        rate.add(row)
        total.add(row)
        by_clinician.append(rate)

    # Grouped by the link's list of codes (a handful of distinct lists), then split per code: a
    # link asking two questionnaires counts once for each.
    by_code: dict[str, Rate] = {}
    for row in links.order_by().values("measure_codes").annotate(**counts):
        for code in dict.fromkeys(row["measure_codes"] or []):
            by_code.setdefault(code, Rate(labels.get(code, code.upper()))).add(row)
    order = {code: i for i, code in enumerate(CLIENT_QUESTIONNAIRES)}
    by_measure = [by_code[code] for code in sorted(by_code, key=lambda c: (order.get(c, len(order)), c))]

    last_run = (
        QuestionnaireSchedulerRun.objects.filter(practice=practice, finished_at__isnull=False)
        .order_by("-run_date")
        .first()
    )
    return ResponseRates(
        start=start, end=end, by_clinician=by_clinician, by_measure=by_measure, total=total, last_run=last_run
    )
