"""Each launch's threads bounded by the cores free now, and the launch leaves numba's settings as they were.

Oracles: the definition of :func:`crossentropy._cores.free_cores`
(:math:`\\min(A, \\max(1, P - (R - 1)))`) evaluated on mocked ``/proc/loadavg`` contents and affinity
masks, and PyTorch's ``cross_entropy`` with autograd for the kernel's numbers on one and on two threads.
"""

from __future__ import annotations

import os

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossentropy as ce
from crossentropy import _kernels
from crossentropy import _cores as cores
from crossentropy._kernels import fused, launch_threads
from helpers import assert_close_scaled, torch_cross_entropy


@given(allowed=st.integers(1, 512), extra=st.integers(0, 512), runnable=st.integers(0, 4096))
def test_free_cores_is_its_definition(allowed, extra, runnable):
    online = allowed + extra  # the affinity mask is a subset of the online cores
    got = cores.free_cores(allowed, online, runnable)
    others = max(0, runnable - 1)  # the run queue counts the caller itself
    assert got == min(allowed, max(1, online - others))
    assert 1 <= got <= allowed
    assert cores.free_cores(allowed, online, runnable + 1) <= got  # a longer run queue never frees cores


def _loadavg(tmp_path, text):
    path = tmp_path / "loadavg"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("0.52 0.58 0.59 1/467 12345\n", 1),
    ("3.10 2.05 1.90 12/1034 99\n", 12),
    ("", None),  # empty
    ("0.52 0.58 0.59\n", None),  # no fourth field
    ("0.52 0.58 0.59 x/467 12345\n", None),  # not a number
])
def test_runnable_tasks_reads_the_fourth_field(tmp_path, text, expected):
    assert cores.runnable_tasks(_loadavg(tmp_path, text)) == expected


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """A mocked machine: online cores, this process's affinity mask and the run queue of /proc/loadavg."""
    def set_machine(online, affinity, loadavg):
        monkeypatch.setattr(os, "cpu_count", lambda: online)
        if affinity is None:  # no affinity call (macOS, Windows)
            monkeypatch.delattr(os, "sched_getaffinity", raising=False)
        else:
            monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(affinity), raising=False)
        path = tmp_path / "missing" if loadavg is None else _loadavg(tmp_path, loadavg)
        monkeypatch.setattr(cores, "LOADAVG", str(path))
    return set_machine


@pytest.mark.parametrize(("online", "affinity", "loadavg", "expected"), [
    (2, {0, 1}, "0.1 0.1 0.1 1/90 1", 2),  # the caller alone: both cores
    (2, {0, 1}, "1.0 1.0 1.0 2/91 1", 1),  # a competitor spinning on one core
    (2, {0, 1}, "4.0 4.0 4.0 7/99 1", 1),  # more runnable tasks than cores: never below one
    (16, {0, 1, 2, 3}, "2.0 2.0 2.0 3/300 1", 4),  # pinned to 4 of 16 cores, 2 others busy elsewhere
    (16, set(range(16)), "9.0 9.0 9.0 10/300 1", 7),  # 9 others on 16 cores
    (8, {0, 1, 2}, None, 3),  # no /proc/loadavg (macOS, Windows): all allowed cores
    (6, None, "1.0 1.0 1.0 2/99 1", 5),  # no affinity call: the online cores
    (6, None, None, 6),  # neither: all cores
])
def test_free_cores_reads_the_machine(machine, online, affinity, loadavg, expected):
    machine(online, affinity, loadavg)
    allowed = online if affinity is None else len(affinity)
    assert cores.allowed_cores() == allowed
    assert cores.free_cores() == expected


@pytest.fixture
def few_elements_per_thread(monkeypatch):
    """Small problems launch with all of numba's threads (the size rule alone would run them on one)."""
    monkeypatch.setattr(fused, "MIN_ELEMENTS_PER_THREAD", 1)


def test_launch_threads_bounded_by_free_cores(few_elements_per_thread, monkeypatch):
    threads = numba.get_num_threads()
    monkeypatch.setattr(_kernels, "free_cores", lambda: 1)
    assert launch_threads(10**6) == 1
    monkeypatch.setattr(_kernels, "free_cores", lambda: 10**6)
    assert launch_threads(10**6) == threads


def test_small_launches_do_not_read_the_run_queue(monkeypatch):
    def fail():
        raise AssertionError("free_cores read for a one-thread launch")

    monkeypatch.setattr(_kernels, "free_cores", fail)
    assert launch_threads(64 * 10) == 1


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    x = (3 * rng.standard_normal((517, 61))).astype(np.float32)
    y = rng.integers(0, 61, 517)
    w = np.linspace(0.5, 2.0, 61)
    return x, y, w, torch_cross_entropy(x, y, weight=w, label_smoothing=0.1)


