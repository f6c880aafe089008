"""Benchmark of issue 26 item 2: the PyTorch autograd linear cross-entropy of ``crossentropy.torch``.

- ``torch_autograd_linear_ce``: ``crossentropy.torch.linear_cross_entropy(hidden, W, target)`` then
  ``backward()`` (loss, ``hidden.grad``, ``W.grad``) on a language-model head of 8,192 tokens,
  hidden size 512 and a 32,768-word vocabulary, float32, against PyTorch's chunked
  ``F.linear_cross_entropy(..., options=LinearCrossEntropyOptions())`` forward plus backward on the
  same tensors. Targets: time ratio <= 0.6 and peak memory no higher (mem_ratio <= 1). Both sides
  warm up on 64 rows, and the gradients of a call are dropped before the next one.

Quick mode shrinks the sizes (a smoke test of the harness and the Function).
"""

from __future__ import annotations

import numpy as np


def _rel(a, b):
    """Largest difference relative to the largest entry of ``b``."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), np.finfo(np.float64).tiny))


def _autograd_linear_case(quick):
    n, d, c = (1024, 64, 4096) if quick else (8_192, 512, 32_768)
    st = {}

    def setup():
        import torch

        gen = torch.Generator().manual_seed(0)
        st["X"] = torch.randn(n, d, generator=gen).requires_grad_()
        st["W"] = (torch.randn(c, d, generator=gen) / d ** 0.5).requires_grad_()
        st["y"] = torch.randint(0, c, (n,), generator=gen)

    def _clear():
        st["X"].grad = None
        st["W"].grad = None

    def ours():
        import crossentropy.torch as cet

        st.pop("ours", None)  # the previous call's gradients are not alive during this one
        _clear()
        loss = cet.linear_cross_entropy(st["X"], st["W"], st["y"])
        loss.backward()
        st["ours"] = (loss.item(), st["X"].grad, st["W"].grad)

    def torch_chunked():
        import torch
        import torch.nn.functional as F

        st.pop("torch", None)
        _clear()
        loss = F.linear_cross_entropy(st["X"], st["W"], st["y"], options=torch.nn.LinearCrossEntropyOptions())
        loss.backward()
        st["torch"] = (loss.item(), st["X"].grad, st["W"].grad)

    def warmup():  # imports, compiles and starts the thread pools of both sides on a slice of the rows
        import torch
        import torch.nn.functional as F

        import crossentropy.torch as cet

        k = min(n, 64)
        Xk = st["X"][:k].detach().clone().requires_grad_()
        cet.linear_cross_entropy(Xk, st["W"], st["y"][:k]).backward()
        F.linear_cross_entropy(Xk, st["W"], st["y"][:k], options=torch.nn.LinearCrossEntropyOptions()).backward()
        _clear()

    def check():
        if "ours" not in st:
            ours()
        loss, dX, dW = st.pop("ours")
        dX, dW = dX.clone(), dW.clone()
        torch_chunked()
        t_loss, t_dX, t_dW = st["torch"]
        return (f"{n:,} tokens × hidden {d} → vocabulary {c:,}, float32, loss.backward(); vs torch: loss rel. "
                f"diff {abs(loss - t_loss) / t_loss:.1e}, dX {_rel(dX.numpy(), t_dX.numpy()):.1e}, "
                f"dW {_rel(dW.numpy(), t_dW.numpy()):.1e}")

    return {"name": f"torch_autograd_linear_ce ({n:,}×{d}, C={c:,}, float32, fwd+bwd)", "issue": 26,
            "setup": setup, "ours": ours, "anchor": torch_chunked, "warmup": warmup, "check": check,
            "anchor_name": "torch F.linear_cross_entropy (LinearCrossEntropyOptions(): chunked) fwd+bwd",
            "target": "ratio <= 0.6 and mem_ratio <= 1", "memory": True}


def cases(quick: bool) -> list[dict]:
    """The case of issue 26 item 2 (small sizes when ``quick``)."""
    return [_autograd_linear_case(quick)]
