"""The live coach (core/coach.py): the `next_action` cell is a formula that reads the sheet's state,
the buttons and `gradsheet next` ask the same rules in Python, and all of them name the same
action — done right or wrong, by hand or by button, in LibreOffice and in Gnumeric.

The hand actions here are written the way a student does them: values typed or pasted into the
cells (history's next row, prevLoss, W + eps, dLoss_dt's value, the saved W, next_W's value),
with LibreOffice recalculating after each; the expected action comes from the course's order
(COURSE.md), not from the coach."""

from __future__ import annotations

import subprocess

import numpy as np
import openpyxl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from libreoffice_grid import LibreOfficeGrid
from shared_builds import built_copy
from gradsheet.build import make
from gradsheet.core import coach, live, procedure, steps
from gradsheet.core.texts import ACTIONS
from gradsheet.excel import files
from gradsheet.headless import problem_of

QUIET = {"compare": 0, "unrolled": 0, "landscape": ("none",)}


def lemonade(tmp_path, optimizer="gd", **options):
    def make_into(folder):
        return make(None, folder / f"{optimizer}.xlsx", optimizer=optimizer, **QUIET, **options)
    return built_copy(f"coach-lemonade-{optimizer}-{sorted(options.items())}", tmp_path, make_into)


def iris(tmp_path):
    from gradsheet.data import presets
    options = presets.read(presets.find("iris"))
    data = options.pop("data")
    options.update(QUIET)

    def make_into(folder):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the model and lr notes
            return make(data, folder / "iris.xlsx", **options)
    return built_copy("coach-iris", tmp_path, make_into)