@pytest.mark.parametrize("free", [1, 2])
def test_kernel_matches_torch_on_one_and_two_threads(few_elements_per_thread, monkeypatch, problem, free):
    """The launch runs on ``free`` threads (seen in numba's count inside it); numba's settings come back."""
    x, y, w, (t_loss, t_grad) = problem
    monkeypatch.setattr(_kernels, "free_cores", lambda: free)
    before = numba.get_num_threads(), numba.get_parallel_chunksize()
    seen = []
    real_launching = _kernels.launching

    def spy(n_threads=None):
        cm = real_launching(n_threads)

        class Spy:
            def __enter__(self):
                cm.__enter__()
                seen.append(numba.get_num_threads())

            def __exit__(self, *exc):
                return cm.__exit__(*exc)

        return Spy()

    monkeypatch.setattr(_kernels, "launching", spy)
    loss, grad = ce.cross_entropy(x, y, weight=w, label_smoothing=0.1, return_grad=True)
    assert seen == [min(free, before[0])]
    assert (numba.get_num_threads(), numba.get_parallel_chunksize()) == before
    assert_close_scaled(loss, t_loss, 1e-5)
    assert_close_scaled(grad, t_grad, 1e-5)


def test_thread_count_restored_after_a_launch_that_raises(few_elements_per_thread, monkeypatch):
    monkeypatch.setattr(_kernels, "free_cores", lambda: 1)
    before = numba.get_num_threads(), numba.get_parallel_chunksize()
    with pytest.raises(RuntimeError, match="inside"):
        with _kernels.launching(launch_threads(10**6)):
            assert numba.get_num_threads() == 1
            raise RuntimeError("inside the launch")
    assert (numba.get_num_threads(), numba.get_parallel_chunksize()) == before


@given(allowed=st.integers(1, 64), extra=st.integers(0, 64), runnable=st.integers(1, 256), own=st.integers(1, 64))
def test_free_cores_leaves_the_callers_own_threads_out(allowed, extra, runnable, own):
    online = allowed + extra
    own = min(own, runnable)  # the process's runnable threads are among the run queue's
    got = cores.free_cores(allowed, online, runnable, own=own)
    assert got == min(allowed, max(1, online - (runnable - own)))
    assert got >= cores.free_cores(allowed, online, runnable)  # never fewer than counting them


def test_own_runnable_counts_the_threads_in_state_r(tmp_path):
    for tid, state in ((101, "R"), (102, "S"), (103, "R"), (104, "D")):
        (tmp_path / str(tid)).mkdir()
        (tmp_path / str(tid) / "stat").write_text(f"{tid} (python (x) y) {state} 1 2 3\n")  # a ")" in the name
    (tmp_path / "105").mkdir()  # a thread that ended between the listing and the read
    assert cores.own_runnable(str(tmp_path)) == 2
    assert cores.own_runnable(str(tmp_path / "missing")) == 1  # no /proc: the caller alone
    assert cores.own_runnable() >= 1


def _cache_dir(root, caches):
    for i, (level, kind, size) in enumerate(caches):
        d = root / f"index{i}"
        d.mkdir(parents=True)
        (d / "level").write_text(f"{level}\n")
        (d / "type").write_text(f"{kind}\n")
        (d / "size").write_text(f"{size}\n")
    return str(root)


def test_last_level_cache_is_the_highest_data_or_unified_cache(tmp_path):
    from crossentropy._cores import DEFAULT_CACHE_BYTES, last_level_cache_bytes

    amd = [(1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "1024K"), (3, "Unified", "32768K")]
    assert last_level_cache_bytes(_cache_dir(tmp_path / "a", amd)) == 32 << 20
    apple_like = [(1, "Data", "64K"), (1, "Instruction", "128K"), (2, "Unified", "4M")]
    assert last_level_cache_bytes(_cache_dir(tmp_path / "b", apple_like)) == 4 << 20
    # unreadable, empty or malformed: the default
    assert last_level_cache_bytes(str(tmp_path / "missing")) == DEFAULT_CACHE_BYTES
    (tmp_path / "c" / "power").mkdir(parents=True)
    assert last_level_cache_bytes(str(tmp_path / "c")) == DEFAULT_CACHE_BYTES
    assert last_level_cache_bytes(_cache_dir(tmp_path / "d", [(2, "Unified", "lots")])) == DEFAULT_CACHE_BYTES
