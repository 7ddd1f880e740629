"""Classification workbooks (logistic with 1 and 2 inputs, softmax with 2 and 4 inputs: iris)
recalculated in LibreOffice: every named cell equals the textbook reference, also with the
parameters 30× larger, where no cell on any sheet may show an error; and the engine (run,
hand actions) walks the same path as a plain reference descent."""

from __future__ import annotations

import numpy as np
import pytest

import classify_reference as ref
from gradsheet.core import live as book
from gradsheet.core import steps
from gradsheet.excel import files
from gradsheet.sheets.workbook import model_X
from libreoffice_grid import LibreOfficeGrid
from test_edge_tables import error_cells


def shape(built):
    """(X as the model sees it, y, k, C: 0 for logistic)"""
    s, d = built.settings, built.dataset
    return model_X(d, s), d.y, d.k, (len(s.classes) if s.model == "softmax" else 0)


def layout_of(path):
    return files.read(path).layout


def assert_sheet_matches(doc, layout, X, y, theta, eps, k, C):
    want = ref.expected(X, y, theta, eps, k, C)
    size = max(want["Loss"], ref.scale_of(X, theta, k, C))
    assert doc.named("Loss") == pytest.approx(want["Loss"], rel=1e-9)
    for i, name in enumerate(layout.params):
        assert doc.named(f"Loss_{name}") == pytest.approx(want["plus"][i], rel=0, abs=1e-12 * size), name
        assert doc.named(f"grad_{name}") == pytest.approx(want["grad"][i], rel=0, abs=1e-12 * size / eps), name
        assert doc.named(f"exact_grad_{name}") == pytest.approx(want["exact"][i], rel=0, abs=1e-12 * size), name
    p = want["p"]
    columns = [p] if C == 0 else [p[:, c] for c in range(C)]
    for name, column in zip(layout.per_class("p"), columns):
        got = np.array(doc.named(name), dtype=float).ravel()
        assert np.allclose(got, column, rtol=0, atol=1e-13), name
    # the row columns p_true (the own class's probability), ce (its cross-entropy) and pred
    got = {name: np.array(doc.named(name), dtype=float).ravel() for name in ("p_true", "ce", "pred")}
    assert np.allclose(got["p_true"], want["p_true"], rtol=0, atol=1e-13), "p_true"
    assert np.allclose(got["ce"], want["ce"], rtol=0, atol=1e-12 * ref.scale_of(X, theta, k, C)), "ce"
    assert np.array_equal(got["pred"], want["pred"]), "pred"
    assert doc.named("accuracy") == pytest.approx(want["accuracy"], abs=1e-15)
    assert np.array_equal(np.array(doc.named("confusion"), dtype=float), want["confusion"])


@pytest.mark.parametrize("kind", ref.KINDS)
def test_every_named_cell_equals_the_reference_also_30_times_larger(libreoffice, tmp_path, kind):
    built = ref.build(kind, tmp_path)
    X, y, k, C = shape(built)
    layout = layout_of(built.path)
    theta, eps = built.state.theta, built.settings.eps
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_sheet_matches(doc, layout, X, y, theta, eps, k, C)
        for name, value in zip(layout.params, 30 * theta):
            doc.set_named(name, float(value))
        doc.recalc()
        assert_sheet_matches(doc, layout, X, y, 30 * theta, eps, k, C)
        assert error_cells(doc) == []


def test_huge_parameters_still_show_numbers(libreoffice, tmp_path):
    """Far past anything a descent reaches: e^z would overflow for every row, p rounds to 0
    or 1, and the textbook −ln p would be LN(0). The stable forms still give numbers."""
    built = ref.build("iris", tmp_path)
    X, y, k, C = shape(built)
    layout = layout_of(built.path)
    theta = 3000 * built.state.theta
    with libreoffice.open(built.path) as doc:
        for name, value in zip(layout.params, theta):
            doc.set_named(name, float(value))
        doc.recalc()
        assert error_cells(doc) == []
        assert doc.named("Loss") == pytest.approx(ref.loss(X, y, theta, k, C), rel=1e-9)


def reference_descent(X, y, theta, lr, eps, k, C, n):
    """The course's step written plainly: slopes from losses recomputed at P + eps."""
    theta = np.array(theta, dtype=float)
    for _ in range(n):
        base = ref.loss(X, y, theta, k, C)
        grad = np.array([(ref.loss(X, y, theta + eps * np.eye(theta.size)[i], k, C) - base) / eps
                         for i in range(theta.size)])
        theta = theta - lr * grad
    return theta


@pytest.mark.parametrize("kind", ["logistic2", "iris"])
def test_run_n_equals_the_reference_descent(tmp_path, kind):
    from click.testing import CliRunner
    from gradsheet.cli import main
    built = ref.build(kind, tmp_path)
    X, y, k, C = shape(built)
    result = CliRunner().invoke(main, ["run", str(built.path), "-n", "40"])
    assert result.exit_code == 0, result.output
    after = files.read(built.path)
    want = reference_descent(X, y, built.state.theta, built.settings.lr, built.settings.eps, k, C, 40)
    # 40 steps, each slope a difference of two losses over eps: the two ways of summing differ
    # by ~1e-16·Loss/eps per slope, and the steps add them up
    assert np.allclose(after.state.theta, want, rtol=0, atol=1e-9)
    assert len(after.state.history) == 40
    assert after.state.history[0, -1] == pytest.approx(ref.loss(X, y, built.state.theta, k, C), rel=1e-12)


