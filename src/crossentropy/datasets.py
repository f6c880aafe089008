"""Built-in data sets for examples and the command line, from scikit-learn's bundled files (no network).

Each loader returns one :class:`pandas.DataFrame` holding the feature columns and a ``"target"`` column
with the class names (strings, or the digit 0-9 for ``digits``), so a built-in data set travels through
the same code path as a user's CSV or Parquet table.
"""

from __future__ import annotations

__all__ = ["DATASETS", "TARGET_COLUMN", "load_dataset"]

#: names accepted by :func:`load_dataset` and ``crossentropy train --dataset``
DATASETS = ("breast_cancer", "digits", "iris", "wine")

#: name of the class column in every built-in data set
TARGET_COLUMN = "target"


def load_dataset(name: str = "breast_cancer"):
    r"""Load a built-in classification data set as a DataFrame with a ``"target"`` column.

    ============== ========= ========== =========================================
    name           rows      features   classes
    ============== ========= ========== =========================================
    breast_cancer  569       30         ``"benign"``, ``"malignant"``
    digits         1797      64         0, 1, ..., 9 (8×8 images, pixel 0-16)
    iris           150       4          ``"setosa"``, ``"versicolor"``, ``"virginica"``
    wine           178       13         ``"class_0"``, ``"class_1"``, ``"class_2"``
    ============== ========= ========== =========================================

    The data come from the files bundled with scikit-learn (``sklearn.datasets.load_<name>``);
    nothing is downloaded.

    Parameters
    ----------
    name : {"breast_cancer", "digits", "iris", "wine"}, default "breast_cancer"

    Returns
    -------
    pandas.DataFrame of shape (n_samples, n_features + 1)
        Feature columns (float64) followed by ``"target"``.

    Examples
    --------
    >>> from crossentropy.datasets import load_dataset
    >>> df = load_dataset("iris")
    >>> df.shape
    (150, 5)
    >>> df["target"].value_counts().sort_index().to_dict()
    {'setosa': 50, 'versicolor': 50, 'virginica': 50}

    References
    ----------
    Street, Wolberg & Mangasarian (1993), breast cancer; Alpaydin & Kaynak (1998), optical digits;
    Fisher (1936), iris; Forina et al. (1991), wine. Distributed with scikit-learn (UCI repository).
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    import numpy as np
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.data.astype(np.float64)
    codes = np.asarray(bunch.target)
    names = np.asarray(bunch.target_names)
    labels = codes if names.dtype.kind in "iu" else names[codes].astype(str)
    frame = frame.assign(**{TARGET_COLUMN: labels})
    return frame.reset_index(drop=True)
