"""``crossentropy.summary``: the coefficient table of a model or of a preprocessing + model pipeline, in raw units."""

from __future__ import annotations

__all__ = ["summary"]


def summary(model, X, y, *, sample_weight=None, alpha=0.05, cov_type="nonrobust", groups=None, reference=None,
            offset=None):
    r"""The coefficient table of a fitted logistic regression, in the units of the table's columns.

    For a ``Pipeline`` of a :class:`~crossentropy.preprocessing.TabularTransformer` and a
    :class:`~crossentropy.LogisticRegression` (as :func:`crossentropy.load_pipeline` returns), ``X``
    is the raw DataFrame: the transformer's output is mapped back to its columns, so a numeric
    column's coefficient is per unit of that column (:math:`\beta = \theta / s` for a feature
    standardised as :math:`(x - \mu)/s`) and each level of a string column is a treatment contrast
    ``col[T.level]`` against the reference level (the first in sorted order, or the one the
    preprocessing recorded, or ``reference``), as statsmodels' ``smf.logit("y ~ C(col) + ...")``
    reports them. For a ``LogisticRegression`` alone, ``X`` is its own features and each is a term.

    Parameters
    ----------
    model : LogisticRegression or sklearn.pipeline.Pipeline
        Fitted; a pipeline's first step is a ``TabularTransformer`` and its last a ``LogisticRegression``.
    X : pandas.DataFrame or array-like of shape (n, d)
        The rows, normally the training rows.
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
    alpha : float in (0, 1), default 0.05
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default "nonrobust"
    groups : array-like of shape (n,) or (n, 2), optional
        Cluster labels, with ``cov_type="cluster"`` (:meth:`LogisticRegression.summary`).
    reference : dict, optional
        String column -> reference level (a pipeline only).
    offset : array-like of shape (n,) or (n, K), optional
        The rows' fixed logit offsets, as given to the model's ``fit``
        (:meth:`LogisticRegression.summary`).

    Returns
    -------
    LogisticSummary
        ``.frame``: columns ``estimate, std_err, z, p_value, ci_low, ci_high, odds_ratio, or_low,
        or_high, odds_ratio_per_sd, status`` (``estimate, odds_ratio, odds_ratio_per_sd, status``
        for a penalised model), index ``term`` or ``(class, term)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from crossentropy import LogisticRegression
    >>> from crossentropy.preprocessing import TabularTransformer
    >>> X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    ...                   "c": ["a", "b", "a", "b", "a", "b", "b", "a"]})
    >>> y = [0, 0, 1, 0, 1, 1, 0, 1]
    >>> pipe = make_pipeline(TabularTransformer(), LogisticRegression(penalty=None, tol=1e-10)).fit(X, y)
    >>> summary(pipe, X, y).frame.index.tolist()
    ['const', 'x', 'c[T.b]']

    References
    ----------
    statsmodels, ``statsmodels.formula.api.logit`` and ``mnlogit``; patsy, *Treatment* contrasts.
    """
    from ..linear_model import LogisticRegression
    from .transformer import TabularTransformer

    steps = getattr(model, "steps", None)
    if steps is not None:
        if len(steps) != 2 or not isinstance(steps[0][1], TabularTransformer) or \
                not isinstance(steps[-1][1], LogisticRegression):
            raise TypeError("model must be a LogisticRegression or a Pipeline of a TabularTransformer and a "
                            f"LogisticRegression, got the steps {[type(s).__name__ for _, s in steps]}")
        transformer, estimator = steps[0][1], steps[-1][1]
        return estimator.summary(transformer.transform(X), y, sample_weight, alpha=alpha, cov_type=cov_type,
                                 groups=groups, terms=transformer.term_map(reference), offset=offset)
    if not isinstance(model, LogisticRegression):
        raise TypeError(f"model must be a LogisticRegression or a Pipeline of a TabularTransformer and a "
                        f"LogisticRegression, got {type(model).__name__}")
    if reference is not None:
        raise ValueError(f"reference={reference!r:.60} needs a pipeline whose TabularTransformer knows the string "
                         "columns; a LogisticRegression alone reports its own features")
    return model.summary(X, y, sample_weight, alpha=alpha, cov_type=cov_type, groups=groups, offset=offset)
