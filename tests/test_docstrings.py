"""No string literal of the package holds a control character that an unescaped LaTeX command makes.

In a non-raw string ``\\theta`` is a tab followed by ``heta`` and ``\\frac`` a form feed followed by
``rac``: the formula in the docstring is silently broken. Tabs used as data (a separator) are
one-character literals and are left alone.
"""

import ast
from pathlib import Path

import crossentropy

CONTROL = "\t\x0b\x0c\x08\x07"


def test_no_control_characters_in_string_literals():
    root = Path(crossentropy.__file__).parent
    bad = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 1 \
                    and any(c in node.value for c in CONTROL):
                bad.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not bad, f"string literals with control characters (write the docstring as r\"\"\"...\"\"\"): {bad}"
