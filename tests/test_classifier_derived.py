"""The derived sheets of a classifier, proven: LibreOffice recalculates the 'All steps' table,
the race's lanes, softmax's 'Logits' sheet and the landscape, and every cell equals the model
spec's numbers (unrolled.rows with the spec, which is the engine's descent; Model.loss on the
grid) — also after the training sheet's parameters are made 30× larger, when no cell of any
sheet may be an error. The row losses are held once more to a textbook cross-entropy.

Tolerances follow the rounding of each kind of cell (u = 2⁻⁵³ per operation):
- a Loss is a mean of row terms summed in another order than numpy's: 64·u·mean|row term|;
- Loss_P = Loss + Δ with Δ the SUMPRODUCT of the rows' changes (≈ eps·x each), so a slope
  (Loss_P − Loss)/eps errs by the rounding of Loss + Δ and of Δ: 8·u·(1 + |Loss|)/eps;
- a step moves P by lr·slope, and an error already in P grows at most by (1 + lr·H) a step,
  H the cross-entropy's curvature bound (models.CURVATURE_SHARE × the squared error's), times
  (1 + beta) with momentum; the Loss, Loss_P and slopes of a later row inherit that error
  through their own slopes (≤ max|slope|) and curvature (≤ H).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gradsheet.build import make
from gradsheet.core import descent, models
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.sheets import compare, landscape, logits, unrolled
from gradsheet.sheets.workbook import layout_for, model_X
from libreoffice import _read
from test_edge_tables import error_cells

from gradsheet.data import presets
TEMPLATES = presets.folder()  # the installed package's tables
U = 2.0 ** -53
EXAM = dict(target="결과", model="logistic", classes="불합격,합격", scale="standard")
CASES = {  # name -> (data, options)
    "logistic-1": ("exam.csv", dict(EXAM, features="공부 시간", lr=0.5, landscape=("W", "B"))),
    "logistic-2": ("exam.csv", dict(EXAM, features="공부 시간,모의고사 점수", lr=0.5, diff="central",
                                    optimizer="momentum", lang="en", landscape=("W_2", "B"))),
    "softmax-2": ("iris.csv", dict(features="petal_length,petal_width", scale="standard", lr=0.5,
                                   landscape=("W_2_1", "B_2"))),
    "softmax-4": ("iris.csv", dict(scale="standard", lr=0.1, landscape=("W_1_1", "B_1"))),
}
STEPS, LANE_STEPS = 12, 4


@pytest.fixture(params=list(CASES))
def built(request, tmp_path):
    data, options = CASES[request.param]
    return make(TEMPLATES / data, tmp_path / f"{request.param}.xlsx", unrolled=STEPS, compare=LANE_STEPS,
                **options)


def values(doc, sheet: str, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
    """A block of cells (0-based, inclusive) as numbers; raises on any error cell."""
    rng = doc.model.Sheets.getByName(sheet).getCellRangeByPosition(c0, r0, c1, r1)
    return np.array(_read(rng, True), dtype=float)


def textbook_loss(spec, X, y, theta) -> float:
    """Cross-entropy as the textbook writes it, with natural logs (moderate z only)."""
    z = spec.logits(X, theta)
    if z.ndim == 1:
        p = 1 / (1 + np.exp(-z))
        return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(P[np.arange(len(y)), y.astype(int)])))


def allowances(X, r: unrolled.Rows, lr: float, eps: float, optimizer: str, beta: float, model: str) -> dict:
    """Per column kind, the allowed error of each row (see the module's notes)."""
    H = models.CURVATURE_SHARE[model] * models.curvature(X)
    grow = (1 + lr * H) * (1 + beta if optimizer == "momentum" else 1)
    loss0 = 64 * U * (1 + np.abs(r.loss) + np.max(np.abs(X)) * np.max(np.abs(r.theta)))
    slope0 = 8 * U * (1 + np.abs(r.loss)) / eps
    P = r.theta.shape[1]
    param = np.zeros(len(r.loss))
    for i in range(1, len(r.loss)):
        param[i] = grow * param[i - 1] + lr * (slope0[i - 1] + H * np.sqrt(P) * param[i - 1]) * 2
    gmax = np.max(np.abs(r.grad), axis=1)
    return {"param": param + 4 * U * np.max(np.abs(r.theta), axis=1),
            "loss": loss0 + gmax * np.sqrt(P) * param,
            "slope": slope0 + H * np.sqrt(P) * param + 4 * U * gmax}


def check_chain(cells: dict[str, np.ndarray], layout, r: unrolled.Rows, allow: dict, label: str) -> float:
    """Every column of a chain equals the rows' numbers; returns the largest error / allowance."""
    worst, bad = 0.0, []
    for c, name in enumerate(layout.params):
        want = {name: r.theta[:, c], f"Loss_{name}": r.plus[:, c], f"grad_{name}": r.grad[:, c],
                f"next_{name}": r.next[:, c]}
        if r.minus is not None:
            want[f"Lossm_{name}"] = r.minus[:, c]
        for key, w in want.items():
            kind = "loss" if key.startswith("Loss") else "slope" if key.startswith("grad") else "param"
            a = allow[kind] if kind != "param" or not key.startswith("next") else np.append(allow["param"][1:], allow["param"][-1] * 2)
            err = np.abs(cells[key] - w)
            worst = max(worst, float(np.max(err / a)))
            bad += [f"{label} row {i} {key}: {cells[key][i]!r} != {w[i]!r} (allowed {a[i]:.3g})"
                    for i in np.flatnonzero(~(err <= a))]
    err = np.abs(cells["Loss"] - r.loss)
    worst = max(worst, float(np.max(err / allow["loss"])))
    bad += [f"{label} row {i} Loss: {cells['Loss'][i]!r} != {r.loss[i]!r}" for i in np.flatnonzero(~(err <= allow["loss"]))]
    assert not bad, "\n".join(bad[:20])
    return worst


def assert_derived(doc, built, theta) -> dict:
    """All derived cells against the model from `theta` (the training sheet's parameters);
    returns the largest error / allowance per sheet."""
    d, s, st = built.dataset, built.settings, built.state
    X, spec = model_X(d, s), s.spec
    layout = layout_for(d, s, st)
    names = doc.sheet_names()
    out = {}
    # 'All steps'
    header, body = doc.table_values("unrolled")
    got = np.array(body, dtype=float)
    assert got.shape == (s.unrolled, 1 + len(unrolled.columns(layout))) and np.all(np.isfinite(got))
    cols = {name: got[:, c] for c, name in enumerate(unrolled.columns(layout), start=1)}
    r = unrolled.rows(X, d.y, theta, s.lr, s.eps, s.unrolled, s.diff, OPTIMIZERS[s.optimizer], s.hyper,
                      st.slots, st.t, model=spec)
    out["unrolled"] = check_chain(cols, layout, r, allowances(X, r, s.lr, s.eps, s.optimizer, s.beta, s.model),
                                  "All steps")
    limit = doc.cell(names[2], "B4")
    assert abs(limit - r.limit) <= 1e-12 * r.limit
    # the race's lanes
    sheet = [n for n in names if n in ("최적화 비교", "Optimizers")][0]
    lrs = compare.learning_rates(X, d.y, s)
    runs = compare.race(X, d.y, s, dataclasses.replace(st, theta=np.asarray(theta, dtype=float)))
    worst = 0.0
    for o, chain in compare.lanes(layout, sheet, s.compare, s.unrolled).items():
        block = values(doc, sheet, compare.HEAD_ROW + 1, chain.left, compare.HEAD_ROW + s.compare,
                       chain.left + len(chain.columns) - 1)
        lane = {name: block[:, c] for c, name in enumerate(chain.columns)}
        allow = allowances(X, runs[o], lrs[o], s.eps, o, s.beta, s.model)
        if o in ("rmsprop", "adam"):  # their steps divide by the slope's size: compare loosely
            allow = {k: v * 1e3 for k, v in allow.items()}
        worst = max(worst, check_chain(lane, layout, runs[o], allow, o))
    out["compare"] = worst
    # softmax: the 'Logits' sheet, block by block
    if layout.model == "softmax":
        lsheet = logits.sheet_name(layout)
        top = logits.first_data_row(layout)
        chains = [(unrolled.chain_of(layout, names[2]), r, s.unrolled)]
        chains += [(c, runs[o], s.compare) for o, c in compare.lanes(layout, sheet, s.compare, s.unrolled).items()]
        worst = 0.0
        for chain, rr, n in chains:
            for i in range(n):
                row = chain.head + 2 + i
                c0 = logits.block_col(chain, row, 0)
                got = values(doc, lsheet, top, c0, top + d.n - 1, c0 + layout.C)
                z = spec.logits(X, rr.theta[i])
                want = np.column_stack([z, spec.row_losses(z, np.zeros_like(z))])
                a = 16 * U * (1 + np.abs(want)) * (1 + np.abs(X).sum(axis=1, keepdims=True)) \
                    + np.max(np.abs(X)) * X.shape[1] * 4 * U * (1 + np.max(np.abs(rr.theta[i])))
                a = a * 1e3 if i else a  # later steps: the parameters' own rounding, as above
                worst = max(worst, float(np.max(np.abs(got - want) / a)))
                assert np.all(np.abs(got - want) <= a), (chain.sheet, i)
        out["logits"] = worst
    # the landscape's Loss grid
    pair = landscape.pair(layout, s)
    idx = [layout.params.index(q) for q in pair]
    lsheet = [n for n in names if n in ("손실 지형", "Landscape")][0]
    across = values(doc, lsheet, landscape.LOSS_AXIS, 1, landscape.LOSS_AXIS, landscape.GRID)[0]
    down = values(doc, lsheet, landscape.LOSS_AXIS + 1, 0, landscape.LOSS_AXIS + landscape.GRID, 0)[:, 0]
    grid = values(doc, lsheet, landscape.LOSS_AXIS + 1, 1, landscape.LOSS_AXIS + landscape.GRID, landscape.GRID)
    want = landscape.classifier_losses(spec, X, d.y, theta, idx, across, down)
    # the cells take the current Loss (and p_c) plus the change: rounding of a Loss, ×4
    a = 256 * U * (1 + want + np.abs(spec.logits(X, theta)).max() + np.abs(across).max() * np.abs(X).max()
                   + np.abs(down).max() * np.abs(X).max())
    assert np.all(np.abs(grid - want) <= a), float(np.max(np.abs(grid - want) / a))
    out["landscape"] = float(np.max(np.abs(grid - want) / a))
    return out


def test_every_derived_cell_equals_the_model(libreoffice, built):
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        worst = assert_derived(doc, built, built.state.theta)
        print({k: f"{v:.2g}" for k, v in worst.items()})  # see it with -s


def test_thirty_times_the_parameters_leaves_no_error_cell(libreoffice, built):
    layout = layout_for(built.dataset, built.settings, built.state)
    theta = 30 * built.state.theta
    with libreoffice.open(built.path) as doc:
        for p, name in enumerate(layout.params):
            doc.set_named(name, float(theta[p]))
        doc.recalc()
        assert error_cells(doc) == []
        assert_derived(doc, built, theta)


@pytest.mark.parametrize("name", list(CASES))
def test_the_rows_are_the_engines_descent_and_the_textbook_loss(name, tmp_path):
    """unrolled.rows with a model spec is core/descent.descend with it, bit for bit, and its
    Loss is the textbook cross-entropy (natural log) within rounding."""
    data, options = CASES[name]
    built = make(TEMPLATES / data, tmp_path / "x.xlsx", unrolled=3, compare=0, **{**options, "landscape": ("none",)})
    d, s = built.dataset, built.settings
    X, spec = model_X(d, s), s.spec
    for optimizer in OPTIMIZERS:
        r = unrolled.rows(X, d.y, built.state.theta, s.lr, s.eps, 30, s.diff, OPTIMIZERS[optimizer], model=spec)
        run = descent.descend(X, d.y, built.state.theta, s.lr, s.eps, 30, s.diff, optimizer=OPTIMIZERS[optimizer],
                              model=spec)
        assert not run.stopped
        assert np.array_equal(r.theta, run.history[:, :-1]) and np.array_equal(r.loss, run.history[:, -1])
        assert r.loss[-1] < r.loss[0]
        for i in (0, 29):
            assert r.loss[i] == pytest.approx(textbook_loss(spec, X, d.y, r.theta[i]), rel=1e-12)


def test_a_classifier_table_builds_with_its_sizes_and_warnings(tmp_path):
    """With no sizes asked for, the iris workbook keeps to the recalculation budget: fewer
    'All steps' rows, no race and no landscape, each said in a warning; the sums sheet is
    not written (nothing reads it) and softmax's 'Logits' sheet is."""
    import warnings
    import openpyxl
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = make(TEMPLATES / "iris.csv", tmp_path / "iris.xlsx", scale="standard", lr=0.1, lang="en")
    said = " ".join(str(w.message) for w in caught)
    assert "'All steps' sheet has" in said and "'Optimizers' sheet is left out" in said
    assert "'Landscape' sheet is left out" in said and "--landscape W_1_1,B_1" in said
    assert 10 <= built.settings.unrolled < 100 and built.settings.compare == 0
    wb = openpyxl.load_workbook(built.path)
    assert "Sums" not in wb.sheetnames and "Logits" in wb.sheetnames and "All steps" in wb.sheetnames
    guide = " ".join(str(c.value) for c in wb["Guide" if "Guide" in wb.sheetnames else wb.sheetnames[1]]["A"] if c.value)
    assert "row by row" in guide and "'Logits' sheet" in guide and "Sums" not in guide
