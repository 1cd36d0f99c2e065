"""The canonical form of a plan's content, and its SHA-256, stored with each signature.

Canonical JSON, version `psyplan.plan-content/1`:

- one JSON object, UTF-8 encoded, keys sorted, no whitespace between tokens
  (`json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`);
- text exactly as stored; dates as ISO 8601 (`YYYY-MM-DD`); absent values as `null`;
- lists in the plan's display order; removed items left out;
- items are referred to by their `lineage` UUID, which does not change between versions;
- optional parts are left out when empty (an objective's `measure_binding`, a goal's or an
  objective's `clients_words`), so adding an optional field never changes the hash of content
  that does not use it: a version signed before the field existed still verifies;
- the object has `schema`, `plan` (client chart number, version number, start date, horizon,
  review interval, presenting problems), `formulation` (every section's fields, plus
  `conflicts` and `defenses`), `goals` (each with its `objectives`) and `interventions`.

A submitted version reads the chart number and the presenting problems from its own copy
(plans/lifecycle/quotes.py), so editing the client's record later never changes what it says.

Each signature stores the exact JSON it signed and its SHA-256. `verify` recomputes the
content from the database every time it is asked (nothing is cached), in the format each
signature was given in, and compares it with both. The format is pinned by a golden test
(tests/plans/test_canonical.py): a new format gets a new `schema` name and its own entry in
FORMATS, and the old entries stay, so signatures given in an old format still verify.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Prefetch

from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.lifecycle import quotes
from plans.models import Goal, Intervention, Objective, Signature, TreatmentPlan

SCHEMA_V1 = "psyplan.plan-content/1"
# The format new signatures are given in.
SCHEMA = SCHEMA_V1


def _date(value):
    return value.isoformat() if value else None


def _binding(objective) -> dict:
    if not objective.bound_measure_id:
        return {}
    return {
        "measure_binding": {
            "measure": objective.bound_measure.code,
            "criterion": objective.bound_comparator,
            "threshold": objective.bound_threshold,
        }
    }


def _clients_words(item) -> dict:
    """The item in the client's words (issue 15), part of what the client agrees to, so signed;
    left out when not written, which keeps every signature given before it existed valid."""
    return {"clients_words": item.clients_words} if item.clients_words else {}


def _content_v1(plan: TreatmentPlan) -> dict:
    quoted = quotes.quoted_problems(plan)
    if quoted is None:
        plan_problems = list(plan.presenting_problems.all().order_by("pk"))
    else:
        plan_problems = quotes.plan_problems(plan)

    def title(problem) -> str:
        # An objective's link to a problem is frozen with the version; its title is the version's copy.
        return quoted[problem.pk].title if quoted is not None and problem.pk in quoted else problem.title

    formulation = Formulation.objects.get(plan_id=plan.pk)
    conflicts = CoreConflict.objects.current().filter(formulation=formulation).select_related("conflict_type")
    defenses = DefenseObservation.objects.current().filter(formulation=formulation).select_related("mechanism")
    # The links are read into lists (to_attr): the same rows in the same order as .all(), without a
    # related manager built per instance, which every read of a final version pays for (issue 17).
    objectives = (
        Objective.objects.current()
        .select_related("bound_measure")
        .prefetch_related(
            Prefetch("presenting_problems", to_attr="canonical_problems"),
            Prefetch("conflicts", queryset=CoreConflict.objects.all(), to_attr="canonical_conflicts"),
            Prefetch("defenses", queryset=DefenseObservation.objects.all(), to_attr="canonical_defenses"),
        )
    )
    goals = (
        Goal.objects.current()
        .filter(plan_id=plan.pk)
        .prefetch_related(Prefetch("objectives", queryset=objectives, to_attr="canonical_objectives"))
    )
    interventions = (
        Intervention.objects.current()
        .filter(plan_id=plan.pk)
        .select_related("technique")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.current(), to_attr="canonical_objectives"))
    )
    section_fields = Formulation.SECTION_FIELDS
    return {
        "schema": SCHEMA_V1,
        "plan": {
            "chart_number": quotes.chart_number(plan),
            "version_number": plan.version_number,
            "start_date": _date(plan.start_date),
            "horizon_months": plan.horizon_months,
            "review_interval_months": plan.review_interval,
            "presenting_problems": sorted([p.title, p.diagnosis_code] for p in plan_problems),
        },
        "formulation": {
            **{name: getattr(formulation, name) for name in section_fields},
            "conflicts": [
                {
                    "id": str(c.lineage),
                    "type": c.conflict_type.code,
                    "intensity": c.intensity,
                    "mode": c.mode,
                    "description": c.description,
                }
                for c in conflicts
            ],
            "defenses": [
                {
                    "id": str(d.lineage),
                    "mechanism": d.mechanism.name,
                    "level": d.mechanism.level,
                    "evidence": d.evidence,
                }
                for d in defenses
            ],
        },
        "goals": [
            _clients_words(g)
            | {
                "id": str(g.lineage),
                "statement": g.statement,
                "description": g.description,
                "objectives": [
                    _binding(o)
                    | _clients_words(o)
                    | {
                        "id": str(o.lineage),
                        "statement": o.statement,
                        "measure": o.measure,
                        "baseline": o.baseline,
                        "target": o.target,
                        "target_date": _date(o.target_date),
                        "responsible": o.responsible,
                        "status": o.status,
                        "presenting_problems": sorted(title(p) for p in o.canonical_problems),
                        "conflicts": sorted(str(c.lineage) for c in o.canonical_conflicts if c.removed_at is None),
                        "defenses": sorted(str(d.lineage) for d in o.canonical_defenses if d.removed_at is None),
                        "relational_pattern": o.addresses_relational_pattern,
                    }
                    for o in g.canonical_objectives
                ],
            }
            for g in goals
        ],
        "interventions": [
            {
                "id": str(i.lineage),
                "technique": i.technique.name,
                "frequency": i.frequency,
                "rationale": i.rationale,
                "objectives": sorted(str(o.lineage) for o in i.canonical_objectives),
            }
            for i in interventions
        ],
    }


# schema name -> the function that renders a plan in that format. Never change an entry that
# signatures were given in; add a new one.
FORMATS = {SCHEMA_V1: _content_v1}


def canonical_content(plan: TreatmentPlan, *, schema: str = SCHEMA) -> dict:
    return FORMATS[schema](plan)


def encode(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_json(plan: TreatmentPlan, *, schema: str = SCHEMA) -> bytes:
    return encode(canonical_content(plan, schema=schema))


def content_hash(plan: TreatmentPlan, *, schema: str = SCHEMA) -> str:
    """SHA-256 of the canonical content, computed from the database every time. (It used to be
    cached for final versions, which let a check compare a signature with a cached copy of itself.)"""
    return hashlib.sha256(canonical_json(plan, schema=schema)).hexdigest()


# --- Verification ---------------------------------------------------------------

VALID, VOIDED, MISMATCH = "valid", "voided", "mismatch"


@dataclass
class SignatureCheck:
    signature: Signature
    state: str
    problems: list[str] = field(default_factory=list)

    @property
    def is_mismatch(self) -> bool:
        return self.state == MISMATCH


@dataclass
class Verification:
    """Each signature of one version checked against the content in the database now."""

    plan_id: int
    checks: list[SignatureCheck]
    # SHA-256 of the version's content now, in the current format (None when it has no signature).
    current_hash: str | None
    # Where the stored JSON of the first mismatching signature and the content now differ.
    differences: list[str] = field(default_factory=list)
    # schema -> the canonical JSON of the content now, in each format a signature needed.
    rendered: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def matches(self) -> bool:
        return not any(check.is_mismatch for check in self.checks)

    @property
    def mismatches(self) -> list[SignatureCheck]:
        return [check for check in self.checks if check.is_mismatch]

    def as_dict(self) -> dict:
        return {
            "matches": self.matches,
            "content_hash": self.current_hash,
            "signatures": [
                {
                    "id": c.signature.pk,
                    "meaning": c.signature.meaning,
                    "state": c.state,
                    "problems": c.problems,
                }
                for c in self.checks
            ],
            "differences": self.differences,
        }


def _differences(signed, now, path: str = "") -> list[str]:
    """The paths (e.g. `plan.chart_number`, `goals[0].statement`) where two contents differ."""
    if isinstance(signed, dict) and isinstance(now, dict):
        found = []
        for key in sorted(set(signed) | set(now)):
            found += _differences(signed.get(key), now.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(signed, list) and isinstance(now, list) and len(signed) == len(now):
        found = []
        for index, (a, b) in enumerate(zip(signed, now, strict=True)):
            found += _differences(a, b, f"{path}[{index}]")
        return found
    return [] if signed == now else [path or "(the whole content)"]


def schema_of(signature: Signature) -> str | None:
    """The format a signature was given in: its stored JSON says; one given before the JSON was
    stored was given in the first format."""
    if not signature.canonical_json:
        return SCHEMA_V1
    try:
        content = json.loads(signature.canonical_json)
    except ValueError:
        return None
    return content.get("schema") if isinstance(content, dict) else None


def verify(plan: TreatmentPlan) -> Verification:
    """Check every signature of a version against its content, read from the database now.

    A valid (not voided) signature matches when the content now, rendered in the signature's
    format, hashes to the signature's hash and, where the signature stores its JSON, equals that
    JSON byte for byte, which itself hashes to the signature's hash."""
    signatures = list(Signature.objects.filter(plan_id=plan.pk).order_by("signed_at", "pk"))
    if not signatures:
        return Verification(plan.pk, [], None)
    plan = TreatmentPlan.objects.select_related("client", "quote").get(pk=plan.pk)
    rendered: dict[str, bytes] = {SCHEMA: canonical_json(plan)}
    checks, differences = [], []
    for signature in signatures:
        if signature.voided_at is not None:
            checks.append(SignatureCheck(signature, VOIDED))
            continue
        schema = schema_of(signature)
        if schema not in FORMATS:
            unknown = ["the stored signed content is unreadable, or in a format this build does not know"]
            checks.append(SignatureCheck(signature, MISMATCH, unknown))
            continue
        if schema not in rendered:
            rendered[schema] = canonical_json(plan, schema=schema)
        now = rendered[schema]
        problems = []
        if hashlib.sha256(now).hexdigest() != signature.content_hash:
            problems.append("the content in the database does not hash to the signed hash")
        if signature.canonical_json:
            stored = signature.canonical_json.encode("utf-8")
            if hashlib.sha256(stored).hexdigest() != signature.content_hash:
                problems.append("the stored signed content does not hash to the signed hash")
            if stored != now:
                problems.append("the content in the database differs from the stored signed content")
                if not differences:
                    differences = _differences(json.loads(stored), json.loads(now))[:20]
        checks.append(SignatureCheck(signature, MISMATCH if problems else VALID, problems))
    return Verification(plan.pk, checks, hashlib.sha256(rendered[SCHEMA]).hexdigest(), differences, rendered)
