"""The canonical form of a plan's content, and its SHA-256, stored with each signature.

Canonical JSON, version `psyplan.plan-content/1`:

- one JSON object, UTF-8 encoded, keys sorted, no whitespace between tokens
  (`json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`);
- text exactly as stored; dates as ISO 8601 (`YYYY-MM-DD`); absent values as `null`;
- lists in the plan's display order; removed items left out;
- items are referred to by their `lineage` UUID, which does not change between versions;
- optional parts are left out when empty (an objective's `measure_binding`), so adding an
  optional field never changes the hash of content that does not use it;
- the object has `schema`, `plan` (client chart number, version number, start date, horizon,
  review interval, presenting problems), `formulation` (every section's fields, plus
  `conflicts` and `defenses`), `goals` (each with its `objectives`) and `interventions`.

Opening a plan recomputes the hash and compares it with each signature's.
"""

import hashlib
import json

from django.db.models import Prefetch

from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.models import Goal, Intervention, Objective, TreatmentPlan

SCHEMA = "psyplan.plan-content/1"


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


def canonical_content(plan: TreatmentPlan) -> dict:
    formulation = Formulation.objects.get(plan_id=plan.pk)
    conflicts = CoreConflict.objects.current().filter(formulation=formulation).select_related("conflict_type")
    defenses = DefenseObservation.objects.current().filter(formulation=formulation).select_related("mechanism")
    objectives = (
        Objective.objects.current()
        .select_related("bound_measure")
        .prefetch_related(
            "presenting_problems",
            Prefetch("conflicts", queryset=CoreConflict.objects.all()),
            Prefetch("defenses", queryset=DefenseObservation.objects.all()),
        )
    )
    goals = Goal.objects.current().filter(plan_id=plan.pk).prefetch_related(Prefetch("objectives", queryset=objectives))
    interventions = (
        Intervention.objects.current()
        .filter(plan_id=plan.pk)
        .select_related("technique")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.current()))
    )
    section_fields = [name for _, fields in Formulation.SECTIONS.values() for name in fields]
    return {
        "schema": SCHEMA,
        "plan": {
            "chart_number": plan.client.chart_number,
            "version_number": plan.version_number,
            "start_date": _date(plan.start_date),
            "horizon_months": plan.horizon_months,
            "review_interval_months": plan.review_interval,
            "presenting_problems": sorted(
                [p.title, p.diagnosis_code] for p in plan.presenting_problems.all().order_by("pk")
            ),
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
            {
                "id": str(g.lineage),
                "statement": g.statement,
                "description": g.description,
                "objectives": [
                    _binding(o)
                    | {
                        "id": str(o.lineage),
                        "statement": o.statement,
                        "measure": o.measure,
                        "baseline": o.baseline,
                        "target": o.target,
                        "target_date": _date(o.target_date),
                        "responsible": o.responsible,
                        "status": o.status,
                        "presenting_problems": sorted(p.title for p in o.presenting_problems.all()),
                        "conflicts": sorted(str(c.lineage) for c in o.conflicts.all() if c.removed_at is None),
                        "defenses": sorted(str(d.lineage) for d in o.defenses.all() if d.removed_at is None),
                        "relational_pattern": o.addresses_relational_pattern,
                    }
                    for o in g.objectives.all()
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
                "objectives": sorted(str(o.lineage) for o in i.objectives.all()),
            }
            for i in interventions
        ],
    }


def canonical_json(plan: TreatmentPlan) -> bytes:
    content = canonical_content(plan)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(plan: TreatmentPlan) -> str:
    """SHA-256 of the canonical content. A signed, final version's content cannot change (the
    database refuses it), so its hash is computed once and cached; any other is computed afresh."""
    from django.core.cache import cache

    if not plan.is_final:
        return hashlib.sha256(canonical_json(plan)).hexdigest()
    # The lineage UUID makes the key unique even if a rolled-back transaction let a primary key be reused.
    key = f"plan-content-hash:v1:{plan.pk}:{plan.lineage}:{plan.version_number}"
    value = cache.get(key)
    if value is None:
        value = hashlib.sha256(canonical_json(plan)).hexdigest()
        cache.set(key, value, None)
    return value
