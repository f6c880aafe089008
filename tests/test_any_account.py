"""The kernels, an estimator fit and ``train`` run for a user without a home directory (issue 13, item 1).

numba caches the compiled kernels; with no writable cache location it used to raise ``RuntimeError:
cannot cache function 'row_max': no locator available`` at import, so a read-only install run under an
arbitrary user id (a container) could not use the package. These tests run fresh interpreters as
uid/gid 65534 (nobody) with ``HOME=/nonexistent`` and an empty environment, through ``setpriv`` (or
``su``): the source tree's ``__pycache__`` is root's and not writable, and there is no home.

- with a writable temporary directory, the kernels cache into a private per-user directory there
  (mode 0700, owned by that user), and a second process loads them from it;
- with that directory planted by another user (root), nothing is cached and everything still runs.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import crossentropy

NOBODY = 65534
SRC = Path(crossentropy.__file__).resolve().parent.parent


def _readable_by_others(path: Path) -> bool:
    """Every directory from / down to ``path`` is searchable by others and ``path`` readable."""
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(part.stat().st_mode & stat.S_IXOTH for part in path.parents)


def _runner():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None, "needs root to switch to an unprivileged user"
    if shutil.which("setpriv"):
        return "setpriv", ""
    if shutil.which("su"):
        return "su", ""
    return None, "neither setpriv nor su is installed"


METHOD, WHY = _runner()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(METHOD is None, reason=WHY)]


def _as_nobody(args, tmpdir: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TMPDIR": tmpdir, "PYTHONPATH": str(SRC),
           "MPLBACKEND": "Agg", "LANG": "C.UTF-8"}
    argv = [sys.executable, *args]
    if METHOD == "setpriv":
        cmd = ["env", "-i", *(f"{k}={v}" for k, v in env.items()),
               "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
    else:
        import shlex

        inner = " ".join(shlex.quote(a) for a in ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv])
        cmd = ["su", "-s", "/bin/sh", "nobody", "-c", inner]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmpdir)


@pytest.fixture
def shared_tmp():
    """A directory the unprivileged user can write (sticky, like /tmp), removed afterwards."""
    if not _readable_by_others(SRC / "crossentropy" / "_kernels" / "fused.py"):
        pytest.skip(f"the source tree {SRC} is not readable by uid {NOBODY}")
    path = tempfile.mkdtemp(prefix="ce-any-account-")
    os.chmod(path, 0o1777)
    probe = _as_nobody(["-c", "import numpy, numba, sklearn"], path)
    if probe.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        pytest.skip(f"the interpreter {sys.executable} or its packages are not usable by uid {NOBODY}: "
                    f"{probe.stderr.strip().splitlines()[-1:]}")
    yield path
    shutil.rmtree(path, ignore_errors=True)


LIBRARY_CALLS = textwrap.dedent("""
    import warnings
    warnings.simplefilter("error")  # no warning storm either
    import numpy as np, crossentropy as ce
    from sklearn.datasets import load_iris
    import crossentropy.linear_model
    x = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]]); y = np.array([0, 2])
    print("ce", float(ce.cross_entropy(x, y)))
    loss, grad = ce.cross_entropy(x.astype(np.float32), y, return_grad=True)
    print("ce32", float(loss))
    X, Y = load_iris(return_X_y=True)
    est = crossentropy.linear_model.LogisticRegression(max_iter=200).fit(X, Y)
    print("score", est.score(X, Y))
""")


def _expected_values():
    import numpy as np
    from scipy.special import logsumexp

    x = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    return float(np.mean(logsumexp(x, axis=1) - x[[0, 1], [0, 2]]))


def _parse(stdout):
    return {line.split()[0]: float(line.split()[1]) for line in stdout.splitlines() if len(line.split()) == 2}


def test_library_and_train_without_home(shared_tmp):
    first = _as_nobody(["-c", LIBRARY_CALLS], shared_tmp)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "no locator" not in first.stderr
    values = _parse(first.stdout)
    assert values["ce"] == pytest.approx(_expected_values(), rel=1e-12)
    assert values["ce32"] == pytest.approx(_expected_values(), rel=1e-6)
    assert values["score"] > 0.9
    root = Path(shared_tmp) / f"crossentropy-numba-{NOBODY}"
    st = root.lstat()
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == NOBODY and stat.S_IMODE(st.st_mode) == 0o700
    assert list(root.rglob("*.nbi")), "the kernels were cached in the private directory"

    out = Path(shared_tmp) / "run"
    train = _as_nobody(["-m", "crossentropy", "train", "--dataset", "iris", "--out", str(out)], shared_tmp)
    assert train.returncode == 0, train.stderr[-3000:]
    assert (out / "model.safetensors").is_file() and (out / "model.json").is_file()
    assert train.stderr.count("Warning") == 0, train.stderr[-3000:]


def test_untrusted_cache_directory_means_no_cache(shared_tmp):
    planted = Path(shared_tmp) / f"crossentropy-numba-{NOBODY}"
    planted.mkdir(mode=0o777)  # owned by root: another user's directory must not be used
    os.chmod(planted, 0o777)
    done = _as_nobody(["-c", LIBRARY_CALLS], shared_tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _parse(done.stdout)["ce"] == pytest.approx(_expected_values(), rel=1e-12)
    assert list(planted.iterdir()) == [], "nothing may be written into a directory another user owns"
