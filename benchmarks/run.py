#!/usr/bin/env python
"""Run the benchmark suite side by side with its anchors and rewrite BENCHMARKS.md.

Usage: ``python benchmarks/run.py [--quick] [--only SUBSTRING] [--module SUBSTRING] [--out PATH]
[--repeats N] [--threads N] [--dir PATH] [--list] [--loaded] [--plans PATH] [--merge PATH ...]`` (``make bench`` /
``make bench-quick``).

Every ``benchmarks/bench_*.py`` exposes ``cases(quick: bool) -> list[dict]``. A case dict has:

- ``name`` (str), ``issue`` (int), ``ours`` (zero-argument callable: one run of our code),
  ``anchor`` (zero-argument callable or None), ``anchor_name`` (str), ``target`` (str);
- optional ``setup`` (zero-argument, run once before timing), ``repeats`` (int, default 5),
  ``memory`` (bool: also measure the peak memory of each side), ``check`` (zero-argument callable
  returning a short string for the table, called after the timed runs), ``warmup`` (zero-argument
  callable run instead of one untimed call of each side, for cases too long to run an extra time;
  it must import and compile what the sides use), ``self_timed`` (bool: each side returns the seconds
  it measured itself, for a side that times a fresh process from within; default: the harness times
  the call).

Method: setup once, one untimed warm-up call of each side (compilation, caches), then ``repeats``
timed calls of ours and of the anchor interleaved (so both see the same machine noise); the table
gives the medians and ratio = ours / anchor. Memory (when asked) is measured per side in a fresh
process: setup, a warm-up call, then the peak resident set size during one call minus the resident
size just before it (see ``_memory.py``). Threads are limited to ``--threads`` (default 2: the
thread-count environment variables are set before NumPy is imported, then threadpoolctl, numba and
torch are limited too).

A target is free text; the forms ``METRIC OP NUMBER [UNIT]`` joined by ``and`` are evaluated, with
METRIC one of ``ratio``, ``mem_ratio`` (ours' peak / anchor's peak), ``ours_tail`` (p90 / median of
our timed runs), ``ours``, ``anchor`` (median seconds), ``ours_mem``, ``anchor_mem`` (peak bytes), OP one of ``<= < >= > ==`` and UNIT one of
``s ms us x B KB MB GB`` (decimal). Anything else is shown as written, with "see check" as verdict.

The output is written atomically. With ``--only`` or ``--module``, rows of other cases are kept from
the previous file (its results are embedded in a comment at its end) and marked with the date they
were measured. ``--merge PATH ...`` runs nothing: the rows recorded in each PATH (files written
by this script, for instance by runs of separate modules) replace the rows of the same name in
``--out``, and every row keeps the date it was measured. ``--loaded`` times every case a second time
beside a CPU-bound competitor (``_load.py``); ``--plans PATH`` keeps the tolerance searches of the
cases' setups in PATH for later runs (``_plans.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_TAG = "<!-- results-json: "


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--only", default=None, metavar="SUBSTRING", help="run only cases whose name contains it")
    p.add_argument("--module", default=None, metavar="SUBSTRING", help="load only bench_*.py files whose name contains it")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), metavar="PATH", help="output file (default: BENCHMARKS.md)")
    p.add_argument("--repeats", type=int, default=None, metavar="N", help="override every case's number of timed runs")
    p.add_argument("--threads", type=int, default=2, metavar="N", help="threads for BLAS, OpenMP, numba and torch (default 2)")
    p.add_argument("--dir", default=str(BENCH_DIR), metavar="PATH", help="folder of the bench_*.py modules (default: benchmarks/)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--loaded", action="store_true",
                   help="time every case again with a CPU-bound competitor on one core (see _load.py)")
    p.add_argument("--plans", default=None, metavar="PATH",
                   help="keep the setups' tolerance searches in this JSON file and reuse them (see _plans.py)")
    p.add_argument("--merge", nargs="+", default=None, metavar="PATH",
                   help="run nothing: put the rows recorded in these files into --out (same name: replaced)")
    p.add_argument("--memory-child", nargs=3, metavar=("MODULE", "CASE", "SIDE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        p.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    return args


# ------------------------------------------------------------------------------------------ discovery


def discover(folder=BENCH_DIR, module_filter=None):
    """Paths of the bench_*.py modules in ``folder``, sorted."""
    paths = sorted(Path(folder).resolve().glob("bench_*.py"))
    return [p for p in paths if module_filter is None or module_filter in p.name]


def load_module(path):
    import importlib.util

    for folder in (str(BENCH_DIR), str(path.parent)):  # helpers next to the harness and next to the module
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


REQUIRED = ("name", "issue", "ours", "anchor", "anchor_name", "target")
OPTIONAL = ("setup", "repeats", "memory", "check", "warmup", "self_timed")


def validate_case(case, module_name):
    missing = [k for k in REQUIRED if k not in case]
    if missing:
        raise ValueError(f"{module_name}: case {case.get('name', '?')!r} lacks {missing}")
    unknown = sorted(set(case) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        print(f"warning: {module_name}: case {case['name']!r} has unknown keys {unknown}", file=sys.stderr)
    if not callable(case["ours"]) or (case["anchor"] is not None and not callable(case["anchor"])):
        raise TypeError(f"{module_name}: case {case['name']!r}: ours/anchor must be callables (anchor may be None)")


# ------------------------------------------------------------------------------------------ measuring


def _timed(fn, self_timed=False):
    """Seconds one call of ``fn`` takes (or, ``self_timed``, the seconds it returns)."""
    import gc
    import time

    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return float(out) if self_timed else time.perf_counter() - t0


def _median(values):
    import statistics

    return statistics.median(values) if values else None


def _p90(values):
    """The 90th percentile of the timed runs (linear interpolation between order statistics), or None."""
    import statistics

    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _time_cell(values, median):
    """``median / p90`` of one side's timed runs (the p90 shows the tail a median hides)."""
    if median is None:
        return fmt_time(None)
    p90 = _p90(values or [])
    return fmt_time(median) if p90 is None else f"{fmt_time(median)} / {fmt_time(p90)}"


