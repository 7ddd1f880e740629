"""End to end in LibreOffice: the steps engine drives a generated workbook open in a real
spreadsheet, which recalculates between presses; the result must equal the model."""

from __future__ import annotations

import numpy as np
import pytest

from gradsheet.core import descent
from gradsheet.core import live as book
from gradsheet.core import models as model
from gradsheet.core import procedure
from gradsheet.core import steps
from gradsheet.core.layout import param_names
from libreoffice_grid import LibreOfficeGrid
from reference import assert_matches, expected_names


def press(grid, doc, change, check=True):
    """One button press: read the book, change the state, write back, let it recalculate."""
    live = book.load(grid)
    if check:
        steps.check_book(live.problem, live.state, live.book_loss)
    book.save(grid, live, change(live.problem, live.state))
    doc.recalc()
    return book.load(grid)


def test_whole_steps_in_libreoffice_equal_the_model(libreoffice, built):
    d, s = built.dataset, built.settings
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        for _ in range(3):
            live = press(grid, doc, lambda p, st: steps.run(p, st, 1).state)
        live = press(grid, doc, lambda p, st: steps.run(p, st, 20).state)
        want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, 23)
        assert np.array_equal(live.state.theta, want.theta)
        assert np.array_equal(live.state.history, want.history)
        assert np.array_equal(live.state.dloss, want.gradients)
        assert live.state.prev_loss == want.history[-1, -1]
        assert doc.table("history").last_row - doc.table("history").first_row == 23
        # and every formula of the sheet agrees after LibreOffice's recalculation
        expected = expected_names(d.X, d.y, want.theta, want.history[-1, -1], want.gradients, s.lr, s.eps)
        assert_matches({name: doc.named(name) for name in expected if not name.startswith("_")}, expected)


def test_action_by_action_equals_one_whole_step(libreoffice, built, tmp_path):
    d, s = built.dataset, built.settings
    k = d.k
    first = param_names(k)[0]
    with libreoffice.open(built.path) as by_hand, libreoffice.open(built.path) as whole:
        hand, once = LibreOfficeGrid(by_hand), LibreOfficeGrid(whole)
        for i, (code, kind, p) in enumerate(procedure.actions(k)):
            live = press(hand, by_hand, steps.act)
            status = by_hand.named("next_action")
            assert status.startswith(procedure.actions(k)[(i + 1) % len(procedure.actions(k))][0] + ":")
            if code == "4-1":  # W really holds W + eps, and the sheet shows the observed slope
                assert by_hand.named(first) == built.state.theta[0] + s.eps
                slope = by_hand.named("dLoss_dt")
                assert slope == pytest.approx(model.gradient(d.X, d.y, built.state.theta, s.eps)[0], rel=1e-6)
            if code == "4-3":  # restored exactly, from the value saved in history
                assert by_hand.named(first) == built.state.theta[0]
        step = press(once, whole, lambda p, st: steps.run(p, st, 1).state)
        assert np.array_equal(live.state.history, step.state.history)
        assert live.state.prev_loss == step.state.prev_loss
        # the hand path pastes the observed slope (Loss with P really moved): equal to
        # grad_P up to the rounding of two ways of computing Loss_P, divided by eps
        tol = 1e-9 * step.state.prev_loss / s.eps
        assert np.allclose(live.state.dloss, step.state.dloss, rtol=0, atol=tol)
        assert np.allclose(live.state.theta, step.state.theta, rtol=0, atol=s.lr * tol)
        assert live.state.action == 0
        # a whole step afterwards continues correctly from the hand-made state
        after = press(hand, by_hand, lambda p, st: steps.run(p, st, 1).state)
        want = descent.descend(d.X, d.y, live.state.theta, s.lr, s.eps, 1)
        assert np.array_equal(after.state.theta, want.theta)
        assert len(after.state.history) == 2


def test_a_whole_step_finishes_a_step_begun_by_hand(libreoffice, built):
    d, s = built.dataset, built.settings
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        for _ in range(3):  # 2, 3, 4-1: W holds W + eps now
            press(grid, doc, steps.act)
        live = press(grid, doc, lambda p, st: steps.run(p, st, 1).state)
        want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, 1)
        assert len(live.state.history) == 1 and live.state.action == 0
        assert np.allclose(live.state.theta, want.theta, rtol=0, atol=s.lr * 1e-9 * want.history[0, -1] / s.eps)


def test_reset_in_libreoffice(libreoffice, built):
    d = built.dataset
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        press(grid, doc, lambda p, st: steps.run(p, st, 4).state)
        live = press(grid, doc, lambda p, st: steps.reset(p, seed=21), check=False)
        assert np.array_equal(live.state.theta, np.round(np.random.default_rng(21).uniform(-1, 1, d.k + 1), 2))
        assert len(live.state.history) == 0
        assert doc.named("Loss") == pytest.approx(model.loss(d.X, d.y, live.state.theta), rel=1e-9)
