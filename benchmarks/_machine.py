"""What the benchmarks ran on: CPU, cores, library versions and thread settings (for BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")
LIBRARIES = ("crossentropy", "numpy", "scipy", "scikit-learn", "torch", "numba", "llvmlite", "dask", "dask-ml",
             "statsmodels", "threadpoolctl")


def set_thread_env(threads: int) -> None:
    """Set the thread-count variables; must run before numpy, numba or torch are imported."""
    for var in THREAD_ENV:
        os.environ[var] = str(threads)


def limit_threads(threads: int):
    """Limit BLAS/OpenMP (threadpoolctl), numba and torch to ``threads``; returns the threadpoolctl limiter."""
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=threads)
    try:
        import numba
        from numba.np.ufunc import parallel as numba_parallel

        # numba.set_num_threads starts numba's threads, loading its OpenMP runtime, which reads
        # OMP_WAIT_POLICY once: crossentropy's kernels start them themselves, with PASSIVE for that
        # moment only (as in a user's session), so they are not started here. Until then
        # NUMBA_NUM_THREADS, set before numba's import, gives the count.
        if numba_parallel._is_initialized:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    return limiter


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_lines(threads: int) -> list[str]:
    """Markdown bullet lines describing the machine and the thread settings of this run."""
    logical = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = logical
    versions = ", ".join(f"{name} {v}" for name in LIBRARIES if (v := _version(name)))
    lines = [
        f"- CPU: {cpu_model()}; {logical} logical CPUs, {usable} usable by this process; "
        f"{platform.system()} {platform.release()}",
        f"- Python {sys.version.split()[0]}; {versions}",
    ]
    pools = []
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            pools.append(f"{info.get('internal_api')} {info.get('version') or ''} "
                         f"({os.path.basename(info.get('filepath', ''))}): {info.get('num_threads')}".replace("  ", " "))
    except ImportError:
        pass
    numba_part = ""
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        try:
            layer = f" ({numba.threading_layer()} layer)"
        except ValueError:  # no parallel kernel has run yet
            layer = ""
        numba_part = f"numba {numba.get_num_threads()}{layer}, "
    torch_part = ""
    if "torch" in sys.modules:
        torch_part = f"torch {sys.modules['torch'].get_num_threads()}, "
    lines.append(f"- Threads: {threads} requested; {numba_part}{torch_part}threadpoolctl pools: "
                 + ("; ".join(pools) if pools else "none found"))
    return lines
