"""A run directory of ``crossentropy train`` read back as a :class:`~crossentropy.report.Report`."""

from __future__ import annotations

from pathlib import Path

from .metrics import missing_counts

__all__ = ["from_run"]

_BUILTIN = "builtin:"


#: the largest metrics.json or split.json read back
_MAX_JSON_BYTES = 256 << 20


def _read_json(path):
    from ..io.bounded import read_regular_file, strict_json

    return strict_json(read_regular_file(path, _MAX_JSON_BYTES, path.name), repr(str(path)), max_depth=32)


def from_run(cls, run_dir, *, plots=True):
    """:meth:`Report.from_run`: the saved pipeline on the rows of ``split.json``, with the run's recorded options
    (decision threshold, positive class, seed, training curve, logit offset column, covariance type and
    cluster columns of the coefficient table)."""
    from ..io.pipeline import pipeline_steps
    from .curves import curves_from_json

    run_dir = Path(run_dir)
    for name in ("metrics.json", "split.json", "model.json"):
        if not (run_dir / name).is_file():
            raise ValueError(f"run_dir={str(run_dir)!r} is not a run directory of crossentropy train: no {name}")
    metrics = _read_json(run_dir / "metrics.json")
    split = _read_json(run_dir / "split.json")
    if "train_rows" not in split:
        raise ValueError(f"run_dir={str(run_dir)!r}: only in-memory runs can be read back (a Dask run's split "
                         "names no rows)")
    head, final, _ = pipeline_steps(run_dir)
    prep = head.preprocessor_
    label = str(metrics.get("data"))
    if label.startswith(_BUILTIN):
        from ..datasets import load_dataset

        frame = load_dataset(label[len(_BUILTIN):])
    else:
        from ..io.tables import read_table

        frame = read_table(label)
    train, test = frame.iloc[split["train_rows"]], frame.iloc[split["test_rows"]]
    cluster = metrics.get("cluster")
    groups = None if not cluster else train[list(cluster)].to_numpy(dtype=object)
    options = {"pos_label": metrics.get("pos_label") if len(metrics.get("classes") or ()) == 2 else None,
               "threshold": metrics.get("threshold"), "curves": curves_from_json(metrics.get("training_curve")),
               "seed": int(metrics.get("seed") or 0), "threshold_tuning": metrics.get("threshold_tuning"),
               "cov_type": metrics.get("cov_type") or "nonrobust",
               "groups": None if groups is None else groups[:, 0] if groups.shape[1] == 1 else groups,
               "missing_values": metrics.get("missing_values"), "plots": plots}
    offset = metrics.get("offset")

    def predicted(rows):
        """(features, labels, probabilities, offsets) of ``rows``, the offsets given to the model as in the run."""
        design = head.transform(rows)
        o = None if offset is None else prep.offset_values(rows)
        proba = final.predict_proba(design, **({} if o is None else {"offset": o}))
        return design, prep.target_values(rows), proba, o

    X_train, y_train, proba_train, o_train = predicted(train)
    y_test = proba_test = None
    if len(test):
        _, y_test, proba_test, _ = predicted(test)
    return cls.from_predictions(final, y_test, proba_test, y_train=y_train, proba_train=proba_train,
                                X_train=X_train, offset=o_train, preprocessor=prep,
                                missing=missing_counts(train, test if len(test) else None), **options)
