"""The benchmark harness (benchmarks/run.py): a quick run of the kernel cases writes the table, and on a
synthetic module whose sides allocate known amounts the measured peak memory and verdicts are right.

The harness runs in a subprocess, as ``make bench`` runs it, writing into a temporary file (never the
repository's BENCHMARKS.md).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, str(RUN), *map(str, args)], capture_output=True, text=True,
                          cwd=str(ROOT), timeout=timeout)


def _results(path):
    for line in Path(path).read_text().splitlines():
        if line.startswith("<!-- results-json: "):
            return json.loads(line[len("<!-- results-json: "):-len(" -->")])
    raise AssertionError("no embedded results in the output")


def _harness():
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_of_the_kernel_cases_writes_the_table(tmp_path):
    out = tmp_path / "BENCH.md"
    proc = _run("--quick", "--module", "kernels", "--only", "fused_ce", "--repeats", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for needle in ("# Benchmarks", "## Machine", "- CPU:", "numpy", "numba", "- Threads: 2 requested", "## Issue 5",
                   "| case | ours (median / p90) |", "fused_ce_vs_torch", "fused_ce_vs_floor"):
        assert needle in text, needle
    rows = _results(out)
    for r in rows:  # each row shows its median and its 90th percentile, from the stored timings
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {r['name']}"))
        lo, hi = sorted(r["ours_s"])
        p90 = lo + 0.9 * (hi - lo)  # two runs: the 90th percentile by linear interpolation
        fmt = _harness().fmt_time
        assert line.split(" | ")[1] == f"{fmt(r['median_ours'])} / {fmt(p90)}"
    assert {r["name"].split(" ")[0] for r in rows} == {"fused_ce_vs_torch", "fused_ce_vs_floor"}
    for r in rows:
        assert len(r["ours_s"]) == len(r["anchor_s"]) == 2
        assert r["median_ours"] > 0 and r["median_anchor"] > 0
        assert r["ratio"] == pytest.approx(r["median_ours"] / r["median_anchor"])
        assert r["met"] in ("yes", "no")
        assert "vs torch: loss rel. diff" in r["check"]
    assert not (tmp_path / ".BENCH.md").exists() and len(list(tmp_path.iterdir())) == 1  # no temp file left


FAKE = '''
import numpy as np

_KEEP = {}


def _alloc(megabytes):
    a = np.ones(megabytes * 125_000)  # float64: touched, so resident
    return float(a.sum())


def cases(quick):
    return [
        {"name": "alloc_64_vs_192", "issue": 99, "ours": lambda: _alloc(64), "anchor": lambda: _alloc(192),
         "anchor_name": "allocates 192 MB", "target": "mem_ratio <= 0.5 and ratio < 1000", "memory": True,
         "repeats": 3, "check": lambda: "ok"},
        {"name": "no_anchor", "issue": 99, "ours": lambda: _alloc(8), "anchor": None, "anchor_name": "none",
         "target": "ours < 5 s", "repeats": 2},
        {"name": "prose_target", "issue": 98, "ours": lambda: None, "anchor": lambda: None, "anchor_name": "noop",
         "target": "orientation only"},
        {"name": "broken", "issue": 98, "ours": lambda: 1 / 0, "anchor": None, "anchor_name": "none",
         "target": "ours < 1 s"},
        {"name": "sized (quick)" if quick else "sized (full)", "issue": 98, "ours": lambda: None, "anchor": None,
         "anchor_name": "none", "target": "ours < 5 s"},
    ]
'''


def test_memory_verdicts_errors_and_carried_rows(tmp_path):
    bench = tmp_path / "benches"
    bench.mkdir()
    (bench / "bench_fake.py").write_text(textwrap.dedent(FAKE))
    out = tmp_path / "B.md"
    proc = _run("--dir", bench, "--out", out)
    assert proc.returncode == 1, proc.stderr[-3000:]  # the broken case fails the run, the rest are written
    rows = {r["name"]: r for r in _results(out)}
    alloc = rows["alloc_64_vs_192"]
    assert alloc["ours_mem"] == pytest.approx(64e6, rel=0.25)
    assert alloc["anchor_mem"] == pytest.approx(192e6, rel=0.25)
    assert alloc["met"] == "yes" and alloc["check"] == "ok" and alloc["repeats"] == 3
    assert rows["no_anchor"]["met"] == "yes" and rows["no_anchor"]["anchor_s"] == []
    assert rows["prose_target"]["met"] == "see check"
    assert "ZeroDivisionError" in rows["broken"]["error"]
    text = out.read_text()
    assert "## Issue 98" in text and "## Issue 99" in text
    # rerun one case: the others are carried over from the file and marked
    proc = _run("--dir", bench, "--out", out, "--only", "no_anchor")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows2 = {r["name"]: r for r in _results(out)}
    assert set(rows2) == set(rows)
    assert rows2["alloc_64_vs_192"]["ours_mem"] == alloc["ours_mem"]
    assert "alloc_64_vs_192 †" in out.read_text()


@pytest.mark.parametrize("target, rec, verdict", [
    ("ratio <= 0.33", {"ratio": 0.2}, "yes"),
    ("ratio <= 0.33", {"ratio": 0.34}, "no"),
    ("ratio <= 0.67 and mem_ratio <= 1", {"ratio": 0.5, "mem_ratio": 1.2}, "no"),
    ("ratio <= 0.67 and mem_ratio <= 1", {"ratio": 0.5, "mem_ratio": 0.9}, "yes"),
    ("ours_mem < 2 GB", {"ours_mem": 1.5e9}, "yes"),
    ("ours_mem < 2 GB", {"ours_mem": 2.5e9}, "no"),
    ("ours < 250 ms", {"median_ours": 0.3}, "no"),
    ("ratio <= 0.33", {}, "n/a"),
    ("peak memory per worker < 1.5 GB", {"ours_mem": 1.0}, "see check"),
])
def test_target_evaluation(target, rec, verdict):
    assert _harness().evaluate_target(target, rec) == verdict


def test_bad_arguments_are_rejected():
    proc = _run("--repeats", "0")
    assert proc.returncode == 2 and "--repeats must be at least 1" in proc.stderr


def test_merge_puts_rows_of_another_file_into_the_output(tmp_path):
    bench = tmp_path / "benches"
    bench.mkdir()
    (bench / "bench_fake.py").write_text(textwrap.dedent(FAKE))
    out, other = tmp_path / "B.md", tmp_path / "other.md"
    assert _run("--dir", bench, "--out", out, "--only", "no_anchor").returncode == 0
    assert _run("--dir", bench, "--out", other, "--only", "prose_target", "--threads", "1").returncode == 0
    before = {r["name"]: r for r in _results(out)}
    proc = _run("--out", out, "--merge", other)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["name"]: r for r in _results(out)}
    assert set(rows) == {"no_anchor", "prose_target"}
    assert rows["no_anchor"] == before["no_anchor"]
    assert rows["prose_target"] == _results(other)[0]
    assert "prose_target †" in out.read_text()
    row = next(ln for ln in out.read_text().splitlines() if ln.startswith("| prose_target"))
    assert "--threads 1; " in row  # measured at another thread count than the header's 2
    assert "--threads" not in next(ln for ln in out.read_text().splitlines() if ln.startswith("| no_anchor"))
    missing = _run("--out", out, "--merge", tmp_path / "nothing.md")
    assert missing.returncode == 2 and "no results recorded" in missing.stderr


def test_merge_replaces_the_quick_row_of_a_case_by_its_full_size_row(tmp_path):
    bench = tmp_path / "benches"
    bench.mkdir()
    (bench / "bench_fake.py").write_text(textwrap.dedent(FAKE))
    out, full = tmp_path / "B.md", tmp_path / "full.md"
    assert _run("--dir", bench, "--out", out, "--only", "sized", "--quick").returncode == 0
    assert _run("--dir", bench, "--out", out, "--only", "no_anchor", "--quick").returncode == 0
    assert {r["name"] for r in _results(out)} == {"sized (quick)", "no_anchor"}
    assert _run("--dir", bench, "--out", full, "--only", "sized").returncode == 0
    assert _run("--out", out, "--merge", full).returncode == 0
    assert {r["name"] for r in _results(out)} == {"sized (full)", "no_anchor"}  # the quick no_anchor stays


def test_loaded_mode_times_each_case_again_beside_a_competitor(tmp_path):
    bench = tmp_path / "benches"
    bench.mkdir()
    (bench / "bench_fake.py").write_text(textwrap.dedent(FAKE))
    out = tmp_path / "B.md"
    proc = _run("--dir", bench, "--out", out, "--only", "no_anchor", "--loaded")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rec = _results(out)[0]
    assert len(rec["loaded_ours_s"]) == len(rec["ours_s"]) == 2 and rec["loaded_anchor_s"] == []
    lo, hi = sorted(rec["loaded_ours_s"])
    assert rec["loaded_ours_tail"] == pytest.approx((lo + 0.9 * (hi - lo)) / ((lo + hi) / 2))
    text = out.read_text()
    assert "## Loaded mode (one CPU-bound competitor on one core)" in text
    row = next(ln for ln in text.split("## Loaded mode")[1].splitlines() if ln.startswith("| no_anchor"))
    assert row.split(" | ")[7] == "n/a"  # no anchor: no loaded ratio to judge


PLANNED = """
import _plans

