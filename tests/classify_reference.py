"""An independent reference for the classification workbooks: cross-entropy written from its
textbook definition with numpy's own log-add-exp (not the model specs' closed forms), every
nudged loss recomputed from scratch, and the workbooks the tests build.

Tolerances: a loss cell is a mean of n row losses, each a handful of operations on numbers
the size of |z|, so two engines differ by a few units of rounding of max(1, Loss, max|z|);
1e-12 of that is a wide margin. The numerical slope divides the difference of two such cells
by eps, hence ·/eps. The forward-difference error itself (eps·curvature, about 1e-5 here) is
far above these allowances, so a wrong slope cannot hide in them.
"""

from __future__ import annotations

import csv

import numpy as np

from gradsheet.build import make


def logits(X, theta, k, C):
    """z (n,) for logistic (C = 0), z (n, C) for softmax: W_j_c class by class, then B_c."""
    if C == 0:
        return X @ theta[:k] + theta[k]
    W = theta[:k * C].reshape(C, k)
    return X @ W.T + theta[k * C:]


def row_losses(X, y, theta, k, C):
    """−[y ln p + (1 − y) ln(1 − p)] = ln(1 + e^z) − y·z; softmax ln Σ e^z − z_true."""
    z = logits(X, theta, k, C)
    if C == 0:
        return np.logaddexp(0.0, z) - y * z
    return np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y.astype(int)]


def loss(X, y, theta, k, C) -> float:
    return float(np.mean(row_losses(X, y, theta, k, C)))


def probabilities(X, theta, k, C):
    z = logits(X, theta, k, C)
    if C == 0:
        return 1.0 / (1.0 + np.exp(-z)) if np.all(z > -700) else np.exp(-np.logaddexp(0.0, -z))
    return np.exp(z - np.logaddexp.reduce(z, axis=1)[:, None])


def expected(X, y, theta, eps, k, C) -> dict[str, float | np.ndarray]:
    """Loss, Loss_P (from scratch at P + eps), grad_P and exact_grad_P (mean (p − y)·x) by
    parameter index, accuracy and the confusion counts."""
    base = loss(X, y, theta, k, C)
    plus = np.array([loss(X, y, theta + eps * np.eye(theta.size)[i], k, C) for i in range(theta.size)])
    p = probabilities(X, theta, k, C)
    n = len(y)
    if C == 0:
        r = p - y
        exact = np.append(X.T @ r / n, r.sum() / n)
        pred = (logits(X, theta, k, C) >= 0).astype(int)
        classes = 2
    else:
        Y = np.eye(C)[y.astype(int)]
        R = p - Y
        exact = np.concatenate([(X.T @ R / n).T.ravel(), R.sum(axis=0) / n])
        pred = np.argmax(logits(X, theta, k, C), axis=1)
        classes = C
    confusion = np.zeros((classes, classes))
    np.add.at(confusion, (y.astype(int), pred), 1)
    return {"Loss": base, "plus": plus, "grad": (plus - base) / eps, "exact": exact, "p": p,
            "accuracy": float(np.mean(pred == y)), "confusion": confusion,
            "p_true": p_true(X, y, theta, k, C), "ce": row_losses(X, y, theta, k, C),
            # the row columns: logistic's pred is the class 0/1, softmax's the class number 1…C
            "pred": pred.astype(float) if C == 0 else pred + 1.0}


def p_true(X, y, theta, k, C):
    """The probability the model gives each row's own class, from the log-loss itself: e^−ce
    (ce = −ln p_true), so it is exact where p rounds to 0 or 1 as well."""
    return np.exp(-row_losses(X, y, theta, k, C))


def scale_of(X, theta, k, C) -> float:
    return max(1.0, float(np.max(np.abs(logits(X, theta, k, C)))))


def one_input_csv(path, n=30, seed=3):
    """One input, labels 'no'/'yes' that overlap (a finite best exists)."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0, 1, n), 2)
    label = np.where(x + rng.normal(0, 0.8, n) > 0, "yes", "no")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["hours", "passed"])
        w.writerows(zip(x, label))
    return path


def build(kind: str, folder, **options):
    """The four classification workbooks of the issue: logistic with 1 and 2 inputs, softmax
    with 2 and 4 inputs (iris)."""
    from pathlib import Path
    from gradsheet.data import presets
    templates = presets.folder()  # the installed package's tables, as users get them
    out = Path(folder) / f"{kind}.xlsx"
    if kind == "logistic1":
        return make(one_input_csv(Path(folder) / "one.csv"), out, lr=0.5, **options)
    if kind == "logistic2":
        return make(templates / "exam.csv", out, classes="불합격,합격", scale="standard", lr=0.5, **options)
    if kind == "softmax2":
        return make(templates / "iris.csv", out, features="petal_length,petal_width", scale="standard",
                    lr=0.5, **options)
    return make(templates / "iris.csv", out, scale="standard", lr=0.5, **options)


KINDS = ["logistic1", "logistic2", "softmax2", "iris"]
