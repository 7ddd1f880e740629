"""Mini-batches on the training sheet (`--batch B`, issue 20): the rows each step learns from, its
batch's Loss and slopes, the step counter and the coach, recalculated by LibreOffice and Gnumeric.

The reference here is written from the definition (core/batches.py's docstring, DESIGN.md), not
from the code under test: a row's turn in epoch e is MOD(a·g + b, n) + 1, g the key, read backwards
below c, with (a, b, c) the row
(e − 1) mod rows of the `shuffle` table the sheet shows, step s is epoch INT(s / nb) + 1 and batch
MOD(s, nb) of it (nb = ROUNDUP(n / B)), and the losses are means over the batch's rows computed
by numpy from the data."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from libreoffice_grid import LibreOfficeGrid
from test_coach import Hand
from shared_builds import built_copy
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.core import coach, live, steps
from gradsheet.core.errors import GradsheetError
from gradsheet.data import presets
from gradsheet.excel import files
from gradsheet.sheets.values import model_X

QUIET = {"compare": 0, "unrolled": 0, "landscape": ("none",)}
CASES = {  # name: (preset or None for lemonade, options)
    "lemonade-2": (None, {"batch": 2}),
    "lemonade-4-in-order": (None, {"batch": 4, "shuffle": False}),  # the last batch short: 2 rows
    "lemonade-adam-2": (None, {"batch": 2, "optimizer": "adam", "lr": 0.5}),
    "exam-16": ("exam", {"batch": 16}),
    "iris-32": ("iris", {"batch": 32}),
    "xor-hidden-3": ("xor", {"batch": 3, "hidden": 2}),
}


def build(case: str, tmp_path):
    preset, options = CASES[case]

    def make_into(folder):
        data, opts = None, {}
        if preset:
            opts = presets.read(presets.find(preset))
            data = opts.pop("data")
        opts.update(QUIET)
        opts.update(options)
        return make(data, folder / f"{case}.xlsx", **opts)
    return built_copy(f"batch-{case}", tmp_path, make_into)


# --- the reference ------------------------------------------------------------------------------
def order(key: np.ndarray, table: np.ndarray, epoch: int) -> np.ndarray:
    """Every row's turn (1-based) in `epoch`, from the definition."""
    a, b, c = table[(epoch - 1) % len(table)]
    turned = np.where(key < c, c - 1 - key, key)  # the keys below c read backwards
    return (a * turned + b) % key.size + 1


def batch_mask(key, table, B: int, step: int) -> np.ndarray:
    nb = math.ceil(key.size / B)
    epoch, j = step // nb + 1, step % nb
    return (order(key, table, epoch) - 1) // B == j


def mean_loss(model: str, X, y, theta, spec) -> float:
    """The model's loss on rows X, y: mean squared error, binary or categorical cross-entropy,
    written here (a network's forward pass is its spec's)."""
    if spec.name != model or getattr(spec, "hidden", 0):
        return spec.loss(X, y, theta)
    if model == "linear":
        return float(np.mean((X @ theta[:-1] + theta[-1] - y) ** 2))
    if model == "logistic":
        z = X @ theta[:-1] + theta[-1]
        p = 1 / (1 + np.exp(-z))
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    C = spec.C
    k = X.shape[1]
    W, B = theta[:k * C].reshape(C, k).T, theta[k * C:]
    z = X @ W + B
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(y)), y.astype(int)]))


def nudged(model, X, y, theta, spec, eps) -> np.ndarray:
    out = []
    for i in range(theta.size):
        moved = theta.copy()
        moved[i] += eps
        out.append(mean_loss(model, X, y, moved, spec))
    return np.array(out)


def check_sheet(doc, built, params, step_expected=None) -> dict:
    """Recalculate and compare every batch cell with the reference; returns what was read."""
    doc.recalc()
    settings, dataset = built.settings, built.dataset
    X, y = model_X(dataset, settings), dataset.y
    key = np.array(doc.named("key"), dtype=float).astype(int)
    table = np.array(doc.named("shuffle"), dtype=float).reshape(-1, 3).astype(int)
    B, n = int(doc.named("batch")), dataset.n
    theta = np.array([doc.named(p) for p in params], dtype=float)
    step = int(doc.named("step"))
    if step_expected is not None:
        assert step == step_expected
    nb = math.ceil(n / B)
    assert int(doc.named("epoch")) == step // nb + 1
    epoch = step // nb + 1
    np.testing.assert_array_equal(np.array(doc.named("turn"), dtype=float), order(key, table, epoch))
    mask = batch_mask(key, table, B, step)
    np.testing.assert_array_equal(np.array(doc.named("in_batch"), dtype=float), mask.astype(float))
    spec = settings.spec
    Xb, yb = X[mask], y[mask]
    base = mean_loss(settings.model, Xb, yb, theta, spec)
    whole = mean_loss(settings.model, X, y, theta, spec)
    assert doc.named("Loss") == pytest.approx(whole, rel=1e-12)
    assert doc.named("Loss_batch") == pytest.approx(base, rel=1e-12)
    plus = nudged(settings.model, Xb, yb, theta, spec, settings.eps)
    sheet_plus = np.array([doc.named(f"Loss_{p}") for p in params])
    np.testing.assert_allclose(sheet_plus, plus, rtol=1e-12)
    sheet_grad = np.array([doc.named(f"grad_{p}") for p in params])
    # a difference of two losses each within 1e-12 of their size, over eps
    np.testing.assert_allclose(sheet_grad, (plus - base) / settings.eps,
                               atol=4e-12 * max(abs(base), np.max(np.abs(plus))) / settings.eps)
    return {"step": step, "mask": mask, "theta": theta}


