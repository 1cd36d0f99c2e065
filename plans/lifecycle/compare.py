"""What changed between two versions of a plan, field by field.

Both versions are read in their canonical form (plans.lifecycle.canonical); items are
matched by lineage, so a goal reworded in an amendment shows as changed, not
as one removed and one added.
"""

import datetime as dt
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from formulation.models import CoreConflict, DefenseMechanism, Formulation
from plans.lifecycle.canonical import canonical_content
from plans.models import MeasureDefinition, Objective

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
    "measure_binding": "Bound to a measure",
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


# Canonical content stores a choice by its value; the reader sees the model field's label.
CHOICES = {
    ("Objective", "status"): Objective._meta.get_field("status"),
    ("Objective", "responsible"): Objective._meta.get_field("responsible"),
    ("Core conflict", "intensity"): CoreConflict._meta.get_field("intensity"),
    ("Core conflict", "mode"): CoreConflict._meta.get_field("mode"),
    ("Defense", "level"): DefenseMechanism._meta.get_field("level"),
}
DATES = {"target_date", "start_date"}
# Links to other items, stored by lineage (or, for problems, by title): shown as names added and removed.
LINKS = {"presenting_problems", "conflicts", "defenses", "objectives"}
CRITERIA = dict(Objective._meta.get_field("bound_comparator").flatchoices)

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class Change:
    """One field that changed, its values already in the reader's words: a choice by its label,
    a date formatted, a yes/no, and links as a list of names (see `added` and `removed`)."""

    label: str
    old: object
    new: object
    # Free text, worth a word-by-word diff; a choice's label or a date is read whole.
    prose: bool = field(default=False, compare=False)

    @property
    def is_list(self) -> bool:
        return isinstance(self.old, list) or isinstance(self.new, list)

    @property
    def added(self) -> list[str]:
        old = self.old if isinstance(self.old, list) else []
        return [name for name in (self.new if isinstance(self.new, list) else []) if name not in old]

    @property
    def removed(self) -> list[str]:
        new = self.new if isinstance(self.new, list) else []
        return [name for name in (self.old if isinstance(self.old, list) else []) if name not in new]

    @property
    def is_text(self) -> bool:
        """Free text on both sides, worth a word-by-word diff (a private field's notice is not)."""
        return (
            self.prose
            and isinstance(self.old, str)
            and isinstance(self.new, str)
            and bool(self.old and self.new)
            and NOT_SHOWN not in (self.old, self.new)
        )

    @property
    def old_marked(self) -> SafeString:
        return word_diff(str(self.old), str(self.new))[0]

    @property
    def new_marked(self) -> SafeString:
        return word_diff(str(self.old), str(self.new))[1]


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """The old text with the words taken out in <del>, and the new with the words put in in <ins>.

    Every piece of text is escaped before it is marked, so a `<script>` typed into a plan
    reads as text. Whitespace is its own token, so line breaks survive as <br>."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    before, after = [], []
    for op, i1, i2, j1, j2 in _joined(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes(), a):
        if op == "equal":
            before.append(_escaped("".join(a[i1:i2])))
            after.append(_escaped("".join(b[j1:j2])))
            continue
        if i2 > i1:
            before.append(_marked("del", a[i1:i2]))
        if j2 > j1:
            after.append(_marked("ins", b[j1:j2]))
    # Safe to mark: each piece was escaped above (the tests type a <script> into a plan).
    return mark_safe("".join(before)), mark_safe("".join(after))  # noqa: S308  # nosec B308, B703


def _joined(opcodes, a: list[str]) -> list[tuple]:
    """Changes separated by nothing but a space become one change, so "Not started" → "In progress"
    reads as one phrase replaced rather than two words each struck out."""
    joined: list[list] = []
    for op, i1, i2, j1, j2 in opcodes:
        between = op == "equal" and all(not token.strip() for token in a[i1:i2])
        if joined and joined[-1][0] != "equal" and (op != "equal" or between):
            joined[-1][0], joined[-1][2], joined[-1][4] = "replace", i2, j2
            continue
        joined.append([op, i1, i2, j1, j2])
    # A space taken into a change at its edge is set outside the mark again by _marked.
    return [tuple(code) for code in joined]


def _marked(tag: str, tokens: list[str]) -> str:
    # The spaces around a changed stretch stay outside its mark, so only words are underlined or struck.
    text = "".join(tokens)
    core = text.strip()
    if not core:
        return _escaped(text)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{_escaped(lead)}<{tag}>{_escaped(core)}</{tag}>{_escaped(trail)}"


def _escaped(text: str) -> str:
    return str(escape(text)).replace("\r\n", "\n").replace("\n", "<br>")


def shown(kind: str, key: str, value, *, names: dict[str, str], measures: dict[str, str]) -> object:
    """A canonical value as the reader should see it."""
    if value is None or value == "":
        # Absent stays absent; the page shows a dash.
        return value
    if (kind, key) in CHOICES:
        return str(dict(CHOICES[kind, key].flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key in DATES and isinstance(value, str):
        try:
            return format_date(dt.date.fromisoformat(value), "j F Y")
        except ValueError:
            return value
    if key == "type" and kind == "Core conflict":
        return value.replace("-", " ")
    if key == "measure_binding" and isinstance(value, dict):
        measure = measures.get(value.get("measure"), value.get("measure"))
        criterion = CRITERIA.get(value.get("criterion"), value.get("criterion") or "")
        return " ".join(str(part) for part in (measure, criterion, value.get("threshold")) if part not in ("", None))
    if key in LINKS and isinstance(value, list):
        # A plan's problems are [title, diagnosis code] pairs; links to items are lineages.
        return [
            f"{v[0]} ({v[1]})"
            if isinstance(v, list) and len(v) == 2 and v[1]
            else (v[0] if isinstance(v, list) else names.get(v, v))
            for v in value
        ]
    return value


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

    @property
    def count(self) -> int:
        """How many things changed: each plan detail and formulation field, and each item (an item
        counts once however many of its fields changed)."""
        return len(self.plan) + sum(len(changes) for _, changes in self.formulation) + len(self.items)


def _field_changes(
    old: dict, new: dict, *, kind: str = "", names=None, measures=None, skip=("id", "objectives_nested")
) -> list[Change]:
    changes = []
    for key in sorted(set(old) | set(new)):
        if key in skip:
            continue
        if old.get(key) != new.get(key):
            label = LABELS.get(key, key.replace("_", " ").capitalize())
            words = {"names": names or {}, "measures": measures or {}}
            old_shown, new_shown = shown(kind, key, old.get(key), **words), shown(kind, key, new.get(key), **words)
            prose = (
                (kind, key) not in CHOICES
                and key not in {*DATES, "type", "measure_binding"}
                and not isinstance(old.get(key), bool)
                and not isinstance(new.get(key), bool)
            )
            changes.append(Change(label, old_shown, new_shown, prose=prose))
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


def compare_versions(older, newer, *, leave_out: Collection[str] = ()) -> VersionDiff:
    """The differences. A formulation field named in `leave_out` (a private one the reader may not
    read) that changed says so without its text, so that no change of content goes unmentioned."""
    return compare_contents(
        canonical_content(older), canonical_content(newer), practice_id=newer.client.practice_id, leave_out=leave_out
    )


def compare_contents(
    a: dict, b: dict, *, practice_id: int | None, leave_out: Collection[str] = (), name_measures: bool = True
) -> VersionDiff:
    """The differences between two canonical contents of one plan (e.g. a version as a supervisor
    read it and as it is now). Without `name_measures` a bound measure reads by its code, which
    saves the query when only the count is wanted."""
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
                prose=True,
            )
            for f in fields
            if a["formulation"][f] != b["formulation"][f]
        ]
        if section:
            formulation.append((title, section))
    old_items, new_items = _items(a), _items(b)
    # Linked items by name rather than by lineage.
    names = {lineage: title for lineage, (_, title, _) in {**old_items, **new_items}.items()}
    measures = (
        dict(MeasureDefinition.objects.available_to(practice_id).values_list("code", "name")) if name_measures else {}
    )
    items = []
    for lineage, (kind, title, fields) in new_items.items():
        if lineage not in old_items:
            items.append(ItemDiff(kind, title, "added"))
            continue
        changes = _field_changes(old_items[lineage][2], fields, kind=kind, names=names, measures=measures)
        if changes:
            items.append(ItemDiff(kind, title, "changed", changes))
    for lineage, (kind, title, _) in old_items.items():
        if lineage not in new_items:
            items.append(ItemDiff(kind, title, "removed"))
    return VersionDiff(plan_changes, formulation, items)