SEARCHES = []


def setup():
    entry = _plans.load("planned", ("numpy",))
    if entry is None:
        SEARCHES.append("searched")
        _plans.store("planned", ("numpy",), {"tol": 1e-7}, "2026-12-06 07:00")
    else:
        SEARCHES.append(f"stored {entry['value']['tol']:g} of {entry['when']}")


def cases(quick):
    return [{"name": "planned", "issue": 97, "ours": lambda: None, "anchor": None, "anchor_name": "none",
             "target": "orientation", "setup": setup, "repeats": 1, "check": lambda: "; ".join(SEARCHES)}]
"""


def test_plans_keep_a_setup_search_for_the_next_run(tmp_path):
    """``--plans``: the first run searches and stores, the second takes the stored search; without the
    option nothing is read or written."""
    bench = tmp_path / "benches"
    bench.mkdir()
    (bench / "bench_planned.py").write_text(PLANNED)
    out, plans = tmp_path / "B.md", tmp_path / "kept" / "plans.json"
    assert _run("--dir", bench, "--out", out).returncode == 0
    assert _results(out)[0]["check"] == "searched" and not plans.exists()
    for expected in ("searched", "stored 1e-07 of 2026-12-06 07:00"):
        proc = _run("--dir", bench, "--out", out, "--plans", plans)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert _results(out)[0]["check"] == expected
    kept = json.loads(plans.read_text())
    assert kept["planned"]["versions"] == {"numpy": np.__version__}
    assert sorted(p.name for p in plans.parent.iterdir()) == ["plans.json"]  # no temporary file left


def test_a_stored_search_is_for_the_same_library_versions_only(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import _plans
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    monkeypatch.setattr(_plans, "FILE", tmp_path / "plans.json")
    _plans.store("case", ("numpy", "no-such-distribution"), [1.0, 2], "then")
    _plans.store("other", ("numpy",), "kept beside", "then")
    entry = _plans.load("case", ("numpy", "no-such-distribution"))
    assert entry == {"when": "then", "value": [1.0, 2],
                     "versions": {"numpy": np.__version__, "no-such-distribution": None}}
    assert _plans.load("other", ("numpy",))["value"] == "kept beside"
    assert _plans.load("missing", ("numpy",)) is None
    monkeypatch.setattr(_plans, "versions", lambda names: {name: "0.0" for name in names})  # numpy upgraded
    assert _plans.load("case", ("numpy", "no-such-distribution")) is None
    (tmp_path / "plans.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="does not hold a JSON object"):
        _plans.load("case", ("numpy",))


@pytest.mark.parametrize("rec, verdict", [
    ({"ratio": 0.3, "loaded_ratio": 0.44, "loaded_ours_tail": 1.2}, "yes"),
    ({"ratio": 0.3, "loaded_ratio": 0.46, "loaded_ours_tail": 1.2}, "no"),   # over 1.5x the quiet ratio
    ({"ratio": 0.45, "loaded_ratio": 0.55, "loaded_ours_tail": 1.2}, "no"),  # was <= 0.5 quiet, not loaded
    ({"ratio": 0.8, "loaded_ratio": 1.1, "loaded_ours_tail": 1.4}, "yes"),
    ({"ratio": 0.3, "loaded_ratio": 0.3, "loaded_ours_tail": 1.6}, "no"),   # tail
    ({"ratio": 0.3}, "n/a"),
])
def test_loaded_verdict(rec, verdict):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _load import loaded_verdict
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert loaded_verdict(rec) == verdict


def test_competitor_spins_on_one_core():
    import os
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _load import competitor, competitor_core
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    def cpu_seconds(pid):  # user + system time of the process, from /proc
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    with competitor() as proc:
        deadline = time.monotonic() + 20  # a loaded machine may take a while to start Python
        while cpu_seconds(proc.pid) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cpu_seconds(proc.pid) >= 0.3  # it burns CPU
        assert os.sched_getaffinity(proc.pid) == {competitor_core()}  # on one core
        # in a session of its own (the scheduler's fair share is per session first, as for a browser)
        assert os.getsid(proc.pid) == proc.pid != os.getsid(0)
    assert proc.poll() is not None  # and it is gone after the block


def test_competitor_ends_with_a_harness_killed_by_a_signal():
    """A harness stopped by SIGKILL (or a timeout's SIGTERM) runs no ``finally``: its spinner, in a
    session of its own, still ends, as it spins only while its parent lives."""
    import os
    import signal
    import time

    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT / "benchmarks")!r})
        from _load import competitor
        with competitor() as proc:
            print(proc.pid, flush=True)
            time.sleep(600)
    """)
    harness = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    spinner = int(harness.stdout.readline())
    assert Path(f"/proc/{spinner}").exists()
    os.kill(harness.pid, signal.SIGKILL)
    harness.wait()
    deadline = time.monotonic() + 20
    def alive():
        try:  # a zombie (exited, not yet reaped by init) counts as gone
            return Path(f"/proc/{spinner}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive()
