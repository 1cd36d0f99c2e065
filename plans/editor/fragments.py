"""The keys of the plan page's cached fragments (core/fragments.py), from what each fragment shows.

Each item's key holds its id and optimistic-lock version (every change to it through the services
raises the version, links included), the plan's status, whether the reader may edit (the item's
actions), its place among its siblings (the move buttons, a goal's number), the names it shows from
other records (linked problems, conflicts, defenses, serving interventions), its SMART findings as
computed for today and the plan's dates, and the unresolved comments anchored at it. A goal's frame
holds its objectives' keys, so an objective's edit re-renders that objective and its goal's frame
only. Comment forms are slots in every fragment (`<!--comment-form:…-->`), filled per reader.
A formulation section's key holds the fields hidden from the reader, so a reader who may not read
the countertransference never gets a fragment that shows it.
"""

from collections.abc import Collection

from core import fragments
from core.fragments import Fragments
from formulation.models import Formulation
from plans.selectors import PlanPage


def _comments(page: PlanPage, anchor: str) -> tuple:
    return tuple((c.pk, c.author_id, c.author.get_full_name(), c.body) for c in page.comments.get(anchor, []))


def _versions(objectives) -> tuple:
    return tuple((o.pk, o.version) for o in objectives)


def _place(items: list, index: int) -> tuple:
    return (index == 0, index == len(items) - 1)


def _base(page: PlanPage, can_edit: bool, content_hash: str | None) -> tuple:
    """What every fragment of the page shares: the plan, its status (its lock state), whether the
    reader may edit, and for a locked version its content hash as verified now: its records are
    guarded and their versions no longer move, so content changed behind the guards must show."""
    plan = page.plan
    return (plan.pk, plan.status, can_edit, content_hash if plan.is_locked else None)


def structure_keys(page: PlanPage, *, can_edit: bool, flags: list, content_hash: str | None = None) -> list[str]:
    """Sets `fragment_key` on each goal, objective view and intervention, and `page.thread_key`;
    returns every key, outer frames first."""
    base = _base(page, can_edit, content_hash)
    keys = []
    for g_index, (goal, views) in enumerate(page.goals):
        inner = []
        for o_index, view in enumerate(views):
            o = view.objective
            view.fragment_key = fragments.key(
                "objective",
                base,
                o.pk,
                o.version,
                _place(views, o_index) if page.objective_order is None else page.objective_place(o),
                tuple((p.pk, p.title) for p in view.problems),
                tuple((c.pk, c.conflict_type.name) for c in o.conflicts.all()),
                tuple((d.pk, d.mechanism.name) for d in o.defenses.all()),
                tuple((i.pk, i.technique.name) for i in view.interventions),
                tuple(view.findings),
                _comments(page, f"objective:{o.lineage}"),
            )
            inner.append(view.fragment_key)
        goal.fragment_key = fragments.key(
            "goal",
            base,
            goal.pk,
            goal.version,
            g_index,
            _place(page.goals, g_index),
            _comments(page, f"goal:{goal.lineage}"),
            tuple(inner),
        )
        keys += [goal.fragment_key, *inner]
    for i in page.interventions:
        i.fragment_key = fragments.key(
            "intervention",
            base,
            i.pk,
            i.version,
            page.intervention_place(i),
            (i.technique_id, i.technique.name, i.technique.kind),
            _versions(i.objectives.all()),
            _comments(page, f"intervention:{i.lineage}"),
        )
        keys.append(i.fragment_key)
    page.thread_key = fragments.key(
        "thread",
        base,
        tuple((t.kind, t.label, t.detail, _versions(t.objectives)) for t in page.thread),
        _versions(page.loose_objectives),
        _versions(page.unserved_objectives),
        tuple((f.key, f.message, _versions(f.objectives)) for f in flags),
    )
    keys.append(page.thread_key)
    return keys


def formulation_keys(page: PlanPage, *, can_edit: bool, content_hash: str | None = None) -> list[str]:
    """Sets `fragment_key` on each conflict and defense on the page."""
    base = _base(page, can_edit, content_hash)
    for index, c in enumerate(page.conflicts):
        c.fragment_key = fragments.key(
            "conflict", base, c.pk, c.version, _place(page.conflicts, index), c.conflict_type.name
        )
    for index, d in enumerate(page.defenses):
        d.fragment_key = fragments.key(
            "defense",
            base,
            d.pk,
            d.version,
            _place(page.defenses, index),
            d.mechanism.name,
            d.mechanism.get_level_display(),
        )
    return [item.fragment_key for item in [*page.conflicts, *page.defenses]]


def section_keys(
    page: PlanPage, *, can_edit: bool, hidden: Collection[str], content_hash: str | None = None
) -> dict[str, str]:
    """Each formulation section's key by section: its version and the fields the reader may not read."""
    plan = page.plan
    formulation: Formulation = plan.formulation
    return {
        section: fragments.key(
            "section",
            _base(page, can_edit, content_hash),
            formulation.pk,
            section,
            formulation.section_version(section),
            tuple(sorted(hidden)),
            _comments(page, f"section:{section}"),
        )
        for section in Formulation.SECTIONS
    }


def part_key(name: str, *, page: PlanPage, writable: bool, today, content_hash: str | None, stamp) -> str:
    """A part from an app above plans (core/page_parts.py): the plan, its status, whether the
    reader may write to it, the day and the locked content as verified now, plus the part's stamp."""
    plan = page.plan
    return fragments.key(
        f"part:{name}", plan.pk, plan.status, writable, today, content_hash if plan.is_locked else None, stamp
    )


def comment_form_key(plan_id: int, choice) -> str:
    """A comment form at one part, without its CSRF token and form id (filled per request)."""
    return fragments.key("comment-form", plan_id, choice)


def page_fragments(keys: list[str]) -> Fragments:
    return Fragments(keys)
