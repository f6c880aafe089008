"""Helpers shared by the test modules (imported as ``from helpers import ...``; pytest puts tests/ on the path).

- :func:`assert_close_scaled`: relative agreement with an absolute floor on the reference's scale;
- :func:`rel_error`: the largest absolute difference relative to the largest reference magnitude;
- :func:`assert_png`: a file is a valid, decodable, non-blank PNG;
- :func:`torch_cross_entropy`: PyTorch's cross-entropy value and autograd gradient, as NumPy arrays;
- :func:`run_cli`: the command line run in this process, its exit code and what it printed;
- :func:`chromium`, :func:`console_errors`: headless Chromium (``CHROMIUM``, None when not installed) and
  the console lines of a page it loaded.

torch and PIL are imported inside the functions that need them, so that importing this module needs
neither; test modules that use them call ``pytest.importorskip`` at module level.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
          "--disable-extensions", "--disable-background-networking", "--enable-logging=stderr", "--v=0"]


def chromium(tmp_path, *args):
    """Run headless Chromium with a fresh profile under ``tmp_path``; the finished process."""
    profile = tmp_path / "profile"  # a fresh profile: no state shared with other runs
    return subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def console_errors(stderr):
    """Lines of the browser's log written by the page's console or by an uncaught exception.

    Chromium logs every console message as ``INFO:CONSOLE(line)`` / ``INFO:CONSOLE:line`` whatever
    its level (a ``console.error("boom")`` reads ``...:INFO:CONSOLE:2] "boom", source: ...``), and the
    page itself writes nothing to the console: so any console line is a failure.
    """
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def assert_close_scaled(ours, ref, rtol, *, atol_floor=0.0, what=""):
    """``ours`` equals ``ref`` to ``rtol``, entries near zero judged on the array's scale.

    The absolute tolerance is ``rtol * max|ref| + atol_floor``: gradients hold zeros and entries that
    are differences of O(1) terms, whose relative error says nothing. Shapes must match and ``ours``
    must be finite.
    """
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != reference {ref.shape}"
    assert np.isfinite(ours).all(), f"{what}: non-finite values {ours}"
    scale = max(float(np.max(np.abs(ref), initial=0.0)), 1e-30)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale + atol_floor, err_msg=what)


def rel_error(a, b) -> float:
    """``max|a - b| / max|b|`` (the denominator floored at 1e-300)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1e-300, float(np.max(np.abs(b)))))


def assert_png(path, *, min_size=None):
    """``path`` exists, is a valid PNG that PIL decodes, and is not blank (optionally at least ``min_size`` pixels a side)."""
    from PIL import Image

    assert path.exists() and path.stat().st_size > 0, f"{path} is missing or empty"
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG"
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    if min_size is not None:
        assert pixels.shape[0] > min_size and pixels.shape[1] > min_size
    assert pixels.var() > 0, f"{path} is blank"


def torch_cross_entropy(x, y, *, weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    """``torch.nn.functional.cross_entropy`` on (N, C) logits ``x`` (in their dtype) and its gradient.

    Returns ``(loss, grad)`` as NumPy arrays; ``grad`` is that of ``loss.sum()`` with respect to ``x``.
    """
    import torch
    import torch.nn.functional as F

    xt = torch.from_numpy(np.array(x)).requires_grad_()
    kw = {} if ignore_index is None else {"ignore_index": ignore_index}
    wt = None if weight is None else torch.from_numpy(np.asarray(weight, dtype=x.dtype))
    loss = F.cross_entropy(xt, torch.from_numpy(np.asarray(y, dtype=np.int64)), weight=wt,
                           label_smoothing=label_smoothing, reduction=reduction, **kw)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


def run_cli(capsys, *argv):
    """``crossentropy.cli.main`` on ``argv`` (each item as text): (exit code, stdout, stderr)."""
    from crossentropy.cli import main

    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write_labelled_csv(path, n: int = 40, seed: int = 1):
    """Write a two-feature CSV with a 'pos'/'neg' target ``y`` that the first feature predicts; return ``path``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = np.where(df["a"] + rng.normal(size=n) > 0, "pos", "neg")
    df.to_csv(path, index=False)
    return path