def run_case(case, module_path, args):
    """Time one case (and its memory if asked); returns the result record."""
    import datetime

    rec = {"name": case["name"], "issue": int(case["issue"]), "module": module_path.name,
           "anchor_name": case["anchor_name"], "target": case["target"],
           "when": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "quick": bool(args.quick),
           "threads": int(args.threads)}
    repeats = args.repeats or int(case.get("repeats", 5))
    anchor = case["anchor"]
    try:
        if case.get("setup"):
            case["setup"]()
        if case.get("warmup"):
            case["warmup"]()
        else:
            case["ours"]()
            if anchor is not None:
                anchor()
        ours_t, anchor_t = [], []
        for i in range(repeats):
            ours_t.append(_timed(case["ours"], case.get("self_timed", False)))
            if anchor is not None:
                anchor_t.append(_timed(anchor, case.get("self_timed", False)))
        rec.update(ours_s=ours_t, anchor_s=anchor_t, repeats=repeats,
                   median_ours=_median(ours_t), median_anchor=_median(anchor_t))
        if args.loaded:
            from _load import loaded_timings

            rec.update(loaded_timings(case, repeats, _timed, _median, _p90))
        if rec["median_anchor"]:
            rec["ratio"] = rec["median_ours"] / rec["median_anchor"]
        if rec["median_ours"]:
            rec["ours_tail"] = _p90(ours_t) / rec["median_ours"]
        if case.get("check"):
            try:
                rec["check"] = str(case["check"]())
            except Exception as exc:  # a failing check is reported, not fatal
                rec["check"] = f"check failed: {type(exc).__name__}: {exc}"
    except Exception as exc:
        import traceback

        traceback.print_exc()
        rec["error"] = f"{type(exc).__name__}: {exc}"
        return rec
    if case.get("memory"):
        for side in ("ours", "anchor") if anchor is not None else ("ours",):
            peak, method, err = measure_memory_subprocess(module_path, case["name"], side, args)
            if err:
                rec.setdefault("memory_error", []).append(f"{side}: {err}")
            else:
                rec[f"{side}_mem"] = peak
                rec["mem_method"] = method
        if rec.get("ours_mem") and rec.get("anchor_mem"):
            rec["mem_ratio"] = rec["ours_mem"] / rec["anchor_mem"]
    rec["met"] = evaluate_target(rec["target"], rec)
    return rec


def measure_memory_subprocess(module_path, case_name, side, args):
    """Peak RSS delta of one call of ``side`` in a fresh process: (bytes, method, error)."""
    import json
    import subprocess

    cmd = [sys.executable, str(Path(__file__).resolve()), "--threads", str(args.threads),
           "--memory-child", str(module_path), case_name, side]
    if args.quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("MEMORY_RESULT "):
            res = json.loads(line[len("MEMORY_RESULT "):])
            return res["peak"], res["method"], None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, None, f"exit {proc.returncode}: {tail[0]}"


