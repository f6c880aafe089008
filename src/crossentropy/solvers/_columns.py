r"""The steps of proximal Newton on working sets for two classes and sparse X, read from X's columns.

:class:`LogisticColumns` serves :func:`~crossentropy.solvers.working_set.working_set_newton` when the
objective is the in-memory binary one with sparse X and an l1 (elastic-net) penalty. It keeps the
logits :math:`z = \tilde X\theta + o` of the current point, so no evaluation multiplies by X:

- the step: coordinate descent on the quadratic model over the working set's columns
  (:func:`~crossentropy.objective._cd.cd_columns_l1`, in a pseudo-random order, Anderson-extrapolated), which
  also returns :math:`\tilde X_W\delta`;
- the line search: the trial point :math:`\theta + t\delta` has the logits :math:`z + t\tilde X_W\delta`,
  its loss one pass over the rows (:func:`~crossentropy.objective._logistic_columns.logistic_terms`);
- the gradient at the accepted point: :math:`\tilde X^\top r`, one pass over the non-zeros
  (:func:`~crossentropy.objective._logistic_columns.column_dots`).

The values are those of the objective's ``loss_gradient`` (the same sums, in float64).
"""

from __future__ import annotations

import numpy as np

from .._blas import own_threads, split_at, weighted_bounds
from ._base import optimality

__all__ = ["LogisticColumns", "INNER_START", "INNER_SHRINK", "CD_SEED", "DOTS_PART_NNZ"]

#: The first inner tolerance, a share of the first point's largest violation; it shrinks by
#: ``INNER_SHRINK`` whenever coordinate descent meets it in one sweep (newGLMNET's adaptive inner
#: stopping: cheap inexact Newton steps far from the optimum, exact ones near it).
INNER_START = 1.0
INNER_SHRINK = 0.25

#: Seed of the coordinate order: each inner solve visits the working set in its own pseudo-random
#: order (a fixed sequence, so fits are reproducible). The columns' own order is slow where it follows
#: their frequency (text-like data: the frequent columns share rows and come first).
CD_SEED = 0x5EED

#: Fewest non-zeros of X's columns a thread of the gradient's pass takes (about a millisecond of
#: work: handing a part to a worker thread and waiting for it cost a small share of it).
DOTS_PART_NNZ = 1 << 18


