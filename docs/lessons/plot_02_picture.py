r"""
2. The picture of the log loss, and code that does not break
============================================================

The loss of one sample, :math:`J = -[y \log \varphi(z) + (1 - y)\log(1 - \varphi(z))]`, has one branch
per label: :math:`-\log \varphi(z)` if y = 1 and :math:`-\log(1 - \varphi(z))` if y = 0. Plotted against
the hypothesis :math:`\varphi(z)`, each branch is zero for a confident right answer and grows
without bound for a confident wrong one.
"""

import matplotlib.pyplot as plt
import numpy as np

import crossentropy as ce

z = np.linspace(-8, 8, 801)
phi = ce.sigmoid(z)
j1 = ce.binary_cross_entropy_with_logits(z, np.ones_like(z), reduction="none")
j0 = ce.binary_cross_entropy_with_logits(z, np.zeros_like(z), reduction="none")
# the two branches are -log(phi) and -log(1 - phi), evaluated here in float64 where they are exact enough
assert np.allclose(j1, -np.log(phi), rtol=1e-12) and np.allclose(j0, -np.log1p(-phi), rtol=1e-10)

fig, (ax_phi, ax_z) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_phi.plot(phi, j1, label="J if y = 1: −log φ(z)")
ax_phi.plot(phi, j0, linestyle="--", label="J if y = 0: −log(1 − φ(z))")
ax_phi.set(xlabel="φ(z)", ylabel="J(w)", xlim=(0, 1), ylim=(0, 5), title="against the hypothesis φ(z)")
ax_phi.legend()
ax_z.plot(z, j1, label="y = 1: log(1 + e^(−z))")
ax_z.plot(z, j0, linestyle="--", label="y = 0: log(1 + e^(z))")
ax_z.plot(z[z < 0], -z[z < 0], color="grey", linewidth=0.8, label="the straight-line ends |z|")
ax_z.plot(z[z > 0], z[z > 0], color="grey", linewidth=0.8)
ax_z.set(xlabel="z = wᵀx + b", ylabel="J(w)", title="against the logit z")
ax_z.legend()

# %%
# Against the logit the picture is simpler: :math:`-\log\sigma(z) = \log(1 + e^{-z})`, the
# *softplus* of :math:`-z`. It tends to 0 on the right side and to the straight line :math:`-z` on the
# wrong side: a confident mistake costs in proportion to how confident it was, and the slope there
# is exactly 1 (the gradient :math:`\varphi - y` saturates at −1, it does not vanish).

far = np.array([-30.0, -100.0, -700.0])
J_far = ce.binary_cross_entropy_with_logits(far, np.ones(3), reduction="none")
assert np.allclose(J_far, -far, rtol=1e-12)
print("J(y=1) at z = -30, -100, -700:", J_far)

# %%
# The textbook code, and where it breaks
# --------------------------------------
#
# The formulas above, typed as they read, are
#
# .. code-block:: python
#
#     y_hat = 1 / (1 + np.exp(-z))
#     J = -np.log(y_hat) if y == 1 else -np.log(1 - y_hat)
#
# This is correct mathematics and wrong arithmetic. Floating point holds about 16 significant digits
# in float64, 7 in float32 and 3 in float16, so :math:`\sigma(z)` rounds to exactly 1 once
# :math:`e^{-z}` is below half the spacing of numbers near 1: at z ≈ 37 in float64, 17 in float32 and
# 8 in float16. Then :math:`1 - \hat y = 0` and a sample with y = 0 costs :math:`-\log 0 = \infty`.
# On the other side :math:`e^{-z}` overflows (z below −709.8 in float64, −88.7 in float32, −11.1 in float16),
# :math:`\hat y = 0` and a sample with y = 1 costs ∞ too. One such sample makes the mean loss ∞ and
# its gradient NaN.
#
# The stable form never forms :math:`\hat y`: it computes
# :math:`\log(1 + e^{-z}) = \max(-z, 0) + \log(1 + e^{-|z|})`, which cannot overflow, and is what
# :func:`crossentropy.binary_cross_entropy_with_logits` does in every dtype.


def naive(z, y):
    with np.errstate(over="ignore", divide="ignore"):
        y_hat = 1 / (1 + np.exp(-z))
        return np.where(y == 1, -np.log(y_hat), -np.log(1 - y_hat))


def first_infinite(dtype, y, grid):
    """The first z of the grid (walking away from 0) where the naive loss of label y is inf."""
    loss = naive(grid.astype(dtype), np.full(grid.shape, y))
    return grid[np.argmax(np.isinf(loss))] if np.isinf(loss).any() else None


print(f"{'dtype':8s} {'naive y=0 is inf from z =':>26s} {'naive y=1 is inf from z =':>26s}")
breaks = {}
for dtype in (np.float16, np.float32, np.float64):
    up = first_infinite(dtype, 0, np.arange(0.0, 800.0, 0.5))
    down = first_infinite(dtype, 1, -np.arange(0.0, 800.0, 0.5))
    breaks[dtype] = (up, down)
    print(f"{np.dtype(dtype).name:8s} {up:>26.1f} {down:>26.1f}")
    # the stable loss is finite everywhere and equals the float64 softplus to the dtype's precision
    grid = np.concatenate([-np.arange(0.0, 800.0, 0.5), np.arange(0.0, 800.0, 0.5)]).astype(dtype)
    for label, exact in ((0, np.logaddexp(0.0, grid.astype(np.float64))),
                         (1, np.logaddexp(0.0, -grid.astype(np.float64)))):
        stable = ce.binary_cross_entropy_with_logits(grid, np.full(grid.shape, label, dtype=dtype), reduction="none")
        assert stable.dtype == dtype and np.isfinite(stable).all()
        assert np.allclose(stable, exact, rtol=4 * np.finfo(dtype).eps, atol=2 * np.finfo(dtype).tiny)

# where the naive code breaks, from the dtype's own limits (np.finfo): sigma(z) rounds to 1 once
# exp(-z) < eps/2 (y = 0 breaks), and exp(-z) overflows once -z > log(max) (y = 1 breaks); the grid
# steps by 0.5, so each is the first grid point past the limit
for dtype, (up, down) in breaks.items():
    info = np.finfo(dtype)
    assert up == np.ceil(2 * np.log(2 / info.eps)) / 2, (dtype, up)
    assert down == -np.ceil(2 * np.log(float(info.max))) / 2, (dtype, down)

# %%
# The figure shows the naive loss (thick) and the stable one (dashed) for a y = 0 sample in each
# dtype: each naive curve stops where it becomes ∞, where the dtype runs out of digits near 1 (and
# just before, where it has few digits left, it is already visibly wrong: the steps).

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
zz = np.linspace(0, 45, 901)
for dtype, color in ((np.float16, "C0"), (np.float32, "C1"), (np.float64, "C2")):
    zd = zz.astype(dtype)
    bad = naive(zd, np.zeros(zz.shape))
    ax.plot(zz, np.where(np.isinf(bad), np.nan, bad), color=color, linewidth=5, alpha=0.5,
            label=f"naive, {np.dtype(dtype).name}: ∞ from z = {breaks[dtype][0]:g}")
    ax.axvline(breaks[dtype][0], color=color, linestyle=":")
ax.plot(zz, ce.binary_cross_entropy_with_logits(zz, np.zeros(zz.shape), reduction="none"), "k--",
        label="stable, any dtype")
ax.set(xlabel="z", ylabel="J for y = 0", title="the naive loss becomes ∞ where σ(z) rounds to 1 (dotted)")
ax.legend()
