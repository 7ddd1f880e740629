"""Mini-batches without a spreadsheet (core/batches.py, issue 20): the rows each step learns from,
the engine's runs and hand actions on them, and the models' Excel texts over a batch.

The references are written here from the definition in core/batches.py's docstring, reading only
the numbers a workbook stores (the key column and the shuffle table, Batches.key and .mix), never
its methods:
    nb = ROUNDUP(n / B) batches an epoch; step s (0-based) is epoch e = INT(s / nb) + 1, batch
    j = MOD(s, nb) of it; (a, b) = row MOD(e − 1, rows) + 1 of the table; a row's turn is
    MOD(a·key + b, n) + 1; the batch is the rows whose INT((turn − 1) / B) = j.
The descent reference is plain mini-batch gradient descent: each model's loss written out in
numpy, the forward difference (Loss(P + eps) − Loss) / eps over the batch's rows only, and Keras's
update forms (tests/reference.py). The LibreOffice side of the same rules is tests/test_batch_sheet.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest

from reference import keras_adam, keras_sgd_momentum
from gradsheet.core import batches, steps
from gradsheet.core.layout import Layout
from gradsheet.core.models import model_spec
from gradsheet.core.settings import Settings, State

SEEDS = (0, 1, 7)


# --- the reference: the definition, from the stored numbers -------------------------------------
def ref_batches_of_epoch(key, mix, n: int, B: int, epoch: int) -> list[list[int]]:
    """Epoch `epoch`'s batches, each the rows (table order) whose turn falls in it."""
    a, b, c = (int(v) for v in mix[(epoch - 1) % len(mix)])
    turned = [k if k >= c else c - 1 - k for k in (int(v) for v in key)]  # the keys below c backwards
    turn = [(a * turned[i] + b) % n + 1 for i in range(n)]
    nb = math.ceil(n / B)
    return [[i for i in range(n) if (turn[i] - 1) // B == j] for j in range(nb)]


def ref_turns(key, mix, n: int, epoch: int) -> list[int]:
    a, b, c = (int(v) for v in mix[(epoch - 1) % len(mix)])
    turned = [k if k >= c else c - 1 - k for k in (int(v) for v in key)]
    return [(a * turned[i] + b) % n + 1 for i in range(n)]


def ref_rows(key, mix, B: int, step: int) -> list[int]:
    n = len(key)
    nb = math.ceil(n / B)
    return ref_batches_of_epoch(key, mix, n, B, step // nb + 1)[step % nb]


# --- every epoch is a partition of the rows -----------------------------------------------------
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_epoch_visits_every_row_once_in_batches_of_B_the_last_one_shorter(shuffle):
    """n from 1 to 50, every B from 1 to n, three seeds, epochs 1, 2, 3 and one a cycle of the
    shuffle table later: the steps of an epoch take every row exactly once, B a step, the last
    n − (nb − 1)·B; the rows are the definition's; --no-shuffle's are the table's in order."""
    for n in range(1, 51):
        for B in range(1, n + 1):
            nb = math.ceil(n / B)
            sizes = [B] * (nb - 1) + [n - (nb - 1) * B]
            for seed in SEEDS if shuffle else (None,):
                b = batches.make(n, B, seed, shuffle)
                assert b.per_epoch == nb
                for epoch in (1, 2, 3, batches.CYCLE + 2):
                    expected = ref_batches_of_epoch(b.key, b.mix, n, B, epoch)
                    got = []
                    for j in range(nb):
                        s = (epoch - 1) * nb + j
                        assert b.epoch(s) == epoch and b.which(s) == j
                        rows = b.rows(s)
                        assert rows.tolist() == expected[j], (n, B, seed, epoch, j)
                        assert np.array_equal(np.flatnonzero(b.mask(s)), rows)
                        got.append(rows.tolist())
                    assert [len(r) for r in got] == sizes, (n, B, seed, epoch)
                    assert sorted(i for r in got for i in r) == list(range(n)), (n, B, seed, epoch)
                    if not shuffle:
                        assert got == [list(range(j * B, min(n, (j + 1) * B))) for j in range(nb)]


@pytest.mark.parametrize("n", [20, 37, 50, 200])
def test_shuffled_epochs_take_the_rows_in_other_orders_and_other_batches(n):
    """Keras reshuffles every epoch: here too, the first five epochs' orders all differ (and
    differ from the table's), and from 50 rows on so do their batches of 5 as sets (an epoch's
    order is an affine map of the key, so few rows allow few ways to split them: 20 rows in
    batches of 5, about φ(20)·5/2 = 20); the table repeats after CYCLE epochs, as documented."""
    for seed in SEEDS:
        b = batches.make(n, 5, seed)
        orders = []
        for epoch in range(1, 6):
            turn = [t - 1 for t in ref_turns(b.key, b.mix, n, epoch)]
            orders.append(tuple(sorted(range(n), key=lambda i: turn[i])))
        assert len(set(orders)) == 5 and tuple(range(n)) not in orders, (n, seed)
        partitions = {frozenset(frozenset(r) for r in ref_batches_of_epoch(b.key, b.mix, n, 5, e))
                      for e in range(1, 6)}
        assert len(partitions) == 5 or n < 50, (n, seed)
        nb = b.per_epoch
        for s in range(2 * nb):
            assert np.array_equal(b.rows(s), b.rows(s + batches.CYCLE * nb))
    # the seed is the shuffle's: another seed, other orders; the same seed, the same
    assert not np.array_equal(batches.make(50, 5, 1).key, batches.make(50, 5, 2).key)
    assert np.array_equal(batches.make(50, 5, 1).mix, batches.make(50, 5, 1).mix)


def test_valid_accepts_a_made_table_and_refuses_a_damaged_one():
    for n in (1, 2, 6, 12, 49):
        for shuffle in (False, True):
            b = batches.make(n, 1, 3, shuffle)
            assert batches.valid(b.key, b.mix, n)
            assert batches.valid(b.key.astype(float).tolist(), b.mix.astype(float).tolist(), n)  # as read
    b = batches.make(12, 5, 3)
    key, mix = b.key.astype(float), b.mix.astype(float)

    def damaged(k=None, m=None, n=12):
        return not batches.valid(key if k is None else k, mix if m is None else m, n)
    twice = key.copy()
    twice[0] = twice[1]  # one row's key twice, one key missing
    assert damaged(k=twice)
    assert damaged(k=key[:-1]) and damaged(k=np.append(key, 12)) and damaged(n=13)
    shifted = key.copy()
    shifted[shifted == 0] = 12  # out of 0 … n − 1
    assert damaged(k=shifted)
    half = key.copy()
    half[3] += 0.5
    assert damaged(k=half)
    for bad in (np.nan, np.inf, -1.0):
        k = key.copy()
        k[2] = bad
        assert damaged(k=k)
    for a, c, d in ((2, 0, 0), (3, 1, 0), (0, 1, 0), (12, 0, 0), (13, 0, 0), (1.5, 0, 0), (1, 12, 0), (1, -1, 0),
                    (1, np.nan, 0), (np.inf, 0, 0), (1, 0, 13), (1, 0, -1), (1, 0, 0.5), (1, 0, np.nan)):
        m = mix.copy()
        m[7] = (a, c, d)  # a not coprime to 12, out of range or not whole; b out of 0 … n − 1; c out of 0 … n
        assert damaged(m=m), (a, c, d)
    assert damaged(m=np.empty((0, 3))) and damaged(m=mix[:, :2])


# --- the step counter -----------------------------------------------------------------------------
def test_step_of_is_the_history_rows_less_one_while_a_step_is_under_way():
    """The module docstring: `step` = the history rows, less one while every parameter stands at
    history's last row H, or all but one, which stands at H + eps. Anything else (an update, a
    wrong number typed, two nudges at once) is no place a step under way leaves them."""
    eps = 1e-4
    H = np.array([0.5, -1.25, 2.0])
    history = np.array([[0.1, 0.2, 0.3, 9.0], [0.3, -1.0, 1.0, 5.0], [*H, 4.0]])
    assert batches.step_of(H, np.empty((0, 4)), eps) == 0
    assert batches.step_of(H, history, eps) == 2  # action 2 done: the step is under way
    for p in range(3):
        nudged, wrong = H.copy(), H.copy()
        nudged[p] += eps  # 4-1
        wrong[p] += 0.37  # a wrong number typed into one parameter
        assert batches.step_of(nudged, history, eps) == 2
        assert batches.step_of(wrong, history, eps) == 3  # the next batch shows until it is put right
    one = H + np.array([0.0, 0.0, -0.01])  # one parameter moved: an update whose other slopes were 0
    assert batches.step_of(one, history, eps) == 3
    two = H + np.array([0.02, -0.01, 0.0])  # two parameters moved: an update (one slope was 0)
    assert batches.step_of(two, history, eps) == 3
    forgot = H + np.array([eps, eps, 0.0])  # two nudges at once: no place of a step under way
    assert batches.step_of(forgot, history, eps) == 3
    assert batches.step_of(H - 0.01, history, eps) == 3  # every parameter moved: the step is done
    assert batches.step_of(H - 0.01, history[:1], eps) == 1
    # the tolerance is the coach's: a copy's last bits, never an update of lr · slope
    assert batches.step_of(H * (1 + 4e-16), history, eps) == 2
    assert batches.step_of(H + 1e-8, history, eps) == 3


# --- the descent reference: every model's loss in numpy -----------------------------------------
def loss_linear(X, y, t):
    return float(np.mean((X @ t[:-1] + t[-1] - y) ** 2))


def loss_logistic(X, y, t):
    z = X @ t[:-1] + t[-1]
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def loss_softmax(X, y, t, C=3):
    k = X.shape[1]
    W = t[:k * C].reshape(C, k).T  # W_1_1 … W_k_1, W_1_2 …: class by class
    Z = X @ W + t[k * C:]
    top = Z.max(axis=1)
    lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
    return float(np.mean(lse - Z[np.arange(len(y)), y.astype(int)]))


def loss_hidden(X, y, t, H=2):
    """tanh hidden layer, linear output: Wh_i_j unit by unit, Bh_j, Wo_j, Bo."""
    k = X.shape[1]
    Wh, Bh, Wo, Bo = t[:k * H].reshape(H, k).T, t[k * H:k * H + H], t[k * H + H:k * H + 2 * H], t[-1]
    h = np.tanh(X @ Wh + Bh) @ Wo + Bo
    return float(np.mean((h - y) ** 2))


def table(model: str):
    """(X, y, lr, eps, problem options, loss, theta) of a small table for each model."""
    rng = np.random.default_rng(5)
    if model == "lemonade":
        X = np.arange(20.0, 26.0)[:, None]
        return X, 2 * X[:, 0], 0.001, 1e-4, {}, loss_linear, np.array([0.62, -0.3])
    if model == "linear":
        X = rng.normal(size=(13, 3))
        y = X @ np.array([1.0, -2.0, 0.5]) + 3 + rng.normal(0, 0.1, 13)
        return X, y, 0.05, 1e-4, {}, loss_linear, np.array([0.1, 0.2, -0.3, 0.4])
    if model == "logistic":
        X = rng.normal(size=(11, 2))
        y = (X[:, 0] - X[:, 1] + rng.normal(0, 0.8, 11) > 0).astype(float)
        return X, y, 0.5, 1e-4, {"model": "logistic", "classes": 2}, loss_logistic, np.array([0.3, -0.2, 0.1])
    if model == "softmax":
        X = rng.normal(size=(12, 2))
        y = np.arange(12.0) % 3
        return (X, y, 0.5, 1e-4, {"model": "softmax", "classes": 3}, loss_softmax,
                np.round(rng.uniform(-1, 1, 9), 2))
    X = rng.normal(size=(9, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    return (X, y, 0.1, 1e-4, {"hidden": 2, "activation": "tanh"}, loss_hidden,
            np.array([0.5, -0.4, 0.3, 0.8, 0.1, -0.2, 0.7, -0.6, 0.05]))


def reference_descent(X, y, loss, theta, lr, eps, key, mix, B, first, count, optimizer="gd"):
    """`count` steps from step `first`: [θ before each step…, θ after], the whole table's Loss
    before each, and the last step's batch Loss and slope."""
    theta = np.array(theta, dtype=float)
    vel, m, sq = np.zeros(theta.size), np.zeros(theta.size), np.zeros(theta.size)
    path, whole = [theta.copy()], []
    for s in range(first, first + count):
        r = ref_rows(key, mix, B, s)
        Xb, yb = X[r], y[r]
        base = loss(Xb, yb, theta)
        g = np.array([(loss(Xb, yb, theta + eps * e) - base) / eps for e in np.eye(theta.size)])
        whole.append(loss(X, y, theta))
        new = theta.copy()
        for i in range(theta.size):
            if optimizer == "gd":
                new[i] = theta[i] - lr * g[i]
            elif optimizer == "momentum":
                new[i], state = keras_sgd_momentum(theta[i], g[i], vel[i], lr)
                vel[i] = state["vel"]
            else:  # adam: t = the updates done before this one
                new[i], state = keras_adam(theta[i], g[i], m[i], sq[i], s - first, lr)
                m[i], sq[i] = state["m"], state["sq"]
        theta = new
        path.append(theta.copy())
    return np.array(path), np.array(whole), base, g


MODELS = ("lemonade", "linear", "logistic", "softmax", "hidden")


def problem_for(model: str, B: int, shuffle: bool, seed: int = 3, optimizer: str = "gd"):
    X, y, lr, eps, options, loss, theta = table(model)
    b = batches.make(len(y), B, seed, shuffle)
    return steps.Problem(X, y, lr, eps, optimizer=optimizer, batches=b, **options), loss, theta


# slopes differ from the reference's by the rounding of two ways of computing Loss(P + eps)
# (measured ≤ 4e-11 in θ over these runs); a batch off by one step moves θ by 3e-5 or more
TOL = 1e-9
# a forward difference's rounding: ~1e-16 of the Loss over eps = 1e-4 (measured ≤ 6e-12 · Loss)
FD_TOL = 1e-9


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("model", MODELS)
def test_run_is_a_reference_minibatch_descent_split_or_whole_across_epochs(model, shuffle):
    """run 3 then run 4 == run 7 == the reference, each step on its batch: 7 steps of B = 4 cross
    one to three epoch boundaries (n from 6 to 13); the last batch is short on every table but
    softmax's 12 rows, whose split after 3 steps falls on the boundary of epochs 1 and 2."""
    problem, loss, theta = problem_for(model, 4, shuffle)
    b = problem.batches
    assert b.epoch(6) > b.epoch(0) and (b.n % 4 or b.epoch(3) == 2)
    path, whole, base, g = reference_descent(problem.X, problem.y, loss, theta, problem.lr, problem.eps,
                                             b.key, b.mix, 4, 0, 7)
    start = State.fresh(theta)
    once = steps.run(problem, start, 7)
    split = steps.run(problem, steps.run(problem, start, 3).state, 4)
    last = ref_rows(b.key, b.mix, 4, 6)
    for out in (once, split):
        assert out.divergence is None and len(out.state.history) == 7
        np.testing.assert_allclose(out.state.history[:, :-1], path[:-1], rtol=0, atol=TOL)
        np.testing.assert_allclose(out.state.theta, path[-1], rtol=0, atol=TOL)
        # at the engine's own parameters: history's Loss is the whole table's, prevLoss the last
        # step's batch Loss (action 3 copied Loss_batch), dLoss_dP that batch's forward difference
        at = out.state.history[-1, :-1]
        np.testing.assert_allclose(out.state.history[:, -1], [loss(problem.X, problem.y, t)
                                                              for t in out.state.history[:, :-1]], rtol=1e-12)
        np.testing.assert_allclose(out.state.prev_loss, loss(problem.X[last], problem.y[last], at), rtol=1e-12)
        _, _, _, g = reference_descent(problem.X, problem.y, loss, at, problem.lr, problem.eps, b.key, b.mix, 4, 6, 1)
        np.testing.assert_allclose(out.state.dloss, g, rtol=0, atol=FD_TOL * max(1.0, out.state.prev_loss))
        assert problem.step_of(out.state) == 7
    assert once.steps == 7 and split.steps == 4
    assert np.array_equal(once.state.history, split.state.history)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_run_with_momentum_and_adam_is_the_reference_too(optimizer, shuffle):
    problem, loss, theta = problem_for("linear", 3, shuffle, optimizer=optimizer)
    b = problem.batches
    path, _, _, _ = reference_descent(problem.X, problem.y, loss, theta, problem.lr, problem.eps,
                                      b.key, b.mix, 3, 0, 12, optimizer)
    start = State.fresh(theta, optimizer)
    for out in (steps.run(problem, start, 12), steps.run(problem, steps.run(problem, start, 5).state, 7)):
        np.testing.assert_allclose(out.state.history[:, :-1], path[:-1], rtol=0, atol=TOL)
        np.testing.assert_allclose(out.state.theta, path[-1], rtol=0, atol=TOL)


def test_a_full_batch_is_the_courses_descent():
    """B = n: every step takes every row, as without --batch."""
    X, y, lr, eps, options, loss, theta = table("linear")
    with_b = steps.Problem(X, y, lr, eps, batches=batches.make(len(y), len(y), 1))
    without = steps.Problem(X, y, lr, eps)
    a = steps.run(with_b, State.fresh(theta), 9).state
    b = steps.run(without, State.fresh(theta), 9).state
    np.testing.assert_allclose(a.history, b.history, rtol=1e-12, atol=1e-12)


def test_a_step_that_moves_one_parameter_still_counts_as_done():
    """x = 0 on the first row (--scale minmax's smallest x, or a temperature of 0): at B = 1 its
    step's slope of W is exactly 0, so only B moves. The next step is still the next row's."""
    X = np.linspace(0, 1, 6)[:, None]
    y = 2 * X[:, 0] + 1
    problem = steps.Problem(X, y, 0.1, 1e-4, batches=batches.make(6, 1, None, shuffle=False))
    path, _, _, _ = reference_descent(X, y, loss_linear, np.array([0.5, -0.3]), 0.1, 1e-4,
                                      problem.batches.key, problem.batches.mix, 1, 0, 2)
    one = steps.run(problem, State.fresh(np.array([0.5, -0.3])), 1).state
    assert one.theta[0] == 0.5  # W did not move
    by_hand = one
    for _ in problem.actions():
        by_hand = steps.act(problem, by_hand)
    np.testing.assert_allclose(by_hand.theta, path[-1], rtol=0, atol=TOL)  # the hand actions: row 2
    np.testing.assert_allclose(steps.run(problem, one, 1).state.theta, path[-1], rtol=0, atol=TOL)


# --- hand actions: one step of run, on one batch ------------------------------------------------
def hand_step(problem, state):
    """Every action of one step, checking that the batch stays the step's until the update."""
    before = problem.step_of(state) if state.action else len(state.history)
    states = []
    for code, kind, _ in problem.actions():
        state = steps.act(problem, state)
        states.append(state)
        if kind in ("update", "paste_state"):
            assert problem.step_of(state) == before + 1, code
        else:
            assert problem.step_of(state) == before, code  # the batch of the step under way
    assert state.action == 0
    return state, before


@pytest.mark.parametrize("model, optimizer", [(m, "gd") for m in MODELS] +
                         [(m, o) for m in ("lemonade", "linear") for o in ("momentum", "adam")])
def test_the_hand_actions_of_a_step_are_one_step_of_run_on_its_batch(model, optimizer):
    """From the start and after 5 steps (B = 4: the second epoch's batches, shuffled): the
    actions one by one land where run(…, 1) lands, and each takes its slope from the step's
    batch (the reference's), every action of the step reading the same batch. The optimizers'
    own forms are the same for every model: momentum and Adam on the linear tables."""
    problem, loss, theta = problem_for(model, 4, True, optimizer=optimizer)
    b = problem.batches
    start = State.fresh(theta, optimizer)
    for done in (0, 5):
        state = steps.run(problem, start, done).state if done else start
        by_hand, step = hand_step(problem, state)
        assert step == done
        whole = steps.run(problem, state, 1).state
        np.testing.assert_allclose(by_hand.theta, whole.theta, rtol=0, atol=TOL)
        np.testing.assert_allclose(by_hand.history, whole.history, rtol=1e-12, atol=TOL)
        np.testing.assert_allclose(by_hand.dloss, whole.dloss, rtol=0, atol=FD_TOL * max(1.0, whole.prev_loss))
        np.testing.assert_allclose(by_hand.prev_loss, whole.prev_loss, rtol=1e-12)
        for slot in by_hand.slots:
            np.testing.assert_allclose(by_hand.slots[slot], whole.slots[slot], rtol=0,
                                       atol=FD_TOL * max(1.0, whole.prev_loss))
        assert by_hand.t == whole.t
        if optimizer == "gd":
            ref, _, base, g = reference_descent(problem.X, problem.y, loss, state.theta, problem.lr, problem.eps,
                                                b.key, b.mix, 4, done, 1)
            np.testing.assert_allclose(by_hand.theta, ref[-1], rtol=0, atol=TOL)
            np.testing.assert_allclose(by_hand.prev_loss, base, rtol=1e-12)


def test_a_step_begun_by_hand_is_finished_by_run_on_the_same_batch():
    """Half a step by hand (2, 3, 4-1), then run 3: the first of the three finishes that step on
    its batch, the next two take the next batches."""
    problem, loss, theta = problem_for("linear", 4, True)
    b = problem.batches
    state = steps.run(problem, State.fresh(theta), 2).state
    for _ in range(3):
        state = steps.act(problem, state)
    assert problem.step_of(state) == 2
    out = steps.run(problem, state, 3)
    assert out.steps == 3
    ref, _, _, _ = reference_descent(problem.X, problem.y, loss, state.history[-1, :-1], problem.lr, problem.eps,
                                     b.key, b.mix, 4, 2, 3)
    np.testing.assert_allclose(out.state.theta, ref[-1], rtol=0, atol=TOL)
    assert len(out.state.history) == 5


# --- the models' Excel texts over the batch -----------------------------------------------------
def layout(model: str = "linear", k: int = 1, classes: tuple = (), hidden: int = 0, diff: str = "forward"):
    return Layout(20, k, "Train", diff, 0, False, "gd", model, classes, hidden, "tanh", 4, True)


def texts(lay: Layout) -> list[str]:
    """Every text the training sheet puts over the batch: Loss_batch, Loss_P (Lossm_P), exact_grad_P."""
    spec = model_spec(lay.model, len(lay.classes), lay.hidden, lay.activation)
    out = [spec.EXCEL_LOSS]
    for p in range(len(lay.params)):
        out += [spec.excel_nudged_loss(lay, p), spec.excel_nudged_loss(lay, p, "-"), spec.excel_exact_grad(lay, p)]
    return out


def test_on_batch_weighs_each_models_texts_by_in_batch():
    cases = {
        "=SUM(sqerr)/ROWS(sqerr)": "=SUMPRODUCT(in_batch,sqerr)/SUM(in_batch)",
        "=SUM(ce)/ROWS(ce)": "=SUMPRODUCT(in_batch,ce)/SUM(in_batch)",
        "=SUMPRODUCT((h+eps*x-y)^2)/ROWS(y)": "=SUMPRODUCT(in_batch,(h+eps*x-y)^2)/SUM(in_batch)",
        "=SUMPRODUCT((h-eps-y)^2)/ROWS(y)": "=SUMPRODUCT(in_batch,(h-eps-y)^2)/SUM(in_batch)",
        "=2/ROWS(y)*SUMPRODUCT(h-y)": "=2/SUM(in_batch)*SUMPRODUCT(in_batch,h-y)",
        "=2/ROWS(y)*SUMPRODUCT(h-y,x_2)": "=2/SUM(in_batch)*SUMPRODUCT(in_batch,h-y,x_2)",
        "=Loss+SUMPRODUCT(LN(1+p*(EXP(eps*x_1)-1))-(eps*x_1)*y)/ROWS(y)":
            "=Loss_batch+SUMPRODUCT(in_batch,LN(1+p*(EXP(eps*x_1)-1))-(eps*x_1)*y)/SUM(in_batch)",
        "=SUMPRODUCT(p_2-y_2,x_1)/ROWS(y_2)": "=SUMPRODUCT(in_batch,p_2-y_2,x_1)/SUM(in_batch)",
        "=SUM(dzh_1)/ROWS(dzh_1)": "=SUMPRODUCT(in_batch,dzh_1)/SUM(in_batch)",
        "=SUMPRODUCT(dzh_2,x_1)/ROWS(dzh_2)": "=SUMPRODUCT(in_batch,dzh_2,x_1)/SUM(in_batch)",
    }
    for text, want in cases.items():
        assert batches.on_batch(text) == want, text
    lin, soft = layout(k=2), layout("softmax", 2, ("a", "b", "c"))
    net = layout("logistic", 2, ("no", "yes"), hidden=2)
    spec = model_spec("softmax", 3)
    assert batches.on_batch(spec.excel_nudged_loss(soft, 7)) == \
        "=Loss_batch+SUMPRODUCT(in_batch,LN(1+p_2*(EXP(eps)-1))-(eps)*y_2)/SUM(in_batch)"  # B_2
    assert batches.on_batch(model_spec("linear").excel_exact_grad(lin, 0)) == \
        "=2/SUM(in_batch)*SUMPRODUCT(in_batch,h-y,x_1)"
    hidden = model_spec("logistic", 2, 2, "tanh")
    assert batches.on_batch(hidden.excel_nudged_loss(net, 0)) == (
        "=Loss_batch+SUMPRODUCT(in_batch,LN(1+p*(EXP(Wo_1*(TANH((zh_1+eps*x_1))-a_1))-1))"
        "-(Wo_1*(TANH((zh_1+eps*x_1))-a_1))*y)/SUM(in_batch)")
    assert batches.on_batch(hidden.excel_exact_grad(net, 4)) == "=SUMPRODUCT(in_batch,dzh_1)/SUM(in_batch)"  # Bh_1


@pytest.mark.parametrize("lay", [layout(), layout(k=3), layout(diff="central"),
                                 layout("logistic", 2, ("no", "yes")), layout("softmax", 2, ("a", "b", "c")),
                                 layout("linear", 2, hidden=3), layout("logistic", 2, ("no", "yes"), hidden=2),
                                 layout("softmax", 2, ("a", "b", "c"), hidden=2)],
                         ids=["lemonade", "three", "central", "logistic", "softmax", "net-mse", "net-logistic",
                              "net-softmax"])
def test_on_batch_leaves_no_mean_over_every_row_in_any_models_text(lay):
    """Every mean becomes a mean over in_batch's rows: no ROWS() left, every SUMPRODUCT weighs by
    in_batch once, a column's SUM is SUMPRODUCT(in_batch, …), the count SUM(in_batch), and a
    Loss_P written as Loss + a change starts from Loss_batch; nothing else changes."""
    for text in texts(lay):
        out = batches.on_batch(text)
        assert "ROWS(" not in out and "=Loss+" not in out, (text, out)
        assert out.count("SUMPRODUCT(in_batch,") == out.count("SUMPRODUCT(") == \
            text.count("SUMPRODUCT(") + text.startswith("=SUM("), (text, out)
        assert "in_batch,in_batch" not in out
        assert out.count("SUM(in_batch)") == text.count("ROWS(")
        # nothing else changes: undo the weights and the counts, and the text is the model's
        before = re.sub(r"ROWS\(\w+\)", "N", text).replace("=Loss+", "=Loss_batch+")
        before = re.sub(r"^=SUM\((\w+)\)", r"=SUMPRODUCT(\1)", before)
        assert out.replace("SUM(in_batch)", "N").replace("SUMPRODUCT(in_batch,", "SUMPRODUCT(") == before


def test_settings_make_the_batches_from_the_seed_unless_told_another():
    s = Settings(batch=4, seed=11)
    assert s.batches(10).size == 4 and np.array_equal(s.batches(10).key, batches.make(10, 4, 11).key)
    assert np.array_equal(replace(s, batch_seed=12).batches(10).key, batches.make(10, 4, 12).key)
    assert np.array_equal(replace(s, shuffle=False).batches(10).key, np.arange(10))
    assert Settings().batches(10) is None
