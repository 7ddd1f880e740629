"""The model against an independent pure-Python reference (math.fsum sums) and calculus."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradsheet.core import descent
from gradsheet.core import models as model
from budget import examples


def py_loss(rows, ys, w, b):
    """Loss written out by hand: mean of (Σ w_j·x_j + b − y)², exactly summed."""
    return math.fsum((math.fsum(wj * xj for wj, xj in zip(w, row)) + b - yv) ** 2
                     for row, yv in zip(rows, ys)) / len(ys)


tables = st.integers(1, 4).flatmap(lambda k: st.tuples(
    st.lists(st.lists(st.floats(-100, 100), min_size=k, max_size=k), min_size=2, max_size=30),
    st.lists(st.floats(-3, 3), min_size=k + 1, max_size=k + 1)))


@settings(max_examples=examples(200), deadline=None)
@given(tables, st.data())
def test_loss_and_nudged_losses_match_a_hand_written_reference(table, data):
    rows, theta = table
    ys = data.draw(st.lists(st.floats(-500, 500), min_size=len(rows), max_size=len(rows)))
    X, y, th = np.array(rows), np.array(ys), np.array(theta)
    k = X.shape[1]
    want = py_loss(rows, ys, theta[:-1], theta[-1])
    assert model.loss(X, y, th) == pytest.approx(want, rel=1e-12, abs=1e-12)
    eps = 1e-4
    for p in range(k + 1):
        nudged = list(theta)
        nudged[p] += eps
        assert model.nudged_losses(X, y, th, eps)[p] == pytest.approx(
            py_loss(rows, ys, nudged[:-1], nudged[-1]), rel=1e-10, abs=1e-10)


def test_numerical_gradient_approaches_the_analytic_one():
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-5, 5, (50, 3)), rng.uniform(-5, 5, 50)
    theta = rng.uniform(-1, 1, 4)
    exact = model.exact_gradient(X, y, theta)
    # forward differences err by eps·(curvature)/2, central ones only by rounding
    for eps, tol in ((1e-3, 5e-2), (1e-5, 5e-4)):
        assert np.allclose(model.gradient(X, y, theta, eps), exact, atol=tol)
    assert np.allclose(model.gradient(X, y, theta, 1e-4, model.CENTRAL), exact, atol=1e-6)
    # the forward error is exactly eps · mean(x_j²) for a quadratic loss
    A = np.column_stack([X, np.ones(50)])
    bias = 1e-3 * (A * A).mean(axis=0)
    assert np.allclose(model.gradient(X, y, theta, 1e-3) - exact, bias, atol=1e-8)


def test_descent_converges_to_least_squares():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (30, 2))
    y = X @ [2.0, -1.0] + 0.5
    run = descent.descend(X, y, np.zeros(3), 0.5, 1e-7, 3000, model.CENTRAL)
    assert np.allclose(run.theta, model.best_theta(X, y), atol=1e-4)
    assert np.allclose(model.best_theta(X, y), [2.0, -1.0, 0.5])


def test_one_step_is_theta_minus_lr_times_gradient():
    X, y = np.array([[20.0], [21.0]]), np.array([40.0, 42.0])
    theta = np.array([0.5, 0.1])
    g = model.gradient(X, y, theta, 1e-4)
    assert np.array_equal(model.step(X, y, theta, 0.001, 1e-4), theta - 0.001 * g)
    run = descent.descend(X, y, theta, 0.001, 1e-4, 1)
    assert np.array_equal(run.theta, theta - 0.001 * g)
    assert np.array_equal(run.gradients, g)
    assert run.history.tolist() == [[0.5, 0.1, model.loss(X, y, theta)]]


def test_divergence_stops_before_writing_a_bad_step():
    from gradsheet.data.dataset import lemonade
    d = lemonade()
    run = descent.descend(d.X, d.y, np.array([0.02, 0.9]), 0.05, 1e-4, 1000)
    assert run.stopped and len(run.history) < 5
    assert np.all(np.isfinite(run.theta)) and model.loss(d.X, d.y, run.theta) < 1e12


def test_stable_learning_rate_from_curvature():
    from gradsheet.data.dataset import lemonade
    d = lemonade()
    lr_max = model.stable_lr(d.X)
    assert descent.descend(d.X, d.y, np.zeros(2), 0.98 * lr_max, 1e-6, 400).stopped is False
    assert descent.descend(d.X, d.y, np.zeros(2), 1.05 * lr_max, 1e-6, 400).stopped is True
    assert model.suggest_lr(d.X) == 0.001  # the course's choice
