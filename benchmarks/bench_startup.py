"""Benchmarks of issue 12 item 8: how fast the command starts.

Every timed call is a fresh interpreter (``subprocess.run``), so each side pays Python's own start-up,
its imports and its exit, as a user at a shell prompt does. Both sides get the same environment (the
harness's thread settings, and this checkout's ``src`` first on ``PYTHONPATH``, so that the code of this
tree is what runs); ours and the anchor are interleaved by the harness.

Cases:

- ``startup_version``: ``python -m crossentropy --version`` against ``python -c "import numpy"``,
  target ratio <= 2.
- ``startup_help``: ``python -m crossentropy train --help`` (the longest help: every option, the model
  and data-set names from the parser's static tables) against the same anchor, target ratio <= 2.
- ``startup_import``: ``python -c "import crossentropy"`` against the same anchor (no target beyond it:
  it must not be slower than NumPy, which it no longer imports).
- ``train_time_to_read``: ``python -m crossentropy train DATA --target y --out DIR`` timed from the
  process start to the moment it opens DATA (a 20-row CSV), against ``python -c "import sklearn"``,
  target ratio <= 1.5. Method: the child runs the real command (``runpy`` on the ``crossentropy``
  package as ``__main__``, so the console script's ``entry()`` with its argument parsing, option checks,
  estimator construction and run-directory check all happen as usual) with an audit hook
  (``sys.addaudithook``, PEP 578) that watches the ``open`` event; at the first open of DATA it writes a
  marker and ends the process at once (``os._exit(0)``), so the wall time of the child is the time to
  reach the read. Nothing in the library is instrumented, and no error path is taken early (a missing
  file would be refused before the estimator is built, measuring less than a real run does). The hook
  sees every audit event of the child, which costs ours a few milliseconds the anchor does not pay.
  The check column lists the heavy packages already imported at the read.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sklearn", "scipy", "pandas", "numba", "matplotlib", "dask", "distributed", "pyarrow", "torch")

_STATE: dict = {}

_READ_PROBE = textwrap.dedent("""
    import json, os, runpy, sys

    DATA = os.path.abspath(sys.argv[1])
    HEAVY = {heavy!r}

    def hook(event, args):
        if event == "open" and isinstance(args[0], str) and os.path.abspath(args[0]) == DATA:
            loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))
            os.write(1, ("AT-READ " + json.dumps(loaded) + "\\n").encode())
            os._exit(0)

    sys.addaudithook(hook)
    sys.argv = ["crossentropy", "train", DATA, "--target", "y", "--out", sys.argv[2]]
    runpy.run_module("crossentropy", run_name="__main__")
""").format(heavy=HEAVY)


def _env():
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _run(argv, expect=None):
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=_STATE["env"], cwd=str(ROOT))
    if proc.returncode != 0 or (expect is not None and expect not in proc.stdout):
        raise RuntimeError(f"{argv[:3]} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-500:]}")
    return proc.stdout


def _setup():
    if "dir" in _STATE:
        return
    _STATE["env"] = _env()
    folder = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    _STATE["dir"] = folder
    data = folder / "tiny.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{'pq'[i % 2]}\n" for i in range(20)))
    _STATE["data"], _STATE["out"] = str(data), str(folder / "run")  # the run directory is never created


def _cleanup():
    folder = _STATE.pop("dir", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_cleanup)


def _version():
    _run(["-m", "crossentropy", "--version"], expect="crossentropy ")


def _help():
    _run(["-m", "crossentropy", "train", "--help"], expect="usage: crossentropy train")


def _import():
    _run(["-c", "import crossentropy"])


def _numpy():
    _run(["-c", "import numpy"])


def _sklearn():
    _run(["-c", "import sklearn"])


def _to_read():
    _STATE["at_read"] = _run(["-c", _READ_PROBE, _STATE["data"], _STATE["out"]], expect="AT-READ ")


def _modules(code):
    out = _run(["-c", f"{code}\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"])
    return out.strip().splitlines()[-1]


def _check_version():
    loaded = _modules("from crossentropy.cli import main; main(['--version'])")
    return f"heavy modules after --version: {loaded}"


def _check_help():
    loaded = _modules("from crossentropy.cli import main; main(['train', '--help'])")
    return f"heavy modules after train --help: {loaded}"


def _check_import():
    return f"heavy modules after import crossentropy: {_modules('import crossentropy')}"


def _check_read():
    line = next(ln for ln in _STATE["at_read"].splitlines() if ln.startswith("AT-READ "))
    return f"heavy modules imported when DATA is opened: {line[len('AT-READ '):]}"


def cases(quick: bool) -> list[dict]:
    repeats = 5 if quick else 9
    common = {"issue": 12, "setup": _setup, "repeats": repeats}
    return [
        {**common, "name": "startup_version", "ours": _version, "anchor": _numpy,
         "anchor_name": "python -c 'import numpy'", "target": "ratio <= 2", "check": _check_version},
        {**common, "name": "startup_help", "ours": _help, "anchor": _numpy,
         "anchor_name": "python -c 'import numpy'", "target": "ratio <= 2", "check": _check_help},
        {**common, "name": "startup_import", "ours": _import, "anchor": _numpy,
         "anchor_name": "python -c 'import numpy'", "target": "ratio <= 1", "check": _check_import},
        {**common, "name": "train_time_to_read", "ours": _to_read, "anchor": _sklearn,
         "anchor_name": "python -c 'import sklearn'", "target": "ratio <= 1.5", "check": _check_read},
    ]
