"""The classification model specs against a reference written out plainly: Python floats,
the textbook formulas (−ln p of the true class, with p from 1/(1+e^−z) or e^z_c/Σe^z), every
nudged loss recomputed from scratch at P + eps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradsheet.core.models import LogisticBCE, SoftmaxCE, accuracy, confusion


def ref_logistic_loss(X, y, theta):
    total = []
    for row, t in zip(X.tolist(), y.tolist()):
        z = sum(w * x for w, x in zip(theta[:-1], row)) + theta[-1]
        p = 1 / (1 + math.exp(-z))
        total.append(-(t * math.log(p) + (1 - t) * math.log(1 - p)))
    return math.fsum(total) / len(total)


def ref_softmax_loss(X, y, theta, C):
    k = X.shape[1]
    W = [theta[c * k:(c + 1) * k] for c in range(C)]
    B = theta[k * C:]
    total = []
    for row, t in zip(X.tolist(), y.tolist()):
        z = [sum(w * x for w, x in zip(W[c], row)) + B[c] for c in range(C)]
        total.append(-math.log(math.exp(z[int(t)]) / math.fsum(math.exp(v) for v in z)))
    return math.fsum(total) / len(total)


def data(seed, classes):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 2)) * [1.0, 3.0] + [0.5, -1.0]
    y = rng.integers(0, classes, 40).astype(float)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_loss_and_nudges_equal_the_textbook(seed):
    X, y = data(seed, 2)
    theta = np.random.default_rng(seed + 10).normal(size=3)
    m, eps = LogisticBCE(), 1e-4
    assert m.loss(X, y, theta) == pytest.approx(ref_logistic_loss(X, y, theta.tolist()), rel=1e-13)
    nudged = m.nudged_losses(X, y, theta, eps)
    for p in range(3):
        moved = theta.copy()
        moved[p] += eps
        assert nudged[p] == pytest.approx(ref_logistic_loss(X, y, moved.tolist()), rel=1e-13)
    # the exact slope is what the central difference converges to
    assert np.allclose(m.gradient(X, y, theta, 1e-5, "central"), m.exact_gradient(X, y, theta), atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_loss_and_nudges_equal_the_textbook(seed):
    X, y = data(seed, 3)
    theta = np.random.default_rng(seed + 20).normal(size=9)
    m, eps = SoftmaxCE(3), 1e-4
    assert m.loss(X, y, theta) == pytest.approx(ref_softmax_loss(X, y, theta.tolist(), 3), rel=1e-13)
    nudged = m.nudged_losses(X, y, theta, eps)
    for p in range(9):
        moved = theta.copy()
        moved[p] += eps
        assert nudged[p] == pytest.approx(ref_softmax_loss(X, y, moved.tolist(), 3), rel=1e-12), p
    assert np.allclose(m.gradient(X, y, theta, 1e-5, "central"), m.exact_gradient(X, y, theta), atol=1e-8)


def test_huge_parameters_stay_finite_where_the_textbook_overflows():
    X, y = data(3, 3)
    for m, size in ((LogisticBCE(), 3), (SoftmaxCE(3), 9)):
        theta = np.random.default_rng(5).normal(size=size) * 3000
        yy = (y > 0).astype(float) if size == 3 else y
        assert np.isfinite(m.loss(X, yy, theta))
        assert np.all(np.isfinite(m.nudged_losses(X, yy, theta, 1e-4)))
        assert np.all(np.isfinite(m.exact_gradient(X, yy, theta)))
    with pytest.raises((OverflowError, ValueError)):  # the naive form fails there
        ref_logistic_loss(X, (y > 0).astype(float), (np.random.default_rng(5).normal(size=3) * 3000).tolist())


def test_accuracy_and_confusion_count_the_most_probable_class():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    theta = np.array([1.0, -1.5])  # z = x − 1.5: classes 0, 0, 1, 1
    m = LogisticBCE()
    assert accuracy(m, X, y, theta) == 1.0
    assert accuracy(m, X, y, np.array([1.0, -0.5])) == 0.75  # x = 1 now predicted 1
    assert confusion(m, X, y, np.array([1.0, -0.5]), 2).tolist() == [[1, 1], [0, 2]]
    s = SoftmaxCE(3)
    theta = np.array([0.0, 1.0, 2.0, 0.0, 0.0, -3.0])  # z = [0, x, 2x − 3]
    assert s.logits(X, theta).tolist() == [[0, 0, -3], [0, 1, -1], [0, 2, 1], [0, 3, 3]]
    # ties go to the first class (MATCH(MAX(…),…,0)): row 0 → 0, row 3 → 1
    assert confusion(s, X, np.array([0.0, 1.0, 1.0, 2.0]), theta, 3).tolist() == [[1, 0, 0], [0, 2, 0], [0, 1, 0]]
