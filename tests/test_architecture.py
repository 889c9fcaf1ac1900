"""The shape the code keeps (docs/architecture.md): apps import only the floors below them, no two
modules import each other, stages move only through their named services, and no module grows past
500 lines."""

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["catalog", "campaigns", "orders", "demand", "payments", "fulfilment"]
MODULE_LINES_MAX = 500


def _tracked_python() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if "/migrations/" not in name and (ROOT / name).exists()]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The project modules `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


APP_FILES = [path for path in _tracked_python() if path.relative_to(ROOT).parts[0] in FLOORS]


def test_the_project_has_the_app_files_these_checks_read():
    assert {path.relative_to(ROOT).parts[0] for path in APP_FILES} == set(FLOORS)


@pytest.mark.parametrize("floor", FLOORS)
def test_an_app_imports_only_the_floors_below_it(floor):
    higher = FLOORS[FLOORS.index(floor) + 1 :]
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in APP_FILES
        if path.relative_to(ROOT).parts[0] == floor
        for name in _imports(path, top_level_only=False)
        if name.split(".")[0] in higher
    }
    assert not wrong, sorted(wrong)


def test_no_two_modules_import_each_other_even_through_others():
    modules = {_module_name(path): path for path in _tracked_python()}
    graph = {
        name: {
            imported for imported in _imports(path, top_level_only=False) if imported in modules and imported != name
        }
        for name, path in modules.items()
    }
    assert len(graph) > 50
    cycles, state = [], {}

    def visit(name, trail):
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                cycles.append(" -> ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in state:
                visit(imported, [*trail, imported])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
    }


def test_the_steps_after_the_window_are_recorded_only_by_fulfilments_services():
    callers = {
        str(path.relative_to(ROOT))
        for path in _tracked_python()
        if any(name.startswith("campaign_mark_") for name in _calls(path))
        and path.relative_to(ROOT).parts[0] != "tests"
    }
    assert callers, "nothing records the steps after the window"
    assert all(caller.startswith("fulfilment/services/") for caller in callers), sorted(callers)


def test_a_stage_or_status_is_set_only_by_the_service_of_its_model():
    """`.stage = ...` only in campaigns' stage setter, an order's `.status = ...` only in its transition."""
    owners = {
        "stage": {"campaigns/services.py"},
        "status": {
            "orders/services.py",  # an order's transition
            "orders/outbox.py",  # a message's delivery
            "payments/services.py",  # a payment's decision
            "payments/refunds.py",  # a refund sent
            "payments/statements/importing.py",  # a statement line's match
        },
    }
    found = {"stage": set(), "status": set()}
    for path in APP_FILES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in found:
                    found[target.attr].add(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
                for keyword in node.keywords:
                    if keyword.arg in found:
                        found[keyword.arg].add(str(path.relative_to(ROOT)))
    assert found["stage"] == owners["stage"]
    assert found["status"] <= owners["status"], sorted(found["status"] - owners["status"])


def test_no_module_is_longer_than_500_lines():
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in _tracked_python()}
    assert len(lengths) > 100
    assert {name: lines for name, lines in lengths.items() if lines > MODULE_LINES_MAX} == {}
