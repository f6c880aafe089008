"""A run directory of ``crossentropy train`` read back as a :class:`~crossentropy.report.Report`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["from_run"]

_BUILTIN = "builtin:"


#: the largest metrics.json or split.json read back
_MAX_JSON_BYTES = 256 << 20


def _read_json(path):
    from ..io.bounded import read_regular_file, strict_json

    return strict_json(read_regular_file(path, _MAX_JSON_BYTES, path.name), repr(str(path)), max_depth=32)


def from_run(cls, run_dir, *, plots=True):
    """:meth:`Report.from_run`: the saved pipeline on the rows of ``split.json``, with the run's recorded options."""
    from ..io.pipeline import load_pipeline
    from .curves import curves_from_json

    run_dir = Path(run_dir)
    for name in ("metrics.json", "split.json", "model.json"):
        if not (run_dir / name).is_file():
            raise ValueError(f"run_dir={str(run_dir)!r} is not a run directory of crossentropy train: no {name}")
    metrics = _read_json(run_dir / "metrics.json")
    split = _read_json(run_dir / "split.json")
    if metrics.get("offset") is not None or "train_rows" not in split:
        raise ValueError(f"run_dir={str(run_dir)!r}: only in-memory runs without logit offsets can be read back")
    pipeline = load_pipeline(run_dir)
    prep = pipeline.steps[0][1].preprocessor_
    label = str(metrics.get("data"))
    if label.startswith(_BUILTIN):
        from ..datasets import load_dataset

        frame = load_dataset(label[len(_BUILTIN):])
    else:
        from ..io.tables import read_table

        frame = read_table(label)
    train, test = frame.iloc[split["train_rows"]], frame.iloc[split["test_rows"]]
    X_test = test if len(test) else None
    options = {"pos_label": metrics.get("pos_label") if len(metrics.get("classes") or ()) == 2 else None,
               "threshold": metrics.get("threshold"), "curves": curves_from_json(metrics.get("training_curve")),
               "seed": int(metrics.get("seed") or 0), "threshold_tuning": metrics.get("threshold_tuning"),
               "plots": plots}
    if X_test is None:
        design = pipeline[:-1].transform(train)
        y_train = prep.target_values(train)
        return cls.from_predictions(pipeline.steps[-1][1], None, None, y_train=y_train,
                                    proba_train=pipeline.predict_proba(train), X_train=design, preprocessor=prep,
                                    **options)
    return cls.from_estimator(pipeline, X_test, prep.target_values(test), X_train=train,
                              y_train=prep.target_values(train), **options)
