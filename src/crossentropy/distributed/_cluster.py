"""Connecting to a Dask cluster: a scheduler address, or ``"local"`` for a cluster on this machine."""

from __future__ import annotations

import logging

import re

from ._dask import distributed

__all__ = ["connect", "DEFAULT_TIMEOUT"]

#: Seconds to wait for a scheduler before giving up.
DEFAULT_TIMEOUT = 10.0

_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$")


def connect(address, *, timeout=DEFAULT_TIMEOUT, n_workers=None, threads_per_worker=None, memory_limit="auto"):
    r"""Connect a :class:`distributed.Client` to a scheduler, or start a local cluster for ``"local"``.

    The client becomes Dask's default scheduler, so every ``fit`` on Dask input that follows runs
    on this cluster. A scheduler that does not answer within ``timeout`` seconds raises
    :class:`ConnectionError` (nothing is left running).

    .. math::
        t_{\text{give up}} \le \text{timeout}

    Parameters
    ----------
    address : str
        ``"local"``, or a scheduler address ``"tcp://HOST:PORT"`` (also ``tls://``, ``inproc://``;
        a bare ``"HOST:PORT"`` means ``tcp://``).
    timeout : float, default 10
        Seconds to wait for the scheduler.
    n_workers, threads_per_worker, memory_limit
        For ``"local"`` only: passed to :class:`distributed.LocalCluster` (None: Dask's defaults,
        one worker process per few cores). The local cluster listens on 127.0.0.1 only and has no
        dashboard (its HTTP server is on a free port).

    Returns
    -------
    client : distributed.Client
        Close it when done (``client.close()``, or use it as a context manager); for ``"local"`` the
        cluster is ``client.cluster`` and closing the client does not stop it: call
        ``client.cluster.close()`` too.

    Raises
    ------
    ValueError
        ``address`` is not ``"local"`` nor of the form ``[tcp://]HOST:PORT``, or ``timeout <= 0``.
    ConnectionError
        No scheduler answered at ``address`` within ``timeout`` seconds.

    Examples
    --------
    >>> from crossentropy.distributed import connect
    >>> connect("tcp://127.0.0.1:1", timeout=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ConnectionError: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' within 0.5 s: ...
    >>> connect("127.0.0.1")
    Traceback (most recent call last):
    ...
    ValueError: address must be 'local' or a scheduler address like 'tcp://HOST:PORT', got '127.0.0.1'

    References
    ----------
    Dask developers, *dask.distributed: Client*, https://distributed.dask.org/en/stable/client.html
    """
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        raise TypeError(f"timeout must be a number of seconds, got {timeout!r}") from None
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(address, str) or not (address == "local" or _ADDRESS.match(address.strip())):
        raise ValueError(f"address must be 'local' or a scheduler address like 'tcp://HOST:PORT', got {address!r}")
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},  # its HTTP server on a free port:
            # without an address it binds 8787 even with no dashboard, and warns when another cluster has it
            memory_limit=memory_limit,
            # the cluster's own processes log only critical messages: a failed task reaches the client as
            # its exception, and at shutdown a worker whose heartbeat meets the closed scheduler logs an
            # error with a traceback that means nothing (a race inside distributed, frequent on a busy machine)
            silence_logs=logging.CRITICAL,
        )
        try:
            return distributed.Client(cluster, timeout=timeout)
        except BaseException:
            cluster.close()
            raise
    address = address.strip()
    try:
        return distributed.Client(address, timeout=timeout)
    except Exception as exc:  # OSError on timeout; garbage from a non-Dask server surfaces as anything
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: {first}"
        ) from None
