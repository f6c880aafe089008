"""The loaded mode of the harness: one CPU-bound competitor on one core while a case is timed again.

A laptop with a browser open, or a shared server, rarely gives a fit all its cores. ``--loaded`` times
every case twice: quiet, then with :func:`competitor` running, a separate process that spins on one
core (the last core this process may use, ``os.sched_getaffinity``) and does nothing else. It is
started before the loaded timings and killed after them, so both sides of the case meet the same
competitor, interleaved as in the quiet runs. It runs in a session of its own, as a browser or another
user's job would: Linux's scheduler (autogroups, or a desktop's per-application cgroups) shares the
CPU fairly between sessions first, so a competitor in the harness's own session would take half of
the harness's share on every core (on the 2-core benchmark machine a one-thread call of the fused
kernel took 117 ms beside it against 78 ms beside the same spinner in its own session), not one core.

The targets of the loaded mode (evaluated by :func:`loaded_verdict`): ours/anchor loaded at most 1.5x
the quiet ratio, still at most 0.5 when the quiet ratio is at most 0.5, and our p90/median at most 1.5
under load.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

#: The competitor: it spins on its core while its parent lives (checked every few milliseconds), so a
#: harness killed by a signal, whose ``finally`` never runs, leaves no spinner behind.
_SPIN = ("import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nparent = int(sys.argv[2])\n"
         "while os.getppid() == parent:\n    for _ in range(100_000):\n        pass\n")


def competitor_core() -> int:
    """The core the competitor is pinned to: the highest this process may run on."""
    return max(os.sched_getaffinity(0))


@contextlib.contextmanager
def competitor():
    """A process spinning on one core for the duration of the ``with`` block (killed on exit)."""
    proc = subprocess.Popen([sys.executable, "-c", _SPIN, str(competitor_core()), str(os.getpid())],
                            start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def loaded_verdict(rec) -> str:
    """"yes"/"no" for the loaded-mode targets of one result record, "n/a" without both ratios."""
    quiet, loaded, tail = rec.get("ratio"), rec.get("loaded_ratio"), rec.get("loaded_ours_tail")
    if quiet is None or loaded is None or tail is None:
        return "n/a"
    ok = loaded <= 1.5 * quiet and tail <= 1.5 and (quiet > 0.5 or loaded <= 0.5)
    return "yes" if ok else "no"


def loaded_timings(case, repeats, timed, median, p90):
    """The case timed again, interleaved, with a CPU-bound competitor on one core."""
    ours_t, anchor_t = [], []
    with competitor():
        for _ in range(repeats):
            ours_t.append(timed(case["ours"], case.get("self_timed", False)))
            if case["anchor"] is not None:
                anchor_t.append(timed(case["anchor"], case.get("self_timed", False)))
    out = {"loaded_ours_s": ours_t, "loaded_anchor_s": anchor_t, "loaded_ours_tail": p90(ours_t) / median(ours_t)}
    if anchor_t:
        out["loaded_ratio"] = median(ours_t) / median(anchor_t)
    return out


def loaded_table(records, time_cell, median, cell):
    """The loaded-mode section: the same cases with one core taken by a competitor, beside the quiet ratio."""
    rows = [r for r in records if r.get("loaded_ours_s") and "error" not in r]
    if not rows:
        return []
    lines = ["", "## Loaded mode (one CPU-bound competitor on one core)", "",
             "Target: loaded ratio at most 1.5x the quiet ratio (and at most 0.5 where the quiet ratio is), "
             "our p90/median at most 1.5 under load.", "",
             "| case | quiet ratio | ours loaded (median / p90) | anchor loaded (median / p90) | loaded ratio | "
             "loaded / quiet | ours p90/median loaded | met | measured |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        quiet, loaded = r.get("ratio"), r.get("loaded_ratio")
        both = quiet is not None and loaded is not None
        lines.append(f"| {cell(r['name'])} | {'—' if quiet is None else f'{quiet:.3f}'} | "
                     f"{time_cell(r['loaded_ours_s'], median(r['loaded_ours_s']))} | "
                     f"{time_cell(r.get('loaded_anchor_s'), median(r.get('loaded_anchor_s') or []))} | "
                     f"{'—' if loaded is None else f'{loaded:.3f}'} | {f'{loaded / quiet:.2f}' if both else '—'} | "
                     f"{r['loaded_ours_tail']:.2f} | {loaded_verdict(r)} | {r.get('when', '')} |")
    return lines
