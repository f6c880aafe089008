"""Small products on one BLAS thread, large ones on at most the cores free, and the user's BLAS thread
count restored after.

Oracle: threadpoolctl's own ``threadpool_info()`` (what the loaded BLAS libraries report), read before,
inside (from a fit's callback) and after.
"""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from crossentropy import LogisticRegression, OrdinalRegression
from crossentropy._blas import SMALL_PRODUCT, single_thread


def _blas_counts():
    return sorted(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")


def test_overlapping_blocks_in_two_threads_restore_the_users_count():
    """Two threads' blocks overlap (A opens, B opens, A closes, B closes): the count the user had is back
    after both, and never above it in between."""
    before = _blas_counts()
    assert before
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def first():
        with single_thread():
            a_in.set()
            b_in.wait(5)
            seen.append(_blas_counts())
        a_out.set()

    def second():
        a_in.wait(5)
        with single_thread():
            b_in.set()
            a_out.wait(5)
            seen.append(_blas_counts())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(seen) == 2 and all(max(c) <= max(before) for c in seen)
    assert _blas_counts() == before


@pytest.mark.parametrize("n, free, expect_own", [(300, 2, 1), (SMALL_PRODUCT // 20 + 1_000, 2, 2),
                                                  (SMALL_PRODUCT // 20 + 1_000, 1, 1)])
def test_a_binary_fit_keeps_blas_on_one_thread_and_its_own_threads_on_the_free_cores(n, free, expect_own,
                                                                                      monkeypatch):
    """A binary fit's products are with a vector and its heavy work (compiled passes, Grams split by rows)
    runs on the package's own threads: BLAS stays on one thread from start to end (no limit lifted in
    between to wake its workers), the user's count restored after; its own threads are one for small
    problems, else the cores free (here as the run queue is mocked to show them: both, or one)."""
    from crossentropy import _cores
    from crossentropy._blas import own_threads

    monkeypatch.setattr(_cores, "free_cores", lambda **kwargs: free)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 19))   # 20 coefficients with the intercept: n * 20 multiply-adds per X @ w
    y = (X[:, 0] + rng.logistic(size=n) > 0).astype(int)
    seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        LogisticRegression(penalty=None, tol=1e-10).fit(
            X, y, callback=lambda state: seen.append((_blas_counts(), own_threads())))
        assert _blas_counts() == before
    assert seen and all(c == ([1] * len(before), expect_own) for c in seen)


@pytest.mark.parametrize("n, free, expect_one", [(300, 2, True), (SMALL_PRODUCT // 60 + 1_000, 2, False),
                                                  (SMALL_PRODUCT // 60 + 1_000, 1, True)])
def test_a_softmax_fit_runs_small_products_on_one_blas_thread(n, free, expect_one, monkeypatch):
    """A softmax fit's products are matrix products (X @ W, three classes): small ones on one BLAS
    thread, large ones on the user's threads, at most the cores free."""
    from crossentropy import _cores

    monkeypatch.setattr(_cores, "free_cores", lambda **kwargs: free)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 19))   # 3 x 20 coefficients: n * 60 multiply-adds per X @ W
    y = np.argmax(X[:, :3] + rng.logistic(size=(n, 3)), axis=1)
    seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        LogisticRegression(penalty=None, tol=1e-8).fit(X, y, callback=lambda state: seen.append(_blas_counts()))
        assert _blas_counts() == before
    assert seen and all(c == ([1] * len(before) if expect_one else before) for c in seen)


def test_ordinal_fit_restores_the_count():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3))
    y = np.digitize(X[:, 0] + rng.logistic(size=200), [-1.0, 1.0])
    seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        OrdinalRegression().fit(X, y, callback=lambda state: seen.append(_blas_counts()))
        assert _blas_counts() == before
    assert seen and all(c == [1] * len(before) for c in seen)


def test_nested_blocks_hold_the_smallest_count_and_restore_each_level():
    from crossentropy._blas import limited

    with threadpool_limits(limits=4, user_api="blas"):
        before = _blas_counts()
        with limited(3):
            three = _blas_counts()
            with limited(8):  # more than the user's: the block's 3 holds
                still = _blas_counts()
                with limited(1):
                    one = _blas_counts()
                back = _blas_counts()
            after_inner = _blas_counts()
        assert _blas_counts() == before
    n = len(before)
    assert three == still == back == after_inner == [3] * n and one == [1] * n


def _record_counts(monkeypatch, module, name):
    """Replace ``module.name`` by a wrapper that records the BLAS thread counts at each call; the list."""
    seen, real = [], getattr(module, name)

    def recording(*args, **kwargs):
        seen.append(_blas_counts())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return seen


def test_the_information_of_a_small_design_runs_on_one_blas_thread(monkeypatch):
    """The observed information (the summary's rank check and the covariance) is a Gram of the design:
    small ones on one BLAS thread, as a fit's products, the user's count restored after."""
    from crossentropy.linear_model import _design

    seen = _record_counts(monkeypatch, _design, "gram")
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(500), rng.standard_normal((500, 4))])
    y = (X[:, 1] + rng.logistic(size=500) > 0).astype(int)
    design = _design.FittedDesign(X, ("const", "a", "b", "c", "d"), (None, "a", "b", "c", "d"), np.zeros(5), y,
                                  np.ones(500), 2)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        info = design.information()
        assert _blas_counts() == before
    assert seen and all(c == [1] * len(before) for c in seen)
    np.testing.assert_allclose(info, X.T @ X / 4)  # p = 1/2 at zero coefficients


@pytest.mark.parametrize("n", [2_000, SMALL_PRODUCT // 16 + 1_000])
def test_the_feature_range_check_changes_no_blas_limit(n, monkeypatch):
    """Every fit's validation bounds max|x| by the sum of squares of X, a product with a vector: NumPy's
    loop, not BLAS, at any size, so no BLAS limit is set and lifted (lifting one wakes OpenBLAS's
    workers, which then spin for ~0.1 s on a core the fit's own threads need)."""
    from crossentropy import _cores
    from crossentropy.linear_model import _weights

    monkeypatch.setattr(_cores, "free_cores", lambda **kwargs: 2)
    seen = _record_counts(monkeypatch, _weights, "products_fit")
    X = np.random.default_rng(3).standard_normal((n, 16))
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_counts()
        assert _weights.check_feature_range(X) is X
        assert _blas_counts() == before
    assert seen and all(c == before for c in seen)


def test_a_count_that_does_not_take_is_set_again(monkeypatch):
    """A library whose setter now and then leaves the previous count (as OpenBLAS 0.3.30-0.3.31's does when
    called from a thread after another one set it): the limit still holds inside the block and each
    library's own count is back after it."""
    from crossentropy import _blas

    class Flaky:
        def __init__(self, count):
            self.count, self.calls = count, 0

        @property
        def num_threads(self):
            return self.count

        def set_num_threads(self, n):
            self.calls += 1
            if self.calls % 2:  # every other call is lost
                return
            self.count = n

    class Controller:
        def __init__(self, libs):
            self.lib_controllers = libs

        def select(self, user_api):
            assert user_api == "blas"
            return self

    libs = [Flaky(4), Flaky(2)]
    monkeypatch.setitem(_blas._STATE, "controller", Controller(libs))
    with single_thread():
        inside = [lib.num_threads for lib in libs]
        assert _blas.blas_threads() == 1
    assert inside == [1, 1]
    assert [lib.num_threads for lib in libs] == [4, 2]
    assert all(lib.calls == 4 for lib in libs)  # two lost calls and two that took, each a moment later
