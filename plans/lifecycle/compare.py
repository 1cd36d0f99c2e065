"""What changed between two versions of a plan, field by field.

Both versions are read in their canonical form (plans.lifecycle.canonical); items are
matched by lineage, so a goal reworded in an amendment shows as changed, not
as one removed and one added.
"""

from collections.abc import Collection
from dataclasses import dataclass, field

from formulation.models import Formulation
from plans.lifecycle.canonical import canonical_content

LABELS = {
    "statement": "Statement",
    "description": "Description",
    "clients_words": "In the client's words",
    "measure": "How it is measured",
    "baseline": "Baseline",
    "target": "Target",
    "target_date": "Target date",
    "responsible": "Carried out by",
    "status": "Status",
    "presenting_problems": "Presenting problems",
    "conflicts": "Conflicts worked on",
    "defenses": "Defenses worked on",
    "relational_pattern": "Works on the relational pattern",
    "technique": "Technique",
    "frequency": "Frequency",
    "rationale": "Rationale",
    "objectives": "Objectives served",
    "type": "Conflict type",
    "intensity": "Intensity",
    "mode": "Mode",
    "mechanism": "Defense",
    "level": "Level",
    "evidence": "Evidence",
    "start_date": "Start date",
    "horizon_months": "Horizon (months)",
    "review_interval_months": "Review interval (months)",
}


# In place of a private field's text, for a reader who may not read it.
NOT_SHOWN = "(changed; private working material, not shown)"


@dataclass
class Change:
    label: str
    old: object
    new: object


@dataclass
class ItemDiff:
    kind: str
    title: str
    state: str  # added, removed, changed
    changes: list[Change] = field(default_factory=list)


@dataclass
class VersionDiff:
    plan: list[Change]
    formulation: list[tuple[str, list[Change]]]
    items: list[ItemDiff]

    @property
    def is_empty(self) -> bool:
        return not (self.plan or self.formulation or self.items)


def _field_changes(old: dict, new: dict, skip=("id", "objectives_nested")) -> list[Change]:
    changes = []
    for key in sorted(set(old) | set(new)):
        if key in skip:
            continue
        if old.get(key) != new.get(key):
            changes.append(Change(LABELS.get(key, key.replace("_", " ").capitalize()), old.get(key), new.get(key)))
    return changes


def _items(content: dict) -> dict[str, tuple[str, str, dict]]:
    """lineage -> (kind, title, fields) for every item in canonical content."""
    found = {}
    for c in content["formulation"]["conflicts"]:
        found[c["id"]] = ("Core conflict", c["type"].replace("-", " "), c)
    for d in content["formulation"]["defenses"]:
        found[d["id"]] = ("Defense", d["mechanism"], d)
    for g in content["goals"]:
        goal = {k: v for k, v in g.items() if k != "objectives"}
        found[g["id"]] = ("Goal", g["statement"], goal)
        for o in g["objectives"]:
            found[o["id"]] = ("Objective", o["statement"], o)
    for i in content["interventions"]:
        found[i["id"]] = ("Intervention", i["technique"], i)
    return found


def _named(ids, items: dict) -> object:
    """Show linked items by name rather than by lineage."""
    if isinstance(ids, list) and all(isinstance(x, str) and x in items for x in ids):
        return [items[x][1] for x in ids]
    return ids


def compare_versions(older, newer, *, leave_out: Collection[str] = ()) -> VersionDiff:
    """The differences. A formulation field named in `leave_out` (a private one the reader may not
    read) that changed says so without its text, so that no change of content goes unmentioned."""
    a, b = canonical_content(older), canonical_content(newer)
    plan_changes = _field_changes(
        {k: v for k, v in a["plan"].items() if k != "version_number"},
        {k: v for k, v in b["plan"].items() if k != "version_number"},
    )
    formulation = []
    for _, (title, fields) in Formulation.SECTIONS.items():
        section = [
            Change(
                str(Formulation._meta.get_field(f).verbose_name).capitalize(),
                *((NOT_SHOWN, NOT_SHOWN) if f in leave_out else (a["formulation"][f], b["formulation"][f])),
            )
            for f in fields
            if a["formulation"][f] != b["formulation"][f]
        ]
        if section:
            formulation.append((title, section))
    old_items, new_items = _items(a), _items(b)
    everything = {**old_items, **new_items}
    items = []
    for lineage, (kind, title, fields) in new_items.items():
        if lineage not in old_items:
            items.append(ItemDiff(kind, title, "added"))
            continue
        changes = _field_changes(old_items[lineage][2], fields)
        for change in changes:
            change.old, change.new = _named(change.old, everything), _named(change.new, everything)
        if changes:
            items.append(ItemDiff(kind, title, "changed", changes))
    for lineage, (kind, title, _) in old_items.items():
        if lineage not in new_items:
            items.append(ItemDiff(kind, title, "removed"))
    return VersionDiff(plan_changes, formulation, items)
