"""First-call compile time of the numba kernels (issue 13, item 1).

A fresh interpreter computes one ``cross_entropy`` (the fused kernel) and one
``linear_cross_entropy`` (the blocked engine). ``ours``: with an empty kernel cache, so every kernel
is compiled (what a user without a writable cache directory pays in each new process, and what
everyone pays once); anchor: the same process start with the cache already filled (loaded, not
compiled). Both include the interpreter start and the imports. The cache directory is chosen for the
child processes with ``NUMBA_CACHE_DIR`` (the benchmark's environment, not the library's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

CHILD = (
    "import numpy as np, crossentropy as ce\n"
    "x = np.random.default_rng(0).standard_normal((512, 33))\n"
    "y = np.arange(512) % 33\n"
    "ce.cross_entropy(x, y, return_grad=True)\n"
    "ce.cross_entropy(x.astype(np.float32), y, return_grad=True)\n"
    "ce.linear_cross_entropy(x, np.eye(33), y, return_grad=True)\n"
)


def _run_child(cache_dir: str) -> None:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]))
    subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, timeout=900)


def _compile_case(quick):
    st = {}

    def setup():
        st["warm"] = tempfile.mkdtemp(prefix="ce-bench-warm-")
        _run_child(st["warm"])  # fills the warm cache

    def cold():
        path = tempfile.mkdtemp(prefix="ce-bench-cold-")
        try:
            _run_child(path)
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def warm():
        _run_child(st["warm"])

    def check():
        n_files = sum(1 for _ in Path(st["warm"]).rglob("*.nbi"))
        shutil.rmtree(st["warm"], ignore_errors=True)
        return f"{n_files} kernel index files cached"

    return {
        "name": "first call: numba kernels compiled (empty cache) vs loaded (warm cache), fresh process",
        "issue": 13,
        "ours": cold,
        "anchor": warm,
        "anchor_name": "same process with a warm cache",
        "target": "see check",
        "setup": setup,
        "warmup": lambda: None,  # each call is a fresh process: nothing to warm up in this one
        "repeats": 1 if quick else 3,
        "check": check,
    }


def cases(quick: bool) -> list[dict]:
    """The compile-time case of issue 13."""
    return [_compile_case(quick)]
