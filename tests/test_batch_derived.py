"""Mini-batches on the derived sheets (issue 20): the 'All steps' chain and the race's lanes learn
from the same batches as the training sheet, every cell a live formula.

The reference is written here from the definition (DESIGN.md's mini-batches, core/batches.py's
docstring), not from the code under test: row i of a chain is step s0 + i (s0 the training sheet's
`step`), its epoch e = INT(s / nb) + 1 and batch j = MOD(s, nb) (nb = ROUNDUP(n / B)), its rows
those whose MOD(a·g + b, n) falls in [j·B, (j + 1)·B), g the key read backwards below c, with (a, b, c) the `shuffle` table's row
(e − 1) mod its rows; Loss is the whole table's loss, Loss_batch the batch's, Loss_P the batch's
loss recomputed from scratch with P + eps (Lossm_P with P − eps), grad_P the forward (central)
difference, next_P Keras's update (reference.keras_update) unless Loss is past the limit
(1e6 · max(first Loss, mean(y²))). The losses are numpy's own: mean squared error,
classify_reference (binary and categorical cross-entropy), hidden_reference (the networks).

Two checks of every chain cell, after a full recalculation in LibreOffice and in Gnumeric:
- the row's own inputs: each row's cells from that row's parameters (and state) as the engine
  holds them, to the rounding of one row: losses within REL_ROW of themselves, a slope within
  REL_ROW·(|Loss_P| + |Loss_batch|)/eps, next_P to REL_ROW of its column's size; every row's
  inputs are the row above's next values, exactly (copies);
- the whole chain against the reference descent from the start: within AGREE (1e-9, the engine
  agreement of issue 18) of the column's largest size, for the losses as for parameters, slopes
  and state (two honest computations drift apart by the rounding of every step, relative to the
  column; a loss near its lowest value moves by more than AGREE of itself). The batch columns
  (at_step, epoch, batch_no, batch_rows, shuffle_a, shuffle_b, shuffle_c) are whole numbers:
  exactly equal. The linear model's whole-table Loss (the 'Sums' quadratic) is held to REL_ROW
  of mean(y²) in the row check: the quadratic's terms are of the data's size.
"""

from __future__ import annotations

import math
import subprocess
import warnings
import zipfile
import re

import numpy as np
import openpyxl
import pytest

import classify_reference
import hidden_reference
from reference import keras_all, next_t, SLOTS, three_feature_csv
from shared_builds import built_copy
from gradsheet.build import make, sized_defaults
from gradsheet.core import descent, batches
from gradsheet.core.layout import param_names
from gradsheet.core.messages import Message
from gradsheet.core.models import model_spec
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.data import presets
from gradsheet.data.dataset import Dataset, lemonade
from gradsheet.excel import files
from gradsheet.headless import act_file, run_file
from gradsheet.sheets import compare, unrolled
from gradsheet.sheets.workbook import model_X
from libreoffice import _read

AGREE = 1e-9
REL_ROW = 1e-12
BATCH_COLUMNS = ("at_step", "epoch", "batch_no", "batch_rows", "shuffle_a", "shuffle_b", "shuffle_c")
# name: (preset, data file maker or None for the lemonade table, options, (steps run, hand actions) before)
CASES = {
    "lemonade-2": (None, {"batch": 2}, (0, 0)),
    "lemonade-2-stepped": (None, {"batch": 2, "unrolled": 20, "compare": 12}, (4, 3)),
    "lemonade-4-order-central-momentum": (None, {"batch": 4, "shuffle": False, "diff": "central",
                                                 "optimizer": "momentum", "unrolled": 30, "compare": 20}, (0, 0)),
    "three-7-adam": ("three", {"batch": 7, "optimizer": "adam", "lr": 0.1, "lr_gd": 0.0005, "unrolled": 20,
                               "compare": 10}, (0, 0)),
    "exam-16": ("exam", {"batch": 16, "unrolled": 12, "compare": 5}, (0, 0)),
    "iris-32": ("iris", {"batch": 32, "unrolled": 6, "compare": 3, "landscape": ("none",)}, (0, 0)),
    "bend-hidden-8": ("bend", {"batch": 8, "unrolled": 10}, (0, 0)),
    "xor-hidden-3": ("xor", {"batch": 3, "unrolled": 10, "compare": 4}, (0, 0)),
}
ENGINE_CASES = list(CASES)


