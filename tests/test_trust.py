"""Tests that can fail: the tolerances are narrower than the effects they guard, stored
values are checked where they differ from a fresh book's, the engine is compared with the
course's procedure written out by hand (not with its own model), and the divergence guard
is pinned exactly at its boundary."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from gradsheet.core import descent
from gradsheet.excel import files
from gradsheet.core import models as model
from gradsheet.core import steps
from gradsheet.sheets import unrolled
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.data.dataset import lemonade
from gradsheet.core.layout import param_names
from gradsheet.core.settings import State, initial_theta
from gradsheet.sheets.workbook import model_X
from reference import (TYPED_RTOL, stored_names, HandSheet, assert_matches, course_actions, descent_allowance,
                       expected_names, hand_action, hand_loss, hand_steps, three_feature_csv,
                       tolerance)


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def assert_stored_values(path) -> files.WorkbookFile:
    """Every named cell's stored value equals the model on the numbers the file holds."""
    book = files.read(path)
    d, s, st = book.dataset, book.settings, book.state
    expected = expected_names(model_X(d, s), d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps, s.diff)
    assert_matches(stored_names(path, [n for n in expected if not n.startswith("_")]), expected)
    return book


def assert_like_by_hand(state: State, hand: HandSheet, X, y, lr, eps) -> None:
    """The engine's state equals the course done by hand, within the drift two engines'
    rounding allows (reference.descent_allowance) and the 16 digits a typed cell keeps."""
    starts = [row[:-1] for row in hand.history] or [hand.theta]
    allow = descent_allowance(X, y, starts, lr, eps)
    drift = allow["next"][-1] if hand.history else 0.0

    def near(got, want, atol):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.all(np.abs(got - want) <= atol + TYPED_RTOL * np.abs(want)), (got, want, atol)
    assert state.action == hand.action
    near(state.theta, hand.theta, drift)
    near(state.dloss, hand.dloss, allow["slope"][-1])
    near(state.prev_loss, hand.prev_loss, allow["loss"][-1])
    H = np.array(hand.history).reshape(-1, len(hand.theta) + 1)
    near(state.history[:, :-1], H[:, :-1], allow["param"][:len(H), None])
    near(state.history[:, -1], H[:, -1], allow["loss"][:len(H)])


def three_feature(tmp_path):
    data = np.loadtxt(three_feature_csv(tmp_path / "three.csv"), delimiter=",", skiprows=1)
    return data[:, :3], data[:, 3]


# --- tolerances narrower than the effect they guard --------------------------------------------
@pytest.mark.parametrize("steps_before", [0, 3, 50])
def test_the_gradient_tolerance_tells_forward_from_central_and_exact(steps_before):
    """On lemonade the forward difference is off by eps·mean(x²) = 0.0485 for W and eps = 1e-4
    for B; the allowance for a gradient cell must be far below both, or a sheet computing
    central or exact slopes would pass as forward."""
    d = lemonade()
    theta = descent.descend(d.X, d.y, initial_theta(1, 1), 0.001, 1e-4, steps_before).theta
    expected = expected_names(d.X, d.y, theta, model.loss(d.X, d.y, theta), np.zeros(2), 0.001, 1e-4)
    central = model.gradient(d.X, d.y, theta, 1e-4, model.CENTRAL)
    exact = model.exact_gradient(d.X, d.y, theta)
    for p, name in enumerate(param_names(1)):
        forward = expected[f"grad_{name}"]
        rtol, atol = tolerance(f"grad_{name}", expected)
        allowed = atol + rtol * abs(forward)
        assert allowed < abs(forward - central[p]) / 100  # B: 1e-4 against about 1.5e-7
        assert allowed < abs(forward - exact[p]) / 100
        for other in (central, exact):  # and assert_matches says so
            got = {n: v for n, v in expected.items() if not n.startswith("_")}
            got[f"grad_{name}"] = other[p]
            with pytest.raises(AssertionError, match=f"grad_{name}"):
                assert_matches(got, expected)