class LogisticColumns:
    """Evaluations and steps of the two-class objective ``objective`` with sparse X (see the module).

    The methods are those :func:`~crossentropy.solvers.working_set.working_set_newton` calls:
    ``start``, ``violations``, ``step``, ``direction``, ``search``, ``record`` and ``unscreen``. The
    arrays of n rows are allocated once (fresh ones cost page faults at every iteration), and two
    coefficient buffers take turns as the current and the trial point.
    """

    def __init__(self, objective):
        from ..objective import _logistic_columns as kernels  # numba loads only for l1

        self.k = kernels
        self.objective = objective
        self.Xc = objective.columns()  # once per data set (a path's points share it)
        self.unit = bool(kernels.all_ones(self.Xc.data))  # binary features: their values are not read
        self.n, self.d = objective.X.shape
        self.icpt = bool(objective.layout.fit_intercept)
        sw = objective.sample_weight
        self.sw = np.empty(0) if sw is None else np.ascontiguousarray(sw, dtype=np.float64)
        self.y = np.ascontiguousarray(objective.y, dtype=np.float64)
        self.scale = float(objective.scale)
        self.mask = np.ascontiguousarray(objective.penalized, dtype=np.bool_)
        self.l1, self.l2 = float(objective.penalty.l1), float(objective.penalty.l2)
        n, p = self.n, self.mask.size
        # the current point's and the trial point's logits and row terms; X_W d; the step; two points
        self.z, self.r, self.h = np.empty(n), np.empty(n), np.empty(n)
        self.zt, self.rt, self.ht = np.empty(n), np.empty(n), np.empty(n)
        self.dz = np.zeros(n)
        self.work = np.empty((n, 2))  # coordinate descent's scratch
        self.dir, self.W = np.zeros(p), np.empty(0, dtype=np.intp)
        self.points = (np.empty(p), np.empty(p))
        self.hdiag = np.empty(p)  # the diagonal of the data Hessian at the current point, with g
        self.score, self.scored = np.empty(p), None
        self.cols, self.screened = np.arange(self.d), None  # the columns whose gradient is computed
        self.calls = 0
        self._parts = None  # (columns, threads, the bounds of their parts) of the last gradient's split
        self.inner = INNER_START
        self.first = None  # the largest violation at the start

    def _penalty(self, sq, ab):
        """``(smooth, nonsmooth)`` parts of the elastic net from its two sums."""
        return 0.5 * self.l2 * sq, self.l1 * ab

    def _dots(self, r, h, cols, out):
        """:func:`~crossentropy.objective._logistic_columns.column_dots` over the columns ``cols`` into
        ``out`` and ``self.hdiag``, split into parts of about equal non-zeros over the package's threads
        when each part has at least :data:`DOTS_PART_NNZ` of them (every part writes its own entries)."""
        X = self.Xc
        threads = own_threads()
        if self._parts is None or self._parts[0] is not cols or self._parts[1] != threads:
            counts = np.diff(X.indptr)[cols]
            self._parts = (cols, threads, weighted_bounds(counts, min(threads, int(counts.sum()) // DOTS_PART_NNZ)))

        def part(lo, hi):
            self.k.column_dots(X.indptr, X.indices, X.data, self.unit, r, h, cols[lo:hi], out, self.hdiag)

        split_at(part, self._parts[2])

    def _gradient(self, coef, r, h):
        """The gradient at ``coef`` (row terms ``r``, ``h``), 0 on the screened columns; their curvatures."""
        g = np.zeros(coef.size)
        self._dots(r, h, self.cols, g)
        if self.icpt:
            g[self.d] = r.sum()
            self.hdiag[self.d] = h.sum()
        if self.l2:
            g[self.mask] += self.l2 * coef[self.mask]
        return g

    def start(self, coef):
        """``(f, g)`` at ``coef``: the smooth objective and its gradient; remembers the logits."""
        obj = self.objective
        z = np.asarray(obj.X @ coef[:self.d], dtype=np.float64)
        if self.icpt:
            z += coef[self.d]
        if obj.offset is not None:
            z += np.asarray(obj.offset, dtype=np.float64)
        self.dz[:] = 0.0
        loss = self.k.logistic_terms(z, self.dz, 0.0, self.y, self.sw, self.scale, self.z, self.r, self.h)
        sq, _ = self.k.elastic_net_step(coef, self.dir, 0.0, self.mask, self.points[0])
        g = self._gradient(coef, self.r, self.h)
        self._screen(coef, g)
        return loss + self._penalty(sq, 0.0)[0], g

    def _screen(self, coef, g):
        r"""The sequential strong rule: leave out of the gradient the zero columns with
        :math:`|g_j| < 2\lambda_1 - \lambda_1'`, :math:`\lambda_1'` the l1 strength at which ``coef`` is
        optimal (a warm start's: :math:`|g_j|` on its non-zero entries; at zero :math:`\max_j |g_j|`).
        They are checked when the rest has converged (:meth:`unscreen`)."""
        d = self.d
        pen = self.mask[:d]
        gabs = np.abs(g[:d])
        zero = pen & (coef[:d] == 0)
        on = pen & ~zero
        if not zero.any():
            return
        prev = float(np.median(gabs[on])) if on.any() else float(gabs[zero].max())
        drop = zero & (gabs < 2 * self.l1 - prev)
        if drop.any():
            self.screened = drop
            self.cols = np.flatnonzero(~drop)

    def unscreen(self, run, coef, g):
        """At a point that met the stopping rule: the screened columns' gradient (into ``g``); whether any
        of them violates the optimality conditions (then every column is computed from here on)."""
        if self.screened is None:
            return False
        cols = np.flatnonzero(self.screened)
        self._dots(self.r, self.h, cols, g)
        self.scored = None
        back = np.abs(g[cols]) > self.l1
        self.screened = None  # one check: the columns are all computed from here on
        self.cols = np.arange(self.d)
        return bool(back.any())

    def violations(self, coef, g):
        """Each coordinate's violation of the optimality conditions (as
        :func:`~crossentropy.solvers.working_set.violations`), from :meth:`record` when it scored this point."""
        if self.scored is not coef:
            self.k.l1_violations(coef, g, self.mask, self.l1, self.score)
        return self.score

    def step(self, coef, g, W, viol):
        """The working set's step (ndarray (|W|,)); keeps :math:`\\tilde X_W\\delta` for the line search."""
        from ..objective._cd import cd_columns_l1

        feat = W[W < self.d]
        mask = self.mask[W]
        self.calls += 1
        if self.first is None:
            self.first = viol
        d, sweeps = cd_columns_l1(self.Xc, feat, W.size > feat.size, self.h, g[W], coef[W], mask,
                                  self.l2 * mask.astype(np.float64), self.l1, abs_tol=self.inner * self.first,
                                  seed=CD_SEED + self.calls, out=self.dz, sweeps=True, hdiag=self.hdiag[W],
                                  unit=self.unit, work=self.work)
        if sweeps == 1:
            self.inner *= INNER_SHRINK
        return d

    def direction(self, coef, g, W, dW):
        """The step as a full vector (a buffer of this object) and the model's decrease
        :math:`g^\\top d + \\lambda_1(\\lVert\\theta + d\\rVert_1 - \\lVert\\theta\\rVert_1)` on the penalised entries."""
        self.dir[self.W] = 0.0
        self.dir[W] = dW
        self.W = W
        cw, m = coef[W], self.mask[W]
        change = np.abs(cw + dW)[m].sum() - np.abs(cw)[m].sum()
        return self.dir, float(g[W] @ dW) + self.l1 * float(change)

    def search(self, coef, d, F, g, decrease, *, max_halvings=40):
        """The backtracking of :func:`~crossentropy.solvers._base.prox_newton_search` along ``d``, on the
        logits: ``(accepted, new, f_new, g_new, F_new)``."""
        eps = np.finfo(float).eps
        new = self.points[1] if coef is self.points[0] else self.points[0]
        t = 1.0
        for _ in range(max_halvings):
            loss = self.k.logistic_terms(self.z, self.dz, t, self.y, self.sw, self.scale, self.zt, self.rt, self.ht)
            smooth, nonsmooth = self._penalty(*self.k.elastic_net_step(coef, d, t, self.mask, new))
            fn = loss + smooth
            Fn = fn + nonsmooth
            ok = Fn <= F + 1e-4 * t * decrease
            gn = None
            if not ok and abs(Fn - F) <= 64 * eps * max(1.0, abs(F)):
                gn = self._gradient(new, self.rt, self.ht)
                ok = (self.k.l1_violations(new, gn, self.mask, self.l1, self.score)
                      < optimality(self.objective, coef, g))
                self.scored = None
            if ok:
                self.z, self.zt, self.r, self.rt, self.h, self.ht = self.zt, self.z, self.rt, self.r, self.ht, self.h
                return True, new, fn, (self._gradient(new, self.r, self.h) if gn is None else gn), Fn
            t *= 0.5
        return False, new, fn, g, Fn

    def record(self, run, it, coef, F, g):
        """:meth:`~crossentropy.solvers._base.Progress.step` with the violations kept for the next working set."""
        top = self.k.l1_violations(coef, g, self.mask, self.l1, self.score)
        self.scored = coef
        run(it, coef, F, top)
        return top <= run.tol
