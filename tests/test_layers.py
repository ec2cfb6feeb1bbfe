"""The package's layering, read from the source with ``ast`` (nothing is imported or run).

Four rules: no import cycles between modules; pure packages never reach boto3/botocore; only the
CLI and the report renderers draw on the terminal (rich, ``trailwarden.terminal``); nothing in
the package imports the tests. Every import counts, wherever it stands (a function-level or
``TYPE_CHECKING`` import is still a dependency), except a package's ``__init__`` importing its
own submodules to re-export them.

``KNOWN`` lists the violations that exist today and are being fixed elsewhere; each entry says
whose they are. A violation not listed fails, and so does a listed one that no longer occurs
(remove it, so the list only ever shrinks).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "trailwarden"

# Packages (or single modules) whose code is pure logic: no AWS SDK, directly or through another
# trailwarden module.
PURE = (
    "controls",
    "plan",
    "policies",
    "filterpattern",
    "eventpattern",
    "snapshot",
    "report",
    "concurrency",
    "errors",
    "jsonfile",
    "placeholders",
    "outfile",
    "integrity",
    "logs",
    "trailstore",
    "evidence",
)
# The adapters of the pure packages: the only modules there that talk to AWS.
AWS_ADAPTERS = frozenset(
    {
        "trailwarden.trailstore.s3",  # a bucket as a Source
        "trailwarden.integrity.cloudtrail",  # ListPublicKeys, DescribeTrails
        "trailwarden.logs.athena",
        "trailwarden.logs.account",  # reads the account's metric filters and alarms
        "trailwarden.evidence.aws",  # the organisation trail, policies in force, Security Hub
        # A build-time tool, run as ``python -m``: it gathers the IAM actions declared by the
        # AWS-facing stages (collect/, apply/) into the shipped policies. Nothing imports it.
        "trailwarden.policies.generate",
    }
)
SDK = ("boto3", "botocore")
TERMINAL = ("rich", "trailwarden.terminal")
# Who may draw: the commands, the report renderers, and the consoles' own module.
DRAWERS = ("cli", "report", "terminal")
TESTS = ("tests", "conftest")

# Violations accepted for now, each with whose they are and why. Empty: keep it so.
KNOWN: dict[str, set[str]] = {
    "cycle": set(),
    "sdk": set(),
    "terminal": set(),
    "tests": set(),
}


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: set[str] = field(default_factory=set)  # absolute module names, resolved


def load(src: Path = SRC, root: str = ROOT) -> dict[str, Module]:
    """Every module under ``src/root``, with what it imports."""
    modules: dict[str, Module] = {}
    for path in sorted((src / root).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = Module(".".join(parts), path, is_package)
    reexports = {m.name: _reexports(m) for m in modules.values() if m.is_package}
    for module in modules.values():
        for target, names in _raw_imports(module):
            module.imports.update(_resolve(target, names, modules, reexports))
    return modules


def _raw_imports(module: Module) -> Iterator[tuple[str, list[str]]]:
    """(module named in the statement, the names taken from it) for every import statement."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(ast.parse(module.path.read_text(), str(module.path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [alias.name for alias in node.names]


def _reexports(package: Module) -> dict[str, str]:
    """Names a package's ``__init__`` takes from its own submodules: name -> submodule."""
    found: dict[str, str] = {}
    for target, names in _raw_imports(package):
        if target.startswith(package.name + "."):
            found.update(dict.fromkeys(names, target))
    return found


def _resolve(
    target: str,
    names: list[str],
    modules: dict[str, Module],
    reexports: dict[str, dict[str, str]],
) -> Iterator[str]:
    """The modules an import depends on: a submodule taken by name, or what a package
    re-exports resolved to where it is defined; outside modules keep their dotted name."""
    if not names or target not in modules:
        yield target
        return
    for name in names:
        if f"{target}.{name}" in modules:
            yield f"{target}.{name}"
        else:
            yield reexports.get(target, {}).get(name, target)


