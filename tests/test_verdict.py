"""The grader's verdicts without an engine (gradsheet/classroom/verdict.py): the maths of every
blank name is the specs' (core/models.py, core/optimizers.py), its tolerance is rounding's and
sits far below the smallest difference a real mistake makes, and the marks follow the rules a
hostile student cannot game (a formula of constants is constant; an error is excused only where
the right maths errs too, and never in both readings)."""
from __future__ import annotations

import numpy as np
import pytest

from gradsheet.classroom import verdict
from gradsheet.classroom.engine import CellError
from gradsheet.classroom.verdict import Sheet, combine, expected, mark_cell
from gradsheet.core import models
from gradsheet.data.dataset import lemonade

NA = CellError("$학습.$G$6", 32767, "#N/A")


def inputs_for(sheet: Sheet, X, y, rng) -> dict:
    out = {f: X[:, j] for j, f in enumerate(sheet.features)}
    if sheet.model == "softmax":
        for c, t in enumerate(sheet.targets):
            out[t] = (y == c).astype(float)
    else:
        out["y"] = np.asarray(y, dtype=float)
    for p in sheet.params:
        out[p] = rng.normal(0, 0.5)
        out[f"dLoss_d{p}"] = rng.normal(0, 3)
        out[f"vel_{p}"], out[f"m_{p}"], out[f"sq_{p}"] = rng.normal(), rng.normal(), rng.uniform(0.1, 2)
    out |= {"lr": 0.01, "eps": 1e-4, "t": 3.0, "beta": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999, "delta": 1e-7}
    return out


def tables(rng):
    d = lemonade()
    yield Sheet("linear", 1), d.X, d.y
    X = rng.normal(50, 20, (40, 3))
    yield Sheet("linear", 3, optimizer="adam", diff=models.CENTRAL), X, X @ [2.0, -1.0, 0.5] + rng.normal(0, 5, 40)
    X = rng.normal(2, 1.5, (30, 2))
    yield Sheet("logistic", 2, optimizer="momentum"), X, (X[:, 0] + rng.normal(0, 1, 30) > 2).astype(float)
    yield Sheet("softmax", 2, 3, optimizer="rmsprop", diff=models.CENTRAL), X, rng.integers(0, 3, 30)


@pytest.mark.parametrize("index", range(4))
def test_the_verdicts_maths_is_the_specs_within_its_own_bound(index):
    """The recipes (the spec's Excel texts in bounded arithmetic) give the specs' numbers, within
    the rounding bound they claim: the bound holds for numpy summing in another order."""
    rng = np.random.default_rng(index)
    sheet, X, y = list(tables(rng))[index]
    values = inputs_for(sheet, X, y, rng)
    chain, spec = sheet.chain(values), sheet.model_values(values)
    for name in sheet.computed:
        gap = np.max(np.abs(chain[name].v - spec[name]))
        assert gap <= np.max(chain[name].e) + 1e-300, (name, gap, np.max(chain[name].e))


def test_the_tolerance_sits_far_below_the_smallest_real_mistake():
    """On lemonade, a forward-difference grad_B and the exact slope differ by eps (1e-4): the
    tolerance on grad_B must be at least 100 times smaller (rounding makes it ~1e-7), and at
    least 10 times smaller than the other difference (central for forward and back) and, for a
    forward difference, the exact slope, on every table (40 rows of x ~ 50, whose sums round more)."""
    rng = np.random.default_rng(7)
    for sheet, X, y in tables(rng):
        values = inputs_for(sheet, X, y, rng)
        blank = [f"grad_{p}" for p in sheet.params]
        want = expected(sheet, values, {}, blank)
        theta = np.array([values[p] for p in sheet.params])
        yy = np.asarray(y, dtype=float)
        exact = sheet.spec.exact_gradient(X, yy, theta)
        other = models.FORWARD if sheet.diff == models.CENTRAL else models.CENTRAL
        twin = sheet.spec.gradient(X, yy, theta, values["eps"], other)
        for p, name in enumerate(blank):
            tol = max(want[name].tols)
            # (a central difference is the exact slope to second order, of a quadratic Loss exactly:
            # no mistake to tell there; a forward one is off by about eps)
            exact_differs = sheet.diff == models.FORWARD
            for mistake in ([exact[p]] if exact_differs else []) + [twin[p]]:
                gap = abs(float(want[name].values[-1]) - mistake)
                assert gap >= 10 * tol, (sheet, name, gap, tol)
    d = lemonade()
    sheet = Sheet("linear", 1)
    values = {"x": d.X[:, 0], "y": d.y, "W": 0.5, "B": -0.3, "lr": 0.001, "eps": 1e-4, "dLoss_dW": 0.0, "dLoss_dB": 0.0}
    want = expected(sheet, values, {}, ["grad_B"])["grad_B"]
    exact = models.LINEAR.exact_gradient(d.X, d.y, np.array([0.5, -0.3]))[1]
    assert abs(float(want.values[-1]) - exact) == pytest.approx(1e-4, rel=1e-3)
    assert 100 * max(want.tols) <= 1e-4
    assert not verdict.close(exact, want.at(0)) and verdict.close(float(want.values[-1]) + 1e-8, want.at(0))