@pytest.mark.parametrize("case", list(CASES))
def test_every_batch_cell_in_libreoffice_equals_the_definition_over_two_epochs(libreoffice, gnumeric, tmp_path,
                                                                              case):
    """Steps taken by the engine through LibreOffice (whole steps and hand actions, as the buttons
    do): after each, the sheet's turn, in_batch, step, epoch, Loss, Loss_batch, Loss_P and grad_P
    equal the reference, and the steps of each epoch partition the rows into batches of B (the
    last one shorter). Gnumeric, recalculating the file LibreOffice saved at the end, shows the
    same batch cells."""
    built = build(case, tmp_path)
    params = live_params(built)
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        B, n = built.settings.batch, built.dataset.n
        nb = math.ceil(n / B)
        seen = {}
        for s in range(2 * nb + 1):
            got = check_sheet(doc, built, params, step_expected=s)
            seen[s] = got["mask"]
            book = live.load(grid)
            if s % 2:  # a whole step by the actions a press does one at a time
                new = book.state
                for _ in range(len(book.problem.actions())):
                    new = steps.act(book.problem, new)
            else:
                new = steps.run(book.problem, book.state, 1).state
            live.save(grid, book, new)
        for epoch in range(2):
            masks = [seen[epoch * nb + j] for j in range(nb)]
            assert np.array_equal(np.sum(masks, axis=0), np.ones(n))  # every row exactly once
            sizes = [int(m.sum()) for m in masks]
            assert sizes == [B] * (nb - 1) + [n - (nb - 1) * B]
        if built.settings.shuffle and n > 4:  # two epochs' orders differ
            assert not all(np.array_equal(seen[j], seen[nb + j]) for j in range(nb))
        if not built.settings.shuffle:  # table order
            assert np.array_equal(np.flatnonzero(seen[0]), np.arange(B))
        check_sheet(doc, built, params)
        names = ["step", "epoch", "Loss", "Loss_batch", *(f"Loss_{q}" for q in params), *(f"grad_{q}" for q in params)]
        lo_values = {name: doc.named(name) for name in names + ["turn", "in_batch"]}
        layout = live.load(grid).layout
        saved, out = tmp_path / f"{case}.xlsx", tmp_path / f"{case}-gnumeric.xlsx"
        doc.save_xlsx(saved)
    done = subprocess.run([gnumeric, "--recalc", str(saved), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    gn = read_names(out, layout, names + ["turn", "in_batch"])
    assert gn["turn"] == lo_values["turn"] and gn["in_batch"] == lo_values["in_batch"]
    for name in names:
        scale = max(abs(lo_values["Loss_batch"]), 1e-300) / built.settings.eps if name.startswith("grad_") else None
        if scale is None:
            assert gn[name] == pytest.approx(lo_values[name], rel=1e-13), name
        else:  # a difference of two losses, each within 1e-13 of its size, over eps
            assert abs(gn[name] - lo_values[name]) <= 4e-13 * scale, name


def live_params(built) -> list[str]:
    from gradsheet.core.layout import param_names
    s = built.settings
    return param_names(built.dataset.k, s.model, len(s.classes), s.hidden)


# --- by hand ---------------------------------------------------------------------------------------
# test_coach.Hand: a student's hands in LibreOffice; on a --batch sheet action 2 copies epoch, the
# parameters, Loss and Loss_batch into history's next row, 3 copies Loss_batch into prevLoss.


@pytest.mark.parametrize("case", ["lemonade-2", "lemonade-adam-2"])
def test_a_batch_step_by_hand_keeps_its_batch_and_the_coach_agrees_in_libreoffice_and_gnumeric(
        libreoffice, gnumeric, tmp_path, case):
    """Two steps by hand in the course's order: through a step the sheet keeps its batch (step
    stays, in_batch stays), the update moves on to the next batch; after every action the sheet's
    coach names the course's next action, as the engine does; the slopes pasted by hand are the
    batch's (the parameters after two steps equal two engine steps); Gnumeric recalculates the
    saved file to the same batch cells."""
    built = build(case, tmp_path)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        grid = LibreOfficeGrid(doc)
        book = live.load(grid)
        hand, problem = Hand(doc, book.layout), book.problem
        start = book.state
        acts = problem.actions()
        for step in range(2):
            mask = np.array(doc.named("in_batch"))
            for i, (code, kind, p) in enumerate(acts):
                assert position(hand) == (i, 0), (step, code)
                engine = live.load(grid)
                assert coach.advise(engine.problem, engine.state).index == i
                if kind == "copy_loss":  # the whole table's Loss is not the batch's: 3 stays next
                    hand.put("prevLoss", hand.value("Loss"))
                    assert position(hand) == (i, 0)
                    engine = live.load(grid)
                    assert coach.advise(engine.problem, engine.state).index == i
                if kind == "nudge" and p == 0:  # W + 3·eps: the coach names the nudge again, as
                    name = book.layout.params[0]  # the engine does (meanwhile the next batch shows)
                    hand.put(name, hand.last_saved(name) + 3 * hand.value("eps"))
                    assert position(hand) == (i, 1)
                    engine = live.load(grid)
                    advice = coach.advise(engine.problem, engine.state)
                    assert (advice.index, advice.why) == (i, 1)
                hand.do(kind, p)
                if i < next(j for j, a in enumerate(acts) if a[1] == "update"):
                    assert int(doc.named("step")) == step
                    assert np.array_equal(np.array(doc.named("in_batch")), mask)
                else:  # the update moved on to the next batch (the state paste after it too)
                    assert int(doc.named("step")) == step + 1
        expected = steps.run(problem, start, 2).state
        np.testing.assert_allclose([doc.named(q) for q in book.layout.params], expected.theta, rtol=1e-9)
        saved, out = tmp_path / f"{case}.xlsx", tmp_path / f"{case}-gnumeric.xlsx"
        doc.save_xlsx(saved)
        names = ["step", "epoch", "Loss", "Loss_batch", *(f"Loss_{q}" for q in book.layout.params)]
        lo_values = {name: doc.named(name) for name in names}
        lo_values["in_batch"] = doc.named("in_batch")
    done = subprocess.run([gnumeric, "--recalc", str(saved), str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    gn = read_names(out, book.layout, names + ["in_batch"])
    for name in names:
        assert gn[name] == pytest.approx(lo_values[name], rel=1e-13), name
    assert gn["in_batch"] == lo_values["in_batch"]


def position(hand) -> tuple[int, int]:
    """The sheet's coach: (the next action's index, what was done wrong)."""
    said = hand.coach()
    return said["pos"], said["why"]


def read_names(path, layout, names) -> dict:
    """Values of contract names from a file (no recalculation: what the program that saved it computed)."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    ws = wb[layout.sheet]
    out = {}
    for name in names:
        if name in layout.scalars:
            r, c = layout.cell(name)
            out[name] = ws.cell(r + 1, c + 1).value
        else:
            c = layout.columns[name]
            out[name] = [ws.cell(r + 1, c + 1).value for r in range(layout.first_row, layout.last_row + 1)]
    wb.close()
    return out


# --- the command line ------------------------------------------------------------------------------
def test_run_on_a_batch_workbook_equals_a_reference_minibatch_descent(tmp_path):
    """`gradsheet run -n 5` then `-n 4`: nine steps, each on its batch in the book's order (the key
    column and the shuffle table as stored), from forward differences over the batch's rows."""
    built = build("lemonade-2", tmp_path)
    runner = CliRunner()
    for n in (5, 4):
        result = runner.invoke(main, ["run", "-n", str(n), str(built.path)])
        assert result.exit_code == 0, result.output
    book = files.read(built.path)
    wb = openpyxl.load_workbook(built.path, data_only=True, read_only=True)
    wb.close()
    key = built.settings.batches(built.dataset.n).key  # as written (the sheet's key column)
    stored = read_names(built.path, book.layout, ["key"])["key"]
    assert np.array_equal(np.array(stored), key)
    table = built.settings.batches(built.dataset.n).mix
    X, y = model_X(built.dataset, built.settings), built.dataset.y
    theta, eps, lr = built.state.theta.copy(), built.settings.eps, built.settings.lr
    for s in range(9):
        mask = batch_mask(key, table, 2, s)
        base = mean_loss("linear", X[mask], y[mask], theta, built.settings.spec)
        grad = (nudged("linear", X[mask], y[mask], theta, built.settings.spec, eps) - base) / eps
        theta = theta - lr * grad
    np.testing.assert_allclose(book.state.theta, theta, rtol=1e-10)
    assert len(book.state.history) == 9


def test_batch_options_refused_in_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["build", "--batch", "7", "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code != 0 and "--batch 7" in result.output and "6" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "a.xlsx").exists()
    result = runner.invoke(main, ["build", "--no-shuffle", "-o", str(tmp_path / "b.xlsx")])
    assert result.exit_code != 0 and "--no-shuffle" in result.output and "--batch" in result.output


def test_a_damaged_shuffle_is_refused_not_stepped(tmp_path, libreoffice):
    """A key column that no longer holds every row once, or a batch cell of 0, makes the engine
    refuse in one line instead of stepping on batches that are no partition."""
    built = build("lemonade-2", tmp_path)
    with libreoffice.open(built.path) as doc:
        keys = doc.named("key")
        doc.set_named("key", [[k] for k in [keys[1]] + keys[1:]])  # one row's key twice, one missing
        doc.recalc()
        with pytest.raises(GradsheetError) as caught:
            live.load(LibreOfficeGrid(doc))
        assert caught.value.key == "book.batch_damaged"
        doc.set_named("key", [[k] for k in keys])
        doc.set_named("batch", 7.0)  # more than the 6 rows
        doc.recalc()
        with pytest.raises(GradsheetError) as caught:
            live.load(LibreOfficeGrid(doc))
        assert caught.value.key == "book.batch_not_size" and "batch" in caught.value.render("en")


def test_a_step_that_moves_one_parameter_is_done_on_the_sheet_too(libreoffice, tmp_path):
    """x = 0 in the first row, batches of one row in table order: the first step's slope of W is
    exactly 0, so only B moves. The sheet's step counts it done (1) and shows the second row's
    batch, as the engine's next step takes it."""
    data = tmp_path / "zero.csv"
    data.write_text("x,y\n0,1\n1,3\n2,5\n3,7\n", encoding="utf-8")
    built = make(data, tmp_path / "zero.xlsx", batch=1, shuffle=False, lr=0.01, **QUIET)
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        doc.recalc()
        book = live.load(grid)
        new = steps.run(book.problem, book.state, 1).state
        assert new.theta[0] == book.state.theta[0] and new.theta[1] != book.state.theta[1]
        live.save(grid, book, new)
        doc.recalc()
        assert doc.named("step") == 1
        assert doc.named("in_batch") == [0, 1, 0, 0]
        assert live.load(grid).problem.step_of(new) == 1


@pytest.mark.parametrize("options", [{"batch": 2}, {"batch": 4, "shuffle": False, "optimizer": "momentum"}],
                         ids=["shuffled", "in-order-momentum"])
def test_what_a_batch_workbook_stores_is_what_libreoffice_computes(libreoffice, tmp_path, monkeypatch, options):
    """A --batch workbook with all its sheets, after `run -n 4` and three hand actions (written by
    the headless writer): every formula cell of every sheet as stored (what a reader that does not
    recalculate shows) equals LibreOffice's full recalculation (tests/test_engine_agreement's
    comparison, 1e-9 of each cell's scale)."""
    import test_engine_agreement
    from libreoffice import _read

    def grid(doc, sheet, rows, cols):  # batch_point's #N/A (rows outside the batch) as the file stores it
        cells = doc.model.Sheets.getByName(sheet).getCellRangeByPosition(0, 0, cols - 1, rows - 1)
        return [[v.text if getattr(v, "text", None) == "#N/A" else v for v in row] for row in _read(cells, False)]
    monkeypatch.setattr(test_engine_agreement, "sheet_grid", grid)
    built = make(None, tmp_path / "stored.xlsx", **options)
    runner = CliRunner()
    assert runner.invoke(main, ["run", "-n", "4", str(built.path)]).exit_code == 0
    for _ in range(3):
        assert runner.invoke(main, ["next", str(built.path)]).exit_code == 0
    stored = openpyxl.load_workbook(built.path, data_only=True)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        compared, bad, worst = test_engine_agreement.disagreements(built, doc, stored)
    # lemonade lies exactly on y = 2x: the answer's B and best_Loss are 0, which LINEST gives exactly
    # and numpy's least squares as -5.6e-15 (the stored value): one zero, written two ways
    bad = [b for b in bad if not all(abs(float(v)) < 1e-12 for v in b.rsplit(": ", 1)[1].split(" vs "))]
    assert compared > 500 and not bad, bad[:10]