# --- the rules on numbers: presses walk the course ------------------------------------------------
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("data", ["lemonade", "iris"])
def test_presses_walk_the_course_in_order_and_add_up_to_whole_steps(tmp_path, optimizer, data):
    built = lemonade(tmp_path, optimizer) if data == "lemonade" else iris(tmp_path)
    if data == "iris" and optimizer != "gd":
        pytest.skip("iris is built with plain gradient descent")
    book = files.read(built.path)
    problem, state = problem_of(book), book.state
    count = len(problem.actions())
    assert count == 3 + 3 * len(book.layout.params) + bool(book.layout.slots)
    for i in range(3 * count):
        assert state.action == i % count, (i, state.action)
        state = steps.act(problem, state)
    whole = steps.run(problem, book.state, 3).state
    assert len(state.history) == 3 and state.action == 0
    assert np.allclose(state.theta, whole.theta, rtol=0, atol=1e-9)


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_the_coach_keeps_the_courses_order_for_500_steps_on_lemonade(tmp_path, optimizer):
    """Far into the slow creep of B the slopes still change enough from step to step for the
    coach to tell this step's from the last (coach.py's tolerances)."""
    book = files.read(lemonade(tmp_path, optimizer).path)
    problem, state = problem_of(book), book.state
    count = len(problem.actions())
    for i in range(500 * count):
        assert state.action == i % count, (i // count, i % count, state.action)
        state = steps.act(problem, state)


def after(problem, state, codes: list[str]):
    """The state after the actions `codes` ('2', '3', '4-1' …), each checked to be the next."""
    names = [c for c, _, _ in problem.actions()]
    for code in codes:
        assert names[state.action] == code, (names[state.action], code)
        state = steps.act(problem, state)
    return state


def test_a_wrong_hand_action_is_named_with_the_number_to_type(tmp_path):
    from dataclasses import replace
    book = files.read(lemonade(tmp_path).path)
    problem = problem_of(book)
    at_4_1 = after(problem, book.state, ["2", "3", "4-1", "4-2", "4-3", "5-1", "5-2", "5-3", "6", "2", "3"])
    H = at_4_1.history[-1, :-1]
    eps = problem.eps

    def advice(theta=None, **changes):
        state = replace(at_4_1, theta=np.array(theta if theta is not None else H, dtype=float), **changes)
        a = coach.advise(problem, state)
        return a.index, a.why, a.who, a.want, a.now

    assert advice()[:3] == (2, 0, 0)  # 4-1
    # W + 2·eps: the nudge again, and what W should hold
    index, why, who, want, now = advice([H[0] + 2 * eps, H[1]])
    assert (index, why, who) == (2, 1, 0) and want == H[0] + eps and now == H[0] + 2 * eps
    # a restore a little off: 4-3 again
    nudged = after(problem, at_4_1, ["4-1", "4-2"])
    state = replace(nudged, theta=np.array([H[0] + 3e-7, H[1]]))
    a = coach.advise(problem, state)
    assert (a.index, a.why, a.who, a.want) == (4, 2, 0, H[0])
    # two parameters changed at once: put the first back
    assert advice([H[0] + eps, H[1] + eps])[:3] == (4, 4, 0)
    # W nudged before Loss was copied into prevLoss: put W back, then 3
    index, why, who, want, _ = advice([H[0] + eps, H[1]], prev_loss=123.0)
    assert (index, why, who) == (4, 5, 0) and want == at_4_1.history[-1, -1]
    # history's last Loss typed wrong: 2 again
    history = at_4_1.history.copy()
    history[-1, -1] += 1
    assert advice(history=history)[:3] == (0, 6, 0)
    # the next values pasted wrong for B
    ready = after(problem, at_4_1, ["4-1", "4-2", "4-3", "5-1", "5-2", "5-3"])
    right = problem.update(ready)[0]
    a = coach.advise(problem, replace(ready, theta=np.array([right[0], right[1] + 0.01])))
    assert (a.index, a.why, a.who, a.want) == (8, 3, 1, right[1])
    # ... and the button does them right
    fixed = steps.act(problem, replace(ready, theta=np.array([right[0], right[1] + 0.01])))
    assert np.array_equal(fixed.theta, right) and fixed.action == 0


def test_a_step_taken_before_lr_was_changed_counts_as_done(tmp_path):
    """Students lower lr after a step that made Loss go up: that step stays done (its parameters
    agree on the lr that moved them), and a step pasted wrong for one parameter does not."""
    from dataclasses import replace
    book = files.read(lemonade(tmp_path).path)
    problem = problem_of(book)
    done = steps.run(problem, book.state, 2).state
    assert done.action == 0
    slower = replace(problem, lr=problem.lr / 10)
    assert coach.advise(slower, done).index == 0
    bent = replace(done, theta=done.theta + np.array([0.0, 1e-3]))
    assert coach.advise(slower, bent).why == 3


def test_the_stored_coach_is_the_coach_of_the_stored_state(tmp_path):
    """What a file shows before any program recalculates it: the coach's reading of the state
    the file was written with (mid-step, by `gradsheet next`)."""
    from click.testing import CliRunner
    from gradsheet.cli import main
    path = lemonade(tmp_path).path
    for _ in range(4):  # 2, 3, 4-1, 4-2
        assert CliRunner().invoke(main, ["next", str(path)]).exit_code == 0
    book = files.read(path)
    layout = book.layout
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    ws = wb[layout.sheet]
    r, c = layout.cell("next_action")
    text = ws.cell(r + 1, c + 1).value
    wb.close()
    assert text == procedure.describe(layout.params, 4, "ko") == "4-3: W를 원래 값으로 되돌리기"
    assert book.state.action == 4


# --- LibreOffice: by hand, action by action -------------------------------------------------------
class Hand:
    """A student's hands on a workbook open in LibreOffice: values typed or pasted into cells,
    then the program recalculates."""

    def __init__(self, doc, layout):
        self.doc, self.layout, self.grid = doc, layout, LibreOfficeGrid(doc)

    def value(self, name):
        return self.doc.named(name)

    def put(self, name, value):
        self.doc.set_named(name, float(value))
        self.doc.recalc()

    def history(self) -> list[list[float]]:
        head, c0, _, c1 = self.layout.history_span
        rows = self.grid.read(self.layout.sheet, head + 1, c0, 200, c1 - c0 + 1)
        return [row[1:] for row in rows if isinstance(row[-1], float)]

    def last_saved(self, name):
        return self.history()[-1][self.layout.history_index(name) - 1]

    def copy_history(self):  # 2: W, B, Loss (--batch: epoch … Loss_batch) into the next row, as values
        head, c0, _, _ = self.layout.history_span
        rows = self.history()
        values = [len(rows) + 1] + [self.value(name) for name in self.layout.history_columns[1:]]
        self.grid.write(self.layout.sheet, head + 1 + len(rows), c0, [values])
        self.doc.recalc()

    def do(self, kind, p=None, wrong: float = 0.0):
        """The course's action `kind` on parameter p (its index), off by `wrong` if asked."""
        params = self.layout.params
        name = params[p] if p is not None else None
        if kind == "copy_history":
            self.copy_history()
        elif kind == "copy_loss":
            self.put("prevLoss", self.value(coach.base_name(self.layout)) + wrong)  # --batch: Loss_batch
        elif kind == "nudge":
            self.put(name, self.last_saved(name) + self.value("eps") + wrong)
        elif kind == "paste_slope":
            self.put(f"dLoss_d{name}", self.value("dLoss_dt") + wrong)
        elif kind == "restore":
            self.put(name, self.last_saved(name) + wrong)
        elif kind == "update":
            values = {P: self.value(f"next_{P}") for P in params}
            for P in params:
                self.doc.set_named(P, values[P] + (wrong if P == params[-1] else 0.0))
            self.doc.recalc()
        else:  # the next optimizer state (and t + 1)
            for slot in self.layout.slots:
                values = {P: self.value(f"next_{slot}_{P}") for P in params}
                for P in params:
                    self.doc.set_named(f"{slot}_{P}", values[P])
            if "t" in self.layout.scalars:
                self.doc.set_named("t", self.value("t") + 1)
            self.doc.recalc()

    def coach(self) -> dict:
        lay, sheet = self.layout, self.layout.sheet
        sums = {k: self.grid.read(sheet, r, c, 1, 1)[0][0] for k, (r, c) in coach.cells(lay).items()}
        r, c = lay.cell("next_action")
        first, second = (row[0] for row in self.grid.read(sheet, r, c, 2, 1))
        return {"pos": int(sums["pos"]), "why": int(sums["why"]), "who": int(sums["who"]),
                "first": first, "second": second}


def engine_says(grid) -> tuple[dict, steps.Problem, object]:
    """What the buttons see: the engine's reading of the same cells, in the coach's words."""
    book = live.load(grid)
    advice = coach.advise(book.problem, book.state)
    lay = book.layout
    first, second = coach.lines(lay.params, advice, book.lang, lay.optimizer, bool(len(book.state.history)))
    return ({"pos": advice.index, "why": advice.why, "who": advice.who, "first": first, "second": second},
            book.problem, book)


def assert_agree(hand: Hand, expect_code: str | None = None, why: int = 0):
    sheet = hand.coach()
    engine, problem, _ = engine_says(hand.grid)
    assert sheet == engine
    if expect_code is not None:
        assert sheet["first"].split(":")[0] == expect_code
        assert sheet["why"] == why
    return sheet


def gnumeric_agrees(gnumeric, doc, layout, tmp_path, tag: str):
    """The same file saved by LibreOffice, recalculated by Gnumeric: the coach's cells agree."""
    saved, out = tmp_path / f"{tag}.xlsx", tmp_path / f"{tag}-gnumeric.xlsx"
    doc.save_xlsx(saved)
    done = subprocess.run([gnumeric, "--recalc", str(saved), str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out, data_only=True, read_only=True)
    ws = wb[layout.sheet]

    def at(r, c):
        return ws[xl_rowcol_to_cell(r, c)].value
    got = {k: at(r, c) for k, (r, c) in coach.cells(layout).items()}
    r, c = layout.cell("next_action")
    got["first"], got["second"] = at(r, c), at(r + 1, c)
    codes = [at(layout.param_row(p), layout.param_columns["code"]) for p in range(len(layout.params))]
    wb.close()
    return got, codes


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_by_hand_in_libreoffice_the_coach_names_each_action_and_the_buttons_agree(
        libreoffice, gnumeric, tmp_path, optimizer):
    """Two steps by hand, action by action, with a wrong action tried before each right one: after
    every action the sheet's coach, the engine's (the buttons', `gradsheet next`'s) and the
    course's order agree; a press of the button then does what the coach named. At three points
    Gnumeric recalculates the file LibreOffice saved and shows the same."""
    built = lemonade(tmp_path, optimizer)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        hand = Hand(doc, live.load(LibreOfficeGrid(doc)).layout)
        acts = procedure.actions(hand.layout.params, optimizer)
        assert_agree(hand, "2")
        checked = 0
        for step in range(2):
            for i, (code, kind, p) in enumerate(acts):
                sheet = assert_agree(hand, code)
                if kind in ("nudge", "restore"):  # wrong first: a value 3·eps past the right one
                    hand.do(kind, p, wrong=(3 if kind == "nudge" else -3) * hand.value("eps"))
                    wrong = assert_agree(hand, code, why=1 if kind == "nudge" else 2)
                    assert ACTIONS["ko"]["wrong_nudge" if kind == "nudge" else "wrong_restore"].split("{")[0] \
                        in wrong["second"]
                if kind == "update" and step == 1:
                    hand.do(kind, p, wrong=0.01)  # B pasted 0.01 off
                    assert_agree(hand, code, why=3)
                    if checked < 1:
                        got, _ = gnumeric_agrees(gnumeric, doc, hand.layout, tmp_path, "wrong")
                        now = hand.coach()
                        assert (got["pos"], got["why"], got["who"], got["first"], got["second"]) == \
                            (now["pos"], now["why"], now["who"], now["first"], now["second"])
                        checked += 1
                    # the next values changed with B: the student types the number the coach gives
                    last = len(hand.layout.params) - 1
                    r, c = hand.layout.param_row(last), hand.layout.param_columns["upd"]
                    hand.put(hand.layout.params[last], hand.grid.read(hand.layout.sheet, r, c, 1, 1)[0][0])
                    continue
                hand.do(kind, p)
            assert len(hand.history()) == step + 1
        assert_agree(hand, "2")
        # the buttons: each press does the action the coach named, from any of these states
        for code, kind, p in acts:
            engine, problem, book = engine_says(hand.grid)
            assert procedure.actions(hand.layout.params, optimizer)[engine["pos"]][0] == code
            new = steps.act(problem, book.state)
            live.save(hand.grid, book, new)
            doc.recalc()
        assert_agree(hand, "2")
        got, codes = gnumeric_agrees(gnumeric, doc, hand.layout, tmp_path, "end")
        sheet = hand.coach()
        assert (got["pos"], got["why"], got["first"], got["second"]) == \
            (sheet["pos"], sheet["why"], sheet["first"], sheet["second"])


def test_by_hand_the_other_wrong_actions_are_caught(libreoffice, tmp_path):
    """prevLoss not copied before a nudge, two parameters changed at once, history's Loss typed
    wrong, and lr lowered after a step: the sheet and the engine say the same."""
    built = lemonade(tmp_path)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        hand = Hand(doc, live.load(LibreOfficeGrid(doc)).layout)
        hand.do("copy_history")
        W, B = hand.value("W"), hand.value("B")
        hand.put("W", W + hand.value("eps"))  # 4-1 before 3
        assert_agree(hand, "4-3", why=5)
        hand.put("W", W)
        hand.do("copy_loss")
        hand.put("B", B + hand.value("eps"))
        hand.put("W", W + hand.value("eps"))  # two at once
        assert_agree(hand, "4-3", why=4)
        hand.put("W", W)
        hand.put("B", B)
        head, c0, _, c1 = hand.layout.history_span
        hand.grid.write(hand.layout.sheet, head + 1, c1, [[hand.value("Loss") + 1]])  # history's Loss
        doc.recalc()
        assert_agree(hand, "2", why=6)
        hand.grid.write(hand.layout.sheet, head + 1, c1, [[hand.value("Loss")]])
        doc.recalc()
        for code in ("4-1", "4-2", "4-3", "5-1", "5-2", "5-3", "6"):
            assert_agree(hand, code)
            kind, p = next((k, q) for c, k, q in procedure.actions(hand.layout.params) if c == code)
            hand.do(kind, p)
        assert_agree(hand, "2")
        hand.put("lr", hand.value("lr") / 10)  # lowered after the step
        assert_agree(hand, "2", why=0)


def test_softmax_by_hand_the_coach_walks_all_fifteen_parameters(libreoffice, tmp_path):
    built = iris(tmp_path)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        hand = Hand(doc, live.load(LibreOfficeGrid(doc)).layout)
        acts = procedure.actions(hand.layout.params)
        m = len(hand.layout.params)
        assert m == 15  # 4 inputs × 3 classes, 3 biases
        for code, kind, p in acts:
            assert_agree(hand, code)
            hand.do(kind, p)
        assert_agree(hand, "2")
        assert hand.coach()["second"].startswith(f"방금 한 동작: {4 + m} ")  # 2, 3, 4-x … 18-x, then 19: the update


def test_an_exercise_with_empty_blanks_says_to_fill_them_first(libreoffice, tmp_path):
    from gradsheet.build import make as build
    built = build(None, tmp_path / "ex.xlsx", blank=("Loss_W", "Loss_B", "grad_W", "grad_B"), **QUIET)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        hand = Hand(doc, live.load(LibreOfficeGrid(doc)).layout)
        assert hand.coach()["first"].startswith("2:")  # nothing needs the blanks yet
        hand.do("copy_history")
        assert hand.coach()["first"] == ACTIONS["ko"]["not_ready"]


def test_an_exercise_coach_reads_the_students_cells_and_gives_no_answer_away(libreoffice, tmp_path):
    """In an exercise the coach reads the student's grad_P and next_P (the update from H as
    next_P − P + H) instead of writing their answers out; with the blanks filled in right, a
    step by hand is coached action by action as in any workbook."""
    from classroom_fill import cells_of, correct_formulas, fill
    blank = ("Loss", "Loss_W", "Loss_B", "grad_W", "grad_B", "next_W", "next_B")
    built = make(None, tmp_path / "ex.xlsx", blank=blank, **QUIET)
    layout = files.read(built.path).layout
    written = openpyxl.load_workbook(built.path)[layout.sheet]
    for p in range(len(layout.params)):
        r = layout.param_row(p)
        for kind in ("upd", "rate", "code"):
            text = str(written.cell(r + 1, layout.param_columns[kind] + 1).value)
            assert "lr*dLoss" not in text and "Loss_W-Loss" not in text and "Loss_B-Loss" not in text, text
    answers = correct_formulas(layout)
    filled = fill(libreoffice, built.path, tmp_path / "filled.xlsx", {n: answers[n] for n in blank}, layout)
    assert all(cells_of(layout, n) for n in blank)
    with libreoffice.open(filled) as doc:
        doc.recalc()
        hand = Hand(doc, layout)
        for code, kind, p in procedure.actions(layout.params):
            assert_agree(hand, code)
            hand.do(kind, p)
        assert_agree(hand, "2")
        hand.put("B", hand.value("B") + 0.01)  # a wrong update, caught with the student's next_B
        assert_agree(hand, "6", why=3)


def test_a_network_by_hand_is_coached_through_every_parameter(libreoffice, tmp_path):
    """The xor preset's network (13 parameters: Wh_i_j, Bh_j, Wo_j, Bo): a whole step by hand,
    the sheet's coach and the engine's agreeing at every action."""
    from gradsheet.data import presets
    options = presets.read(presets.find("xor"))
    data = options.pop("data")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = make(data, tmp_path / "xor.xlsx", **{**options, **QUIET})
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        hand = Hand(doc, live.load(LibreOfficeGrid(doc)).layout)
        assert hand.layout.hidden and len(hand.layout.params) == 13
        for code, kind, p in procedure.actions(hand.layout.params):
            assert_agree(hand, code)
            hand.do(kind, p)
        assert_agree(hand, "2")
