r"""The cores a parallel launch can use now: allowed to this process and not taken by other runnable tasks.

A parallel kernel ends at a barrier: the launch lasts as long as its slowest thread. A thread that
shares its core with another busy process runs only between that process's time slices, and the
threads on free cores wait for it (handing the row groups out one by one bounds the work it holds
back, not the time it waits for its core); launches from several threads of the caller at once (Dask's
threaded workers) put more threads on the cores than there are cores. So a launch asks for no more
threads than there are cores free at that moment, like libgomp under ``OMP_DYNAMIC`` (which subtracts
the one-minute load average from the online cores), but from the run queue as it is now: the fourth
field of Linux's ``/proc/loadavg``, ``running/total``, counts the tasks runnable at the moment it is
read (the reading thread among them), over the whole system.

.. math::

   \text{free} = \min\bigl(A,\ \max(1,\ P - (R - 1))\bigr)

with :math:`A` the cores this process may run on (``os.sched_getaffinity``), :math:`P` the online
cores (``os.cpu_count()``, the scope of the run queue count) and :math:`R` the runnable tasks. Where
``/proc/loadavg`` cannot be read (macOS, Windows, a sandbox), :math:`\text{free} = A`. Nothing is
changed: the count only bounds the threads of one numba launch (:func:`crossentropy._kernels.launching`)
and the BLAS threads of a fit's large products (:func:`crossentropy._blas.for_products`).

The size of the last-level cache (:func:`last_level_cache_bytes`) is read here too: a lower-precision
copy of X for the second-order terms is kept only when it fits there
(:class:`crossentropy.objective._second_order.SecondOrderData`).
"""

from __future__ import annotations

import os

#: Linux's load file: ``avg1 avg5 avg15 running/total last_pid``
LOADAVG = "/proc/loadavg"
#: This process's threads, one folder each with its ``stat``
TASKS = "/proc/self/task"


def allowed_cores() -> int:
    """Cores this process may run on: its affinity mask where the OS has one, else all online cores.

    >>> allowed_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity call (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def runnable_tasks(path=None):
    """Tasks runnable now over the whole system (the caller included); None where they cannot be read.

    The numerator of the fourth field (``running/total``) of ``path`` (default :data:`LOADAVG`).
    """
    try:
        fd = os.open(LOADAVG if path is None else path, os.O_RDONLY)  # a raw read: ~10 µs, no file object
        try:
            fields = os.read(fd, 256).split()
        finally:
            os.close(fd)
        return int(fields[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return None


def own_runnable(task_dir=None) -> int:
    """Threads of this process runnable now (state ``R`` in ``/proc/self/task/*/stat``), the caller
    among them; 1 where they cannot be read.

    A BLAS library's threads spin for a while after each product, runnable though they hold no work:
    counted with the other tasks of the run queue, they would make the cores look taken by the very
    process that asks.

    >>> own_runnable() >= 1
    True
    """
    task_dir = TASKS if task_dir is None else task_dir
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return 1
    count = 0
    for tid in tids:
        try:
            fd = os.open(os.path.join(task_dir, tid, "stat"), os.O_RDONLY)
            try:
                stat = os.read(fd, 512)
            finally:
                os.close(fd)
        except OSError:  # the thread ended meanwhile
            continue
        fields = stat.rsplit(b")", 1)[-1].split()
        count += bool(fields) and fields[0] == b"R"
    return max(1, count)


def free_cores(allowed=None, online=None, runnable=None, own=1) -> int:
    r"""Cores free for a launch now: :math:`\min(A, \max(1, P - (R - 1)))` (see the module's note).

    Parameters
    ----------
    allowed : int, optional
        :math:`A`, cores this process may run on; default :func:`allowed_cores`.
    online : int, optional
        :math:`P`, the cores the run queue count spans; default ``os.cpu_count()``.
    runnable : int, optional
        :math:`R`, the runnable tasks including the caller; default :func:`runnable_tasks`, read now
        (where it cannot be read, the result is :math:`A`).
    own : int, default 1
        How many of the :math:`R` runnable tasks are the caller's own: 1, the calling thread (a parallel
        launch counts its process's other busy threads as competitors, as Dask's threaded workers
        are); :func:`own_runnable` where the process's own threads are not to count (BLAS's threads
        spinning after a product). :math:`R - \mathrm{own}` replaces :math:`R - 1` above.

    Returns
    -------
    int
        At least 1 and at most ``allowed``.

    Examples
    --------
    The caller alone on 2 cores gets both; a competitor spinning on one leaves one; a 16-core
    machine with 3 busy tasks besides the caller leaves its 8 allowed cores free, and a
    run queue longer than the cores leaves one:

    >>> free_cores(2, 2, 1), free_cores(2, 2, 2), free_cores(8, 16, 4), free_cores(4, 4, 9)
    (2, 1, 8, 1)
    """
    allowed = allowed_cores() if allowed is None else int(allowed)
    if runnable is None:
        runnable = runnable_tasks()
        if runnable is None:
            return allowed
    others = int(runnable) - max(1, int(own))
    if others <= 0:  # the caller alone (os.cpu_count is not needed, and costs as much as the read)
        return allowed
    online = (os.cpu_count() or allowed) if online is None else int(online)
    return max(1, min(allowed, online - others))


#: Linux's description of the first CPU's caches, one folder per cache (``level``, ``type``, ``size``)
CACHES = "/sys/devices/system/cpu/cpu0/cache"
#: The last-level cache assumed where the caches cannot be read (macOS, Windows, a sandbox)
DEFAULT_CACHE_BYTES = 32 << 20


def last_level_cache_bytes(path=None) -> int:
    """The size in bytes of the first CPU's data or unified cache of the highest level (Linux's
    ``/sys/devices/system/cpu/cpu0/cache``), ``DEFAULT_CACHE_BYTES`` where that cannot be read.

    >>> last_level_cache_bytes() > 0
    True
    """
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    best = None
    try:
        for entry in os.scandir(CACHES if path is None else path):
            if not entry.name.startswith("index"):
                continue
            with open(os.path.join(entry.path, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(entry.path, "level")) as f:
                level = int(f.read())
            with open(os.path.join(entry.path, "size")) as f:
                text = f.read().strip()
            size = int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)
            if best is None or level > best[0]:
                best = (level, size)
    except (OSError, ValueError):
        return DEFAULT_CACHE_BYTES
    return DEFAULT_CACHE_BYTES if best is None or best[1] <= 0 else best[1]