def memory_child(args):
    """Entry point of the memory subprocess: setup, warm-up, then one measured call."""
    import json

    from _memory import peak_delta

    module_path, case_name, side = args.memory_child
    module = load_module(Path(module_path))
    matches = [c for c in module.cases(args.quick) if c["name"] == case_name]
    if not matches:
        raise SystemExit(f"no case named {case_name!r} in {module_path}")
    case = matches[0]
    if case.get("setup"):
        case["setup"]()
    fn = case[side]
    (case.get("warmup") or fn)()
    peak, method = peak_delta(fn)
    print("MEMORY_RESULT " + json.dumps({"peak": peak, "method": method}), flush=True)


# ------------------------------------------------------------------------------------------ targets

_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "x": 1.0, "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9}
_METRICS = {"ratio": "ratio", "mem_ratio": "mem_ratio", "ours_tail": "ours_tail", "ours": "median_ours", "anchor": "median_anchor",
            "ours_mem": "ours_mem", "anchor_mem": "anchor_mem"}


def evaluate_target(target, rec):
    """"yes", "no", "see check" (free text) or "n/a" (a metric is missing) for the target string."""
    import operator
    import re

    ops = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}
    pattern = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|==|<|>)\s*([0-9.eE+-]+)\s*([a-zA-Z]*)\s*$")
    verdicts = []
    for part in re.split(r"\s+and\s+", target.strip()):
        m = pattern.match(part)
        if not m or m.group(1) not in _METRICS or m.group(4).lower() not in ("", *_UNITS):
            return "see check"
        value = rec.get(_METRICS[m.group(1)])
        if value is None:
            return "n/a"
        try:
            bound = float(m.group(3)) * _UNITS.get(m.group(4).lower(), 1.0)
        except ValueError:
            return "see check"
        verdicts.append(ops[m.group(2)](value, bound))
    return "yes" if all(verdicts) else "no"


