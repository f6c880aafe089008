"""Regenerate tests/data/cg_references.npz: SciPy L-BFGS-B optima (coefficients, objective value,
gradient norm) of the nine problems of tests/solvers/test_cg_gap.py.

The reference is independent of the Newton-CG solver under test: SciPy's L-BFGS-B minimises the objective's
loss and gradient at ``ftol=1e-15, gtol=1e-12``.  The stored coefficients are checked by the test at load time
(their gradient and their objective value are recomputed), so a file that no longer matches the problems fails
loudly.  Run from the repository root::

    PYTHONPATH=src python tests/data/make_cg_references.py
"""

from pathlib import Path
import sys

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "solvers"))
from test_cg_gap import CASES, _objective  # noqa: E402


def main():
    out = {}
    for name, C in CASES:
        obj = _objective(name, C)
        ref = minimize(lambda c: obj.loss_gradient(c), np.zeros(obj.n_coef), jac=True, method="L-BFGS-B",
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000})
        g = obj.loss_gradient(ref.x)[1]
        print(f"{name} C={C}: f={ref.fun!r} |g|={np.linalg.norm(g):.3g} nit={ref.nit} {ref.message}")
        out[f"{name}_C{C}"] = ref.x
        out[f"{name}_C{C}_f"] = ref.fun
        out[f"{name}_C{C}_gnorm"] = np.linalg.norm(g)
    np.savez_compressed(Path(__file__).with_name("cg_references.npz"), **out)


if __name__ == "__main__":
    main()