def _inside(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def internal_edges(modules: dict[str, Module]) -> dict[str, set[str]]:
    """Module -> the package modules it imports, without an ``__init__``'s own submodules."""
    edges: dict[str, set[str]] = {}
    for m in modules.values():
        edges[m.name] = {
            t
            for t in m.imports
            if t in modules and t != m.name and not (m.is_package and _inside(t, [m.name]))
        }
    return edges


def cycles(modules: dict[str, Module]) -> set[str]:
    """Each group of modules that import each other (a strongly connected component)."""
    edges = internal_edges(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[str] = set()

    def visit(v: str) -> None:  # Tarjan; the graph is ~150 modules, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.add(" <-> ".join(sorted(group)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _hits(imports: Iterable[str], outside: Iterable[str]) -> set[str]:
    """Which of ``outside`` (packages or modules) these imports name."""
    return {o for o in outside for target in imports if _inside(target, [o])}


def reaches(modules: dict[str, Module], start: str, outside: tuple[str, ...]) -> set[str]:
    """The top-level outside packages in ``outside`` that ``start`` imports, directly or
    through other package modules."""
    edges = internal_edges(modules)
    hit: set[str] = set()
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        hit |= _hits(modules[current].imports, outside)
        for nxt in edges[current] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return hit


def _sdk_crossings(
    modules: dict[str, Module], m: Module, pure: list[str], adapters: set[str]
) -> Iterator[str]:
    """The imports by which pure ``m`` reaches the SDK: named directly, or through a module
    that is not itself held pure (its own imports are that module's business). One edge to
    cut per entry, rather than every pure module behind it."""
    yield from (f"{m.name} -> {sdk}" for sdk in sorted(_hits(m.imports, SDK)))
    for target in sorted(m.imports & modules.keys()):
        held_pure = _inside(target, pure) and target not in adapters
        if not held_pure and (sdk := reaches(modules, target, SDK)):
            yield f"{m.name} -> {target} ({', '.join(sorted(sdk))})"


def violations(modules: dict[str, Module], root: str = ROOT) -> dict[str, set[str]]:
    pure = [f"{root}.{p}" for p in PURE]
    drawers = [f"{root}.{p}" for p in DRAWERS]
    terminal = tuple(t.replace(ROOT, root, 1) for t in TERMINAL)
    adapters = {a.replace(ROOT, root, 1) for a in AWS_ADAPTERS}
    found: dict[str, set[str]] = {"cycle": cycles(modules), "sdk": set(), "terminal": set()}
    found["tests"] = set()
    for m in modules.values():
        if _inside(m.name, pure) and m.name not in adapters:
            found["sdk"].update(_sdk_crossings(modules, m, pure, adapters))
        if not _inside(m.name, drawers):
            found["terminal"].update(f"{m.name} -> {t}" for t in _hits(m.imports, terminal))
        found["tests"].update(f"{m.name} -> {t}" for t in _hits(m.imports, TESTS))
    return found


@pytest.mark.parametrize("rule", sorted(KNOWN))
def test_layers(rule: str) -> None:
    found = violations(load())[rule]
    assert sorted(found - KNOWN[rule]) == [], f"new {rule} violations"
    assert sorted(KNOWN[rule] - found) == [], f"fixed {rule} violations: remove them from KNOWN"


def test_the_checks_catch_each_kind_of_violation(tmp_path: Path) -> None:
    """A made-up package with one of each violation: every rule must see its own."""
    pkg = tmp_path / ROOT
    files = {
        "__init__.py": "from trailwarden.plan.a import A\n",  # re-export: not a cycle
        "plan/__init__.py": "",
        "plan/a.py": "from trailwarden.plan import b\nA = 1\n",
        "plan/b.py": "def f():\n    from trailwarden.plan.a import A\n",  # lazy, still a cycle
        "plan/c.py": "from trailwarden.aws import session\n",  # boto3 one module away
        "plan/d.py": "import rich.table\nimport tests.helpers\n",
        "aws/__init__.py": "from trailwarden.aws.session import S\n",
        "aws/session.py": "import boto3\nS = 1\n",
        "cli/__init__.py": "from rich.progress import Progress\nfrom trailwarden import plan\n",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    found = violations(load(tmp_path, ROOT))
    assert found == {
        "cycle": {"trailwarden.plan.a <-> trailwarden.plan.b"},
        "sdk": {"trailwarden.plan.c -> trailwarden.aws.session (boto3)"},
        "terminal": {"trailwarden.plan.d -> rich"},
        "tests": {"trailwarden.plan.d -> tests"},
    }


def test_the_policy_generator_is_a_tool_nothing_imports() -> None:
    """It may reach the AWS-facing stages only because no stage depends on it."""
    importers = [m.name for m in load().values() if "trailwarden.policies.generate" in m.imports]
    assert importers == []
