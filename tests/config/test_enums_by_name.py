"""Statuses and other choices are used by name, never as raw strings, in the apps' code and templates.

`plan.status == "active"` still works the day the value is renamed in a migration and silently stops
meaning anything; `plan.status == TreatmentPlan.Status.ACTIVE` fails loudly. The test scans the
modules and templates below for a choice field (every model field of ours that has choices, and any
`status`) compared with, filtered by or set to a string literal, and names each one it finds.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "audit", "accounts", "clients", "formulation", "plans", "notes", "progress", "records", "demo")
# (module, attribute) pairs that share a choice field's name but are no model's choice.
NOT_CHOICES = {
    ("audit/management/commands/verify_audit_log.py", "kind"): "a chain break's kind (audit.log), plain text",
}
TEMPLATE_DIRS = tuple(f"templates/{app}" for app in APPS)
TEMPLATE_FILES = ("templates/home.html", "templates/base.html")
TEMPLATE_EXCLUDED: tuple[str, ...] = ()


def _choice_fields() -> set[str]:
    names = {"status"}
    for model in apps.get_models():
        if model._meta.app_label in APPS:
            names |= {f.name for f in model._meta.get_fields() if getattr(f, "choices", None)}
    return names


def _modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            # Models' constraints and migrations spell the stored values, which is what they are.
            if "/migrations/" in relative or relative.endswith("models.py"):
                continue
            found.append(path)
    return found


def _templates() -> list[Path]:
    found = [ROOT / name for name in TEMPLATE_FILES]
    for folder in TEMPLATE_DIRS:
        found += sorted((ROOT / folder).rglob("*.html"))
    return [p for p in found if not p.relative_to(ROOT).as_posix().startswith(TEMPLATE_EXCLUDED)]


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_is_literal(e) for e in node.elts)
    return False


def _python_offences(source: str, where: str, fields: set[str]) -> list[str]:
    tree = ast.parse(source, filename=where)
    offences = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = [s for s in sides if isinstance(s, ast.Attribute) and s.attr in fields]
            named = [s for s in named if (where, s.attr) not in NOT_CHOICES]
            if named and any(_is_literal(s) for s in sides):
                offences.append(f"{where}:{node.lineno}: .{named[0].attr} compared with a string")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                name = (keyword.arg or "").split("__")
                # DRF's serializer fields take `source=`, the attribute path they read, which is not the
                # choice field `source` (progress.MeasureScore.source): a keyword of a `...Field(...)` call.
                serializer_field = keyword.arg == "source" and (
                    getattr(node.func, "attr", "") or getattr(node.func, "id", "")
                ).endswith(("Field", "Serializer"))
                if (
                    name[0] in fields
                    and name[-1] in (name[0], "in", "exact")
                    and _is_literal(keyword.value)
                    and not serializer_field
                ):
                    offences.append(f"{where}:{node.lineno}: {keyword.arg}= a string")
    return offences


# `x.status == "draft"`, `"draft" != x.status`, `x.status in "draft active"`, in {% if %} and {% elif %} tags.
TAG = re.compile(r"{%\s*(?:el)?if\b(.*?)%}")


def _template_offences(text: str, where: str, fields: set[str]) -> list[str]:
    names = "|".join(sorted(fields))
    attribute = rf"\w+(?:\.\w+)*\.(?:{names})\b"
    literal = r"""(?:"[^"]*"|'[^']*')"""
    comparison = re.compile(rf"{attribute}\s*(?:==|!=|in|not in)\s*{literal}|{literal}\s*(?:==|!=)\s*{attribute}")
    offences = []
    for number, line in enumerate(text.splitlines(), start=1):
        for tag in TAG.findall(line):
            offences += [f"{where}:{number}: {m.group(0)}" for m in comparison.finditer(tag)]
    return offences


@pytest.mark.parametrize(
    "source, found",
    [
        ('if plan.status == "active":\n    pass', 1),
        ('if "draft" != plan.status:\n    pass', 1),
        ('if review.decision in ("revise", "discharge"):\n    pass', 1),
        ('TreatmentPlan.objects.filter(status__in=["draft", "active"])', 1),
        ('Client.objects.create(severity="mild")', 1),
        ("if plan.status == TreatmentPlan.Status.ACTIVE:\n    pass", 0),
        ('if kind == "objective":\n    pass', 0),
        ("HttpResponse(status=409)", 0),
    ],
)
def test_the_module_scan_tells_a_raw_string_from_an_enum(source, found):
    assert len(_python_offences(source, "sample.py", _choice_fields())) == found


@pytest.mark.parametrize(
    "text, found",
    [
        ('{% if plan.status == "active" %}', 1),
        ('{% elif export.status != "expired" and x %}', 1),
        ("{% if plan.status == plan.Status.ACTIVE %}", 0),
        ('{% if status == "all" %}', 0),
    ],
)
def test_the_template_scan_tells_a_raw_string_from_an_enum(text, found):
    assert len(_template_offences(text, "sample.html", _choice_fields())) == found


def test_no_choice_is_compared_with_or_set_to_a_raw_string():
    fields = _choice_fields()

    def where(path: Path) -> str:
        return path.relative_to(ROOT).as_posix()

    offences = [o for path in _modules() for o in _python_offences(path.read_text(), where(path), fields)]
    offences += [o for path in _templates() for o in _template_offences(path.read_text(), where(path), fields)]
    assert offences == [], "use the enum members (e.g. TreatmentPlan.Status.ACTIVE) or a model property:\n" + (
        "\n".join(offences)
    )
