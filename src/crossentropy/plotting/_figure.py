"""Figure creation and atomic saving, shared by every plot.

Figures are built as :class:`matplotlib.figure.Figure` objects directly (no ``pyplot``, no global
state), so they work under any backend and in threads; matplotlib is imported only when a figure is
made.
"""

from __future__ import annotations

from .._validation import check_int

__all__ = ["new_figure", "save_figure", "literal"]


def literal(value) -> str:
    r"""``value`` as text that matplotlib draws as written: every ``$`` escaped.

    Class labels, column names and file names are the user's text; matplotlib would read a pair of
    ``$`` in them as mathtext ("cheap $5-$10" drawn in italics, ``$\frac{$`` failing at draw time).
    An escaped ``\$`` is drawn as ``$`` whether or not the text holds math. Our own labels hold no
    ``$``.

    Examples
    --------
    >>> literal("cheap $5-$10")
    'cheap \\$5-\\$10'
    """
    return str(value).replace("$", r"\$")


def new_figure(figsize):
    """A new Figure of ``figsize`` (width, height) inches with the constrained layout, outside pyplot.

    Parameters
    ----------
    figsize : tuple of two float
        Width and height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with ``pyplot``: it is freed when no longer referenced.

    Examples
    --------
    >>> new_figure((4.0, 3.0)).get_size_inches().tolist()
    [4.0, 3.0]

    References
    ----------
    matplotlib, "Constrained layout guide", https://matplotlib.org/stable/users/explain/axes/constrainedlayout_guide.html
    """
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def save_figure(fig, path, *, dpi: int = 100) -> None:
    """Save ``fig`` to ``path`` atomically (format from the suffix, PNG by default).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Target file; written under a temporary name in the same directory, then renamed.
    dpi : int, default 100

    Examples
    --------
    >>> import os, tempfile
    >>> from crossentropy.plotting import plot_log_loss, save_figure
    >>> path = os.path.join(tempfile.mkdtemp(), "log_loss.png")
    >>> save_figure(plot_log_loss(), path)
    >>> os.path.getsize(path) > 1000
    True

    References
    ----------
    POSIX.1-2017, ``rename()`` (the atomic replacement :func:`crossentropy.io.atomic.atomic_path` uses).
    """
    from ..io.atomic import atomic_path

    dpi = check_int(dpi, "dpi", low=1)
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix)
