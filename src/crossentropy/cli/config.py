"""The command line's settings: one frozen dataclass per subcommand, built once at the entry point.

:func:`crossentropy.cli.parser.parse_config` turns the parsed arguments into a :class:`TrainConfig`,
:class:`EvaluateConfig`, :class:`PredictConfig`, :class:`CalibrateConfig`, :class:`PlotConfig` or
:class:`ExportConfig`;
:func:`crossentropy.cli.main` hands that object to the subcommand, and nothing below reads the
argument parser's result. Each field is named as its option's destination (``--l1-ratio`` is
``l1_ratio``, ``--no-scale`` is ``no_scale``), holds the converted and checked value (``None`` where
the option was left out and has no default) and is immutable: repeatable options are tuples, and a
value the run derives (the covariance type that ``--cluster`` implies, the levels of ``--order``) is
computed where it is used, never written back. Every configuration also carries ``argv``, the
command line as typed, which ``report.html`` shows as the run's provenance.

This module imports only the standard library at run time: ``--help`` and ``--version`` stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..preprocessing.splits import SplitRule

__all__ = ["TrainConfig", "EvaluateConfig", "PredictConfig", "CalibrateConfig", "PlotConfig", "ExportConfig",
           "CONFIGS", "Config"]


@dataclass(frozen=True, kw_only=True)
class _Common:
    """What every subcommand has: its name and the command line (for the report's provenance)."""

    command: str
    argv: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class _Decision:
    """``--pos-label`` and ``--threshold`` (``train``, ``evaluate``, ``plot run``)."""

    pos_label: str | None = None
    threshold: float | None = None


@dataclass(frozen=True, kw_only=True)
class TrainConfig(_Common, _Decision):
    """``crossentropy train``: the data, the model and its options, the split, the outputs.

    The model options (``C`` ... ``class_weight``) are the destinations of
    :data:`crossentropy.cli.parser.MODEL_OPTIONS`, ``None`` where not given (the estimator's own default
    then applies). ``param`` holds the ``--param KEY=VALUE`` texts; ``reference`` the
    ``--reference COL=LEVEL`` pairs; ``split`` the ``--split`` rule (None: stratified).

    Examples
    --------
    >>> config = TrainConfig(command="train", C=2.0, seed=3)
    >>> config.C, config.model, config.penalty
    (2.0, 'logistic', None)
    """

    data: str | None = None
    target: str | None = None
    dataset: str | None = None
    model: str = "logistic"
    # model options, in the order of MODEL_OPTIONS
    C: float | None = None
    penalty: str | None = None
    link: str | None = None
    l1_ratio: float | None = None
    fit_intercept: bool | None = None
    learning_rate: float | None = None
    hidden_layer_sizes: tuple[int, ...] | None = None
    activation: str | None = None
    alpha: float | None = None
    learning_rate_init: float | None = None
    early_stopping: bool | None = None
    label_smoothing: float | None = None
    solver: str | None = None
    max_iter: int | None = None
    tol: float | None = None
    batch_size: int | None = None
    class_weight: str | None = None
    order: str | None = None
    param: tuple[str, ...] = ()
    # cross-validation
    cv: int | None = None
    Cs: int | tuple[float, ...] | None = None
    l1_ratios: tuple[float, ...] | None = None
    selection: str = "best"
    # data
    test_size: float = 0.25
    seed: int = 0
    split: SplitRule | None = None
    dropna: bool = False
    impute: str | None = None
    allow_class_loss: bool = False
    na_values: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    unknown: str = "error"
    ignore: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    offset: str | None = None
    no_scale: bool = False
    reference: tuple[tuple[str, str], ...] = ()
    max_categories: int = 100
    tune_threshold: str | tuple[str, float, float] | None = None
    # coefficient table
    cov_type: str | None = None
    cluster: str | None = None
    # output
    out: str | None = None
    force: bool = False
    no_plots: bool = False
    dask: str | None = None
    dask_timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class EvaluateConfig(_Common, _Decision):
    """``crossentropy evaluate MODEL DATA``: a saved model's metrics on a labelled table."""

    model: str
    data: str
    target: str | None = None
    out: str | None = None
    unknown: str | None = None
    plots: bool = False
    report_dir: str | None = None
    force: bool = False


@dataclass(frozen=True, kw_only=True)
class PredictConfig(_Common):
    """``crossentropy predict MODEL DATA [--out FILE]``: one prediction per row (CSV on stdout without ``out``)."""

    model: str
    data: str
    out: str | None = None
    proba: bool = False
    unknown: str | None = None
    keep_columns: tuple[str, ...] = ()
    force: bool = False


@dataclass(frozen=True, kw_only=True)
class CalibrateConfig(_Common):
    """``crossentropy calibrate RUN DATA --method M --out NEW_RUN``."""

    run: str
    data: str
    method: str
    out: str
    force: bool = False


@dataclass(frozen=True, kw_only=True)
class PlotConfig(_Common, _Decision):
    """``crossentropy plot FIGURE``: ``log-loss``, ``ce-vs-mse`` (``out`` a file) or ``run`` (``out`` a directory)."""

    figure: str
    out: str
    run_dir: str | None = None
    data: str | None = None
    split: str = "test"
    force: bool = False


@dataclass(frozen=True, kw_only=True)
class ExportConfig(_Common):
    """``crossentropy export RUN --onnx FILE``: the run as one ONNX graph, checked on ``split`` or ``data``."""

    run: str
    onnx: str
    dtype: str = "float64"
    opset: int = 17
    split: str = "test"
    data: str | None = None
    force: bool = False


Config = TrainConfig | EvaluateConfig | PredictConfig | CalibrateConfig | PlotConfig | ExportConfig

#: subcommand -> its configuration class
CONFIGS = {"train": TrainConfig, "evaluate": EvaluateConfig, "predict": PredictConfig,
           "calibrate": CalibrateConfig, "plot": PlotConfig, "export": ExportConfig}
