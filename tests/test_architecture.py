"""The house rules, held by the suite: the layers of DESIGN.md §7, no import cycles, no private
names taken across modules, and ruff and mypy clean. A newcomer who breaks one is told here,
with the offending import, before a reviewer has to."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import kaproom

ROOT = Path(kaproom.__file__).resolve().parents[1]
PACKAGE = ROOT / "kaproom"
TOOLS = Path(sys.executable).parent


def run_tool(*command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: every group of modules that import each other in a ring."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


@pytest.fixture(scope="module")
def import_graph() -> grimp.ImportGraph:
    # TYPE_CHECKING imports count: a cycle that only the type checker sees is still a cycle to a reader.
    return grimp.build_graph("kaproom", exclude_type_checking_imports=False, cache_dir=None)


def test_no_module_of_kaproom_imports_itself_round_a_ring(import_graph: grimp.ImportGraph) -> None:
    edges = {module: set(import_graph.find_modules_directly_imported_by(module)) for module in import_graph.modules
             if module.startswith("kaproom")}
    # A package's __init__ re-exporting its own modules is not a ring between those modules.
    for module, targets in edges.items():
        edges[module] = {t for t in targets if not module.startswith(t + ".")}
    cycles = strongly_connected(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_the_cycle_finder_finds_a_ring() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def private_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("kaproom"):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {source} import {alias.name}")
    return found


def test_no_module_takes_a_private_name_from_another() -> None:
    assert private_imports() == []


def test_the_layer_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml: domain < store, clinic, playback < services <
    export < ui < cli; the ui's feature packages one way; no Qt, SQL or libvlc where they do not belong."""
    result = run_tool(str(TOOLS / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "broken" not in result.stdout.lower() or " 0 broken" in result.stdout


def test_ruff_finds_nothing() -> None:
    result = run_tool(str(TOOLS / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-6000:]


def test_mypy_finds_nothing() -> None:
    """Strict on the domain, the store, playback and the services; the default checks elsewhere."""
    result = run_tool(sys.executable, "-m", "mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout[-6000:]
