"""``train`` killed with SIGKILL during its write phase: the path holds nothing or a complete run, never a part.

Each kill runs ``crossentropy train`` in a fork of a child started with ``python -c`` (the imports
are paid once), which wraps the atomic helpers with short sleeps (so that the write phase lasts about 0.3 s and the kills land all over
it: while the model is written into the temporary directory, around the rename-exchange, while the
replaced run is removed) and prints a line when the write phase begins. The parent kills the child
a random delay after that line. The oracle: every file of a complete run is at the path and the
model loads (or nothing is there), and the hidden temporaries of a killed run are gone once the
next run has started.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossentropy.model_io import load_model_bundle

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

_SERVER = r"""
import contextlib, json, os, sys, time
import crossentropy.io.atomic as A
from crossentropy.cli import main
import crossentropy.linear_model, crossentropy.datasets, crossentropy.io.model_files, sklearn.model_selection

real_directory, real_write, real_rename2, real_remove = A.atomic_directory, A.atomic_write_bytes, A._rename2, A._remove_tree

@contextlib.contextmanager
def marked(path, **kwargs):
    with real_directory(path, **kwargs) as tmp:  # the stale temporaries have been cleaned by now
        sys.stdout.write("WRITING\n")
        sys.stdout.flush()
        yield tmp

def slow_write(path, data):
    time.sleep(0.04); real_write(path, data); time.sleep(0.04)

def slow_rename2(src, dst, flags):
    time.sleep(0.04); done = real_rename2(src, dst, flags); time.sleep(0.04); return done

def slow_remove(path):
    for f in sorted(path.rglob("*"), reverse=True):
        time.sleep(0.01)
        f.unlink() if f.is_file() else f.rmdir()
    real_remove(path)

A.atomic_directory, A.atomic_write_bytes, A._rename2, A._remove_tree = marked, slow_write, slow_rename2, slow_remove
for line in sys.stdin:  # one train per line, each in a fork of this process (imports paid once)
    argv = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = main(argv)
        sys.stdout.flush()
        os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    sys.stdin.readline()  # reaped only when asked: until then the pid cannot be reused by another process
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": status}), flush=True)
"""


class _Trainer:
    """A child process that imports the command line once and forks one ``train`` per request.

    Killing a fork kills a process in the same state a fresh ``crossentropy train`` would be in at that
    point of its write phase, without paying the imports twenty times.
    """

    def __init__(self, cwd):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVER], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def _line(self, key):
        for line in self.proc.stdout:
            if line.startswith("{") and key in line:
                return json.loads(line)[key]
            if line.strip() == "WRITING" and key == "WRITING":
                return True
        raise AssertionError(f"the trainer ended: {self.proc.stderr.read()[-2000:]}")

    def start(self, out, seed, force):
        argv = ["train", "--dataset", "iris", "--no-plots", "--seed", str(seed), "--out", str(out)]
        self.proc.stdin.write(json.dumps(argv + (["--force"] if force else [])) + "\n")
        self.proc.stdin.flush()
        return self._line("pid")

    def wait_for_write_phase(self):
        return self._line("WRITING")

    def status(self):
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        return self._line("status")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()
        self.proc.stderr.close()


CORE_FILES = {"metrics.json", "model.json", "model.safetensors", "split.json"}
RUN_FILES = set()  # every file of a complete run: those of the first, uninterrupted run


def _seed_of_complete_run(path):
    """The seed of the complete run at ``path``, or None when nothing is there; fails on a partial run."""
    if not os.path.lexists(path):
        return None
    assert path.is_dir() and {p.name for p in path.iterdir()} == RUN_FILES, sorted(p.name for p in path.iterdir())
    bundle = load_model_bundle(path)
    metrics = json.loads((path / "metrics.json").read_text())
    assert bundle.extra["metrics"]["seed"] == metrics["seed"]
    return metrics["seed"]


def _hidden(tmp_path, pid=None):
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")
                  and (pid is None or f"-{pid}-" in p.name))


@pytest.mark.slow
def test_kills_during_the_write_phase_leave_nothing_or_a_complete_run(tmp_path):
    rnd = random.Random(4242)
    base, fresh = tmp_path / "base", tmp_path / "fresh"
    trainer = _Trainer(tmp_path)
    try:
        trainer.start(base, 0, False)
        assert trainer.status() == 0
        RUN_FILES.update(p.name for p in base.iterdir())
        assert CORE_FILES <= RUN_FILES
        assert _seed_of_complete_run(base) == 0
        previous_pid, outcomes = None, []
        for trial in range(20):
            force = trial % 2 == 1
            target, seed = (base, 100 + trial) if force else (fresh, 100 + trial)
            before = _seed_of_complete_run(target)
            pid = trainer.start(target, seed, force)
            assert trainer.wait_for_write_phase()
            if previous_pid is not None:  # the new run has cleaned up after the killed one
                assert _hidden(tmp_path, previous_pid) == []
            time.sleep(rnd.uniform(0.0, 0.4))
            os.kill(pid, signal.SIGKILL)
            status = trainer.status()
            assert status == signal.SIGKILL or status == 0, status  # killed (or it had just finished)
            after = _seed_of_complete_run(target)
            assert after in ({before, seed} if force else {None, seed}), (trial, before, after)
            outcomes.append((force, after == seed))
            if not force and after is not None:
                shutil.rmtree(target)  # the next run without --force starts from nothing again
            previous_pid = pid
        trainer.start(base, 7, True)
        assert trainer.status() == 0
    finally:
        trainer.close()
    assert _seed_of_complete_run(base) == 7
    assert _hidden(tmp_path) == []  # no leftover of any killed run
    # the kills hit both sides of the swap: some left the old run (or nothing), some the new one
    assert {new for _, new in outcomes} == {True, False}, outcomes
