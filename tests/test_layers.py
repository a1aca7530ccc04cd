"""The import graph of ``synsp`` points down only (issue 16, part 2).

Every module under ``src/synsp`` is parsed with :mod:`ast` (nothing is imported), its
``synsp`` imports are collected, relative ones resolved, and three rules are checked:

(a) no ``synsp`` import inside a function, except the lazy loading of the package's
    ``__init__`` and of the CLI (start-up time) and the entries of :data:`ALLOWED_IN_FUNCTION`;
(b) the module-level import graph has no cycle;
(c) no module imports a module of a higher layer (:data:`LAYERS`), except the entries of
    :data:`ALLOWED_UPWARD`;
(d) no private (underscore) name is imported from another module, except by a package's
    ``__init__`` from its own submodules and the entries of :data:`ALLOWED_PRIVATE`.

The allowlists name what is not fixed yet, each with its reason; any new violation fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "synsp"

#: bottom to top; a module may import modules of its own layer or of a lower one.  The first
#: matching prefix (longest first) decides a module's layer; packages' ``__init__`` count as
#: the package name.
LAYERS: list[tuple[str, ...]] = [
    # 0: primitives: input checks, geometry, calibrated cameras, time series, kinematics, skeletons, missing joints,
    #    metrics, file helpers (paths, atomic writes)
    (
        "synsp.validation",
        "synsp.geometry",
        "synsp.calibration",
        "synsp.timeseries",
        "synsp.kinematics",
        "synsp.skeletons",
        "synsp.missing",
        "synsp.metrics",
        "synsp.io._common",
    ),
    # 1: array transforms: normalisation, windows, classical filters (and the global orientation's jitter
    #    smoother over them); benchmark reports
    ("synsp.normalization", "synsp.windows", "synsp.filters", "synsp.noise_floor", "synsp.root_jitter", "synsp.reports"),
    # 2: networks and their checkpoints
    ("synsp.models",),
    # 3: repair of poses before refining (inversions, identities across frames, labels across views, cuts)
    ("synsp.repair", "synsp.identity", "synsp.view_labels", "synsp.cuts"),
    # 4: tracks: the people of a pose file over frames, the format table
    ("synsp.io.tracks",),
    # 5: readers and writers
    ("synsp.io",),
    # 6: synthetic errors and real training data (read with synsp.io)
    ("synsp.noise", "synsp.error_families", "synsp.label_errors", "synsp.data"),
    # 7: refiners
    ("synsp.refiners", "synsp.rotations", "synsp.grouping", "synsp.view_fusion"),
    # 8: fronts over refiners: the API, streaming, batches, evaluation, training
    ("synsp.stream", "synsp.api", "synsp.batch", "synsp.inspection", "synsp.evaluation", "synsp.training"),
    # 9: applications
    ("synsp.experiments", "synsp.demo", "synsp.pictures", "synsp.video", "synsp.adapters"),
    # 10: command line
    ("synsp.cli", "synsp.__main__"),
]

#: the package itself: ``__version__`` and lazy loading only, so any module may read
#: ``synsp.__version__`` (it is loaded before any of them anyway); its own module-level code imports
#: no synsp module (checked below)
ROOT = "synsp"

#: modules whose function-level imports are lazy loading for start-up time (allowed)
LAZY_MODULES = {"synsp", "synsp.cli"}

#: (module, imported module) -> why the import still sits inside a function
ALLOWED_IN_FUNCTION: dict[tuple[str, str], str] = {
}

#: (module, imported module) -> why a lower layer still imports a higher one
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
}

#: (module, imported module) -> why it still imports private names of that module
ALLOWED_PRIVATE: dict[tuple[str, str], str] = {
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _targets(module: str, path: Path, node: ast.AST) -> list[str]:
    """The synsp modules an import statement loads (``from pkg import mod`` names ``pkg.mod``)."""
    out: list[str] = []
    if isinstance(node, ast.Import):
        out = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(module, path, node)
        for a in node.names:
            sub = f"{base}.{a.name}"
            out.append(sub if sub in MODULES else base)
    return [t for t in out if t == "synsp" or t.startswith("synsp.")]


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> tuple[set[str], set[str]]:
    """(module-level synsp imports, synsp imports inside functions); ``TYPE_CHECKING`` blocks skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top: set[str] = set()
    inner: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for c in child.orelse:
                    visit(c, in_function)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (inner if in_function else top).update(
                    t for t in _targets(module, path, child) if t != module
                )
            visit(
                child,
                in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
            )

    visit(tree, False)
    return top, inner