def press(grid, doc, change):
    live = book.load(grid)
    steps.check_book(live.problem, live.state, live.book_loss)
    book.save(grid, live, change(live.problem, live.state))
    doc.recalc()
    return book.load(grid)


@pytest.mark.parametrize("kind", ["logistic1", "softmax2"])
def test_hand_actions_in_libreoffice_make_one_course_step(libreoffice, tmp_path, kind):
    """Every hand action, pressed in LibreOffice (which recalculates between presses), adds up
    to one step: W_j_c really holds W_j_c + eps in its nudge, is restored exactly, and the
    pasted slopes are the sheet's own observed dLoss_dt."""
    built = ref.build(kind, tmp_path)
    X, y, k, C = shape(built)
    s = built.settings
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        live = book.load(grid)
        actions = live.problem.actions()
        assert len(actions) == 2 + 3 * len(live.layout.params) + 1
        for code, kind_, p in actions:
            live = press(grid, doc, steps.act)
            if kind_ == "nudge":
                name = live.layout.params[p]
                assert doc.named(name) == built.state.theta[p] + s.eps
        assert live.state.action == 0 and len(live.state.history) == 1
    want = reference_descent(X, y, built.state.theta, s.lr, s.eps, k, C, 1)
    assert np.allclose(live.state.theta, want, rtol=0, atol=1e-10)


def test_the_engine_refuses_a_workbook_whose_one_hot_columns_were_damaged(libreoffice, tmp_path):
    built = ref.build("softmax2", tmp_path)
    layout = layout_of(built.path)
    r, c = layout.first_row, layout.columns["y_2"]
    with libreoffice.open(built.path) as doc:
        from xlsxwriter.utility import xl_rowcol_to_cell
        doc.set_cell(layout.sheet, xl_rowcol_to_cell(r, c), 1.0)  # row 1 now has two classes
        doc.recalc()
        from gradsheet.core.errors import GradsheetError
        with pytest.raises(GradsheetError, match="one-hot"):
            book.load(LibreOfficeGrid(doc))


@pytest.mark.parametrize("kind", ["logistic2", "iris"])
def test_the_buttons_through_xlwings_book_json_equal_the_engine(tmp_path, kind):
    """The add-in's scripts on xlwings' Book(json=...) engine (as Lite runs them): ten steps
    equal the engine's and the reference descent; the next-action button on the fresh book
    does action 2. (The harness does not recalculate between presses, so each press starts
    from the built book.)"""
    from jsonbook import apply_actions, book_json, open_book  # sets the test licence first
    from gradsheet.core import addin
    built = ref.build(kind, tmp_path)
    fresh = book_json(built.path)
    problem = book.load(addin.XlwingsGrid(open_book(fresh))).problem
    b = open_book(fresh)
    addin.run_steps(b, 10)
    got = book.load(addin.XlwingsGrid(open_book(apply_actions(fresh, b.json()["actions"]))))
    want = steps.run(problem, built.state, 10).state
    assert np.array_equal(got.state.theta, want.theta) and np.array_equal(got.state.dloss, want.dloss)
    assert np.array_equal(got.state.history, want.history)
    X, y, k, C = shape(built)
    assert np.allclose(got.state.theta, reference_descent(X, y, built.state.theta, built.settings.lr,
                                                          built.settings.eps, k, C, 10), rtol=0, atol=1e-10)
    b = open_book(fresh)
    addin.next_action(b)
    got = book.load(addin.XlwingsGrid(open_book(apply_actions(fresh, b.json()["actions"]))))
    assert got.state.action == 1 and len(got.state.history) == 1
    assert got.state.history[0, -1] == pytest.approx(ref.loss(X, y, built.state.theta, k, C), rel=1e-12)


@pytest.mark.parametrize("source", ["cp949", "xlsx"])
def test_text_targets_from_cp949_and_xlsx_build_and_read_back(tmp_path, source):
    """합격/불합격 labels as an LMS exports them: the workbook keeps the class names (the label
    column, the one-hot or 0/1 y), and reading it back gives the same classes and targets."""
    rows = [("공부 시간", "결과")] + [(h, "합격" if h + (i % 3) > 5 else "불합격")
                                  for i, h in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 2, 6, 4, 5])]
    if source == "cp949":
        data = tmp_path / "exam.csv"
        data.write_bytes("\n".join(f"{a},{b}" for a, b in rows).encode("cp949"))
    else:
        import xlsxwriter
        data = tmp_path / "exam.xlsx"
        wb = xlsxwriter.Workbook(data)
        ws = wb.add_worksheet()
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        wb.close()
    from gradsheet.build import make
    built = make(data, tmp_path / "out.xlsx", classes="불합격,합격")
    back = files.read(built.path)
    assert back.settings.model == "logistic" and back.settings.classes == ("불합격", "합격")
    assert back.dataset.target_name == "결과"
    want = [1.0 if label == "합격" else 0.0 for _, label in rows[1:]]
    assert back.dataset.y.tolist() == want
    import openpyxl
    ws = openpyxl.load_workbook(built.path, read_only=True)[back.layout.sheet]
    column = back.layout.columns["label"] + 1
    labels = [ws.cell(back.layout.first_row + 1 + i, column).value for i in range(len(want))]
    assert labels == [label for _, label in rows[1:]]
