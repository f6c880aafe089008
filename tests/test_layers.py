"""The package's layers stay honest: imports point one way, checked on the source (AST), not at run time.

Every module under ``src/crossentropy`` is a node; an edge A -> B means that A imports B, at module
level or inside a function (a function-level import is still a dependency, only a later one). Relative
imports are resolved to absolute names. Importing ``crossentropy.x.y`` also runs ``crossentropy/x/__init__.py``:

- ``import a.b.c`` and ``from a.b import c`` (``c`` a submodule) give edges to ``a.b.c`` and to the
  packages above it inside the importer's package tree, except the root ``crossentropy`` itself, whose
  ``__init__`` only re-exports and reaches the estimators lazily (``import_module`` with computed
  names, which the AST does not see): counting it would make every module a neighbour of every other;
  ``from crossentropy import LogisticRegression`` gives an edge to the module the root's ``_LAZY`` table
  names for it;
- ``from a.b import name`` (``name`` not a submodule) gives an edge to the package ``a.b``;
- a package's own ``__init__`` importing its submodules is an ordinary edge (``a.b`` -> ``a.b.c``), but
  a module importing one of its own packages (``from . import x`` in ``a.b.c``) gives no edge to it:
  the package is always initialised before its modules, so that is no dependency (and no cycle).

Rules: no cycles; no library module outside ``crossentropy.cli`` (and ``crossentropy.__main__``, which is
``python -m crossentropy``) imports ``crossentropy.cli``; only
``crossentropy.dispatch`` and the modules of ``crossentropy.distributed`` import ``crossentropy.distributed``;
no file in ``src/`` is over 500 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "crossentropy"
MAX_LINES = 500


def module_files(src: Path, root: str) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the package ``root`` under ``src``."""
    out = {}
    for path in sorted((src / root).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _with_parents(name: str, modules: dict, root: str) -> set[str]:
    """``name`` (if it is one of ``modules``) and the packages above it, the root excluded."""
    out, parts = set(), name.split(".")
    for i in range(2, len(parts) + 1):
        candidate = ".".join(parts[:i])
        if candidate in modules:
            out.add(candidate)
    return out - {root}


def lazy_names(init: Path, root: str) -> dict[str, str]:
    """Names the root ``__init__`` serves lazily (``_LAZY = {name: "module"}``) -> the module that defines them."""
    out = {}
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["_LAZY"]:
            out = {name: f"{root}.{module}" for name, module in ast.literal_eval(node.value).items()}
    return out


def import_graph(src: Path, root: str = ROOT) -> dict[str, set[str]]:
    """module -> the set of package modules it imports (see the module docstring for the edges)."""
    modules = module_files(src, root)
    lazy = lazy_names(modules[root], root)
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == root:
                        edges |= _with_parents(alias.name, modules, root)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(node.module, node.level, name, is_package)
                if target.split(".")[0] != root:
                    continue
                edges |= _with_parents(target, modules, root)  # importing from it runs its __init__
                for alias in node.names:
                    if f"{target}.{alias.name}" in modules:  # a submodule, not a name
                        edges |= _with_parents(f"{target}.{alias.name}", modules, root)
                    elif target == root and alias.name in lazy:  # served by the root's lazy __getattr__
                        edges |= _with_parents(lazy[alias.name], modules, root)
        # a module's own packages are always initialised before it: importing them is no dependency
        graph[name] = {e for e in edges if not _in(name, e)}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a cycle path."""
    index, low, stack, on_stack, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_path(graph, set(c)) for c in sorted(comps)]


def _cycle_path(graph, comp: set[str]) -> list[str]:
    """One concrete cycle through the component (a path back to its first module), for the message."""
    start = min(comp)
    parents, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & comp):
                if w == start:
                    path = [v]
                    while parents[path[-1]] is not None:
                        path.append(parents[path[-1]])
                    return [start] + path[::-1][1:] + [start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    return sorted(comp)


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def forbidden_imports(graph: dict[str, set[str]], root: str = ROOT) -> list[str]:
    """Edges that break the direction rules (cli is the application; distributed is reached by dispatch)."""
    cli, dist, dispatch = f"{root}.cli", f"{root}.distributed", f"{root}.dispatch"
    bad = []
    for a in sorted(graph):
        for b in sorted(graph[a]):
            if _in(b, cli) and not (_in(a, cli) or a == f"{root}.__main__"):  # `python -m` runs the CLI
                bad.append(f"{a} imports {b} (nothing in the library imports the command line)")
            if _in(b, dist) and not (_in(a, dist) or a == dispatch):
                bad.append(f"{a} imports {b} (only {dispatch} reaches {dist})")
    return bad


def long_files(src: Path, limit: int = MAX_LINES) -> list[str]:
    return [f"{p.relative_to(src)}: {n} lines" for p in sorted(src.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > limit]


# --- the rules, on the real package -----------------------------------------------------------------


def test_no_import_cycles():
    cycles = find_cycles(import_graph(SRC))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_point_one_way():
    bad = forbidden_imports(import_graph(SRC))
    assert not bad, "\n".join(bad)


def test_no_source_file_is_over_500_lines():
    assert not long_files(SRC), "\n".join(long_files(SRC))


def test_every_module_is_read():
    graph = import_graph(SRC)
    assert {"crossentropy", "crossentropy.losses.multiclass", "crossentropy._kernels.products"} <= set(graph)
    assert "crossentropy.losses._targets" in graph["crossentropy.losses.multiclass"]  # relative import resolved
    assert "crossentropy.losses" in graph["crossentropy"]  # `from .losses import name`: the package's __init__


# --- the same functions on small fake packages --------------------------------------------------------


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_self_test_cycle_through_relative_and_function_level_imports(tmp_path):
    src = _write(tmp_path, {
        "__init__.py": "from .a import f\n",
        "a.py": "from .sub.b import g\ndef f():\n    return g()\n",
        "sub/__init__.py": "",
        "sub/b.py": "def g():\n    from ..a import f  # function level\n    return f\n",
        "c.py": "import pkg.a\n",
    })
    graph = import_graph(src, "pkg")
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert find_cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def test_self_test_package_init_is_a_node(tmp_path):
    src = _write(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "from .x import helper\nfrom ..app import run\n",  # the package __init__ imports app
        "core/x.py": "def helper():\n    pass\n",
        "app.py": "from .core.x import helper\ndef run():\n    pass\n",
    })
    graph = import_graph(src, "pkg")
    assert graph["pkg.app"] == {"pkg.core", "pkg.core.x"}  # importing core.x runs core/__init__.py
    assert find_cycles(graph) == [["pkg.app", "pkg.core", "pkg.app"]]


def test_self_test_no_false_cycle_and_direction_rules(tmp_path):
    src = _write(tmp_path, {
        "__init__.py": "from .lib import f\n",
        "lib.py": "from . import dispatch\ndef f():\n    pass\n",
        "dispatch.py": "def go():\n    from .distributed import fit\n",
        "distributed/__init__.py": "from .fit import fit\n",
        "distributed/fit.py": "def fit():\n    from ..cli import main\n",
        "cli/__init__.py": "def main():\n    pass\n",
        "__main__.py": "from .cli import main\n",
    })
    graph = import_graph(src, "pkg")
    assert find_cycles(graph) == []  # the root __init__ is imported by nobody: no false cycle through it
    assert forbidden_imports(graph, "pkg") == ["pkg.distributed.fit imports pkg.cli (nothing in the library "
                                               "imports the command line)"]
    graph["pkg.lib"].add("pkg.distributed.fit")
    assert "pkg.lib imports pkg.distributed.fit (only pkg.dispatch reaches pkg.distributed)" in forbidden_imports(
        graph, "pkg")


def test_self_test_lazy_root_names_resolve(tmp_path):
    src = _write(tmp_path, {
        "__init__.py": "_LAZY = {'Model': 'models.core'}\n",
        "models/__init__.py": "", "models/core.py": "from ..plots import draw\n",
        "plots.py": "def draw():\n    from pkg import Model\n",
    })
    graph = import_graph(src, "pkg")
    assert graph["pkg.plots"] == {"pkg.models", "pkg.models.core"}
    assert find_cycles(graph) == [["pkg.models.core", "pkg.plots", "pkg.models.core"]]


def test_self_test_long_files(tmp_path):
    src = _write(tmp_path, {"__init__.py": "x = 1\n" * 501, "small.py": "x = 1\n" * 500})
    assert long_files(src) == [f"{Path('pkg') / '__init__.py'}: 501 lines"]


@pytest.mark.parametrize("module, level, importer, is_package, expected", [
    ("b", 1, "pkg.a", False, "pkg.b"),
    ("b", 2, "pkg.sub.a", False, "pkg.b"),
    (None, 1, "pkg.sub", True, "pkg.sub"),
    ("x", 1, "pkg.sub", True, "pkg.sub.x"),
    ("pkg.z", 0, "pkg.a", False, "pkg.z"),
])
def test_self_test_relative_imports_resolve(module, level, importer, is_package, expected):
    assert _resolve(module, level, importer, is_package) == expected
