"""The real tables of the ONNX tests, read once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("onnxruntime")

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"


@pytest.fixture(scope="session")
def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    return data.frame.rename(columns=lambda c: c.replace(" ", "_"))


@pytest.fixture(scope="session")
def anes():
    return pd.read_csv(DATA / "anes96.csv")


@pytest.fixture(scope="session")
def digits():
    from sklearn.datasets import load_digits

    return load_digits(as_frame=True).frame


@pytest.fixture(scope="session")
def wine():
    return pd.read_csv(DATA / "train.csv"), pd.read_csv(DATA / "test.csv")
