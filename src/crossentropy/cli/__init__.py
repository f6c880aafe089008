"""The ``crossentropy`` command: train, evaluate, predict, calibrate, plot, export.

``main(argv) -> int`` never raises: problems with the command line, the data, an output path, the
file system or a missing optional dependency (with its install hint) print one line
``crossentropy: error: ...`` on stderr and return 2; anything unexpected prints one line and returns
1. Every output path is checked before any work (:mod:`.paths`). Files are written atomically (a
failed run leaves nothing behind). The console script and
``python -m crossentropy`` run :func:`entry`, which also chooses the OpenMP wait policy of this
process (the library never touches the environment).

The parsed arguments become one frozen configuration object here (:func:`.parser.parse_config`, the
classes of :mod:`.config`), which is all a subcommand receives; library errors and warnings that reach
the console have their parameter names spelled as flags by the one table of :mod:`.flags`.

Modules: :mod:`.parser` (arguments), :mod:`.config` (the settings they become), :mod:`.flags`
(parameter names to flags), :mod:`.options` (what the settings build), :mod:`.sources` (in memory
or on Dask), :mod:`.train` (the one train pipeline), :mod:`.commands` (evaluate, predict, plot), :mod:`.calibrate`, :mod:`.export` (ONNX),
:mod:`.report` (metrics, figures, the run directory), :mod:`.paths` (output paths checked up front).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import warnings
from importlib import import_module

from .._lazy import lazy_getattr
from .errors import PROG, Terminated, UsageError
from .parser import build_parser, parse_config  # light: the parser imports no NumPy, scikit-learn or pandas

__all__ = ["build_parser", "parse_config", "main", "entry", "UsageError", "make_estimator", "make_preprocessor", "out_dir_for",
           "progress_for"]

#: optional dependencies and the extra that installs each
_OPTIONAL = {"dask": "crossentropy[dask]", "distributed": "crossentropy[dask]", "onnx": "crossentropy[onnx]",
             "onnxruntime": "crossentropy[onnx]"}

# command -> (module, function), imported when the command runs: --help and --version stay light
_COMMANDS = {"train": ("train", "cmd_train"), "evaluate": ("commands", "cmd_evaluate"),
             "predict": ("commands", "cmd_predict"), "calibrate": ("calibrate", "cmd_calibrate"),
             "plot": ("commands", "cmd_plot"), "export": ("export", "cmd_export")}
# names re-exported from .options, imported on first access
_LAZY = {"make_estimator": "options", "make_preprocessor": "options", "out_dir_for": "options",
         "progress_for": "options"}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def _command(name):
    module, function = _COMMANDS[name]
    return getattr(import_module(f".{module}", __name__), function)


def entry() -> None:
    """The console script ``crossentropy`` and ``python -m crossentropy``: :func:`main`, then exit.

    Before any numba kernel loads, this process (ours alone, not a user's program that imports the
    library) asks OpenMP worker threads to sleep rather than spin between parallel regions
    (``OMP_WAIT_POLICY=PASSIVE``, unless already set), which keeps a 10-class fit at 0.9 s rather
    than 1.4 s on a busy machine. SIGTERM is turned into :class:`~.errors.Terminated`, which unwinds
    like Ctrl-C: one line on stderr, exit 143, no temporary file left; Ctrl-C anywhere (also while
    the arguments are parsed) is one line and exit 130.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = main()
    except KeyboardInterrupt:  # before main's own handler: while parsing, or importing what parsing needs
        code = _stopped("interrupted", 130)
    except Terminated:
        code = _stopped("terminated", 143)
    sys.exit(code)


def _terminate(signum, frame):
    """SIGTERM: unwind like a KeyboardInterrupt (every temporary file and directory is removed on the way);
    a second SIGTERM during that clean-up is ignored."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _stopped(what: str, code: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"{PROG}: error: {what}\n")
    return code


_NUMPY_REPR = re.compile(r"\bnp\.(?:str_|bytes_|bool_?|u?int(?:8|16|32|64)?|float(?:16|32|64)?|longdouble)\(([^()]*)\)")


def _one_line(exc) -> str:
    """The message on one line, NumPy scalars shown as their plain values (``np.str_('a')`` as ``'a'``)."""
    text = _NUMPY_REPR.sub(r"\1", " ".join(str(exc).split()))
    return text or type(exc).__name__


def _os_error_line(exc: OSError) -> str:
    where = f" {exc.filename!r}" if exc.filename else ""
    return f"cannot write or read{where}: {exc.strerror or _one_line(exc)}"


#: exit status when the reader of standard output went away: 128 + SIGPIPE, as a shell reports a program
#: that a closed pipe ended
EXIT_PIPE = 141


def _stdout_closed() -> int:
    """Standard output's reader closed the pipe (``crossentropy predict ... | head``): no message.

    What is still buffered for it is dropped by pointing the descriptor at ``os.devnull`` (the
    recipe of Python's ``signal`` documentation), so the interpreter's final flush does not fail
    again; done only when ``sys.stdout`` is the process's own standard output.
    """
    if sys.stdout is sys.__stdout__ and sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
    return EXIT_PIPE


@contextlib.contextmanager
def _warnings_to_stderr(respell):
    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(f"{PROG}: warning: {respell(' '.join(str(message).split()))}\n")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def main(argv=None) -> int:
    """Run the ``crossentropy`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success; 2 bad usage, bad data, an unusable output path, a file-system error or a
    missing optional dependency (one line ``crossentropy: error: ...`` on stderr); 1 anything
    unexpected (also one line); 130 interrupted; 143 terminated (SIGTERM, under :func:`entry`); 141,
    silently, when the reader of standard output closed the pipe (nothing half-written: every output
    is atomic). The process environment is left alone (the console script's :func:`entry` is what
    sets thread settings and the SIGTERM handler).

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    crossentropy ...
    0
    """
    try:
        config = parse_config(list(sys.argv[1:] if argv is None else argv), build_parser())
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    from ..exceptions import DataError, ModelFileError  # after parsing: --help and --version never get here
    from .flags import flag_message

    try:
        with _warnings_to_stderr(flag_message):
            code = int(_command(config.command)(config) or 0)
            sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
            return code
    except BrokenPipeError:
        return _stdout_closed()
    except (UsageError, FileExistsError) as exc:
        sys.stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
        return 2
    except (DataError, ModelFileError) as exc:  # the library's words: its parameters spelled as flags
        sys.stderr.write(f"{PROG}: error: {flag_message(_one_line(exc))}\n")
        return 2
    except KeyboardInterrupt:
        return _stopped("interrupted", 130)
    except Terminated:  # SIGTERM, through the handler entry() installs
        return _stopped("terminated", 143)
    except ImportError as exc:  # an optional dependency is missing: say how to install it
        text = _one_line(exc)
        if "pip install" not in text:
            name = getattr(exc, "name", None) or "a module"
            text = f"{text}; this needs {name}, which is not installed"
            if (getattr(exc, "name", None) or "").split(".")[0] in _OPTIONAL:
                text += f": pip install '{_OPTIONAL[exc.name.split('.')[0]]}'"
            else:
                sys.stderr.write(f"{PROG}: error: unexpected ImportError: {text}\n")
                return 1
        sys.stderr.write(f"{PROG}: error: {text}\n")
        return 2
    except OSError as exc:  # the file system refused (disk full, permissions changed during the run, ...)
        sys.stderr.write(f"{PROG}: error: {_os_error_line(exc)}\n")
        return 2
    except Exception as exc:  # the promise: one line, never a traceback
        sys.stderr.write(f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(exc)}\n")
        return 1
