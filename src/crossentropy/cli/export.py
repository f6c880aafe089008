"""``crossentropy export RUN --onnx FILE``: the run as one ONNX graph, checked in onnxruntime before it is written."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .flags import flag_message

__all__ = ["cmd_export"]


def cmd_export(config) -> int:
    """``crossentropy export RUN --onnx FILE [--dtype float64|float32] [--opset N] [--data DATA | --split S]``.

    Builds the graph of :func:`crossentropy.onnx.to_onnx` from the run's ``load_pipeline``, runs it
    in onnxruntime on the run's test rows (``split.json``; ``--split train`` for its training rows,
    ``--data DATA`` for every row of a table) and prints the largest difference from the run's own
    probabilities. Above :data:`crossentropy.onnx.TOLERANCES` (1e-6 for a float64 graph, 1e-5 for a
    float32 one) it refuses with exit code 2 and writes nothing; otherwise FILE is written atomically.
    """
    import warnings

    from ..io.atomic import atomic_write_bytes
    from ..io.model_files import load_model_bundle
    from ..io.pipeline import load_pipeline
    from ..onnx import TOLERANCES, probability_difference, to_onnx
    from .paths import check_output_file
    from .run_rows import run_split_rows
    from .sources import read_data

    run_dir = Path(config.run) if Path(config.run).is_dir() else Path(config.run).parent
    out = check_output_file(config.onnx, force=config.force, what="--onnx",
                            inputs=[config.data] if config.data else [], model_dir=run_dir)
    pipe = load_pipeline(config.run)
    try:
        model = to_onnx(pipe, dtype=config.dtype, opset=config.opset)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot export {config.run!r}: {flag_message(str(exc))}") from None
    if config.data is not None:
        frame, rows = read_data(config.data), f"the {{n}} rows of {config.data!r}"
    else:
        frame, rows = run_split_rows(load_model_bundle(config.run), config.split, config.run), f"its {{n}} {config.split} rows"
    rows = rows.format(n=frame.shape[0])
    pipe[0].preprocessor_.check_columns(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # values not seen in training: both sides encode them as zeros
        diff = probability_difference(model, pipe, frame)
    tol = TOLERANCES[config.dtype]
    figure = (f"largest probability difference between onnxruntime and the run on {rows}: {diff:.3g} "
              f"(tolerance {tol:g} for a {config.dtype} graph)")
    if not diff <= tol:
        raise UsageError(f"{figure}: the graph does not reproduce the run, no file written")
    atomic_write_bytes(out, model.SerializeToString())
    print(figure)
    print(f"wrote {out} (ONNX opset {config.opset}, inputs: {len(model.graph.input)} columns, outputs: "
          f"{', '.join(o.name for o in model.graph.output)})")
    return 0
