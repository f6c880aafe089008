"""Names a package serves on first use: the one ``__getattr__`` of the packages that load lazily.

A package lists ``{name: submodule}`` and sets ``__getattr__ = lazy_getattr(__name__, table, globals())``;
the submodule is imported when the name is first asked for (PEP 562), and the name is then kept in the
package's namespace, so later lookups are ordinary attribute lookups.
"""

from importlib import import_module

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, table: dict, namespace: dict):
    """A module-level ``__getattr__`` for ``package`` serving the names of ``table`` from its submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    table : dict of str to str
        Public name -> submodule (relative to ``package``) that defines it.
    namespace : dict
        The package's ``globals()``, where a name is kept once imported.

    Returns
    -------
    callable
        ``__getattr__(name)``: the name's value, or ``AttributeError`` for a name not in ``table``.

    Examples
    --------
    >>> namespace = {}
    >>> getter = lazy_getattr("json", {"JSONEncoder": "encoder"}, namespace)
    >>> getter("JSONEncoder").__name__, list(namespace)
    ('JSONEncoder', ['JSONEncoder'])
    >>> getter("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'json' has no attribute 'nothing'

    References
    ----------
    PEP 562, *Module __getattr__ and __dir__*, https://peps.python.org/pep-0562/
    """

    def __getattr__(name):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{table[name]}", package), name)
        namespace[name] = value
        return value

    return __getattr__
