"""The dependency direction between the apps ([tool.importlinter] in pyproject.toml) holds, so
`make test` enforces it as `make lint` and CI do."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.project import PROJECT_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own venv's lint-imports, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def _contracts() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_import_contracts_are_kept():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_layers_run_from_records_down_to_accounts():
    layers = next(c for c in _contracts()["contracts"] if c["id"] == "layers")["layers"]
    apps = [layer for layer in layers if layer in {"records", "progress", "notes", "plans", "formulation", "clients"}]
    assert apps == ["records", "progress", "notes", "plans", "formulation", "clients"]
    assert layers.index("clients") < layers.index("accounts")
    assert layers[0].startswith("config.urls")


def test_audit_sits_between_accounts_and_core_at_the_bottom():
    # Every app writes to the audit log, accounts included, and core imports no app of ours.
    layers = next(c for c in _contracts()["contracts"] if c["id"] == "layers")["layers"]
    assert layers[-3:] == ["accounts", "audit", "core"]
    assert not [layer for layer in layers if layer.startswith(("config.api", "config.dates", "config.params"))]


def test_only_the_audit_page_reaches_above_audit():
    # The page needs the role policy and the client list; the writer, chain and middleware need nothing above.
    ignores = next(c for c in _contracts()["contracts"] if c["id"] == "layers")["ignore_imports"]
    audit_edges = [line for line in ignores if line.startswith("audit")]
    assert audit_edges == ["audit.views -> accounts.policy", "audit.views -> clients.models"]
    assert not [line for line in ignores if line.startswith("core")]


def test_clients_import_nothing_from_plans_without_an_ignore():
    # Discharge orchestration moved up to plans.discharge; no exception may bring the old direction back.
    ignores = next(c for c in _contracts()["contracts"] if c["id"] == "layers")["ignore_imports"]
    assert not [line for line in ignores if line.startswith("clients")]


def test_the_layers_contract_reports_an_upward_import(tmp_path):
    # Without its listed exceptions the contract must fail on them: proof it sees upward imports at all.
    config = _contracts()
    lines = ["[tool.importlinter]", f"root_packages = {config['root_packages']!r}".replace("'", '"')]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")
    lines += ["[[tool.importlinter.contracts]]", 'id = "layers"', 'name = "layers"', 'type = "layers"']
    lines.append("layers = [" + ", ".join(f'"{layer}"' for layer in layers["layers"]) + "]")
    strict = tmp_path / "strict.toml"
    strict.write_text("\n".join(lines) + "\n")
    result = _lint_imports(str(strict))
    assert result.returncode == 1
    assert "audit.views -> clients.models" in result.stdout


APPS = PROJECT_PACKAGES


def _imports_inside_functions():
    """(path, line) of each block of imports inside a function, with the source line just above it."""
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for func in ast.walk(ast.parse(source)):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                imports = [node for node in ast.walk(func) if isinstance(node, ast.Import | ast.ImportFrom)]
                previous_end = None
                for node in sorted(imports, key=lambda n: n.lineno):
                    between = lines[previous_end : node.lineno - 1] if previous_end else None
                    if between is None or any(line.strip() for line in between):
                        yield path.relative_to(ROOT), node.lineno, lines[node.lineno - 2].strip()
                    previous_end = node.end_lineno


def test_every_import_left_inside_a_function_says_why():
    # No import inside a function dodges a cycle; the few that stay (heavy optional libraries, Django's
    # app loading in ready()) carry a comment right above them.
    silent = [f"{path}:{line}" for path, line, above in _imports_inside_functions() if not above.startswith("#")]
    assert not silent, "imports inside functions without a comment saying why: " + ", ".join(silent)