def test_the_rounding_allowance_holds_what_libreoffice_and_numpy_differ_by(libreoffice, built):
    """The allowance is not so narrow that the two engines' rounding alone breaks it: after
    steps (Loss small, residual rounding dominant) as well as fresh."""
    cli("run", built.path, "-n", 50)
    book = files.read(built.path)
    d, s, st = book.dataset, book.settings, book.state
    expected = expected_names(model_X(d, s), d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_matches({n: doc.named(n) for n in expected if not n.startswith("_")}, expected)


# --- stored values where they differ from a fresh book's ----------------------------------------
def test_stored_values_after_every_hand_action_on_lemonade(tmp_path):
    """A fresh book has prevLoss = Loss and dLoss_dP = 0, so a stored grad_P made from
    prevLoss, or a next_P with +lr, looks right there; after the hand actions it cannot."""
    built = make(None, tmp_path / "l.xlsx")
    d, s = built.dataset, built.settings
    hand = HandSheet.fresh(d.X, d.y, built.state.theta)
    assert len(course_actions(1)) == 9
    for _ in range(len(course_actions(1))):  # a whole step, action by action
        cli("next", built.path)
        hand_action(hand, d.X, d.y, s.lr, s.eps)
        book = assert_stored_values(built.path)
        assert_like_by_hand(book.state, hand, d.X, d.y, s.lr, s.eps)


@pytest.mark.parametrize("actions", [0, 4])
def test_stored_values_after_whole_steps(built, actions):
    """`run -n 3`, from a fresh book and from one with a step begun by hand (W holds W + eps
    after 4 actions of lemonade; the run finishes that step first)."""
    d, s = built.dataset, built.settings
    X = model_X(d, s)
    hand = HandSheet.fresh(X, d.y, built.state.theta)
    for _ in range(actions):
        cli("next", built.path)
        hand_action(hand, X, d.y, s.lr, s.eps)
    cli("run", built.path, "-n", 3)
    while hand.action:
        hand_action(hand, X, d.y, s.lr, s.eps)
    hand_steps(hand, X, d.y, s.lr, s.eps, 3 - (actions > 0))
    book = assert_stored_values(built.path)
    assert len(book.state.history) == 3
    assert_like_by_hand(book.state, hand, X, d.y, s.lr, s.eps)


def course_data(tmp_path, data: str):
    """(X, y, lr) of lemonade at the course's lr, or of the 3-feature table at a stable one."""
    if data == "lemonade":
        return lemonade().X, lemonade().y, 0.001
    (X, y), lr = three_feature(tmp_path), 0.0005
    return X, y, lr


# --- the engine against the course's procedure, not against its own model -------------------------
@pytest.mark.parametrize("data", ["lemonade", "three"])
def test_fifty_steps_equal_the_course_done_by_hand(tmp_path, data):
    X, y, lr = course_data(tmp_path, data)
    theta, eps = initial_theta(X.shape[1], 1), 1e-4
    hand = hand_steps(HandSheet.fresh(X, y, theta), X, y, lr, eps, 50)
    H = np.array(hand.history)
    allow = descent_allowance(X, y, H[:, :-1], lr, eps)

    run = descent.descend(X, y, theta, lr, eps, 50)
    assert not run.stopped and run.history.shape == H.shape
    assert np.all(np.linalg.norm(run.history[:, :-1] - H[:, :-1], axis=1) <= allow["param"])
    assert np.all(np.abs(run.history[:, -1] - H[:, -1]) <= allow["loss"])
    assert np.linalg.norm(run.theta - hand.theta) <= allow["next"][-1]
    assert np.all(np.abs(run.gradients - hand.dloss) <= allow["slope"][-1])

    problem = steps.Problem(X, y, lr, eps)
    outcome = steps.run(problem, steps.reset(problem, theta=theta), 50)
    assert outcome.steps == 50 and outcome.divergence is None
    assert_like_by_hand(outcome.state, hand, X, y, lr, eps)
    # the Loss falls, as the course promises, and the allowance is far below a step's change
    assert H[-1, -1] < H[0, -1] / 10
    assert allow["next"][-1] < 1e-6 * np.linalg.norm(H[1, :-1] - H[0, :-1])


@pytest.mark.parametrize("data", ["lemonade", "three"])
def test_hand_actions_equal_the_course_done_by_hand(tmp_path, data):
    X, y, lr = course_data(tmp_path, data)
    theta, eps = initial_theta(X.shape[1], 2), 1e-4
    problem = steps.Problem(X, y, lr, eps)
    state = steps.reset(problem, theta=theta)
    hand = HandSheet.fresh(X, y, theta)
    for _ in range(3 * len(course_actions(X.shape[1])) + 2):
        state = steps.act(problem, state)
        hand_action(hand, X, y, lr, eps)
        assert_like_by_hand(state, hand, X, y, lr, eps)


def test_the_hand_reference_is_the_course():
    """The reference itself: lemonade's numbers from the course (Loss 1916.757, then 0.795)."""
    d = lemonade()
    hand = HandSheet.fresh(d.X, d.y, initial_theta(1, 1))
    assert hand_loss(d.X, d.y, hand.theta) == pytest.approx(1916.757, abs=1e-9)
    assert [what for what, _ in course_actions(1)] == ["history", "prevLoss", "add eps", "paste dLoss_dt",
                                                       "put back", "add eps", "paste dLoss_dt", "put back",
                                                       "next"]
    hand_steps(hand, d.X, d.y, 0.001, 1e-4, 2)
    assert hand.history[1][-1] == pytest.approx(0.7951, abs=1e-4)
    assert hand_loss(d.X, d.y, [2.0, 0.0]) == 0.0


# --- the divergence guard, exactly at its boundary ---------------------------------------------
# x ≡ 0, y ≡ 0: Loss = B². From B = 1 with eps = 2 the forward slope of B is (3² − 1²)/2 = 4,
# and lr = 250.25 moves B to 1 − 1001 = −1000: Loss = 1e6 = BLOWUP · max(first Loss 1, mean y² 0),
# the limit itself, every number exact in binary. Loss equal to the limit is not divergence.
EDGE_X, EDGE_Y = np.zeros((2, 1)), np.zeros(2)
EDGE_THETA, EDGE_LR, EDGE_EPS = np.array([0.0, 1.0]), 250.25, 2.0
AT_LIMIT = 1e6


def test_the_boundary_numbers_are_exact():
    assert model.loss_limit(EDGE_Y, model.loss(EDGE_X, EDGE_Y, EDGE_THETA)) == AT_LIMIT
    nxt = model.step(EDGE_X, EDGE_Y, EDGE_THETA, EDGE_LR, EDGE_EPS)
    assert nxt.tolist() == [0.0, -1000.0] and model.loss(EDGE_X, EDGE_Y, nxt) == AT_LIMIT


def test_a_loss_equal_to_the_limit_has_not_diverged():
    theta = np.array([0.0, -1000.0])
    assert not model.diverged(AT_LIMIT, theta, AT_LIMIT)
    assert model.diverged(AT_LIMIT, theta, np.nextafter(AT_LIMIT, 0))
    assert model.diverged(np.nextafter(AT_LIMIT, np.inf), theta, AT_LIMIT)


def test_descend_takes_a_step_that_lands_exactly_on_the_limit():
    run = descent.descend(EDGE_X, EDGE_Y, EDGE_THETA, EDGE_LR, EDGE_EPS, 1)
    assert not run.stopped and run.theta.tolist() == [0.0, -1000.0]
    below = descent.descend(EDGE_X, EDGE_Y, EDGE_THETA, EDGE_LR, EDGE_EPS, 1, limit=np.nextafter(AT_LIMIT, 0))
    assert below.stopped and len(below.history) == 0 and below.theta.tolist() == EDGE_THETA.tolist()


def test_a_whole_step_onto_the_limit_is_written():
    problem = steps.Problem(EDGE_X, EDGE_Y, EDGE_LR, EDGE_EPS)
    outcome = steps.run(problem, steps.reset(problem, theta=EDGE_THETA), 1)
    assert outcome.divergence is None and outcome.state.theta.tolist() == [0.0, -1000.0]
    past = steps.Problem(EDGE_X, EDGE_Y, 250.5, EDGE_EPS)  # B = −1001: Loss 1002001 > 1e6
    with pytest.raises(steps.Diverged):
        steps.run(past, steps.reset(past, theta=EDGE_THETA), 1)


def test_the_hand_update_onto_the_limit_is_done():
    problem = steps.Problem(EDGE_X, EDGE_Y, EDGE_LR, EDGE_EPS)
    state = steps.reset(problem, theta=EDGE_THETA)
    # W's slope is 0 and already pasted (0): the coach skips its nudge, 2, 3, 5-1 … 5-3, 6 remain
    for _ in range(len(course_actions(1)) - 3):
        state = steps.act(problem, state)
    assert state.theta.tolist() == [0.0, -1000.0] and state.action == 0
    past = steps.Problem(EDGE_X, EDGE_Y, 250.5, EDGE_EPS)
    state = steps.reset(past, theta=EDGE_THETA)
    for _ in range(len(course_actions(1)) - 4):
        state = steps.act(past, state)
    assert past.actions()[state.action][1] == "update"
    with pytest.raises(steps.Diverged):
        steps.act(past, state)


def test_the_all_steps_table_moves_on_from_a_row_exactly_at_the_limit():
    r = unrolled.rows(EDGE_X, EDGE_Y, EDGE_THETA, EDGE_LR, EDGE_EPS, 4)
    assert r.limit == AT_LIMIT and r.loss[1] == AT_LIMIT
    # row 1 (Loss = limit) still steps: slope ((−998)² − 1000²)/2 = −1998, B = −1000 + 250.25·1998
    assert r.theta[2].tolist() == [0.0, 498999.5] and r.loss[2] > r.limit
    assert r.theta[3].tolist() == r.theta[2].tolist()  # past the limit it stands still


def test_the_all_steps_sheet_moves_on_from_a_row_exactly_at_the_limit(libreoffice, tmp_path):
    """The same in LibreOffice: =IF(Loss>limit,P,P-lr*grad_P) with Loss = limit."""
    data = tmp_path / "zero.csv"
    data.write_text("x,y\n0,0\n0,0\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        built = make(data, tmp_path / "zero.xlsx", lr=EDGE_LR, eps=EDGE_EPS, unrolled=4, lang="en")
    with libreoffice.open(built.path) as doc:
        doc.set_named("W", 0.0)
        doc.set_named("B", 1.0)
        doc.recalc()
        header, rows = doc.table_values("unrolled")
        table = {h: [row[c] for row in rows] for c, h in enumerate(header)}
    assert table["Loss"][:2] == [1.0, AT_LIMIT]
    assert table["B"][:4] == [1.0, -1000.0, 498999.5, 498999.5]

