"""Shared test settings: Agg backend for matplotlib, a hypothesis profile without deadlines, and under
pytest-xdist as many BLAS threads per worker as the cores allow (``cpu_count // workers``, at least 1)."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


def pytest_configure(config):
    """Under xdist, cap each worker's BLAS at its share of the cores.

    With ``-n 2`` on 2 cores, two OpenBLAS threads per worker put four spinning threads on two cores:
    the small products of the solvers then cost many times their single-thread CPU time. Only the
    BLAS pools are capped (numba's and torch's threads are left alone); a test that needs more BLAS
    threads raises the limit itself with ``threadpool_limits``.
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=max(1, (os.cpu_count() or 1) // int(workers)), user_api="blas")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
