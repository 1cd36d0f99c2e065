"""SMART guidance for objectives.

It is guidance shown beside the objective, never a block on saving a draft.
Broad process goals stay broad; only objectives are checked.
"""

import datetime as dt
import re
from dataclasses import dataclass

# Verbs that name an inner state rather than something anyone could observe.
VAGUE_VERBS = (
    "understand",
    "know",
    "feel better",
    "be aware",
    "become aware",
    "appreciate",
    "believe",
    "realize",
    "realise",
    "learn about",
    "get better",
    "improve",
    "work on",
    "deal with",
    "cope better",
    "be happier",
)
_VAGUE = re.compile(r"\b(" + "|".join(re.escape(v) for v in VAGUE_VERBS) + r")\b", re.IGNORECASE)

# Quantifiers that sound like a criterion but let anyone read the target as met or not.
VAGUE_QUANTIFIERS = (
    "most",
    "some",
    "often",
    "usually",
    "more",
    "less",
    "fewer",
    "better",
    "a lot",
    "frequently",
    "sometimes",
    "regularly",
    "mostly",
    "many",
    "few",
    "rarely",
    "consistently",
)
_VAGUE_QUANTIFIER = re.compile(r"\b(" + "|".join(re.escape(q) for q in VAGUE_QUANTIFIERS) + r")\b", re.IGNORECASE)
# A count a reader can check: a digit or a spelled-out small number ("three of four sessions").
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twice|once|half|all|none|never|every|daily|weekly)\b",
    re.IGNORECASE,
)


# Psychodynamic change takes time: an objective due within four weeks of the plan's start is more
# likely a first step than an achievable outcome.
SHORTEST_SPAN = dt.timedelta(weeks=4)

# The objective form's field each finding is about, so its guidance stands beside that field.
FIELD_OF = {
    "no_statement": "statement",
    "vague_verb": "statement",
    "no_measure": "measure",
    "no_target": "target",
    "vague_target": "target",
    "target_is_baseline": "target",
    "no_baseline": "baseline",
    "no_target_date": "target_date",
    "target_date_past": "target_date",
    "beyond_horizon": "target_date",
    "before_start": "target_date",
    "too_soon": "target_date",
    "no_problem": "presenting_problems",
}
GUIDED_FIELDS = tuple(dict.fromkeys(FIELD_OF.values()))


@dataclass(frozen=True)
class Finding:
    letter: str  # S, M, A, R or T
    code: str
    message: str

    @property
    def field(self) -> str:
        return FIELD_OF.get(self.code, "")


def by_field(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Each guided field with the findings about it (an empty list clears what was shown)."""
    grouped: dict[str, list[Finding]] = {name: [] for name in GUIDED_FIELDS}
    for finding in findings:
        if finding.field:
            grouped[finding.field].append(finding)
    return grouped


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def check_objective(
    *,
    statement: str,
    measure: str,
    target: str,
    baseline: str,
    target_date: dt.date | None,
    has_goal: bool,
    problem_count: int,
    plan_start: dt.date,
    plan_horizon: dt.date,
    today: dt.date,
) -> list[Finding]:
    """What an objective lacks to be SMART; an empty list means nothing is missing."""
    findings: list[Finding] = []
    vague = _VAGUE.search(statement or "")
    if not (statement or "").strip():
        findings.append(Finding("S", "no_statement", "Say what the client will do."))
    elif vague:
        findings.append(
            Finding(
                "S",
                "vague_verb",
                f"“{vague.group(0)}” is hard to observe. Name what the client will do, e.g. “identify”, "
                "“describe”, “name”, “practise”.",
            )
        )
    if not (measure or "").strip():
        findings.append(Finding("M", "no_measure", "Say how progress will be measured."))
    if not (target or "").strip():
        findings.append(Finding("M", "no_target", "Give a target or criterion that shows it is met."))
    elif (quantifier := _VAGUE_QUANTIFIER.search(target)) and not _NUMBER.search(target):
        findings.append(
            Finding(
                "M",
                "vague_target",
                f"“{quantifier.group(0)}” cannot be checked. Give a number, e.g. “in 3 of 4 sessions”.",
            )
        )
    if not (baseline or "").strip():
        # Without a starting point nobody can tell whether the target means change.
        findings.append(Finding("M", "no_baseline", "Give a baseline: where does the client start today?"))
    elif (target or "").strip() and _same_words(target, baseline):
        findings.append(Finding("A", "target_is_baseline", "The target is the baseline: say what will change."))
    if target_date is None:
        findings.append(Finding("T", "no_target_date", "Give a target date."))
    elif target_date < today:
        findings.append(Finding("T", "target_date_past", "The target date has passed: revise it or the objective."))
    elif target_date > plan_horizon:
        findings.append(
            Finding(
                "T",
                "beyond_horizon",
                f"The target date is beyond the plan's horizon ({plan_horizon:%Y-%m-%d}); "
                "choose a nearer step or review the horizon.",
            )
        )
    elif target_date < plan_start:
        findings.append(Finding("T", "before_start", "The target date is before the plan starts."))
    elif target_date - plan_start < SHORTEST_SPAN:
        findings.append(
            Finding(
                "A",
                "too_soon",
                "Less than four weeks after the plan starts: is this achievable by then, or a first step "
                "toward a later target?",
            )
        )
    if not has_goal:
        findings.append(Finding("R", "no_goal", "Place the objective under a goal."))
    if problem_count == 0:
        findings.append(Finding("R", "no_problem", "Link it to the presenting problem it addresses."))
    return findings
