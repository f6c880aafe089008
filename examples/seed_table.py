"""The seed's example as a table: the log loss for y = 1 and y = 0 at a few probabilities, and sigmoid(z)."""

import numpy as np

import crossentropy as ce


def main() -> None:
    probs = np.array([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    ones, zeros = np.ones_like(probs), np.zeros_like(probs)
    j1 = ce.binary_cross_entropy(probs, ones, reduction="none")
    j0 = ce.binary_cross_entropy(probs, zeros, reduction="none")
    print("Log loss J = -[y log(phi) + (1 - y) log(1 - phi)]")
    print(f"{'phi(z)':>8} {'J if y=1':>10} {'J if y=0':>10}")
    for p, a, b in zip(probs, j1, j0):
        print(f"{p:8.2f} {a:10.4f} {b:10.4f}")
    z = np.array([-10.0, -5.0, -1.0, 0.0, 1.0, 5.0, 10.0])
    print("\nSigmoid phi(z) = 1 / (1 + exp(-z))")
    print(f"{'z':>8} {'phi(z)':>10}")
    for zi, s in zip(z, ce.sigmoid(z)):
        print(f"{zi:8.1f} {s:10.6f}")


if __name__ == "__main__":
    main()
