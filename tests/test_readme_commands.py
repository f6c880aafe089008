"""The README runs as written: every ``crossentropy`` command of its shell blocks, and its Python snippets.

The commands and snippets are read from README.md itself (whatever it holds when the test runs) and
run in document order in a temporary copy of the repository, so that ``runs/`` and the files they
write land there: ``crossentropy ...`` becomes ``python -m crossentropy ...``, each Python snippet is
saved as a script and run as one. A snippet that starts a Dask cluster is checked for its
``if __name__ == "__main__":`` guard here and run as a script in a test of its own.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
_BLOCK = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_SKIP_COPY = shutil.ignore_patterns(".git", ".venv", "runs", "build", "dist", ".pytest_cache", ".hypothesis",
                                    ".bench-out", "__pycache__", "*.egg-info", ".whl", ".gl",
                                    "_build", "auto_lessons", "generated")  # what make docs writes under docs/
_DASK = re.compile(r"^\s*(import|from)\s+(dask|distributed)\b", re.M)


def readme_steps(text: str) -> list[tuple[str, object, int]]:
    """The steps of a Markdown text, in order: ``("cli", argv, line)`` and ``("python", code, line)``.

    Shell blocks (bash, sh, shell, console) give one step per ``crossentropy`` command (also
    ``.venv/bin/crossentropy``), comments removed and backslash continuations joined; in a
    ``console`` block only lines starting with ``$ `` are commands (the rest is output). Other
    commands (``source``, ``pip``, ``make``) are not steps.
    """
    steps = []
    for match in _BLOCK.finditer(text):
        language, body = match.group(1).lower(), match.group(2)
        line = text.count("\n", 0, match.start()) + 2
        if language == "python":
            steps.append(("python", body, line))
            continue
        if language not in SHELL_LANGUAGES:
            continue
        logical, start = "", line
        for offset, raw in enumerate(body.splitlines()):
            if not logical:
                start = line + offset
            if language == "console" and not logical:
                if not raw.startswith("$ "):
                    continue
                raw = raw[2:]
            if raw.endswith("\\"):
                logical += raw[:-1] + " "
                continue
            argv, logical = shlex.split(logical + raw, comments=True), ""
            if argv and Path(argv[0]).name == "crossentropy" and argv[0] in ("crossentropy", ".venv/bin/crossentropy"):
                steps.append(("cli", ["crossentropy", *argv[1:]], start))
    return steps


def needs_dask(code: str) -> bool:
    """True for a snippet that imports Dask (it starts a cluster)."""
    return bool(_DASK.search(code))


def main_guard_holds_cluster(code: str) -> bool:
    """True when the snippet has a top-level ``if __name__ == "__main__":`` and starts clusters only inside it."""
    tree = ast.parse(code)

    def is_guard(node):
        test = getattr(node, "test", None)
        return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__" and isinstance(test.ops[0], ast.Eq)
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__")

    def starts_cluster(node):
        return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None))
                   in ("LocalCluster", "Client") for n in ast.walk(node))

    guards = [node for node in tree.body if is_guard(node)]
    outside = [node for node in tree.body if not is_guard(node)]
    return bool(guards) and any(starts_cluster(g) for g in guards) and not any(starts_cluster(n) for n in outside)


def _env():
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _run(argv, cwd, what):
    proc = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{what} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def _repo_copy(tmp_path) -> Path:
    work = tmp_path / "repo"
    shutil.copytree(ROOT, work, ignore=_SKIP_COPY)
    return work


# ------------------------------------------------------------------------------ the extraction itself
def test_steps_are_read_from_shell_and_console_blocks():
    text = ("intro\n```bash\ncrossentropy train a.csv \\\n  --target y   # a comment\nsource .venv/bin/activate\n"
            "```\n```console\n$ crossentropy evaluate runs/x b.csv\nrows 3\ncrossentropy is not a command here\n```\n"
            "```text\ncrossentropy plot log-loss\n```\n```python\nprint(1)\n```\n")
    steps = readme_steps(text)
    assert [(k, v) for k, v, _ in steps] == [
        ("cli", ["crossentropy", "train", "a.csv", "--target", "y"]),
        ("cli", ["crossentropy", "evaluate", "runs/x", "b.csv"]),
        ("python", "print(1)\n"),
    ]
    assert [line for *_, line in steps] == [3, 8, 16]  # the first line of each command or snippet


def test_main_guard_check():
    guarded = 'from distributed import Client\nif __name__ == "__main__":\n    client = Client()\n'
    assert main_guard_holds_cluster(guarded)
    assert not main_guard_holds_cluster("from distributed import Client\nclient = Client()\n")
    assert not main_guard_holds_cluster(guarded + "other = Client()\n")


def test_readme_has_the_newcomer_commands():
    """The README's quick start says which Python, how to reach the command, and uses the shipped table."""
    text = README.read_text()
    requires = re.search(r'requires-python\s*=\s*">=\s*([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert f"Python {requires} or newer" in text
    assert ".venv/bin/crossentropy" in text and "source .venv/bin/activate" in text
    commands = [argv for kind, argv, _ in readme_steps(text) if kind == "cli"]
    for verb in ("train", "evaluate", "predict"):
        uses = [argv for argv in commands if argv[1] == verb and any(a.startswith("examples/data/") for a in argv)]
        assert uses, f"no README {verb} command on examples/data/"
        for argv in uses:
            for arg in argv:
                if arg.startswith("examples/data/"):
                    assert (ROOT / arg).is_file(), f"README names {arg}, which is not in the repository"
    demo = re.search(r"^demo:.*?(?=^\S)", (ROOT / "Makefile").read_text() + "\nend", re.M | re.S).group(0)
    assert "@echo" in demo and ".venv/bin/crossentropy" in demo.replace("$(VENV)", ".venv")
    assert "source .venv/bin/activate" in demo.replace("$(VENV)", ".venv")


def demo_commands(makefile_text: str) -> list[list[str]]:
    """The ``crossentropy`` commands of the Makefile's ``demo`` recipe, as argv lists."""
    recipe = re.search(r"^demo:.*?\n((?:\t.*\n?)*)", makefile_text, re.M).group(1)
    out = []
    for line in recipe.splitlines():
        argv = shlex.split(line.strip().replace("$(VENV)", ".venv"))
        if argv and argv[0] == ".venv/bin/crossentropy":
            out.append(["crossentropy", *argv[1:]])
    return out


# ------------------------------------------------------------------------------ running the README
@pytest.mark.slow
def test_every_readme_command_and_snippet_runs(tmp_path):
    """After what ``make demo`` runs, every README command and snippet, in order, exits 0."""
    steps = readme_steps(README.read_text())
    assert sum(kind == "cli" for kind, *_ in steps) >= 5
    work = _repo_copy(tmp_path)
    demo = demo_commands((ROOT / "Makefile").read_text())
    assert any(argv[1] == "train" for argv in demo)
    for argv in demo:  # the state a newcomer is in after make demo (runs/demo/ exists)
        _run([sys.executable, "-m", "crossentropy", *argv[1:]], work, f"Makefile demo: {shlex.join(argv)}")
    ran = 0
    for i, (kind, payload, line) in enumerate(steps):
        if kind == "cli":
            _run([sys.executable, "-m", "crossentropy", *payload[1:]], work, f"README.md:{line}: {shlex.join(payload)}")
        elif needs_dask(payload):
            compile(payload, f"README.md:{line}", "exec")
            assert main_guard_holds_cluster(payload), f"README.md:{line}: the Dask snippet needs its __main__ guard"
            continue
        else:
            script = work / f"readme_snippet_{i}.py"
            script.write_text(payload)
            _run([sys.executable, script.name], work, f"README.md:{line}: Python snippet")
        ran += 1
    assert ran >= 6
    # what the tour's lines promise: a prediction per row of new.csv, a saved run per train line
    predictions = list(work.glob("runs/**/*predictions*.csv")) + list(work.glob("runs/*predictions*.csv"))
    assert predictions


@pytest.mark.slow
def test_the_dask_snippet_runs_as_a_script(tmp_path):
    pytest.importorskip("distributed")
    snippets = [(code, line) for kind, code, line in readme_steps(README.read_text())
                if kind == "python" and needs_dask(code)]
    assert snippets, "the README has a Dask snippet"
    work = _repo_copy(tmp_path)
    for i, (code, line) in enumerate(snippets):
        script = work / f"readme_dask_{i}.py"
        script.write_text(code)
        _run([sys.executable, script.name], work, f"README.md:{line}: Dask snippet as a script")


def test_example_tables_are_those_the_script_writes(tmp_path):
    """examples/data/ is what examples/make_data.py writes, and holds what the README says it holds."""
    import pandas as pd

    _run([sys.executable, str(ROOT / "examples" / "make_data.py"), "--out", str(tmp_path)], ROOT, "make_data.py")
    for name in ("train.csv", "test.csv", "new.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "examples" / "data" / name).read_bytes(), name
    train, test, new = (pd.read_csv(ROOT / "examples" / "data" / n) for n in ("train.csv", "test.csv", "new.csv"))
    assert set(train["cultivar"]) == set(test["cultivar"]) == {"barolo", "grignolino", "barbera"}
    assert not pd.api.types.is_numeric_dtype(train["colour"]) and set(train["colour"].dropna()) == {"pale", "ruby", "deep"}
    assert train.isna().to_numpy().sum() > 0 and test.isna().to_numpy().sum() > 0
    assert "cultivar" not in new.columns and list(new.columns) == [c for c in test.columns if c != "cultivar"]
    # the rows are scikit-learn's wine rows, each once
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame
    both = pd.concat([train, test]).sort_values(["proline", "alcohol"])
    ref = wine.sort_values(["proline", "alcohol"])
    assert both.shape[0] == wine.shape[0]
    assert (both["alcohol"].to_numpy() == ref["alcohol"].to_numpy()).all()
    assert (both["cultivar"].map({"barolo": 0, "grignolino": 1, "barbera": 2}).to_numpy() == ref["target"].to_numpy()).all()


# ------------------------------------------------------------------------------ the inference example
def _anes_blocks(text):
    """The README's anes96 example: its command line, its Python snippet and the text it prints."""
    blocks = list(_BLOCK.finditer(text))
    i = next(k for k, m in enumerate(blocks) if m.group(1) == "console" and "anes96.csv" in m.group(2))
    assert [m.group(1) for m in blocks[i:i + 3]] == ["console", "python", "text"]
    return blocks[i].group(2), blocks[i + 1].group(2), blocks[i + 2].group(2)


def _numbers(line):
    return [float(v) for v in line.split()]


def test_readme_inference_example_prints_what_statsmodels_gives(tmp_path, monkeypatch, capsys):
    """The anes96 commands print the README's block, and its numbers are statsmodels' ``smf.logit`` (HC0):
    coefficients, standard errors, z, p, intervals, log-likelihoods, AIC, BIC, ``wald_test_terms`` and the
    LR statistics of refits without each column (all at the 4 significant digits printed)."""
    smf = pytest.importorskip("statsmodels.formula.api")
    import pandas as pd

    from crossentropy.cli import main

    console, code, printed = _anes_blocks(README.read_text())
    (tmp_path / "examples" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "data" / "anes96.csv", tmp_path / "examples" / "data" / "anes96.csv")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(console.strip()[2:])
    assert argv[:2] == ["crossentropy", "train"] and "--penalty" in argv and "HC0" in argv
    assert main(argv[1:]) == 0
    capsys.readouterr()
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == printed.strip()

    table = pd.read_csv(tmp_path / "examples" / "data" / "anes96.csv").assign(dole=lambda t: (t["vote"] == "dole") * 1)
    formula = "dole ~ C(party) + C(education) + age + income"
    fit = dict(disp=0, method="newton", tol=1e-12, maxiter=100)
    res = smf.logit(formula, table).fit(cov_type="HC0", **fit)
    lines = printed.strip().splitlines()
    head = " ".join(lines[:8])
    for label, value in (("Log-Likelihood:", res.llf), ("LL-Null:", res.llnull), ("Pseudo R-squ.:", res.prsquared),
                         ("AIC:", res.aic), ("BIC:", res.bic)):
        assert float(re.search(re.escape(label) + r"\s+(\S+)", head).group(1)) == pytest.approx(value, rel=1e-5)
    rules = [k for k, line in enumerate(lines) if set(line) == {"-"}]
    rows = lines[rules[-1] + 1:next(k for k in range(rules[-1] + 1, len(lines)) if set(lines[k]) == {"="})]
    ci = res.conf_int()
    assert len(rows) == len(res.params)
    for row in rows:
        term, *values = row.split()
        name = "Intercept" if term == "const" else re.sub(r"^(party|education)\[", r"C(\1)[", term)
        expected = [res.params[name], res.bse[name], res.tvalues[name], res.pvalues[name], ci.loc[name, 0],
                    ci.loc[name, 1]]
        np.testing.assert_allclose([float(v) for v in values], expected, rtol=2e-3, err_msg=term)
    start = next(k for k, line in enumerate(lines) if line.split()[:2] == ["column", "df"])
    wald = res.wald_test_terms(scalar=True).table
    for line in lines[start + 1:]:
        column, df, wald_chi2, wald_p, lr_chi2, lr_p = line.split()
        term = f"C({column})" if column in ("party", "education") else column
        restricted = smf.logit(formula.replace(f" + {term}", "").replace(f"{term} + ", ""), table).fit(**fit)
        lr = 2 * (res.llf - restricted.llf)
        np.testing.assert_allclose(_numbers(f"{df} {wald_chi2} {wald_p}"),
                                   [wald.loc[term, "df_constraint"], wald.loc[term, "statistic"],
                                    wald.loc[term, "pvalue"]], rtol=2e-3, err_msg=column)
        np.testing.assert_allclose(_numbers(f"{lr_chi2} {lr_p}"), [lr, stats.chi2.sf(lr, int(df))], rtol=2e-3,
                                   err_msg=column)


def test_anes_table_is_what_the_script_writes(tmp_path):
    """examples/data/anes96.csv is what examples/make_anes.py writes from statsmodels' anes96 rows."""
    pytest.importorskip("statsmodels")
    _run([sys.executable, str(ROOT / "examples" / "make_anes.py"), "--out", str(tmp_path)], ROOT, "make_anes.py")
    assert (tmp_path / "anes96.csv").read_bytes() == (ROOT / "examples" / "data" / "anes96.csv").read_bytes()
