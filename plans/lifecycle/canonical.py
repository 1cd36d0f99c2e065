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
signature was given in, and compares it with both. `verify_locked`, for the pages and reads that
show a locked version, asks PostgreSQL first whether any row the content is made of changed since
a check (plans/lifecycle/fingerprint.py, one query) and checks in full when one did. The format
is pinned by a golden test (tests/plans/test_canonical.py): a new format gets a new `schema`
name and its own entry in FORMATS, and the old entries stay, so signatures given in an old format
still verify.
"""

import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects

from clients.models import PresentingProblem
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.lifecycle import quotes
from plans.lifecycle.fingerprint import fingerprint
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


# What the content reads of a formulation item an objective links to (ordering is by order, pk).
_LINKED = ("pk", "lineage", "removed_at", "order")


def _objectives():
    # The links are read into lists (to_attr): the same rows in the same order as .all(), without a
    # related manager built per instance, which every read of a final version pays for (issue 17).
    # They are the most numerous rows of a plan, so each carries only the columns the content reads.
    return (
        Objective.objects.current()
        .select_related("bound_measure")
        .prefetch_related(
            Prefetch(
                "presenting_problems",
                queryset=PresentingProblem.objects.only("pk", "title"),
                to_attr="canonical_problems",
            ),
            Prefetch("conflicts", queryset=CoreConflict.objects.only(*_LINKED), to_attr="canonical_conflicts"),
            Prefetch("defenses", queryset=DefenseObservation.objects.only(*_LINKED), to_attr="canonical_defenses"),
        )
    )


def _goals():
    return Goal.objects.current().prefetch_related(
        Prefetch("objectives", queryset=_objectives(), to_attr="canonical_objectives")
    )


def _interventions():
    return (
        Intervention.objects.current()
        .select_related("technique")
        .prefetch_related(
            Prefetch(
                "objectives",
                queryset=Objective.objects.current().only("pk", "lineage", "order"),
                to_attr="canonical_objectives",
            )
        )
    )


def _conflicts():
    return CoreConflict.objects.current().select_related("conflict_type")


def _defenses():
    return DefenseObservation.objects.current().select_related("mechanism")


def content_queryset(queryset=None):
    """Versions read with everything their canonical content and their signatures are made of, in a
    fixed number of queries whatever the plan's size: goals (`canonical_goals`, each with its
    `canonical_objectives`, each with `canonical_problems`, `canonical_conflicts` and
    `canonical_defenses`), `canonical_interventions` (with `canonical_objectives`), the formulation
    (with `canonical_conflicts` and `canonical_defenses`), `canonical_signatures` and the problems.

    What one read through it holds is the database's content at that read, so a caller that reads a
    version for one request can check its signatures (`verify(plan, just_read=True)`) and show it
    from the same rows, instead of reading the tree twice (issue 17). Never keep such a read beyond
    the request: a check must see the content as the database holds it when it is asked."""
    queryset = TreatmentPlan.objects.all() if queryset is None else queryset
    return queryset.select_related("client", "quote", "formulation").prefetch_related(*_content_lookups())


def _content_lookups() -> list:
    return [
        "presenting_problems",
        Prefetch("signatures", queryset=Signature.objects.order_by("signed_at", "pk"), to_attr="canonical_signatures"),
        Prefetch("formulation__conflicts", queryset=_conflicts(), to_attr="canonical_conflicts"),
        Prefetch("formulation__defenses", queryset=_defenses(), to_attr="canonical_defenses"),
        Prefetch("goals", queryset=_goals(), to_attr="canonical_goals"),
        Prefetch("interventions", queryset=_interventions(), to_attr="canonical_interventions"),
    ]


def read_content(plan: TreatmentPlan) -> TreatmentPlan:
    """What `content_queryset` reads, for a version this request has just read with its client,
    quote and formulation (the plan page's read): the rows below it, read now."""
    prefetch_related_objects([plan], *_content_lookups())
    return plan


@dataclass
class _Parts:
    """A version's content below the plan row: what the canonical form is rendered from."""

    problems: list
    formulation: Formulation
    conflicts: list
    defenses: list
    goals: list
    interventions: list


def _read_parts(plan: TreatmentPlan) -> _Parts:
    """The content as the database holds it now, read afresh for the plan row given."""
    formulation = Formulation.objects.get(plan_id=plan.pk)
    return _Parts(
        problems=list(plan.presenting_problems.all().order_by("pk")),
        formulation=formulation,
        conflicts=list(_conflicts().filter(formulation=formulation)),
        defenses=list(_defenses().filter(formulation=formulation)),
        goals=list(_goals().filter(plan_id=plan.pk)),
        interventions=list(_interventions().filter(plan_id=plan.pk)),
    )


def _read_parts_of(plan: TreatmentPlan) -> _Parts:
    """The content a version read through `content_queryset` carries."""
    formulation = plan.formulation
    return _Parts(
        problems=list(plan.presenting_problems.all()),
        formulation=formulation,
        conflicts=formulation.canonical_conflicts,
        defenses=formulation.canonical_defenses,
        goals=plan.canonical_goals,
        interventions=plan.canonical_interventions,
    )


def _content_v1(plan: TreatmentPlan, parts: _Parts) -> dict:
    quoted = quotes.quoted_problems(plan)
    # The plan's problems are listed sorted below, so the order they are read in does not matter.
    plan_problems = parts.problems if quoted is None else quotes.plan_problems(plan)

    def title(problem) -> str:
        # An objective's link to a problem is frozen with the version; its title is the version's copy.
        return quoted[problem.pk].title if quoted is not None and problem.pk in quoted else problem.title

    formulation, conflicts, defenses = parts.formulation, parts.conflicts, parts.defenses
    goals, interventions = parts.goals, parts.interventions
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


def canonical_content(plan: TreatmentPlan, *, schema: str = SCHEMA, just_read: bool = False) -> dict:
    """The content of `plan` (its own fields as given) with everything below it read from the database
    now; with `just_read`, from what `plan`, read through `content_queryset` for this request, carries."""
    parts = _read_parts_of(plan) if just_read else _read_parts(plan)
    return FORMATS[schema](plan, parts)


def encode(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_json(plan: TreatmentPlan, *, schema: str = SCHEMA, just_read: bool = False) -> bytes:
    return encode(canonical_content(plan, schema=schema, just_read=just_read))


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


def verify(plan: TreatmentPlan, *, just_read: bool = False) -> Verification:
    """Check every signature of a version against its content, read from the database now.

    By default the version is read here, whatever `plan` carries. With `just_read`, `plan` is a
    read through `content_queryset` made for this very check (the request that shows it), and its
    rows are the content now: the tree is then not read a second time.

    A valid (not voided) signature matches when the content now, rendered in the signature's
    format, hashes to the signature's hash and, where the signature stores its JSON, equals that
    JSON byte for byte, which itself hashes to the signature's hash."""
    if just_read:
        signatures = plan.canonical_signatures
    else:
        signatures = list(Signature.objects.filter(plan_id=plan.pk).order_by("signed_at", "pk"))
    if not signatures:
        return Verification(plan.pk, [], None)
    if not just_read:
        plan = content_queryset().get(pk=plan.pk)
    rendered: dict[str, bytes] = {SCHEMA: canonical_json(plan, just_read=True)}
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
            rendered[schema] = canonical_json(plan, schema=schema, just_read=True)
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


def verify_locked(plan: TreatmentPlan, *, read: Callable[[], TreatmentPlan]) -> Verification:
    """`verify` for a locked version, made in full only when the database's rows of it are not
    those of an earlier full check. `read` reads the version through `content_queryset` (or
    `read_content`) now, for the full check.

    The rows' fingerprint (ids and PostgreSQL row versions, plans/lifecycle/fingerprint.py) is read
    first, in one query; a full check's result is kept under it. Any write to any of those rows
    since gives another fingerprint, so a kept result is only ever one made against exactly the
    content the database holds now. Where there are no row versions (SQLite), every check is full."""
    stamp = fingerprint(plan)
    if stamp is None:
        return verify(read(), just_read=True)
    key = f"signatures-checked:v1:{SCHEMA}:{plan.pk}:{stamp}"
    verification = cache.get(key)
    if verification is None:
        verification = verify(read(), just_read=True)
        cache.set(key, _kept(verification), CHECK_KEPT_FOR)
    return verification


def _kept(verification: Verification) -> Verification:
    """What is kept of a check: the signatures without their stored JSON (read again if asked
    for), which is most of its size and which no reader of a kept check shows."""
    checks = []
    for check in verification.checks:
        signature = copy.copy(check.signature)
        signature.__dict__.pop("canonical_json", None)
        checks.append(dataclasses.replace(check, signature=signature))
    return dataclasses.replace(verification, checks=checks)


# A kept check outlives no change (its key changes); this only bounds what stale keys hold.
CHECK_KEPT_FOR = 60 * 60
