"""One side of the training-loop memory comparison, run in a child process: ``python _lm_head_step.py SIDE N D C STEPS``.

SIDE is ``ours`` (crossentropy.torch.linear_cross_entropy) or ``torch`` (``F.linear_cross_entropy`` with
``LinearCrossEntropyOptions()``, PyTorch's chunked path). The child builds the data, runs one warm-up
step on 64 rows (imports, compilation, thread pools), then STEPS SGD steps on the head's weight and
prints JSON: the losses and the peak resident memory of the steps above the memory just before them
(the high-water mark ``VmHWM``, reset just before them, against ``VmRSS``; where it cannot be reset,
``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _memory import _reset_high_water, _status_kb, _trim_heap  # noqa: E402  (the benchmarks' measurement)


def rss_kb() -> int:
    return _status_kb("VmRSS")


def main(side: str, n: int, d: int, c: int, steps: int) -> None:
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(n, d, generator=gen)
    target = torch.randint(0, c, (n,), generator=gen)
    weight = (torch.randn(c, d, generator=gen) / d ** 0.5).requires_grad_()
    if side == "ours":
        import crossentropy.torch as cet

        def loss_of(h, t):
            return cet.linear_cross_entropy(h, weight, t)
    else:
        options = torch.nn.LinearCrossEntropyOptions()

        def loss_of(h, t):
            return F.linear_cross_entropy(h, weight, t, options=options)

    opt = torch.optim.SGD([weight], lr=0.5)

    def step(h, t):
        opt.zero_grad(set_to_none=True)
        loss = loss_of(h, t)
        loss.backward()
        opt.step()
        return loss.item()

    start = weight.detach().clone()
    step(hidden[:64], target[:64])
    with torch.no_grad():  # the warm-up's update undone: both sides start from the same weights
        weight.copy_(start)
    opt.zero_grad(set_to_none=True)
    del start
    gc.collect()
    _trim_heap()
    reset = _reset_high_water()
    before = rss_kb()
    losses = [step(hidden, target) for _ in range(steps)]
    peak = _status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"losses": losses, "peak_kb": peak - before}))


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:6]))
