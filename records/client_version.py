"""The plan in plain language, for the client: what the client version says, worked out once.

The client's version of the plan is read in two places: the PDF (records/pdf.py, audience
`client`) and the HTML page (templates/records/_client_version.html), which staff preview from
the plan page and which a client-facing page can include. Both take their words from `build`,
and the PDF includes the same template, so the two always say the same thing.

Each goal and objective is said in the client's words where the clinician wrote them
(`clients_words`, part of the signed content) and in its clinical statement where not. Nothing
of the formulation is in it: the client version is the plan, not the clinician's working.
"""

import datetime as dt
from dataclasses import dataclass, field

from plans.models import TreatmentPlan
from plans.selectors import PlanPage, load_plan_page

# What each technique means, said plainly.
PLAIN_TECHNIQUES = {
    "Free association": "Saying whatever comes to mind, without filtering, to notice what matters to you.",
    "Dream analysis": "Talking about your dreams to understand feelings that are hard to put into words.",
    "Interpretation of transference": "Noticing how feelings from past relationships show up in our work together.",
    "Analysis of resistance": "Gently looking at what makes some topics hard to approach.",
    "Defense analysis": "Understanding the ways you protect yourself from painful feelings.",
    "Clarification": "Putting what you say into clear words together.",
    "Confrontation": "Kindly pointing out patterns or contradictions so we can look at them.",
    "Interpretation": "Offering possible meanings that link your past and present.",
    "Working through": "Returning to important themes until change feels solid.",
    "Countertransference monitoring": "Your therapist reflects on their own reactions to understand you better.",
    "Supportive techniques": "Encouragement and steady support while we work.",
    "Cognitive behavioural therapy (CBT)": "Practical exercises to notice and change unhelpful thoughts and habits.",
    "EMDR": "A structured method to process distressing memories.",
}

# When a step names no target or measure.
DECIDE_TOGETHER = "We will decide this together."

# How often the plan is looked at, said plainly, by review interval in months.
REVIEW_EVERY = {
    TreatmentPlan.ReviewInterval.MONTHLY: "month",
    TreatmentPlan.ReviewInterval.QUARTERLY: "three months",
    TreatmentPlan.ReviewInterval.SEMI_ANNUAL: "six months",
}


@dataclass(frozen=True)
class Step:
    """An objective, said for the client."""

    text: str
    # False when the clinician wrote no client's words and the text is the clinical statement.
    in_clients_words: bool
    how_we_will_know: str
    by_when: dt.date | None


@dataclass(frozen=True)
class GoalText:
    number: int
    text: str
    in_clients_words: bool
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class WayOfWorking:
    name: str
    frequency: str
    plain: str


@dataclass(frozen=True)
class ClientVersion:
    greeting_name: str
    review_every: str
    # What brought the client here, in their own words (the presenting problems, as the version quotes them).
    problems: list[str]
    goals: list[GoalText]
    ways_of_working: list[WayOfWorking]

    @property
    def clinical_wording_count(self) -> int:
        """How many goals and steps read in the clinical wording, for want of the client's words."""
        return sum((not g.in_clients_words) + sum(not s.in_clients_words for s in g.steps) for g in self.goals)


def _said(item) -> tuple[str, bool]:
    # The editor and the API trim what is typed, so blank means not written (as the editor's hint counts).
    return (item.clients_words, True) if item.clients_words else (item.statement, False)


def build(plan: TreatmentPlan, page: PlanPage) -> ClientVersion:
    """The client version of `plan`, from its page as loaded (plans.selectors.load_plan_page): no
    query of its own, so it costs nothing beside the PDF or the page that loaded it."""
    goals = []
    for number, (goal, views) in enumerate(page.goals, start=1):
        steps = []
        for view in views:
            objective = view.objective
            text, own = _said(objective)
            how = objective.target or objective.measure or DECIDE_TOGETHER
            steps.append(Step(text, own, how, objective.target_date))
        text, own = _said(goal)
        goals.append(GoalText(number, text, own, steps))
    # Once each: a technique used for several objectives at the same frequency is one way of working
    # to the client (the clinical record lists each intervention with the objectives it serves).
    ways = list(
        dict.fromkeys(
            WayOfWorking(
                i.technique.name, i.frequency, PLAIN_TECHNIQUES.get(i.technique.name) or i.technique.description
            )
            for i in page.interventions
        )
    )
    return ClientVersion(
        greeting_name=plan.client.display_name,
        review_every=REVIEW_EVERY.get(plan.review_interval, "few months"),
        problems=[p.clients_words for p in page.problems if p.clients_words],
        goals=goals,
        ways_of_working=ways,
    )


def for_plan(plan: TreatmentPlan) -> ClientVersion:
    """The client version of `plan` for a page that has not loaded the plan's page (the HTML
    version: the staff preview, a client-facing page)."""
    return build(plan, load_plan_page(plan, today=plan.client.practice.today()))
