"""``crossentropy export RUN --onnx FILE``: the run as one ONNX graph, checked in onnxruntime before it is written."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError

__all__ = ["cmd_export"]

#: library parameter names -> the options that set them, for the messages
_OPTIONS = {"dtype": "--dtype", "opset": "--opset"}


def _flags(message: str) -> str:
    for name, flag in _OPTIONS.items():
        if message.startswith(name):
            return flag + message[len(name):]
    return message


def cmd_export(args) -> int:
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
    from ..io.tables import read_table
    from ..onnx import TOLERANCES, probability_difference, to_onnx
    from .paths import check_output_file
    from .run_rows import run_split_rows

    run_dir = Path(args.run) if Path(args.run).is_dir() else Path(args.run).parent
    out = check_output_file(args.onnx, force=args.force, what="--onnx",
                            inputs=[args.data] if args.data else [], model_dir=run_dir)
    pipe = load_pipeline(args.run)
    try:
        model = to_onnx(pipe, dtype=args.dtype, opset=args.opset)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot export {args.run!r}: {_flags(str(exc))}") from None
    if args.data is not None:
        frame, rows = read_table(args.data), f"the {{n}} rows of {args.data!r}"
    else:
        frame, rows = run_split_rows(load_model_bundle(args.run), args.split, args.run), f"its {{n}} {args.split} rows"
    rows = rows.format(n=frame.shape[0])
    pipe[0].preprocessor_.check_columns(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # values not seen in training: both sides encode them as zeros
        diff = probability_difference(model, pipe, frame)
    tol = TOLERANCES[args.dtype]
    figure = (f"largest probability difference between onnxruntime and the run on {rows}: {diff:.3g} "
              f"(tolerance {tol:g} for a {args.dtype} graph)")
    if not diff <= tol:
        raise UsageError(f"{figure}: the graph does not reproduce the run, no file written")
    atomic_write_bytes(out, model.SerializeToString())
    print(figure)
    print(f"wrote {out} (ONNX opset {args.opset}, inputs: {len(model.graph.input)} columns, outputs: "
          f"{', '.join(o.name for o in model.graph.output)})")
    return 0