def build(case: str, folder):
    preset, options, (runs, acts) = CASES[case]

    def make_into(own):
        data, opts = None, {}
        if preset == "three":
            data = three_feature_csv(own / "three.csv")
        elif preset:
            opts = presets.read(presets.find(preset))
            data = opts.pop("data")
        opts.update(options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            built = make(data, own / f"{case}.xlsx", **opts)
        if runs:
            run_file(built.path, runs)
        for _ in range(acts):
            act_file(built.path)
        return built
    return built_copy(f"batch-derived-{case}", folder, make_into)


@pytest.fixture(scope="module", params=ENGINE_CASES)
def case(request, tmp_path_factory):
    """(name, path, book as the file holds it): built once for both engines."""
    built = build(request.param, tmp_path_factory.mktemp(request.param))
    return request.param, built.path, files.read(built.path)


# --- the reference ------------------------------------------------------------------------------
def loss_of(book):
    """The book's model's mean loss on rows (X, y) at theta, numpy's own."""
    s = book.settings
    k, C = book.dataset.k, len(s.classes)
    if s.hidden:
        return lambda X, y, th: hidden_reference.loss(X, y, th, s.model, s.hidden, s.activation, C)
    if s.model == "linear":
        return lambda X, y, th: float(np.mean((X @ th[:-1] + th[-1] - y) ** 2))
    return lambda X, y, th: classify_reference.loss(X, y, th, k, C if s.model == "softmax" else 0)


def batch_of(key, table, B: int, step: int) -> dict:
    """Step `step`'s batch from the definition: its cells and its rows (a boolean mask)."""
    n = key.size
    nb = math.ceil(n / B)
    epoch, j = step // nb + 1, step % nb
    a, b, c = table[(epoch - 1) % len(table)]
    turned = np.where(key < c, c - 1 - key, key)  # the keys below c read backwards
    mask = ((a * turned + b) % n) // B == j
    return {"at_step": step, "epoch": epoch, "batch_no": j + 1, "batch_rows": int(mask.sum()),
            "shuffle_a": a, "shuffle_b": b, "shuffle_c": c, "mask": mask}


def row_cells(loss, X, y, theta, mask, eps, central: bool, params) -> dict:
    """A row's losses and slopes at theta: Loss (whole table), Loss_batch, Loss_P from scratch."""
    Xb, yb = X[mask], y[mask]
    out = {"Loss": loss(X, y, theta), "Loss_batch": loss(Xb, yb, theta)}
    for p, name in enumerate(params):
        moved = theta.copy()
        moved[p] += eps
        out[f"Loss_{name}"] = loss(Xb, yb, moved)
        if central:
            moved[p] = theta[p] - eps
            out[f"Lossm_{name}"] = loss(Xb, yb, moved)
            out[f"grad_{name}"] = (out[f"Loss_{name}"] - out[f"Lossm_{name}"]) / (2 * eps)
        else:
            out[f"grad_{name}"] = (out[f"Loss_{name}"] - out["Loss_batch"]) / eps
    return out


def reference_chain(book, key, table, theta, s0: int, n: int, optimizer: str, lr: float, state: dict, t: int,
                    eps: float, B: int, limit: float | None = None) -> dict[str, np.ndarray]:
    """The chain's every column: mini-batch descent from theta at step s0 on batches of B rows,
    Keras's updates."""
    s = book.settings
    X, y = model_X(book.dataset, s), book.dataset.y
    params = book.layout.params
    loss = loss_of(book)
    rows = []
    theta = np.asarray(theta, dtype=float)
    state = {k: np.asarray(v, dtype=float) for k, v in state.items()}
    for i in range(n):
        bt = batch_of(key, table, B, s0 + i)
        cells = row_cells(loss, X, y, theta, bt.pop("mask"), eps, s.diff == "central", params)
        if limit is None:
            limit = 1e6 * max(cells["Loss"], float(np.mean(y ** 2)))  # y: the class number for softmax
        g = np.array([cells[f"grad_{q}"] for q in params])
        nxt, nst = keras_all(optimizer, theta, g, state, t, lr, s.hyper)
        nxt, nst = np.array(nxt), {k: np.array(v) for k, v in nst.items()}
        if cells["Loss"] > limit:
            nxt, nst = theta, state
        row = {**bt, **cells, **{q: theta[p] for p, q in enumerate(params)},
               **{f"next_{q}": nxt[p] for p, q in enumerate(params)}}
        for slot in SLOTS[optimizer]:
            row.update({f"{slot}_{q}": state[slot][p] for p, q in enumerate(params)})
            row.update({f"next_{slot}_{q}": nst[slot][p] for p, q in enumerate(params)})
        if optimizer == "adam":
            row["t"] = t
        rows.append(row)
        theta, state, t = nxt, nst, next_t(optimizer, t)
    return {name: np.array([r[name] for r in rows], dtype=float) for name in rows[0]}, limit


# --- reading a chain ------------------------------------------------------------------------------
def chains(book, path) -> list[tuple[str, unrolled.Chain, int, str, float | None]]:
    """(label, chain, rows, optimizer, lr or None for the book's) of every chain in the file."""
    lay, s = book.layout, book.settings
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    out = []
    steps_sheet = [n for n in names if n in ("전체 과정", "All steps")]
    if steps_sheet and s.unrolled:
        out.append(("All steps", unrolled.chain_of(lay, steps_sheet[0]), s.unrolled, s.optimizer, None))
    race = [n for n in names if n in ("최적화 비교", "Optimizers")]
    if race and s.compare:
        for o, chain in compare.lanes(lay, race[0], s.compare, s.unrolled).items():
            out.append((o, chain, s.compare, o, "lane"))
    return out


def block_lo(doc, chain, n) -> tuple[list, np.ndarray]:
    """(headings, numbers) of a chain's rows in LibreOffice; an error cell raises."""
    sheet = doc.model.Sheets.getByName(chain.sheet)
    last = chain.left + len(chain.columns) - 1
    head = _read(sheet.getCellRangeByPosition(chain.left, chain.head, last, chain.head), False)[0]
    body = _read(sheet.getCellRangeByPosition(chain.left, chain.head + 1, last, chain.head + n), True)
    return head, np.array(body, dtype=float)


def block_file(wb, chain, n) -> tuple[list, np.ndarray]:
    """The same from a file's stored values (another program's recalculation)."""
    ws = wb[chain.sheet]
    cols = range(chain.left + 1, chain.left + len(chain.columns) + 1)
    head = [ws.cell(chain.head + 1, c).value for c in cols]
    body = [[ws.cell(chain.head + 2 + i, c).value for c in cols] for i in range(n)]
    assert all(isinstance(v, (int, float)) for row in body for v in row), chain.sheet
    return head, np.array(body, dtype=float)


# --- the checks --------------------------------------------------------------------------------------
def check_rows_follow(book, got: dict, optimizer: str, lr: float, eps: float, B: int, key, table, s0: int,
                      limit: float, label: str) -> list[str]:
    """Each row from its own inputs (the engine's parameters and state there), and the next row's
    inputs are this row's next values."""
    s, params = book.settings, book.layout.params
    X, y = model_X(book.dataset, s), book.dataset.y
    loss = loss_of(book)
    bad = []
    n = len(got["Loss"])
    whole_scale = float(np.mean(y * y)) if s.model == "linear" and not s.hidden else None
    for i in range(n):
        theta = np.array([got[q][i] for q in params])
        bt = batch_of(key, table, B, s0 + i)
        want = row_cells(loss, X, y, theta, bt.pop("mask"), eps, s.diff == "central", params)
        for name, v in bt.items():
            if got[name][i] != v:
                bad.append(f"{label} row {i} {name}: {got[name][i]!r} != {v!r}")
        for name, v in want.items():
            if name.startswith("grad_"):
                q = name[5:]
                other = want["Loss_batch"] if s.diff != "central" else want[f"Lossm_{q}"]
                allow = REL_ROW * (abs(want[f"Loss_{q}"]) + abs(other)) / eps
            elif name == "Loss" and whole_scale is not None:
                # the linear model's whole-table Loss comes from the 'Sums' sheet's quadratic, whose
                # terms are of the data's size: its rounding is relative to mean(y²), not to Loss
                allow = REL_ROW * max(abs(v), whole_scale)
            else:
                allow = REL_ROW * abs(v)
            if not abs(got[name][i] - v) <= allow:
                bad.append(f"{label} row {i} {name}: {got[name][i]!r} != {v!r} by its own inputs (allowed {allow:.3g})")
        state = {slot: np.array([got[f"{slot}_{q}"][i] for q in params]) for slot in SLOTS[optimizer]}
        g = np.array([got[f"grad_{q}"][i] for q in params])
        t = int(got["t"][i]) if optimizer == "adam" else 0
        nxt, _ = keras_all(optimizer, theta, g, state, t, lr, s.hyper)
        if got["Loss"][i] > limit:  # past the limit the row keeps its parameters
            nxt = theta
        for p, q in enumerate(params):
            scale = max(np.max(np.abs(got[q])), np.max(np.abs(got[f"next_{q}"])))
            if not abs(got[f"next_{q}"][i] - nxt[p]) <= REL_ROW * scale:
                bad.append(f"{label} row {i} next_{q}: {got[f'next_{q}'][i]!r} != {nxt[p]!r} by its own inputs")
            if i + 1 < n:
                if got[q][i + 1] != got[f"next_{q}"][i]:
                    bad.append(f"{label} row {i + 1} {q} is not row {i}'s next_{q}")
                for slot in SLOTS[optimizer]:
                    if got[f"{slot}_{q}"][i + 1] != got[f"next_{slot}_{q}"][i]:
                        bad.append(f"{label} row {i + 1} {slot}_{q} is not row {i}'s next_{slot}_{q}")
    return bad


def check_against_reference(got: dict, want: dict, label: str) -> tuple[list[str], float]:
    """Every column of the chain against the reference descent (the module's notes)."""
    bad, worst = [], 0.0
    for name, w in want.items():
        if name not in got:
            continue
        g = got[name]
        if name in BATCH_COLUMNS or name == "t":
            bad += [f"{label} row {i} {name}: {g[i]!r} != {w[i]!r}" for i in np.flatnonzero(g != w)]
            continue
        # every column to AGREE of its largest size: the losses too, which are functions of
        # parameters that agree to that (a lane near its lowest Loss moves that Loss by more than
        # AGREE of itself when its parameters move by AGREE of theirs: a momentum lane of lemonade
        # --batch 2 drifts 1.3e-9 of its Loss at row 37 between two honest computations)
        allow = AGREE * max(np.max(np.abs(w)), np.max(np.abs(g)))
        err = np.abs(g - w)
        worst = max(worst, float(np.max(np.where(err > 0, err / np.maximum(allow, 1e-300), 0))))
        bad += [f"{label} row {i} {name}: {g[i]!r} != {w[i]!r} (allowed {np.broadcast_to(allow, err.shape)[i]:.3g})"
                for i in np.flatnonzero(~(err <= allow))]
    return bad, worst


def check_book(name, book, path, read_block, named, edited: bool = False) -> dict:
    """Every chain of the book, read by `read_block(chain, n)`, against the reference; `named` reads
    a defined name's value. Returns the worst error / allowance per chain. The chains start at
    the sheet's step, which is the case's steps run (a hand step under way counts as not done yet)
    unless the cells were `edited` (a changed eps may end the 'under way' of a nudged parameter)."""
    s, params = book.settings, book.layout.params
    key = np.asarray(named("key"), dtype=float).astype(np.int64)
    table = np.asarray(named("shuffle"), dtype=float).reshape(-1, 3).astype(np.int64)
    s0, eps, B = int(named("step")), float(named("eps")), int(named("batch"))
    if not edited:
        assert s0 == CASES[name][2][0]
    theta = np.array([named(q) for q in params], dtype=float)
    bad, worst = [], {}
    found = chains(book, path)
    assert found, "no chains"
    for label, chain, n, optimizer, lane in found:
        head, body = read_block(chain, n)
        assert head == chain.columns, (label, head)
        got = {col: body[:, c] for c, col in enumerate(head)}
        assert got["at_step"][0] == s0 and np.array_equal(got["at_step"], s0 + np.arange(n))
        if lane:
            lr, state, t = float(named(f"lr_{optimizer}")), {k: np.zeros(len(params)) for k in SLOTS[optimizer]}, 0
        else:
            lr = float(named("lr"))
            state = {k: np.array([named(f"{k}_{q}") for q in params], dtype=float) for k in SLOTS[optimizer]}
            t = int(named("t")) if optimizer == "adam" else 0
        want, limit = reference_chain(book, key, table, theta, s0, n, optimizer, lr, state, t, eps, B)
        # every chain here stays under the divergence limit: past it a slope is the rounding of
        # two huge Losses (the guard's own tests are test_unrolled's and test_compare's)
        assert np.all(want["Loss"] <= limit), label
        bad += check_rows_follow(book, got, optimizer, lr, eps, B, key, table, s0, limit, label)
        more, worst[label] = check_against_reference(got, want, label)
        bad += more
        # the lesson: the whole table's Loss and the batch's differ, and a slope is the batch's
        assert np.any(np.abs(got["Loss"] - got["Loss_batch"]) > 1e-6 * np.abs(got["Loss"])), label
    assert not bad, "\n".join(bad[:30])
    return worst


# Edited on the training sheet before recalculating (`edited`): another batch size, lr and eps,
# so that no stored value is right any more and every chain must follow the cells.
EDITS = {"lemonade-2": 4, "lemonade-2-stepped": 3, "lemonade-4-order-central-momentum": 5, "three-7-adam": 9,
         "exam-16": 7, "iris-32": 25, "bend-hidden-8": 6, "xor-hidden-3": 2}


def edits(name, book) -> dict[str, float]:
    return {"batch": float(EDITS[name]), "lr": book.settings.lr * 0.8, "eps": 2e-4}


@pytest.mark.parametrize("edited", [False, True], ids=["as-built", "batch-lr-eps-changed"])
def test_every_chain_cell_in_libreoffice_equals_a_reference_minibatch_descent(libreoffice, case, edited):
    name, path, book = case
    with libreoffice.open(path) as doc:
        if edited:
            for q, v in edits(name, book).items():
                doc.set_named(q, v)
        doc.recalc()
        worst = check_book(name, book, path, lambda chain, n: block_lo(doc, chain, n), doc.named, edited)
        if edited:
            assert int(doc.named("batch")) == EDITS[name]
    print(name, {k: f"{v:.2g}" for k, v in worst.items()})  # see it with -s


@pytest.mark.parametrize("edited", [False, True], ids=["as-built", "batch-lr-eps-changed"])
def test_gnumeric_recalculates_every_chain_cell_to_the_same_reference(gnumeric, case, tmp_path, edited):
    name, path, book = case
    lay = book.layout
    if edited:  # the cells' values changed in the file itself (Gnumeric has no API here)
        from test_gnumeric import sheet_xml, with_values
        source = tmp_path / "edited.xlsx"
        with_values(path, source, sheet_xml(path, lay.sheet),
                    {lay.a1(q).replace("$", ""): v for q, v in edits(name, book).items()})
    else:
        source = path
    out = tmp_path / "gnumeric.xlsx"
    done = subprocess.run([gnumeric, "--recalc", str(source), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and out.exists(), done.stderr
    wb = openpyxl.load_workbook(out, data_only=True)
    train = wb[lay.sheet]

    def named(q):  # the training sheet's cells and columns, as Gnumeric computed them
        if q == "shuffle":
            r0, c0, r1, c1 = lay.shuffle_span
            return [[train.cell(r + 1, c + 1).value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        if q == "key":
            c = lay.columns["key"]
            return [train.cell(r + 1, c + 1).value for r in range(lay.first_row, lay.last_row + 1)]
        if q.startswith("lr_"):
            r, c = compare.LR_ROW, 1 + compare.NAMES.index(q[3:])
            return wb[[n for n in wb.sheetnames if n in ("최적화 비교", "Optimizers")][0]].cell(r + 1, c + 1).value
        r, c = lay.cell(q)
        return train.cell(r + 1, c + 1).value
    worst = check_book(name, book, path, lambda chain, n: block_file(wb, chain, n), named, edited)
    if edited:
        assert int(named("batch")) == EDITS[name]
    print(name, {k: f"{v:.2g}" for k, v in worst.items()})


# --- the engine's numbers, stored -------------------------------------------------------------------
SPEC_CASES = ["lemonade-2", "lemonade-4-order-central-momentum", "exam-16", "iris-32", "bend-hidden-8", "xor-hidden-3"]


@pytest.mark.parametrize("name", SPEC_CASES)
def test_the_stored_chain_is_the_engines_minibatch_descent(name, tmp_path):
    """The numbers stored with the formulas are core/descent.descend's on batches from the
    training sheet's step (its theta bit for bit, its Loss and the history's Loss_batch to
    rounding), and the independent reference's within AGREE."""
    built = build(name, tmp_path)
    book = files.read(built.path)
    s, lay = book.settings, book.layout
    X, y = model_X(book.dataset, s), book.dataset.y
    b = s.batches(book.dataset.n)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    for label, chain, n, optimizer, lane in chains(book, built.path):
        head, body = block_file(wb, chain, n)
        got = {col: body[:, c] for c, col in enumerate(head)}
        theta0 = np.array([got[q][0] for q in lay.params])
        lr = compare.learning_rates(X, y, s)[optimizer] if lane else s.lr
        run = descent.descend(X, y, theta0, lr, s.eps, n, s.diff, optimizer=OPTIMIZERS[optimizer], model=s.spec,
                              batches=b, step=0,
                              slots=None if lane else book.state.slots, t=0 if lane else book.state.t)
        assert not run.stopped
        params = np.column_stack([got[q] for q in lay.params])
        assert np.array_equal(params, run.history[:, :-1]), label
        np.testing.assert_allclose(got["Loss"], run.history[:, -1], rtol=1e-12)
        np.testing.assert_allclose(got["Loss_batch"], descent.batch_losses(X, y, run.history, s.spec, b), rtol=1e-14)
        want, _ = reference_chain(book, b.key, b.mix, theta0, 0, n, optimizer, lr,
                                  {k: np.zeros(len(lay.params)) for k in SLOTS[optimizer]}
                                  if lane else book.state.slots, 0 if lane else book.state.t, s.eps, s.batch)
        bad, _ = check_against_reference(got, want, label)
        assert not bad, "\n".join(bad[:10])


@pytest.mark.parametrize("model", ["linear", "logistic", "softmax", "hidden-linear", "hidden-logistic"])
@pytest.mark.parametrize("diff", ["forward", "central"])
def test_the_rows_are_descend_on_batches_bit_for_bit(model, diff):
    """unrolled.rows with batches from step s0 is core/descent.descend's mini-batch descent: the
    same parameters bit for bit, for every model and optimizer; its Loss_batch the history's."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(23, 2))
    spec_name, hidden = model.replace("hidden-", ""), 2 if model.startswith("hidden") else 0
    from gradsheet.core.models import model_spec
    C = 3 if spec_name == "softmax" else 0
    spec = model_spec(spec_name, C, hidden)
    y = {"linear": X @ [1.5, -2] + 0.5, "logistic": (X[:, 0] > 0).astype(float),
         "softmax": rng.integers(0, 3, 23).astype(float)}[spec_name]
    theta = rng.uniform(-1, 1, len(param_names(2, spec_name, C, hidden)))
    b = batches.make(23, 5, 3, True)
    for o, opt in OPTIMIZERS.items():
        lr = 0.01 if o in ("gd", "momentum") else 0.05
        r = unrolled.rows(X, y, theta, lr, 1e-4, 12, diff, opt, model=spec, batches=b, step=7)
        run = descent.descend(X, y, theta, lr, 1e-4, 12, diff, optimizer=opt, model=spec, batches=b, step=7)
        assert np.array_equal(r.theta, run.history[:, :-1]) and np.allclose(r.loss, run.history[:, -1], rtol=1e-12)
        np.testing.assert_array_equal(r.batch_loss, descent.batch_losses(X, y, run.history, spec, b, 7))
        assert list(r.batch["at_step"]) == list(range(7, 19))
        assert list(r.batch["batch_rows"][:5]) == [5, 5, 3, 5, 5]  # 23 rows: 5, 5, 5, 5, 3 an epoch


# --- the formulas -----------------------------------------------------------------------------------
def test_a_rows_formulas_say_which_batch_and_weigh_its_rows(tmp_path):
    built = make(None, tmp_path / "l.xlsx", batch=2, lang="en", unrolled=3, compare=2)
    ws = openpyxl.load_workbook(built.path)["All steps"]
    head = {ws.cell(8, c).value: openpyxl.utils.get_column_letter(c) for c in range(1, 25) if ws.cell(8, c).value}
    assert list(head)[:13] == ["step", "at_step", "epoch", "batch_no", "batch_rows", "shuffle_a", "shuffle_b",
                               "shuffle_c", "W", "B", "Loss", "Loss_batch", "Loss_W"]
    cell = lambda name, row=9: (lambda v: getattr(v, "text", v))(ws[f"{head[name]}{row}"].value)  # noqa: E731
    assert cell("at_step") == "=step" and cell("at_step", 10) == "=B9+1"
    assert cell("epoch") == "=INT(B9/ROUNDUP(ROWS(key)/batch,0))+1"
    assert cell("batch_no") == "=MOD(B9,ROUNDUP(ROWS(key)/batch,0))+1"
    assert cell("batch_rows") == "=MIN(batch,ROWS(key)-(D9-1)*batch)"
    assert cell("shuffle_a") == "=INDEX(shuffle,MOD(C9-1,ROWS(shuffle))+1,1)"
    assert cell("shuffle_c") == "=INDEX(shuffle,MOD(C9-1,ROWS(shuffle))+1,3)"
    mask = "(INT(MOD(F9*(key+(key<H9)*(H9-1-2*key))+G9,ROWS(key))/batch)=D9-1)"
    assert cell("Loss_batch") == f"=SUMPRODUCT({mask}*((x*I9+J9-y)^2))/E9"
    assert cell("Loss_W") == f"=SUMPRODUCT({mask}*((x*I9+J9+eps*x-y)^2))/E9"
    assert cell("grad_W") == "=(M9-L9)/eps"  # from Loss_batch
    assert cell("next_W").startswith("=IF(K9>$B$4,")  # the guard reads the whole table's Loss
    assert cell("Loss") == "=T9/n_rows+U9^2"
    # entered as one-cell array formulas, which Gnumeric needs for MOD and INT of a column
    sheet = zipfile.ZipFile(built.path).read("xl/worksheets/sheet3.xml").decode()
    assert re.search(r'<c r="L9"[^>]*><f t="array" ref="L9">', sheet)
    assert re.search(r'<c r="M9"[^>]*><f t="array" ref="M9">', sheet)


# --- sizes ----------------------------------------------------------------------------------------
def _sizes(d, options, lang="en"):
    from gradsheet.core.messages import use
    use(lang)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = sized_defaults(d, options)
    return out, [str(w.message) for w in caught if isinstance(w.message, Message)]


def test_sizes_under_batch_keep_to_the_budget_and_say_so():
    """The course's table keeps every sheet whole; a 10,000 × 5 table's chains (each step picks its
    batch out of every row) are left out in one line naming the options; a middling one gets
    fewer 'All steps' rows; sizes asked for are kept."""
    out, said = _sizes(lemonade(), {"batch": 2})
    assert (out["unrolled"], out["compare"]) == (100, 100) and said == []
    rng = np.random.default_rng(0)
    big = Dataset("b", tuple(f"x{j}" for j in range(5)), "y", rng.uniform(0, 10, (10_000, 5)), rng.normal(size=10_000))
    out, said = _sizes(big, {"batch": 32})
    assert (out["unrolled"], out["compare"]) == (0, 0)
    assert len(said) == 1 and "'All steps', 'Optimizers' sheets are left out" in said[0]
    assert "--unrolled N, --compare N" in said[0] and "10,000 rows" in said[0] and "\n" not in said[0]
    out, said = _sizes(big, {"batch": 32}, "ko")
    assert len(said) == 1 and "'전체 과정', '최적화 비교' 시트를 뺐습니다" in said[0]
    out, said = _sizes(big, {"batch": 32, "unrolled": 5})
    assert out["unrolled"] == 5 and out["compare"] == 0 and "'Optimizers' sheet is left out" in said[0]
    mid = Dataset("b", ("a", "b"), "y", rng.uniform(0, 10, (500, 2)), rng.normal(size=500))
    out, said = _sizes(mid, {"batch": 32})
    assert 10 <= out["unrolled"] < 100 and out["compare"] == 0
    assert any(f"has {out['unrolled']} rows, not 100" in m and "--unrolled N" in m for m in said)


def test_the_derived_sheets_show_the_batch_lesson(tmp_path):
    """The 'All steps' Loss chart draws Loss_batch beside Loss; the notes say what the batch
    columns are."""
    built = make(None, tmp_path / "l.xlsx", batch=2, lang="en", unrolled=5, compare=3)
    wb = openpyxl.load_workbook(built.path)
    assert "at_step" in wb["All steps"]["A3"].value and "Loss_batch" in wb["All steps"]["A3"].value
    assert "same batch" in wb["Optimizers"]["A2"].value
    guide = " ".join(str(c.value) for c in wb["Guide"]["A"] if c.value)
    assert "Each row of 'All steps' / 'Optimizers' learns from its step's batch" in guide
    from test_unrolled import sheet_charts
    loss_chart = sheet_charts(built.path, "All steps")[0]
    assert loss_chart.count("<c:ser>") == 2 and "Loss_batch" in loss_chart and "$K$9:$K$13" in loss_chart
