"""Imports go one way: pages → portal → backend, and inside the backend floor by floor.

A module may import modules on its own floor or below. A folder that reaches up is a sign that
a rule or a type lives in the wrong place (imports under ``if TYPE_CHECKING:`` are for type
hints only and do not count).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (module prefix, floor); the longest matching prefix decides a module's floor.
FLOORS = [
    ("backend.config", 0),
    ("backend.errors", 0),
    ("backend.domain", 0),
    ("backend.metrics", 0),
    ("backend.registry.states", 0),
    ("backend.registry.stages", 0),
    ("backend.governance.permissions", 0),
    ("backend.governance.policy", 0),
    ("backend.governance.limits", 0),
    ("backend.db", 1),
    ("backend.governance.audit", 2),
    ("backend.governance.audit_checkpoints", 2),
    ("backend.governance.audit_key", 2),
    ("backend.governance.audit_replay", 2),
    ("backend.governance.signoff_rules", 2),
    ("backend.governance.actors", 2),
    ("backend.registry", 3),
    ("backend.governance", 4),
    ("backend.pipeline.spec", 4),
    ("backend.pipeline.data", 4),
    ("backend.pipeline.evaluation", 4),
    ("backend.deployment", 5),
    ("backend.monitoring", 5),
    ("backend.pipeline", 5),
    ("backend.reports", 5),
    ("backend.onboarding", 5),
    ("backend.app", 6),
    ("backend.demo", 7),
    ("backend.cli", 8),
    ("backend", 0),  # the package itself: only its docstring and version
    ("portal", 10),
    ("pages", 11),
]


def floor_of(module: str) -> int | None:
    matches = [(prefix, floor) for prefix, floor in FLOORS if module == prefix or module.startswith(prefix + ".")]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    names = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            # `from backend.governance import audit` imports the module backend.governance.audit;
            # the package's own __init__ counts only when a name is taken from it.
            modules = {f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")}
            names |= modules
            if len(modules) < len(node.names):
                names.add(base)
    return names


def _is_module(name: str) -> bool:
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


SOURCES = sorted(p for folder in ("backend", "portal", "pages") for p in (ROOT / folder).rglob("*.py")
                 if "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_stay_on_their_floor_or_below(path):
    module = _module_name(path)
    own = floor_of(module)
    assert own is not None, f"{module} has no floor in tests/test_layers.py: add it"
    upward = []
    for name in _runtime_imports(path):
        target = floor_of(name)
        if target is None or name == "backend":
            continue
        if target > own:
            upward.append(f"{name} (floor {target})")
    assert not upward, f"{module} (floor {own}) imports upward: {', '.join(sorted(upward))}"


def test_the_backend_never_imports_streamlit_or_the_portal():
    for path in (ROOT / "backend").rglob("*.py"):
        names = _runtime_imports(path)
        bad = {n for n in names if n.split(".")[0] in ("streamlit", "portal", "pages")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_backend_is_grouped_by_area():
    flat = [p.name for p in (ROOT / "backend").glob("*.py") if p.name != "__init__.py"]
    assert len(flat) <= 8, f"backend/ has {len(flat)} top-level modules ({', '.join(sorted(flat))}): group them"
    for area in ("registry", "governance", "pipeline", "reports", "deployment", "monitoring", "cli", "demo", "db"):
        assert (ROOT / "backend" / area / "__init__.py").is_file(), area
