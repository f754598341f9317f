"""The import contract: which room may import which (README, "Layout").

Reads every module of ``monitor/`` and ``probes/`` with ``ast`` (imports inside functions
count too) and fails on a forbidden arrow or an import cycle between rooms. A room is a
package without sub-packages, or a single module of a package that has sub-packages
(``monitor/`` and ``monitor/sidecar/`` hold both).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("monitor", "probes")
GENERATED = "monitor.v1"

#: (importer prefix, forbidden target prefixes, allowed exceptions as importer modules)
FORBIDDEN: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("monitor.plugin", ("monitor.sidecar", "monitor.cli", "probes"), ()),
    (
        "monitor.sidecar",
        (
            "probes",
            "torch",
            "monitor.plugin",
            "monitor.cli",
            "transformers",
            "monitor.hub",
            "chdb",
            "clickhouse_connect",
        ),
        (),
    ),
    ("monitor.hub", ("probes", "torch", "monitor.plugin", "monitor.cli", "transformers"), ()),
    (
        "monitor.artifacts",
        ("grpc", "torch", "onnxruntime", "monitor.sidecar", "monitor.plugin", "monitor.cli"),
        (),
    ),
    ("monitor", ("probes",), ("monitor.cli.main",)),
    (
        "probes",
        (
            "monitor.sidecar.app",
            "monitor.sidecar.config",
            "monitor.sidecar.alerts",
            "monitor.sidecar.traces",
            "monitor.sidecar.query",
            "monitor.plugin",
        ),
        (),
    ),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = _module_name(path)
            if not name.startswith(GENERATED):
                found[name] = path
    return found


def imports_of(name: str, path: Path) -> Iterator[str]:
    """Absolute names of everything the module imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in node.names:  # ``from monitor.sidecar import app`` imports a module
                if f"{base}.{alias.name}" in modules():
                    yield f"{base}.{alias.name}"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@cache
def _has_subpackages(package: str) -> bool:
    directory = ROOT.joinpath(*package.split("."))
    return any((child / "__init__.py").is_file() for child in directory.iterdir())


def room(name: str) -> str:
    """The room a module belongs to."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return name if _has_subpackages(package) else package


def internal(target: str) -> str | None:
    """The project module a dotted import resolves to (None for third-party ones)."""
    while target:
        if target in modules():
            return target
        target = target.rpartition(".")[0]
    return None


def test_the_project_modules_are_found() -> None:
    names = modules()
    assert "monitor.sidecar.app" in names and "probes.collect" in names
    assert room("monitor.sidecar.alerts.rules") == "monitor.sidecar.alerts"
    assert room("monitor.sidecar.app") == "monitor.sidecar.app"


@pytest.mark.parametrize(("importer", "targets", "allowed"), FORBIDDEN)
def test_no_forbidden_arrow(
    importer: str, targets: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    bad = []
    for name, path in modules().items():
        if not _within(name, importer) or name in allowed:
            continue
        for target in imports_of(name, path):
            if any(_within(target, t) for t in targets) and not _within(target, importer):
                bad.append(f"{name} -> {target}")
    assert not bad, "forbidden imports:\n" + "\n".join(sorted(set(bad)))


def room_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {room(name): set() for name in modules()}
    for name, path in modules().items():
        for target in imports_of(name, path):
            module = internal(target)
            if module is not None and room(module) != room(name):
                graph[room(name)].add(room(module))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_no_cycle_between_rooms() -> None:
    cycle = find_cycle(room_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_can_fail() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("monitor.sidecar.app", ("torch", "probes", "transformers", "chdb", "clickhouse_connect")),
        ("monitor.artifacts.probe_format", ("grpc", "torch", "monitor.sidecar")),
        ("monitor.plugin.entry", ("monitor.sidecar", "probes")),
    ],
)
def test_importing_a_room_stays_light(module: str, absent: tuple[str, ...]) -> None:
    """What a module pulls in at run time, transitively (a subprocess: a clean interpreter)."""
    code = (
        f"import sys, {module}; "
        f"print(' '.join(m for m in {absent!r} if any(k == m or k.startswith(m + '.') "
        "for k in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"importing {module} loaded {out.stdout.strip()}"
