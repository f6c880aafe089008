"""crossentropy.io.atomic: no process-wide state changed, and the permissions a plain open/mkdir gives.

The oracle is the kernel: ``/proc/self/status`` reports the umask without setting it, and the
expected modes are POSIX's ``0o666 & ~umask`` (files) and ``0o777 & ~umask`` (directories).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="needs /proc/self/status to read the umask without setting it")

_CHILD = r"""
import json, os, stat, sys
from pathlib import Path

def umask_from_proc():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise SystemExit("no Umask line in /proc/self/status")

os.umask(int(sys.argv[2], 8))
calls = []
real_umask = os.umask
os.umask = lambda mask: calls.append(mask) or real_umask(mask)  # even a set-and-restore is a change
out = Path(sys.argv[1])
before = umask_from_proc()
import crossentropy.io.atomic as atomic
after_import = umask_from_proc()
atomic.atomic_write_text(out / "f.txt", "x")
with atomic.atomic_directory(out / "run") as tmp:
    (tmp / "inside.txt").write_text("y")
after_calls = umask_from_proc()
print(json.dumps({
    "umask_calls": calls, "before": before, "after_import": after_import, "after_calls": after_calls,
    "file": stat.S_IMODE((out / "f.txt").stat().st_mode),
    "dir": stat.S_IMODE((out / "run").stat().st_mode),
}))
"""


def _proc_umask_supported():
    text = Path("/proc/self/status").read_text()
    return any(line.startswith("Umask:") for line in text.splitlines())


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_atomic_writes_leave_the_umask_and_give_the_usual_permissions(tmp_path, umask):
    if not _proc_umask_supported():
        pytest.skip("this kernel's /proc/self/status has no Umask line (Linux < 4.7)")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path), oct(umask)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["umask_calls"] == []  # setting the umask to read it races with every other thread
    assert got["before"] == umask
    assert got["after_import"] == umask
    assert got["after_calls"] == umask
    assert got["file"] == 0o666 & ~umask
    assert got["dir"] == 0o777 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "run"]  # no temporaries left
