"""The package's layers stay honest: the import rules are import-linter contracts, checked here.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``): imports point one way, from the
command line down to the special functions; the library never imports the command line; Dask is
imported only inside ``crossentropy.distributed``, whose submodules only its lazy entry (the package
``__init__``) reaches; no import cycle between sibling packages. import-linter (grimp) reads the
source, so a function-level import counts as much as a module-level one. The self-tests run the
same checker on small fake packages to show that a broken rule fails. No file in ``src/`` is over
500 lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
MAX_LINES = 500
_RUN = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))")


def lint_imports(config: Path, source_root: Path) -> subprocess.CompletedProcess:
    """Run import-linter on ``config`` with ``source_root`` first on the import path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", _RUN, str(config)], cwd=config.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def long_files(src: Path, limit: int = MAX_LINES) -> list[str]:
    return [f"{p.relative_to(src)}: {n} lines" for p in sorted(src.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > limit]


def test_import_contracts_hold():
    done = lint_imports(REPO / "pyproject.toml", SRC)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_source_file_is_over_500_lines():
    assert not long_files(SRC), "\n".join(long_files(SRC))


# --- the same checker on small fake packages --------------------------------------------------------

_CONFIG = """
[tool.importlinter]
root_package = "pkg"
include_external_packages = true

[[tool.importlinter.contracts]]
name = "layers"
type = "layers"
layers = ["pkg.app", "pkg.core"]

[[tool.importlinter.contracts]]
name = "lazy entry"
type = "protected"
protected_modules = ["pkg.dist.*"]
allowed_importers = ["pkg.dist"]

[[tool.importlinter.contracts]]
name = "no cycles"
type = "acyclic_siblings"
ancestors = ["pkg"]
"""


def _fake(tmp_path: Path, files: dict[str, str]) -> Path:
    files = {"__init__.py": "", "app/__init__.py": "", "core/__init__.py": "", "dist/__init__.py": "",
             "dist/fit.py": "def fit():\n    pass\n", **files}
    for rel, text in files.items():
        path = tmp_path / "src" / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (tmp_path / "pyproject.toml").write_text(_CONFIG)
    return tmp_path


def test_self_test_clean_package_passes(tmp_path):
    root = _fake(tmp_path, {"app/run.py": "from ..core import base\n", "core/base.py": "x = 1\n"})
    done = lint_imports(root / "pyproject.toml", root / "src")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("files, broken", [
    # a function-level import upwards still breaks the layers
    ({"app/run.py": "x = 1\n", "core/base.py": "def f():\n    from ..app import run\n"}, "layers BROKEN"),
    # reaching past the lazy entry into a submodule
    ({"core/base.py": "from ..dist.fit import fit\n"}, "lazy entry BROKEN"),
    # a cycle between siblings outside the layers
    ({"dist/fit.py": "from .. import other\n", "other.py": "from .dist import fit\n"}, "no cycles BROKEN"),
])
def test_self_test_broken_rule_fails(tmp_path, files, broken):
    root = _fake(tmp_path, files)
    done = lint_imports(root / "pyproject.toml", root / "src")
    assert done.returncode != 0
    assert broken in " ".join(done.stdout.split()), done.stdout


def test_self_test_long_files(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n" * 501)
    (tmp_path / "pkg" / "small.py").write_text("x = 1\n" * 500)
    assert long_files(tmp_path) == [f"{Path('pkg') / '__init__.py'}: 501 lines"]