def private_imports() -> dict[tuple[str, str], list[str]]:
    """(module, imported module) -> the underscore names it imports from there (a package's
    ``__init__`` re-exporting its own submodules' names aside)."""
    out: dict[tuple[str, str], list[str]] = {}
    for m, p in MODULES.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"), filename=str(p))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = _resolve(m, p, node)
            if base == m or not base.startswith("synsp") or (p.name == "__init__.py" and base.startswith(m + ".")):
                continue
            names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if names:
                out.setdefault((m, base), []).extend(names)
    return out


def _layer_of(module: str) -> int:
    if module == ROOT:
        return -1
    best, best_len = None, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    if best is None:
        raise AssertionError(f"{module} is in no layer of LAYERS; add it")
    return best


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def function_level_violations() -> dict[tuple[str, str], None]:
    return {
        (m, t): None
        for m, (_, inner) in sorted(GRAPH.items())
        if m not in LAZY_MODULES
        for t in sorted(inner)
    }


def upward_violations() -> dict[tuple[str, str], str]:
    out = {}
    for m, (top, inner) in sorted(GRAPH.items()):
        if m == ROOT:  # the top-level front: its imports are the lazy loading of (a)
            continue
        for t in sorted(top | inner):
            if t in MODULES and _layer_of(t) > _layer_of(m):
                out[(m, t)] = f"layer {_layer_of(m)} -> {_layer_of(t)}"
    return out


def module_cycles(with_functions: bool = False) -> list[list[str]]:
    """Strongly connected components (size > 1 or self-loop) of the module-level graph (with
    ``with_functions``, of the graph of every import, the lazy ones of the package root and CLI aside)."""
    edges = {
        m: sorted(
            t
            for t in GRAPH[m][0] | (GRAPH[m][1] if with_functions and m not in LAZY_MODULES else set())
            if t in MODULES
        )
        for m in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan, recursion depth is at most the number of modules
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges[v]:
                sccs.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            strong(v)
    return sccs


def test_every_module_has_a_layer():
    for m in MODULES:
        _layer_of(m)


def test_the_package_root_imports_nothing_at_module_level():
    assert GRAPH[ROOT][0] == set()


def test_no_synsp_import_inside_functions_beyond_the_allowlist():
    new = [f"{m} imports {t} inside a function" for m, t in function_level_violations() if (m, t) not in ALLOWED_IN_FUNCTION]
    assert not new, "move these imports to module level:\n" + "\n".join(new)


def test_module_level_import_graph_has_no_cycle():
    assert module_cycles() == []


def test_no_module_imports_a_higher_layer_beyond_the_allowlist():
    new = [f"{m} imports {t} ({why})" for (m, t), why in upward_violations().items() if (m, t) not in ALLOWED_UPWARD]
    assert not new, "these imports point up (see LAYERS):\n" + "\n".join(new)


def test_no_private_name_crosses_modules_beyond_the_allowlist():
    new = [f"{m} imports {names} from {t}" for (m, t), names in private_imports().items() if (m, t) not in ALLOWED_PRIVATE]
    assert not new, "give these a public name:\n" + "\n".join(new)


@pytest.mark.parametrize("allowlist", ["function", "upward", "private"])
def test_allowlists_hold_no_stale_entries(allowlist):
    current, allowed = {
        "function": (function_level_violations(), ALLOWED_IN_FUNCTION),
        "upward": (upward_violations(), ALLOWED_UPWARD),
        "private": (private_imports(), ALLOWED_PRIVATE),
    }[allowlist]
    stale = sorted(set(allowed) - set(current))
    assert not stale, f"fixed, remove from the allowlist: {stale}"


if __name__ == "__main__":  # print the current violations in allowlist form, new ones marked
    print("# in functions")
    for key in function_level_violations():
        print(f"    {key!r}: {ALLOWED_IN_FUNCTION.get(key, 'NEW')!r},")
    print("# upward")
    for key, why in upward_violations().items():
        print(f"    {key!r}: {ALLOWED_UPWARD.get(key, 'NEW ' + why)!r},")
    print("# private names")
    for key, names in private_imports().items():
        print(f"    {key!r}: {ALLOWED_PRIVATE.get(key, 'NEW ' + ', '.join(names))!r},")
    print("# module-level cycles", module_cycles())
    print("# cycles counting imports inside functions", module_cycles(with_functions=True))
