"""Peak memory of one call, measured on the process's resident set size (RSS).

The peak counts everything a library allocates (NumPy, PyTorch's allocator, BLAS buffers, numba),
which tracemalloc would not. On Linux the kernel's high-water mark ``VmHWM`` is reset by writing
``5`` to ``/proc/self/clear_refs`` just before the call, so the peak belongs to the call alone;
where that is not allowed, a thread samples ``VmRSS`` every 0.5 ms instead.

The harness runs each side in its own fresh process (setup, one warm-up call, then the measured
call), so the two sides never share an allocator or caches; the figure is the peak RSS during the
call minus the RSS just before it.
"""

from __future__ import annotations

import gc
import threading
import time


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _reset_high_water() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim(0)``), where there is one.

    Without it, the blocks a warm-up call freed stay resident, and the measured call's allocations
    below glibc's mmap threshold (up to 32 MB) reuse them without raising the RSS: a fit whose
    temporaries were all of that size measured 0 kB.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_delta(fn) -> tuple[int, str]:
    """Run ``fn()`` once; return (peak RSS during it minus RSS before it, in bytes; method used)."""
    gc.collect()
    _trim_heap()
    if _reset_high_water():
        before = _status_kb("VmRSS")
        fn()
        peak = _status_kb("VmHWM")
        return max(0, peak - before) * 1024, "VmHWM"
    before = _status_kb("VmRSS")
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _status_kb("VmRSS"))
            time.sleep(0.0005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        fn()
    finally:
        done.set()
        t.join()
    peak[0] = max(peak[0], _status_kb("VmRSS"))
    return max(0, peak[0] - before) * 1024, "VmRSS sampling"
