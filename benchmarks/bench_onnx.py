"""Benchmark of issue 26 item 1: a run exported by ``crossentropy.onnx.to_onnx``, predicted by onnxruntime,
against the same run's ``load_pipeline(...).predict_proba``.

The run: logistic regression trained on the ANES 1996 table (``examples/data/anes96.csv``: the string
columns ``party`` and ``education``, the numeric ``age`` and ``income``, the class ``vote``) with 10 % of
``party`` and ``age`` missing, ``--impute mean`` and ``--unknown ignore`` (the graph's rule for unseen
levels), saved and loaded as ``crossentropy train`` saves
it. The rows: 1,000,000 drawn with replacement from the table (seed 0), the same gaps, and 1 % of
``education`` replaced by a level the training rows did not have.

Ours: ``InferenceSession.run`` of the float64 graph on the columns as arrays (one per column, as the
graph takes them; the session uses as many intra-op threads as the harness's ``--threads``, without
busy-waiting between nodes, which on a shared machine takes the cores from the other side). The
second case also builds those arrays from the DataFrame (``input_feed``) inside the timed call.
Anchor: ``load_pipeline(run).predict_proba(frame)``. The check column gives the largest probability
difference between the two sides on all the rows.

Target (issue 26): ratio ≤ 0.5. Quick mode uses 100,000 rows.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

_STATE: dict = {}
DATA = Path(__file__).resolve().parents[1] / "examples" / "data" / "anes96.csv"


def _with_gaps(frame, seed):
    rng = np.random.default_rng(seed)
    out = frame.copy()
    out["age"] = out["age"].astype(float)
    out.loc[rng.random(len(out)) < 0.1, "age"] = np.nan
    out["party"] = out["party"].astype(object)
    out.loc[rng.random(len(out)) < 0.1, "party"] = None
    return out


def _setup(quick):
    def setup():
        if ("run", quick) in _STATE:
            return
        import pandas as pd

        import crossentropy as ce
        from crossentropy.onnx import input_feed, to_onnx
        from crossentropy.preprocessing import TabularPreprocessor

        table = _with_gaps(pd.read_csv(DATA), seed=1)
        prep = TabularPreprocessor("vote", missing="impute", impute_strategy="mean", unknown="ignore").fit(table)
        model = ce.LogisticRegression().fit(prep.transform(table), prep.target_values(table))
        folder = tempfile.mkdtemp(prefix="bench_onnx_")
        ce.save_model(model, folder, preprocessing=prep)
        pipe = ce.load_pipeline(folder)
        n = 100_000 if quick else 1_000_000
        rng = np.random.default_rng(0)
        frame = _with_gaps(pd.read_csv(DATA).iloc[rng.integers(0, len(table), n)].reset_index(drop=True), seed=2)
        frame["education"] = frame["education"].astype(object)
        frame.loc[rng.random(n) < 0.01, "education"] = "doctorate"
        graph = to_onnx(pipe)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting between nodes
        session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
        _STATE[("run", quick)] = {"pipe": pipe, "frame": frame, "graph": graph, "session": session,
                                  "feed": input_feed(graph, frame)}

    return setup


def _ours(quick, with_feed):
    def ours():
        from crossentropy.onnx import input_feed

        s = _STATE[("run", quick)]
        feed = input_feed(s["graph"], s["frame"]) if with_feed else s["feed"]
        return s["session"].run(["label", "probabilities"], feed)

    return ours


def _anchor(quick):
    def anchor():
        s = _STATE[("run", quick)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the unseen level is reported by a warning
            return s["pipe"].predict_proba(s["frame"])

    return anchor


def _check(quick):
    def check():
        s = _STATE[("run", quick)]
        got = _ours(quick, False)()[1]
        want = _anchor(quick)()
        return (f"{len(s['frame']):,} rows, {len(s['graph'].graph.input)} input columns; largest probability "
                f"difference {np.max(np.abs(got - want)):.2e} (export tolerance 1e-6)")

    return check


def cases(quick: bool) -> list[dict]:
    rows = "100k" if quick else "1M"
    common = {"issue": 26, "setup": _setup(quick), "anchor": _anchor(quick), "target": "ratio <= 0.5",
              "anchor_name": "load_pipeline(run).predict_proba(frame)", "repeats": 5, "check": _check(quick)}
    return [{**common, "name": f"onnx export: onnxruntime run, ANES logistic ({rows} rows)", "ours": _ours(quick, False)},
            {**common, "name": f"onnx export: input_feed + onnxruntime run, ANES logistic ({rows} rows)",
             "ours": _ours(quick, True)}]
