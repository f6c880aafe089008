"""The console-script entry point sets the OpenMP wait policy of its own process; main() leaves os.environ alone."""

import os
import subprocess
import sys

import pytest

import crossentropy.cli as cli


def test_main_leaves_the_environment_alone(capsys):
    before = dict(os.environ)
    assert cli.main(["--version"]) == 0
    assert "crossentropy" in capsys.readouterr().out
    assert dict(os.environ) == before


def test_entry_sets_passive_wait_policy_unless_set(monkeypatch, capsys):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(sys, "argv", ["crossentropy", "--version"])
    with pytest.raises(SystemExit) as exc:
        cli.entry()
    assert exc.value.code == 0 and os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    with pytest.raises(SystemExit):
        cli.entry()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_python_dash_m_runs_the_entry_point():
    code = ("import os, runpy, sys; sys.argv = ['crossentropy', '--version']; os.environ.pop('OMP_WAIT_POLICY', None)\n"
            "try:\n    runpy.run_module('crossentropy', run_name='__main__')\n"
            "except SystemExit as e:\n    print(e.code, os.environ.get('OMP_WAIT_POLICY'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "0 PASSIVE"
