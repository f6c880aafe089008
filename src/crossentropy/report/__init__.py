"""``crossentropy.report``: the report of a fitted classifier, in Python and on the command line.

:class:`Report` holds the metrics of each split next to the baseline of the training class
frequencies (:mod:`~crossentropy.report.metrics`), the per-class table, the figures
(:mod:`~crossentropy.report.figures`, :mod:`~crossentropy.report.calibration`), the coefficient table
(:mod:`~crossentropy.report.coefficients`, :mod:`~crossentropy.report.ordinal`) and writes the
self-contained page (:mod:`~crossentropy.report.page`) that ``crossentropy train`` writes as
``report.html``. The training curve comes from the iterates the fit hands its callback
(:mod:`~crossentropy.report.curves`).

Examples
--------
>>> import numpy as np
>>> from crossentropy import LogisticRegression
>>> from crossentropy.report import Report
>>> X = np.array([[0.0], [1.0], [2.0], [3.0], [0.5], [2.5]]); y = np.array([0, 0, 1, 1, 0, 1])
>>> report = Report.from_estimator(LogisticRegression().fit(X, y), X, y, plots=False)
>>> report.metrics.index.tolist()
[('test', 'model')]
"""

from __future__ import annotations

from ._report import Report

__all__ = ["Report"]
