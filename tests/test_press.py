"""A button press in xlwings Lite moves what it needs (issue 12): run as Lite runs main.py's
async scripts (book: xw.BookAsync, values read on demand), it writes what the classic press
writes, and reads O(parameters) cells (the data columns once per session), whatever the rows."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from jsonbook import apply_actions, book_json, cell, open_book  # sets the test licence first
from litehost import load_main, run_script
from gradsheet.build import make
from gradsheet.core import addin, press, steps
from gradsheet.core import models as model
from gradsheet.excel.lite import read_lite_parts
from gradsheet.sheets.workbook import layout_for

SCRIPTS = [("one_step", [], lambda b: addin.one_step(b)), ("ten_steps", [], lambda b: addin.run_steps(b, 10)),
           ("next_action", [], addin.next_action), ("reset", [], addin.reset),
           ("run_steps", [37], lambda b: addin.run_steps(b, 37))]


def table(tmp_path, n: int, k: int = 1, name: str = "t"):
    rng = np.random.default_rng(n)
    X = rng.uniform(0, 10, (n, k))
    y = X @ np.linspace(1, 2, k) + 3 + rng.normal(0, 0.5, n)
    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"x{j + 1}" for j in range(k)] + ["y"])
        w.writerows(np.column_stack([X, y]).round(3).tolist())
    return make(path, tmp_path / f"{name}.xlsx", target="y", lr=0.001 / k, unrolled=0, compare=0,
                landscape=("none",))


def reference(data, call):
    book = open_book(data)
    call(book)
    return book.json()["actions"]


def cells(actions) -> int:
    """Cells written (setValues); clearing and resizing carry an address only."""
    return sum(a["row_count"] * a["column_count"] for a in actions if a["func"] == "setValues")


@pytest.fixture
def fresh_session():
    press.forget()
    yield
    press.forget()


@pytest.mark.parametrize("script, args, call", SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_a_lite_press_writes_what_the_classic_press_writes(built, fresh_session, monkeypatch, script, args, call):
    # reset's draw
    monkeypatch.setattr(steps, "initial_theta",
                        lambda k, seed, count=None: np.linspace(0.3, -0.2, k + 1 if count is None else count))
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    assert getattr(main, script).__xlscript__["lazy"] is True  # Lite sends no values up front
    for _ in range(2):  # the first press of a session, then one with the data kept
        got = run_script(main, script, data, args)
        assert got.actions == reference(data, call)


def test_a_press_reads_and_writes_the_same_cells_for_any_number_of_rows(tmp_path, fresh_session):
    """After the first press of a session (which reads the data columns once), one step, next
    action and reset read and write the same number of cells for 2,000 rows as for 4,000."""
    per_size = {}
    for n in (2_000, 4_000):
        built = table(tmp_path, n, name=f"n{n}")
        data = book_json(built.path)
        main = load_main(read_lite_parts(built.path)["main.py"])
        first = run_script(main, "one_step", data)
        data_reads = [r for r in first.reads if r[2] >= press.DATA_CELLS]
        assert [r[2] for r in data_reads] == [(n + 1) * 2]  # x and y with their headings, once
        assert all(not s["values"] or s["values"] == [[]] for s in _sent(main, "one_step", data)["sheets"])
        counts = []
        for script in ("one_step", "next_action", "reset"):
            p = run_script(main, script, data)
            assert all(r[2] < press.DATA_CELLS for r in p.reads), p.reads  # the data kept
            counts.append((sum(r[2] for r in p.reads), cells(p.actions)))
            assert p.bytes_in < 20_000 and p.bytes_out < 5_000  # names and tables' structure included
        per_size[n] = counts
    assert per_size[2_000] == per_size[4_000]
    assert max(c[0] for c in per_size[4_000]) < 300 and max(c[1] for c in per_size[4_000]) < 50


def _sent(main, script, data):
    from litehost import payload
    return payload(data, getattr(main, script).__xlscript__)


def test_an_edited_data_cell_is_read_again(tmp_path, fresh_session):
    """The kept data serves a press only if the model on it gives the book's own Loss: after a
    y edit (Excel recalculates Loss) the press reads the data again and steps on the new y."""
    built = table(tmp_path, 1_500)
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    run_script(main, "one_step", data)
    layout = layout_for(built.dataset, built.settings, built.state)
    sheet = next(s for s in data["sheets"] if s["name"] == layout.sheet)
    r0, cy = layout.first_row, layout.columns["y"]
    sheet["values"][r0 + 7][cy] += 0.001  # one y, a little
    y = built.dataset.y.copy()
    y[7] = sheet["values"][r0 + 7][cy]
    r, c = layout.cell("Loss")
    sheet["values"][r][c] = model.loss(built.dataset.X, y, built.state.theta)  # as Excel recalculates
    got = run_script(main, "one_step", data)
    assert [x[2] for x in got.reads if x[2] >= press.DATA_CELLS] == [(1_500 + 1) * 2]
    press.forget()
    assert got.actions == reference(data, addin.one_step)


def test_history_grows_from_its_end_and_reset_clears_it(built, fresh_session):
    """Presses in a row, each on what the last wrote (Loss recalculated as Excel would): the
    history read is its first and last rows; the table ends as a whole-table press leaves it."""
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    layout = layout_for(built.dataset, built.settings, built.state)
    d = built.dataset
    for script, args in (("run_steps", [5]), ("one_step", []), ("next_action", []), ("reset", [])):
        got = run_script(main, script, data, args)
        want = apply_actions(data, reference(data, lambda b: _classic(b, script, args)))
        data = apply_actions(data, got.actions)
        assert _history(data, layout) == _history(want, layout)
        theta = np.array([cell(data, layout.sheet, layout.a1(p)) for p in layout.params])
        r, c = layout.cell("Loss")
        next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = model.loss(d.X, d.y, theta)
        history_reads = [x for x in got.reads if x[1].startswith(f"${_col(layout.history_span[1])}")]
        assert all(x[2] == len(layout.history_columns) for x in history_reads)
    assert _history(data, layout) == []


def _classic(book, script, args):
    return {"run_steps": lambda: addin.run_steps(book, *args), "one_step": lambda: addin.one_step(book),
            "next_action": lambda: addin.next_action(book), "reset": lambda: addin.reset(book)}[script]()


def _col(c: int) -> str:
    from gradsheet.core.a1 import xl_col_to_name
    return xl_col_to_name(c)


def _history(data, layout):
    from openpyxl.utils import range_boundaries
    sheet = next(s for s in data["sheets"] if s["name"] == layout.sheet)
    t = next(t for t in sheet["tables"] if t["name"] == "history")
    c1, r1, c2, r2 = range_boundaries(t["data_body_range_address"].replace("$", ""))
    rows = [[None if v == "" else v for v in sheet["values"][r - 1][c1 - 1:c2]] for r in range(r1, r2 + 1)]
    return [r for r in rows if any(v is not None for v in r[1:])]


def test_a_damaged_loss_cell_is_refused_as_before(built, fresh_session):
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    run_script(main, "one_step", data)  # the data kept
    layout = layout_for(built.dataset, built.settings, built.state)
    r, c = layout.cell("Loss")
    next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = 12345.0
    got = run_script(main, "one_step", data)
    # in the workbook's language (Korean), as the command line says it
    assert len(got.actions) == 1 and "모델의 값(" in got.actions[0]["values"][0][0]


def test_a_sync_book_in_lite_still_presses(built, fresh_session):
    """Under an xlwings without BookAsync, main.py's scripts take a plain xw.Book: Lite sends
    every value, and the same press still works."""
    data = book_json(built.path)
    source = read_lite_parts(built.path)["main.py"].replace(
        'BookAsync = getattr(xw, "BookAsync", xw.Book)', "BookAsync = xw.Book")
    main = load_main(source)
    assert not getattr(main, "one_step").__xlscript__["lazy"]
    got = run_script(main, "one_step", data)
    assert got.actions == reference(data, addin.one_step)


@pytest.mark.parametrize("script, args, call", SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_a_lite_press_on_a_classifier_writes_what_the_classic_press_writes(tmp_path, fresh_session, monkeypatch,
                                                                           script, args, call):
    """The same for softmax (iris, 15 parameters W_j_c, B_c; one-hot targets among the data)."""
    import classify_reference
    monkeypatch.setattr(steps, "initial_theta",  # reset's draw
                        lambda k, seed, count=None: np.linspace(0.3, -0.2, k + 1 if count is None else count))
    built = classify_reference.build("iris", tmp_path, unrolled=0, compare=0, landscape=("none",))
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    for _ in range(2):
        got = run_script(main, script, data, args)
        assert got.actions == reference(data, call)


def test_appended_history_rows_are_numbered_one_by_one(built, fresh_session):
    """Lite presses append to the history table from its end: after 5 steps, one more, 3 more
    and one hand action (which writes the next step's row), its step column reads 1, 2, …, 10,
    the course's step numbers counted here, and the rows hold the W, B, Loss of the course's
    descent from the start (descent.descend)."""
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    layout = layout_for(built.dataset, built.settings, built.state)
    d = built.dataset
    for script, args in (("run_steps", [5]), ("one_step", []), ("run_steps", [3]), ("next_action", [])):
        got = run_script(main, script, data, args)
        data = apply_actions(data, got.actions)
        theta = np.array([cell(data, layout.sheet, layout.a1(p)) for p in layout.params])
        r, c = layout.cell("Loss")  # as Excel recalculates
        next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = model.loss(d.X, d.y, theta)
    rows = _history(data, layout)
    assert [row[0] for row in rows] == list(range(1, 11))
    from gradsheet.core import descent
    from gradsheet.sheets.workbook import model_X
    want = descent.descend(model_X(d, built.settings), d.y, built.state.theta, built.settings.lr, built.settings.eps,
                           10).history
    assert np.allclose(np.array([row[1:] for row in rows], dtype=float), want, rtol=1e-12, atol=0)


@pytest.fixture(scope="module")
def batch_book(tmp_path_factory):
    return make(None, tmp_path_factory.mktemp("batch") / "batch.xlsx", batch=2, unrolled=0, compare=0,
                landscape=("none",))


@pytest.mark.parametrize("script, args, call", SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_a_lite_press_on_a_batch_workbook_writes_what_the_classic_press_writes(batch_book, fresh_session,
                                                                               monkeypatch, script, args, call):
    """--batch 2: the press reads B, the shuffle key and the epochs' table too, and writes what the
    classic press writes (history rows with their epoch and Loss_batch)."""
    monkeypatch.setattr(steps, "initial_theta",
                        lambda k, seed, count=None: np.linspace(0.3, -0.2, k + 1 if count is None else count))
    data = book_json(batch_book.path)
    main = load_main(read_lite_parts(batch_book.path)["main.py"])
    for _ in range(2):
        got = run_script(main, script, data, args)
        assert got.actions == reference(data, call)


def test_lite_presses_on_a_batch_workbook_append_epochs_and_batch_losses(batch_book, fresh_session):
    """Lite presses (7 steps, then one more, then 2 hand actions): the history's rows hold step,
    epoch, W, B, Loss and Loss_batch of a mini-batch descent from the start, each row's epoch
    and batch loss from the definition (3 batches of 2 rows an epoch)."""
    built = batch_book
    data = book_json(built.path)
    main = load_main(read_lite_parts(built.path)["main.py"])
    layout = layout_for(built.dataset, built.settings, built.state)
    d = built.dataset
    for script, args in (("run_steps", [7]), ("one_step", []), ("next_action", []), ("next_action", [])):
        got = run_script(main, script, data, args)
        data = apply_actions(data, got.actions)
        theta = np.array([cell(data, layout.sheet, layout.a1(p)) for p in layout.params])
        r, c = layout.cell("Loss")  # as Excel recalculates
        next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = model.loss(d.X, d.y, theta)
    rows = np.array(_history(data, layout), dtype=float)
    assert rows[:, 0].tolist() == list(range(1, 10))
    assert rows[:, 1].tolist() == [s // 3 + 1 for s in range(9)]  # the epoch of each step
    found = built.settings.batches(d.n)
    theta, eps, lr = built.state.theta.copy(), built.settings.eps, built.settings.lr
    for s in range(9):
        idx = found.rows(s)
        assert len(idx) == 2
        assert np.allclose(rows[s, 2:4], theta, rtol=1e-9, atol=0), (s, rows[s, 2:4] - theta)
        assert rows[s, 4] == pytest.approx(model.loss(d.X, d.y, theta), rel=1e-8)
        assert rows[s, 5] == pytest.approx(model.loss(d.X[idx], d.y[idx], theta), rel=1e-8)
        base = model.loss(d.X[idx], d.y[idx], theta)
        g = np.array([(model.loss(d.X[idx], d.y[idx], theta + eps * np.eye(2)[j]) - base) / eps for j in range(2)])
        theta = theta - lr * g
