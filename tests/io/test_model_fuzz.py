"""Model-file fuzzing: damaged, special and hostile files end in ModelFileError, quickly and in bounded memory.

The loads run in a child process that measures, per case, the CPU seconds (``resource.getrusage``)
and, over all cases, the growth of its peak resident set (``ru_maxrss``) after a warm-up load of the
intact model; a per-case alarm turns a hang (a FIFO read for ever) into a failure. The oracle for
"the right outcome" is the file's integrity: every change to the arrays file breaks its SHA-256 or
its layout, every truncation of either file breaks its syntax or its hash.
"""

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crossentropy as ce
from crossentropy.exceptions import ModelFileError
from crossentropy.model_io import load_model_bundle, save_model
from crossentropy.preprocessing import TabularPreprocessor

_CHILD = r"""
import json, resource, signal, sys, time
from crossentropy.model_io import load_model_bundle
from crossentropy.exceptions import ModelFileError

def alarm(signum, frame):
    raise TimeoutError("load did not return within 10 s")

signal.signal(signal.SIGALRM, alarm)
good, cases = sys.argv[1], json.loads(sys.argv[2])
load_model_bundle(good)  # warm-up: every module imported, caches filled
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:  # a safety net for the machine: a loader that reads /dev/zero fails here at +4 GiB of address space
    size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmPeak:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + 4 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
except (OSError, StopIteration, ValueError):
    pass
results = []
for case in cases:
    cpu0 = time.process_time()
    signal.alarm(10)
    try:
        load_model_bundle(case)
        outcome = "loaded"
    except ModelFileError as exc:
        outcome = "ModelFileError"
    except BaseException as exc:
        outcome = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.alarm(0)
    results.append({"case": case, "outcome": outcome, "cpu": time.process_time() - cpu0})
growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"results": results, "growth_kib": growth_kib}))
"""


def _run_child(good, cases):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(good), json.dumps([str(c) for c in cases])],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80) * 5 + 2,
                          "c": rng.choice(["u", "v", "w"], 80)})
    frame["t"] = np.where(frame["a"] + rng.logistic(size=80) > 0, "yes", "no")
    prep = TabularPreprocessor("t").fit(frame)
    est = ce.LogisticRegression().fit(prep.transform(frame), prep.target_values(frame))
    folder = tmp_path_factory.mktemp("fuzz") / "good"
    save_model(est, folder, preprocessing=prep, extra={"metrics": {"note": "fuzz"}})
    return folder


def _copy(good, root, name, *, json_bytes=None, arrays_bytes=None):
    folder = root / name
    shutil.copytree(good, folder)
    if json_bytes is not None:
        (folder / "model.json").write_bytes(json_bytes)
    if arrays_bytes is not None:
        (folder / "model.safetensors").write_bytes(arrays_bytes)
    return folder


def _flip(raw, rnd, n):
    data = bytearray(raw)
    for _ in range(n):
        i = rnd.randrange(len(data))
        data[i] ^= 1 << rnd.randrange(8)
    return bytes(data)


def _check(report, expected):
    for r in report["results"]:
        assert r["outcome"] in expected, r
        assert r["cpu"] < 1.0, r  # a bound on work done, not a benchmark: refusals read and parse little
    assert report["growth_kib"] < 64 * 1024, report["growth_kib"]  # no file-sized allocations


def test_every_change_to_the_arrays_and_every_truncation_is_refused(good, tmp_path):
    rnd = random.Random(20261201)
    raw_json, raw_arrays = (good / "model.json").read_bytes(), (good / "model.safetensors").read_bytes()
    cases = []
    for i in range(40):
        cases.append(_copy(good, tmp_path, f"flip{i}", arrays_bytes=_flip(raw_arrays, rnd, rnd.randint(1, 4))))
    for i in range(15):
        keep = rnd.randrange(len(raw_arrays))
        cases.append(_copy(good, tmp_path, f"cut-arrays{i}", arrays_bytes=raw_arrays[:keep]))
        keep = rnd.randrange(len(raw_json.rstrip()) - 1)  # a prefix of an object is never a complete object
        cases.append(_copy(good, tmp_path, f"cut-json{i}", json_bytes=raw_json[:keep]))
    cases.append(_copy(good, tmp_path, "arrays-grown", arrays_bytes=raw_arrays + b"\0" * 4096))
    cases.append(_copy(good, tmp_path, "arrays-huge-header", arrays_bytes=(2**60).to_bytes(8, "little") + raw_arrays[8:]))
    cases.append(_copy(good, tmp_path, "arrays-empty", arrays_bytes=b""))
    _check(_run_child(good, cases), {"ModelFileError"})


def test_every_flip_in_the_json_is_refused(good, tmp_path):
    # a flip that keeps the JSON valid changes a value (a feature name, a number, the version string):
    # the SHA-256 of the file's own content catches it
    rnd = random.Random(7)
    raw_json = (good / "model.json").read_bytes()
    cases = [_copy(good, tmp_path, f"jflip{i}", json_bytes=_flip(raw_json, rnd, rnd.randint(1, 3))) for i in range(60)]
    _check(_run_child(good, cases), {"ModelFileError"})