def test_a_right_loss_over_a_wrong_h_is_right_and_an_error_upstream_excuses_only_what_it_reaches():
    d = lemonade()
    sheet = Sheet("linear", 1)
    values = {"x": d.X[:, 0], "y": d.y, "W": 0.5, "B": -0.3, "lr": 0.001, "eps": 1e-4, "dLoss_dW": 1.0, "dLoss_dB": 2.0}
    h_wrong = d.X[:, 0] * 0.5 + 0.3
    want = expected(sheet, values, {"h": h_wrong}, ["h", "Loss", "next_W"])
    assert verdict.close(models.LINEAR.loss_of(h_wrong, d.y), want["Loss"].at(0))  # own candidate
    assert verdict.close(models.LINEAR.loss(d.X, d.y, np.array([0.5, -0.3])), want["Loss"].at(0))  # the model's
    h_na = h_wrong.copy()
    h_na[2] = np.nan
    want = expected(sheet, values, {"h": h_na}, ["h", "Loss", "next_W"])
    assert np.isnan(want["Loss"].at(0)[0][0])  # the right Loss on this h errs too: a knock-on
    assert np.isfinite(want["next_W"].at(0)[0][0])  # next_W does not read h: no excuse there


def test_marks_of_one_cell():
    right = [(10.0, 1e-12)]
    moved = [(12.0, 1e-12)]
    nan = [(float("nan"), 0.0), (10.0, 1e-12)]
    assert mark_cell(10.0, 12.0, right, moved) == ("ok", "")
    assert mark_cell(10.0, 10.0, right, moved) == ("constant", "")  # =10+0: a formula of constants
    assert mark_cell(10.0, 10.0, right, moved, formula=False) == ("constant", "")  # a typed number
    assert mark_cell(10.0, 11.0, right, moved) == ("wrong", "only_these_numbers")
    assert mark_cell(9.0, 11.0, right, moved) == ("wrong", "")
    assert mark_cell(None, None, right, moved) == ("missing", "")
    assert mark_cell("W*x", "W*x", right, moved) == ("wrong", "text")
    # an error where the right maths gives a number is the cell's own
    assert mark_cell(NA, 12.0, right, moved) == ("error", "#N/A")
    assert mark_cell(10.0, NA, right, moved) == ("error", "#N/A")
    # where the right maths on the student's cells errs too (an upstream blank's error): excused,
    # if the cell is right on numbers in the other reading
    assert mark_cell(NA, 12.0, nan, moved) == ("ok", "knock_on:#N/A")
    assert mark_cell(NA, 13.0, nan, moved) == ("wrong", "")
    assert mark_cell(NA, NA, nan, [(float("nan"), 0.0)]) == ("error", "#N/A")  # never seen on numbers
    assert verdict.mark_first_only(NA, right) == ("error", "#N/A")
    assert verdict.mark_first_only(10.0, right) == ("ok", "")


def test_one_mark_per_name():
    assert combine([("ok", "")] * 3).mark == "ok"
    assert combine([("missing", "")] * 3).kind == "missing"
    assert combine([("ok", ""), ("missing", ""), ("ok", "")], first_row=5) == verdict.Verdict("wrong", "missing_rows",
                                                                                               (7,))
    assert combine([("ok", ""), ("error", "#VALUE!")]).kind == "error"
    assert combine([("constant", ""), ("constant", "")]).mark == "constant"
    assert combine([("ok", ""), ("wrong", "")], first_row=5).rows == (7,)
    assert combine([("wrong", "only_these_numbers")]).kind == "only_these"
    assert combine([("ok", "knock_on:#VALUE!"), ("ok", "")]) == verdict.Verdict("ok", "knock_on", text="#VALUE!")


def test_every_blank_kind_of_every_model_has_a_recipe_and_a_feed():
    for sheet in (Sheet("linear", 2, optimizer="adam", diff=models.CENTRAL), Sheet("logistic", 1),
                  Sheet("softmax", 2, 3, optimizer="momentum")):
        assert set(sheet.computed) >= {"Loss", *(f"Loss_{p}" for p in sheet.params),
                                       *(f"grad_{p}" for p in sheet.params), *(f"next_{p}" for p in sheet.params)}
        for name in sheet.computed:
            assert all(f in sheet.computed for f in sheet.feeds(name)), name
    soft = Sheet("softmax", 2, 3)
    assert soft.upstream("grad_W_1_2", ["z_2", "p_2", "Loss"]) == ["Loss", "p_2", "z_2"]
