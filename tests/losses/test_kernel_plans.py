"""The kernels' plans: threads by problem size, the linear cross-entropy's blocks by shapes and budget.

Properties (hypothesis) of the two pure rules, :func:`crossentropy._kernels.fused.threads_for` and
:func:`crossentropy._kernels.linear_engine.plan_blocks`, and the multi-threaded launches (forced on
small problems) against PyTorch's autograd and bit for bit against the one-thread launches.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crossentropy as ce
from crossentropy import _kernels
from crossentropy._kernels import fused, launch_threads, linear_engine
from crossentropy._kernels.linear_engine import (
    BLOCK_BYTES,
    MAX_ROWS,
    MIN_BUDGET,
    SINGLE_MIN_ROWS,
    block_bytes,
    memory_budget,
    plan_blocks,
)
from helpers import assert_close_scaled, torch_cross_entropy

torch = pytest.importorskip("torch")


@given(n=st.integers(0, 2**40), available=st.integers(1, 256))
def test_threads_for_gives_each_thread_enough_work(n, available):
    t = fused.threads_for(n, available)
    assert 1 <= t <= available
    if t > 1:
        assert n // t >= fused.MIN_ELEMENTS_PER_THREAD  # every thread gets at least the minimum
    if n < 2 * fused.MIN_ELEMENTS_PER_THREAD:
        assert t == 1
    if n >= available * fused.MIN_ELEMENTS_PER_THREAD:
        assert t == available


shapes = dict(n=st.integers(1, 10**6), c=st.integers(1, 2 * 10**6), d=st.integers(1, 20_000),
              s=st.sampled_from([4, 8]), t=st.integers(1, 16))


@settings(max_examples=400, deadline=None)
@given(**shapes, budget=st.one_of(st.none(), st.integers(1, 2**31)))
def test_default_plan_fits_the_budget(n, c, d, s, t, budget):
    rows, chunk = plan_blocks(n, c, s, n_features=d, n_threads=t, budget=budget)
    b = memory_budget(n, c, d, s) if budget is None else budget
    assert 1 <= rows <= min(n, MAX_ROWS) and 1 <= chunk <= c
    if block_bytes(1, 1, c, d, s, t) <= b:  # the plan fits whenever one row of one class does
        assert block_bytes(rows, chunk, c, d, s, t) <= b, (rows, chunk)
    single_rows = min(SINGLE_MIN_ROWS, n)
    if block_bytes(single_rows, c, c, d, s, t) <= b:  # one pass over all classes whenever it fits
        assert chunk == c and rows >= single_rows


@settings(max_examples=200, deadline=None)
@given(**shapes, rows=st.integers(1, 10**5))
def test_given_rows_keep_and_chunk_to_the_budget(n, c, d, s, t, rows):
    got_rows, chunk = plan_blocks(n, c, s, rows, n_features=d, n_threads=t)
    b = memory_budget(n, c, d, s)
    assert got_rows <= min(rows, n)
    if block_bytes(got_rows, 1, c, d, s, t) <= b and got_rows == min(rows, n):
        assert block_bytes(got_rows, chunk, c, d, s, t) <= b


@given(**shapes)
def test_memory_budget_is_half_the_inputs_within_bounds(n, c, d, s, t):
    b = memory_budget(n, c, d, s)
    assert MIN_BUDGET <= b <= BLOCK_BYTES
    if MIN_BUDGET < b < BLOCK_BYTES:
        assert abs(b - (n + c) * d * s / 2) <= 1


def test_sweep_plans():
    """The four sizes of the benchmark sweep: one pass where 64+ rows fit, and inside 1.5x the gradients."""
    for n, d, c in [(8_192, 256, 32_768), (16_384, 256, 65_536), (4_096, 1_024, 131_072), (32_768, 128, 8_192)]:
        rows, chunk = plan_blocks(n, c, 4, n_features=d, n_threads=2)
        assert chunk == c and rows >= SINGLE_MIN_ROWS
        assert block_bytes(rows, chunk, c, d, 4, 2) <= min(BLOCK_BYTES, (n + c) * d * 4 / 2)


@pytest.fixture
def force_threads(monkeypatch):
    """Every launch with all of numba's threads, however small (the rule would run them on one), and
    however busy the machine (the cores free now would bound them)."""
    def set_min(value):
        monkeypatch.setattr(fused, "MIN_ELEMENTS_PER_THREAD", value)
        monkeypatch.setattr(_kernels, "free_cores", lambda: numba.get_num_threads())
    return set_min


def test_small_problems_run_on_one_thread_and_forced_threads_agree(force_threads, rng):
    x = (3 * rng.standard_normal((301, 43))).astype(np.float32)
    y = rng.integers(0, 43, 301)
    assert launch_threads(x.size) == 1
    one = ce.cross_entropy(x, y, return_grad=True, label_smoothing=0.1, weight=np.linspace(0.5, 2, 43))
    force_threads(1)
    assert launch_threads(x.size) == numba.get_num_threads()
    many = ce.cross_entropy(x, y, return_grad=True, label_smoothing=0.1, weight=np.linspace(0.5, 2, 43))
    assert one[0] == many[0]  # rows are independent: the same bits on any number of threads
    np.testing.assert_array_equal(one[1], many[1])
    t_loss, t_grad = torch_cross_entropy(x, y, label_smoothing=0.1, weight=np.linspace(0.5, 2, 43))
    assert_close_scaled(many[0], t_loss, 1e-5)
    assert_close_scaled(many[1], t_grad, 1e-5)


@pytest.mark.parametrize("block", [None, (40, 64)], ids=["one-pass", "class-chunks"])
def test_linear_engine_forced_threads_agree(block, force_threads, rng):
    n, d, c = 157, 12, 200
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((c, d)) / np.sqrt(d)
    b = rng.standard_normal(c)
    y = rng.integers(0, c, n)
    one = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, block_size=block)
    force_threads(1)
    many = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, block_size=block)
    assert one[0] == many[0]
    for g1, g2 in zip(one[1], many[1]):
        np.testing.assert_array_equal(g1, g2)
    Xt, Wt, bt = (torch.from_numpy(a).requires_grad_() for a in (X, W, b))
    loss = torch.nn.functional.cross_entropy(Xt @ Wt.T + bt, torch.from_numpy(y))
    loss.backward()
    assert_close_scaled(many[0], loss.item(), 1e-12)
    for ours, ref in zip(many[1], (Xt.grad, Wt.grad, bt.grad)):
        assert_close_scaled(ours, ref.numpy(), 1e-11)


def test_engine_plans_with_all_threads(monkeypatch, rng):
    """linear_ce_rows plans its blocks for the larger of numba's and BLAS's thread counts."""
    seen = {}
    real = linear_engine.plan_blocks

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(linear_engine, "plan_blocks", spy)
    X = rng.standard_normal((20, 3))
    ce.linear_cross_entropy(X, rng.standard_normal((5, 3)), rng.integers(0, 5, 20), return_grad=True)
    assert seen["n_features"] == 3
    assert seen["n_threads"] >= numba.get_num_threads()