def test_an_edit_that_keeps_every_field_valid_is_refused_by_the_content_hash(good, tmp_path):
    meta = json.loads((good / "model.json").read_text())
    meta["package_version"] = "9.9.9"
    meta["extra"]["metrics"]["note"] = "edited"
    folder = _copy(good, tmp_path, "edited", json_bytes=json.dumps(meta).encode())
    with pytest.raises(ModelFileError, match="does not match the SHA-256 of its own content"):
        load_model_bundle(folder)
    del meta["metadata_sha256"]  # a file written before the field existed still loads
    folder = _copy(good, tmp_path, "older", json_bytes=json.dumps(meta).encode())
    assert load_model_bundle(folder).extra["metrics"]["note"] == "edited"


@pytest.mark.skipif(not (Path("/dev/zero").exists() and Path("/dev/urandom").exists() and hasattr(os, "mkfifo")),
                    reason="needs /dev/zero, /dev/urandom and FIFOs (POSIX)")
def test_special_and_huge_files_are_refused_before_reading(good, tmp_path):
    cases = []
    for name in ("model.json", "model.safetensors"):
        for kind in ("zero", "urandom", "fifo", "sparse", "dir"):
            folder = _copy(good, tmp_path, f"{kind}-{name.replace('.', '-')}")  # no suffix: a folder
            target = folder / name
            target.unlink()
            if kind in ("zero", "urandom"):
                target.symlink_to(f"/dev/{kind}")
            elif kind == "fifo":
                os.mkfifo(target)
            elif kind == "sparse":
                with open(target, "wb") as fh:
                    fh.truncate(2**40)  # a terabyte of holes: nothing on disk, everything to a naive read
            else:
                target.mkdir()
            cases.append(folder)
    _check(_run_child(good, cases), {"ModelFileError"})


def _hostile_json(good, tmp_path):
    text = (good / "model.json").read_text()
    meta = json.loads(text)
    deep = json.loads(text)
    deep["extra"] = {"x": json.loads("[" * 60 + "]" * 60)}
    yield "deep-5000", "[" * 5000 + "]" * 5000
    yield "deep-object-5000", '{"a":' * 5000 + "1" + "}" * 5000
    yield "deep-60-inside", json.dumps(deep)
    yield "duplicate-key", text.replace('"format_version": 1,', '"format_version": 1, "format_version": 1,', 1)
    yield "duplicate-param", text.replace('"C": 1.0,', '"C": 1.0, "C": 1000.0,', 1)
    yield "huge-number", text.replace('"C": 1.0,', '"C": 1e999,', 1)
    yield "huge-int", text.replace('"max_iter": 100,', '"max_iter": ' + "9" * 5000 + ",", 1)
    assert '"C": 1.0,' in text and '"max_iter": 100,' in text and '"format_version": 1,' in text
    for name, change in [
        ("version-true", lambda m: m.__setitem__("format_version", True)),
        ("verbose-loud", lambda m: m["params"].__setitem__("verbose", "loud")),
        ("random-state-list", lambda m: m["params"].__setitem__("random_state", [1, 2, 3])),
        ("class-weight-nested", lambda m: m["params"].__setitem__("class_weight", {"yes": {"a": 1}})),
        ("class-weight-bool", lambda m: m["params"].__setitem__("class_weight", {"yes": True})),
        ("max-iter-true", lambda m: m["params"].__setitem__("max_iter", True)),
        ("C-true", lambda m: m["params"].__setitem__("C", True)),
        ("scale-subnormal", lambda m: m["preprocessing"]["columns"][0].__setitem__("scale", 1e-320)),
        ("scale-zero", lambda m: m["preprocessing"]["columns"][0].__setitem__("scale", 0.0)),
        ("n-features-true", lambda m: m.__setitem__("n_features_in", True)),
        ("manifest-huge", lambda m: m["arrays"]["coef_"].__setitem__("shape", [2**20, 2**20])),
        ("manifest-negative", lambda m: m["arrays"]["coef_"].__setitem__("shape", [-1, 4])),
    ]:
        changed = json.loads(text)
        change(changed)
        assert json.dumps(changed) != json.dumps(meta)
        yield name, json.dumps(changed)


def test_hostile_json_is_refused_naming_the_file(good, tmp_path):
    cases = [_copy(good, tmp_path, name, json_bytes=body.encode()) for name, body in _hostile_json(good, tmp_path)]
    report = _run_child(good, cases)
    _check(report, {"ModelFileError"})


@pytest.mark.parametrize("name, needle", [
    ("deep-5000", "levels deep"), ("deep-60-inside", "levels deep"), ("duplicate-key", "gives the key 'format_version' twice"),
    ("duplicate-param", "gives the key 'C' twice"), ("huge-number", "out of the float64 range"),
    ("version-true", "format_version True"), ("verbose-loud", "verbose must be true, false or an integer, got 'loud'"),
    ("random-state-list", "random_state must be an integer or null, got [1, 2, 3]"),
    ("class-weight-nested", "class_weight must be null, a string or an object of numbers"),
    ("max-iter-true", "max_iter must be an integer, got True"), ("C-true", "C must be a number, got True"),
    ("scale-subnormal", "positive scale"), ("manifest-huge", "more than"), ("manifest-negative", "bad shape"),
])
def test_hostile_json_messages_name_the_file_and_the_field(good, tmp_path, name, needle):
    body = dict(_hostile_json(good, tmp_path))[name]
    folder = _copy(good, tmp_path, name, json_bytes=body.encode())
    with pytest.raises(ModelFileError) as info:
        load_model_bundle(folder)
    message = str(info.value)
    assert needle in message and str(folder / "model.json") in message, message
    assert "\n" not in message and len(message) < 600