# ------------------------------------------------------------------------------------------ output


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_bytes(n):
    if n is None:
        return "—"
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(records, machine, args, carried):
    import datetime
    import json

    lines = [
        "# Benchmarks",
        "",
        f"Written by `benchmarks/run.py` ({'`--quick`, small sizes: a smoke test, not the measured figures' if args.quick else '`make bench`'}) "
        f"on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}. Do not edit by hand: rerun the suite.",
        "",
        "## Machine",
        "",
        *machine,
        "",
        "## Method",
        "",
        "- Each case: setup once, one untimed warm-up call per side, then the timed calls of ours and of the "
        "anchor interleaved (same machine noise for both); the table gives the medians, the 90th percentiles "
        "(median / p90) and ratio = ours / anchor (of the medians).",
        "- Peak memory (where a case is about memory): each side in a fresh process after setup and a warm-up "
        "call; peak resident set size during one call minus the resident size just before it (VmHWM reset "
        "through /proc/self/clear_refs, else VmRSS sampled every 0.5 ms). It counts every allocator "
        "(NumPy, PyTorch, BLAS), unlike tracemalloc.",
        "- met: the target evaluated on the measured numbers; \"see check\" when the target is prose "
        "(then the check column says).",
    ]
    if carried:
        lines.append("- Rows marked † were not rerun in this run (`--only`/`--module`); their date is in the check column.")
    for issue in sorted({r["issue"] for r in records}):
        lines += ["", f"## Issue {issue}", "",
                  "| case | ours (median / p90) | anchor | anchor (median / p90) | ratio | target | met | peak memory ours / anchor | runs | check |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in (r for r in records if r["issue"] == issue):
            mark = " †" if r["name"] in carried else ""
            if "error" in r:
                lines.append(f"| {_cell(r['name'])}{mark} | error | {_cell(r['anchor_name'])} | — | — | "
                             f"{_cell(r['target'])} | no | — | — | {_cell(r['error'])} |")
                continue
            ratio = f"{r['ratio']:.3f}" if r.get("ratio") is not None else "—"
            mem = "—"
            if r.get("ours_mem") is not None or r.get("memory_error"):
                mem = f"{fmt_bytes(r.get('ours_mem'))} / {fmt_bytes(r.get('anchor_mem'))}"
                if r.get("mem_ratio") is not None:
                    mem += f" ({r['mem_ratio']:.2f}×)"
                if r.get("memory_error"):
                    mem += " (" + "; ".join(r["memory_error"]) + ")"
            check = r.get("check", "")
            if r.get("threads") not in (None, args.threads):  # not the thread count of the header
                check = f"--threads {r['threads']}; {check}"
            if mark:
                check = f"measured {r['when']}; {check}"
            lines.append(f"| {_cell(r['name'])}{mark} | {_time_cell(r.get('ours_s'), r['median_ours'])} | "
                         f"{_cell(r['anchor_name'])} | {_time_cell(r.get('anchor_s'), r.get('median_anchor'))} | {ratio} | {_cell(r['target'])} | {r['met']} | {mem} | "
                         f"{r['repeats']} | {_cell(check)} |")
    from _load import loaded_table

    lines += loaded_table(records, _time_cell, _median, _cell)
    lines += ["", RESULTS_TAG + json.dumps(records) + " -->", ""]
    return "\n".join(lines)


def load_previous(path):
    import json

    try:
        text = Path(path).read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith(RESULTS_TAG) and line.endswith(" -->"):
            try:
                return json.loads(line[len(RESULTS_TAG):-4])
            except ValueError:
                return []
    return []


def write_atomic(path, text):
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------------ main


def merge(args):
    """``--merge``: rows of other result files replace the same-named rows of ``--out`` (and a full-size
    row the quick-size row of its case); nothing runs."""
    from _machine import machine_lines

    records = {r["name"]: r for r in load_previous(args.out)}
    for path in args.merge:
        new = load_previous(path)
        if not new:
            print(f"run.py: error: no results recorded in {path}", file=sys.stderr)
            return 2
        records.update((r["name"], r) for r in new)
        # a full-size row replaces the quick-size row of the same case (the name before its sizes)
        full = {(r.get("module"), r["name"].split(" (")[0]) for r in new if not r.get("quick")}
        records = {k: r for k, r in records.items()
                   if not (r.get("quick") and (r.get("module"), r["name"].split(" (")[0]) in full)}
    rows = list(records.values())
    write_atomic(args.out, render(rows, machine_lines(args.threads), args, {r["name"] for r in rows}))
    print(f"wrote {args.out} ({len(rows)} rows, merged from {len(args.merge)} file(s))", file=sys.stderr)
    return 0


def main(argv=None):
    args = _parse_args(argv)
    sys.path.insert(0, str(BENCH_DIR))
    from _machine import limit_threads, machine_lines, set_thread_env

    set_thread_env(args.threads)  # before numpy/numba/torch are imported
    if args.plans:
        import _plans

        _plans.FILE = Path(args.plans).resolve()
    limiter = limit_threads(args.threads)  # noqa: F841 (kept alive for the whole run)
    if args.memory_child:
        memory_child(args)
        return 0
    if args.merge:
        return merge(args)
    records, failures = [], 0
    for path in discover(args.dir, args.module):
        try:
            module = load_module(path)
            cases = module.cases(args.quick)
            for case in cases:
                validate_case(case, path.name)
        except Exception as exc:
            import traceback

            traceback.print_exc()
            records.append({"name": f"{path.name} (could not load)", "issue": 0, "module": path.name,
                            "anchor_name": "—", "target": "—", "error": f"{type(exc).__name__}: {exc}", "when": ""})
            failures += 1
            continue
        for case in cases:
            if args.only and args.only not in case["name"]:
                continue
            if args.list:
                print(f"{path.name}: issue {case['issue']}: {case['name']}")
                continue
            print(f"[{path.name}] {case['name']} ...", file=sys.stderr, flush=True)
            limit_threads(args.threads)  # a case's setup may have changed them
            rec = run_case(case, path, args)
            failures += "error" in rec
            print(f"    ours {fmt_time(rec.get('median_ours'))}, anchor {fmt_time(rec.get('median_anchor'))}, "
                  f"ratio {rec.get('ratio', float('nan')):.3f}, met: {rec.get('met', 'no')}", file=sys.stderr, flush=True)
            records.append(rec)
    if args.list:
        return 0
    carried = set()
    if args.only or args.module:
        ran = {r["name"] for r in records}
        for old in load_previous(args.out):
            if old["name"] not in ran:
                records.append(old)
                carried.add(old["name"])
    write_atomic(args.out, render(records, machine_lines(args.threads), args, carried))
    print(f"wrote {args.out} ({len(records)} rows, {failures} failed)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
