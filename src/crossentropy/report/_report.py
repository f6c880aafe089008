r"""``Report``: what a fitted classifier's report holds (metrics, baseline, per-class table, figures,
coefficients) and the self-contained page that shows it.

The numbers of each split are :func:`~crossentropy.report.metrics.split_metrics` (scikit-learn's
metrics and :func:`crossentropy.log_loss`), next to the baseline that predicts the training split's
class frequencies :math:`\pi_k` for every row,

.. math::
    \text{prior log loss} = -\frac1n \sum_i \log \pi_{y_i}, \qquad
    \text{majority accuracy} = \frac1n \sum_i [y_i = \arg\max_k \pi_k].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["Report"]

#: the model's rows of :attr:`Report.metrics`, in order
_METRIC_COLUMNS = ("n", "log_loss", "log_loss_bits", "accuracy", "roc_auc", "brier", "macro_f1")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _check_rows(X, y, x_name, y_name):
    """``y`` as an array with as many rows as ``X`` (ValueError naming both otherwise)."""
    y = np.asarray(y)
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{y_name} must hold one label per row of {x_name}: {x_name} has {n} rows, {y_name} has shape "
                         f"{y.shape}")
    return y


class Report:
    """The report of a fitted classifier: metrics against a baseline, per-class metrics, figures, coefficients.

    Build one with :meth:`from_estimator` (a model and its rows), :meth:`from_predictions` (labels and
    predicted probabilities) or :meth:`from_run` (a run directory of ``crossentropy train``).

    Attributes
    ----------
    splits : dict of str to dict
        Split name (``"train"``, ``"test"``) -> :func:`~crossentropy.report.metrics.split_metrics`.
    figures : dict of str to matplotlib.figure.Figure
        File name -> figure: ``training_curve.png``, ``reliability.png``, ``confusion_matrix.png``, with test
        rows ``reliability_calibration.png`` and ``roc_pr.png``, and any the caller adds.
    coefficients : pandas.DataFrame or None
        The coefficient table of a logistic regression (``crossentropy.summary``'s frame, in the units of the
        data's columns for a pipeline that starts with a ``TabularTransformer``) or of an ordinal model; None
        for other models or without training rows.
    context : dict
        What the page shows besides the figures (plain values; ``coefficient_section`` holds the table's
        rows, ``coefficients.csv`` and ``term_tests.csv`` texts).

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.model_selection import train_test_split
    >>> from crossentropy import LogisticRegression
    >>> X_train, X_test, y_train, y_test = train_test_split(*load_wine(return_X_y=True), random_state=0)
    >>> model = LogisticRegression().fit(X_train, y_train)
    >>> report = Report.from_estimator(model, X_test, y_test, X_train=X_train, y_train=y_train, plots=False)
    >>> m = report.metrics.loc["test"]
    >>> bool(m.loc["model", "log_loss"] < m.loc["baseline", "log_loss"]), report.per_class.shape
    (True, (6, 6))
    """

    def __init__(self, splits, *, figures=None, context=None, coefficients=None):
        self.splits = dict(splits)
        self.figures = dict(figures or {})
        self.context = dict(context or {})
        self.coefficients = coefficients
        self._pngs = {}

    @property
    def metrics(self):
        """pandas.DataFrame: one row per (split, ``"model"`` or ``"baseline"``), one column per metric."""
        import pandas as pd

        rows, index = [], []
        for name, m in self.splits.items():
            rows.append({k: m.get(k) for k in _METRIC_COLUMNS})
            index.append((name, "model"))
            if m.get("baseline"):
                b = m["baseline"]
                rows.append({"n": m["n"], **{k: b.get(k) for k in _METRIC_COLUMNS if k in b}})
                index.append((name, "baseline"))
        frame = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["split", "predictor"]),
                             columns=list(_METRIC_COLUMNS))
        return frame.astype({c: "float64" for c in _METRIC_COLUMNS if c != "n"})

    @property
    def per_class(self):
        """pandas.DataFrame: precision, recall, F1 and support of each class, per split."""
        import pandas as pd

        rows = [{"split": name, **c} for name, m in self.splits.items() for c in m.get("per_class") or ()]
        return pd.DataFrame(rows, columns=["split", "class", "precision", "recall", "f1", "support"])

    def png(self, name) -> bytes:
        """The PNG of ``figures[name]`` (rendered once, then kept)."""
        from .figures import png_bytes

        if name not in self._pngs:
            self._pngs[name] = png_bytes(self.figures[name])
        return self._pngs[name]

    def html(self, provenance=None) -> str:
        """The page as a string; ``provenance`` (:func:`crossentropy.report.page.provenance`) defaults to
        a title from the model's name, this class as its writer and the package versions."""
        from .page import provenance as default, render_report

        prov = provenance or default(f"{self.context.get('model') or 'model'} report")
        pngs = {name: self.png(name) for name in self.figures if name.lower().endswith(".png")}
        return render_report(self.context, pngs, prov)

    def to_html(self, path, *, provenance=None) -> Path:
        """Write the self-contained page (figures embedded) to ``path`` atomically and return the path."""
        from ..io.atomic import atomic_path

        path = Path(path)
        text = self.html(provenance)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        return path

    @classmethod
    def from_estimator(cls, estimator, X_test, y_test, *, X_train=None, y_train=None, sample_weight=None, **options):
        """The report of a fitted classifier (or a scikit-learn ``Pipeline`` ending in one) on its rows.

        Parameters
        ----------
        estimator : fitted classifier or sklearn.pipeline.Pipeline
            Any classifier with ``classes_`` and ``predict_proba``. A pipeline's steps before the last
            transform the rows; a first step ``TabularTransformer`` gives the data section and the
            coefficients in the units of the data's columns.
        X_test : array_like or DataFrame of shape (n_test, d)
        y_test : array_like of shape (n_test,)
        X_train, y_train : optional
            The training rows: the train column of the metrics, the baseline's class frequencies and the
            coefficient table.
        sample_weight : array_like of shape (n_train,), optional
            The weights the model was fitted with (for the coefficient table's covariance).
        **options
            As :meth:`from_predictions`: ``pos_label``, ``threshold``, ``curves``, ``cov_type``, ``groups``,
            ``seed``, ``threshold_tuning``, ``plots``.

        Returns
        -------
        Report
        """
        from .metrics import missing_counts

        if not hasattr(estimator, "predict_proba") or not hasattr(estimator, "classes_"):
            raise TypeError(f"estimator must be a fitted classifier with classes_ and predict_proba, got "
                            f"{type(estimator).__name__}")
        if (X_train is None) != (y_train is None):
            raise ValueError("X_train and y_train go together: pass both or neither")
        y_test = _check_rows(X_test, y_test, "X_test", "y_test")
        final, head, prep = estimator, None, None
        if getattr(estimator, "steps", None) is not None:
            final, head = estimator.steps[-1][1], estimator[:-1]
            first = estimator.steps[0][1]
            prep = getattr(first, "preprocessor_", None) if len(estimator.steps) == 2 else None
        design = None
        proba_train = None
        if X_train is not None:
            y_train = _check_rows(X_train, y_train, "X_train", "y_train")
            proba_train = estimator.predict_proba(X_train)
            design = X_train if head is None else head.transform(X_train)
        return cls.from_predictions(final, y_test, estimator.predict_proba(X_test), y_train=y_train,
                                    proba_train=proba_train, X_train=design, sample_weight=sample_weight,
                                    preprocessor=prep, missing=missing_counts(X_train, X_test), **options)

    @classmethod
    def from_predictions(cls, estimator, y_test, proba_test, *, y_train=None, proba_train=None, X_train=None,
                         sample_weight=None, offset=None, preprocessor=None, missing=None, missing_values=None,
                         pos_label=None,
                         threshold=None, curves=None, cov_type="nonrobust", groups=None, seed=0,
                         threshold_tuning=None, plots=True):
        """The report from labels and predicted probabilities (the model's own features for its coefficients).

        Parameters
        ----------
        estimator : fitted classifier
            Its ``classes_`` are the columns of the probabilities; its name, parameters and coefficients are
            reported.
        y_test, proba_test : array_like of shape (n_test,) and (n_test, K), or None
        y_train, proba_train : optional
            The training rows' labels and probabilities.
        X_train : array_like of shape (n_train, d), optional
            The training rows as the model's features (for the coefficient table).
        sample_weight, offset : optional
            The training rows' weights and logit offsets, as given to ``fit``.
        preprocessor : TabularPreprocessor, optional
            The fitted preprocessing of the data's columns.
        missing : dict, optional
            Column -> number of missing values in the data.
        missing_values : dict, optional
            What reading the data did with them (:func:`crossentropy.report.page.page_context`).
        pos_label, threshold : optional
            The positive class and the decision threshold of a two-class model.
        curves : dict, optional
            Split name -> the log loss after each step, recorded during the fit by
            :class:`~crossentropy.report.curves.IterateRecorder` or
            :class:`~crossentropy.report.curves.EpochRecorder`; without it the model's ``loss_curve_`` is drawn.
        cov_type, groups : optional
            The coefficient table's covariance type and cluster labels.
        seed : int, default 0
            Seed of the bootstrap intervals.
        threshold_tuning : dict, optional
            A tuned threshold's record (its section and figure).
        plots : bool, default True
            Draw the figures.

        Returns
        -------
        Report
        """
        from .metrics import class_prior, split_metrics

        classes = np.asarray(estimator.classes_)
        prior = None if y_train is None else class_prior(y_train, classes)
        decision = {"prior": prior, "pos_label": pos_label, "threshold": threshold}
        splits = {}
        if proba_train is not None:
            splits["train"] = split_metrics(y_train, proba_train, classes, **decision)
        if y_test is not None:
            splits["test"] = split_metrics(y_test, proba_test, classes, **decision)
        if not splits:
            raise ValueError("nothing to report: give y_test and proba_test, or y_train and proba_train")
        split = "test" if y_test is not None else "train"
        y_eval, proba_eval = (y_test, proba_test) if y_test is not None else (y_train, proba_train)
        y_eval, proba_eval = np.asarray(y_eval), np.asarray(proba_eval, dtype=np.float64)
        shown_pos = _plain(pos_label if pos_label is not None or classes.size != 2 else classes[1])
        report = cls(splits)
        if plots:
            from .figures import run_figures
            from .metrics import decide

            report.figures = run_figures(estimator, y_eval=y_eval, proba_eval=proba_eval,
                                         pred_eval=decide(proba_eval, classes, pos_label=pos_label, threshold=threshold),
                                         split=split, curves=curves, pos_label=shown_pos)
        section, report.coefficients = _coefficients(estimator, X_train, y_train, preprocessor, sample_weight,
                                                     offset, cov_type, groups)
        from .page import page_context

        report.context = page_context(splits, estimator=estimator, prep=preprocessor, coefficients=section,
                                      n_features=getattr(estimator, "n_features_in_", None), missing=missing,
                                      missing_values=missing_values)
        if y_test is not None and np.isin(y_eval, classes).all():  # every test label one the model knows
            from .calibration import calibration_figures, calibration_summary
            from .metrics import decide

            pos = shown_pos if classes.size == 2 else None
            report.context["calibration"] = calibration_summary(
                y_eval, proba_eval, classes, decide(proba_eval, classes, pos_label=pos_label, threshold=threshold),
                rows="the test split", prior_log_loss=(splits["test"].get("baseline") or {}).get("log_loss"),
                pos_label=pos, seed=seed)
            if plots:
                report.figures.update(calibration_figures(report.context["calibration"], y_eval, proba_eval, classes,
                                                          pos_label=pos))
        if threshold_tuning:
            report.context["threshold_tuning"] = threshold_tuning
            if plots:
                from .calibration import threshold_figure

                report.figures["threshold_curve.png"] = threshold_figure(threshold_tuning)
        return report

    @classmethod
    def from_run(cls, run_dir, *, plots=True):
        """The report of a run directory written by ``crossentropy train``, rebuilt from its model and data.

        The saved pipeline (:func:`crossentropy.load_pipeline`) predicts the rows ``split.json`` names in the
        run's data (a built-in data set, or the data file, which must still be readable and hold the same
        rows); the training curve, decision threshold, positive class and bootstrap seed are those of
        ``metrics.json``.

        Parameters
        ----------
        run_dir : str or path-like
        plots : bool, default True

        Returns
        -------
        Report
        """
        from ._run import from_run

        return from_run(cls, run_dir, plots=plots)


def _coefficients(estimator, X, y, prep, sample_weight, offset, cov_type, groups):
    """(the page's coefficient section, the coefficient DataFrame), or (None, None)."""
    if X is None:
        return None, None
    if hasattr(estimator, "thresholds_"):  # an ordinal model: its own table, in the data's units
        if prep is None or getattr(prep, "columns_", None) is None:
            return None, None
        import io

        import pandas as pd

        from .ordinal import page_table

        section = page_table(estimator, prep, X, y)
        return section, pd.read_csv(io.StringIO(section["csv"])) if "csv" in section else None
    from .coefficients import coefficient_section

    terms = prep.term_map() if prep is not None and getattr(prep, "columns_", None) is not None else None
    section, summary = coefficient_section(estimator, X, y, terms=terms, sample_weight=sample_weight, offset=offset,
                                           cov_type=cov_type, groups=groups)
    return section, None if summary is None else summary.frame
