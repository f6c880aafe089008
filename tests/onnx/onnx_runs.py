"""Helpers of the ONNX tests (``from onnx_runs import ...``): runs saved and loaded as ``crossentropy train`` saves them."""

from __future__ import annotations

import numpy as np


def save_run(folder, prep, est, calibration=None):
    """``est`` (fitted on ``prep``'s features) saved with ``prep`` as a run; the run's ``load_pipeline``."""
    import crossentropy as ce

    ce.save_model(est, folder, preprocessing=prep, calibration=calibration)
    return ce.load_pipeline(folder)


def with_gaps(frame, columns, seed, share=0.1):
    """A copy of ``frame`` with a share of the values of ``columns`` missing."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for c in columns:
        numeric = out[c].dtype.kind in "biuf"
        out[c] = out[c].astype(float) if numeric else out[c].astype(object)
        out.loc[rng.random(len(out)) < share, c] = np.nan if numeric else None
    return out
