"""The alliance from both sides (issue 15): the client's rating beside the clinician's, and the signs
of a possible rupture.

Clients and clinicians often rate the alliance differently; a clear gap between the two, or a sudden
drop in the client's own rating, is one of the best early signs of a rupture worth raising in the
session. `rupture_signs` is the rule, pure and unit-tested; `review_alliance` gathers what the
review form shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from progress.models import ClientAllianceRating, ProgressReview

# The three dimensions both sides rate, 1 (poor) to 5 (strong).
DIMENSIONS = (("bond", "Bond"), ("goals", "Agreement on goals"), ("tasks", "Agreement on tasks"))
# Two points on a five-point scale: more than the noise of one person's rating from one time to the next.
RUPTURE_GAP = 2
RUPTURE_DROP = 2


@dataclass(frozen=True)
class Rating:
    bond: int | None = None
    goals: int | None = None
    tasks: int | None = None

    def get(self, dimension: str) -> int | None:
        return getattr(self, dimension)

    @property
    def is_empty(self) -> bool:
        return all(self.get(d) is None for d, _ in DIMENSIONS)


@dataclass(frozen=True)
class RuptureSigns:
    # The dimensions where the client and the clinician are RUPTURE_GAP or more apart.
    gaps: tuple[str, ...] = ()
    # The dimensions where the client's rating fell RUPTURE_DROP or more since their previous one.
    drops: tuple[str, ...] = ()

    @property
    def possible_rupture(self) -> bool:
        return bool(self.gaps or self.drops)


def rupture_signs(*, client: Rating | None, clinician: Rating | None, previous_client: Rating | None) -> RuptureSigns:
    """Where the alliance may be rupturing: a gap of two or more between the two sides on a
    dimension, or a drop of two or more in the client's rating since their previous one. A
    dimension one side has not rated says nothing."""
    if client is None:
        return RuptureSigns()
    gaps, drops = [], []
    for dimension, _ in DIMENSIONS:
        mine = client.get(dimension)
        if mine is None:
            continue
        theirs = clinician.get(dimension) if clinician is not None else None
        if theirs is not None and abs(mine - theirs) >= RUPTURE_GAP:
            gaps.append(dimension)
        before = previous_client.get(dimension) if previous_client is not None else None
        if before is not None and before - mine >= RUPTURE_DROP:
            drops.append(dimension)
    return RuptureSigns(tuple(gaps), tuple(drops))


def rating_of(row) -> Rating | None:
    """A Rating from a ClientAllianceRating, or from a review's alliance fields."""
    if row is None:
        return None
    if isinstance(row, ProgressReview):
        return Rating(row.alliance_bond, row.alliance_goals, row.alliance_tasks)
    return Rating(row.bond, row.goals, row.tasks)


@dataclass(frozen=True)
class AllianceRow:
    dimension: str
    label: str
    client: int | None
    clinician: int | None
    previous_client: int | None
    gap: bool
    drop: bool


@dataclass(frozen=True)
class ReviewAlliance:
    """What the review form shows of the alliance from both sides."""

    latest: ClientAllianceRating | None
    previous: ClientAllianceRating | None
    # Whether the latest client rating came after the last completed review (else it is older).
    since_last_review: bool
    # True when the clinician's values are this form's answers, False when the last completed review's.
    clinician_from_form: bool
    signs: RuptureSigns
    rows: list[AllianceRow]

    @property
    def has_clinician_rating(self) -> bool:
        return any(row.clinician is not None for row in self.rows)

    @property
    def rupture_phrases(self) -> list[str]:
        """Each flagged dimension in words, for the "possible rupture" line."""
        phrases = []
        for row in self.rows:
            reasons = []
            if row.gap:
                reasons.append(f"{row.client} from the client, {row.clinician} from you")
            if row.drop:
                reasons.append(f"down from {row.previous_client} to {row.client}")
            if reasons:
                phrases.append(f"{row.label.lower()} ({'; '.join(reasons)})")
        return phrases


def review_alliance(*, client_id: int, last_review: ProgressReview | None, clinician: Rating | None) -> ReviewAlliance:
    """The client's latest alliance rating and the one before it, against the clinician's (this
    form's answers, or the last completed review's when the form has none): two queries."""
    clinician_from_form = True
    if clinician is None or clinician.is_empty:
        clinician, clinician_from_form = rating_of(last_review), False
    recent = list(ClientAllianceRating.objects.filter(client_id=client_id).order_by("-recorded_on", "-created_at")[:2])
    latest = recent[0] if recent else None
    previous = recent[1] if len(recent) > 1 else None
    signs = rupture_signs(client=rating_of(latest), clinician=clinician, previous_client=rating_of(previous))
    last_on: dt.date | None = last_review.completed_on if last_review is not None else None
    rows = [
        AllianceRow(
            dimension=d,
            label=label,
            client=latest and getattr(latest, d),
            clinician=clinician.get(d) if clinician is not None else None,
            previous_client=previous and getattr(previous, d),
            gap=d in signs.gaps,
            drop=d in signs.drops,
        )
        for d, label in DIMENSIONS
    ]
    return ReviewAlliance(
        latest=latest,
        previous=previous,
        since_last_review=latest is not None and (last_on is None or latest.recorded_on >= last_on),
        clinician_from_form=clinician_from_form,
        signs=signs,
        rows=rows,
    )
