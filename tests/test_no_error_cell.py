"""No error cell, anywhere (issue 18): the parameters at 3,000 times their start on linear,
logistic and softmax workbooks with every derived sheet ('All steps', the race, the landscape;
softmax's 'Logits'), recalculated by LibreOffice, leave no error cell on any sheet; and the
landscape's Loss grid equals an independent numpy log-sum-exp at every cell.

The landscape's frame (its centre and span) stays where the build put it, so with the
parameters 3,000× away every grid cell moves the pair's class logits by thousands: a softmax
cell computed as LN(EXP(…)+EXP(…)+EXP(…)) without a shift had every term underflow to 0 (883
cells of Err:502 at 2,000× on the 3-class, 2-input iris table, although B37's true value is
3778.649409).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import classify_reference as ref
from gradsheet.build import make
from gradsheet.sheets import landscape
from gradsheet.sheets.workbook import layout_for, model_X
from libreoffice import _read
from test_edge_tables import error_cells

SCALE = 3000.0


def build(kind, tmp_path):
    options = dict(unrolled=8, compare=6)  # every derived sheet, asked for (a classifier's size rules
    # leave the landscape out beyond a budget)
    pairs = {"logistic2": ("W_1", "B"), "softmax2": ("W_1_1", "B_1"), "iris": ("W_1_1", "B_1")}
    if kind in pairs:
        options["landscape"] = pairs[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what reading the data and the lr say
        if kind == "lemonade":
            return make(None, tmp_path / "lemonade.xlsx", **options)
        return ref.build(kind, tmp_path, **options)


# --- an independent reference: the losses in numpy, each its textbook-stable form ----------------
def reference_loss(kind: str, X, y, theta, C: int) -> float:
    """Mean squared error; logistic ln(1 + e^−|z|) + max(z, 0) − y·z; softmax lse − z_true with
    lse = max z + ln Σ e^(z − max z). θ in the workbook's order (softmax: W_j_c by class, then B_c)."""
    n, k = X.shape
    if kind == "lemonade":
        return float(np.mean((X @ theta[:k] + theta[k] - y) ** 2))
    if C == 0:
        z = X @ theta[:k] + theta[k]
        return float(np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z))
    W, B = theta[:k * C].reshape(C, k).T, theta[k * C:]
    z = X @ W + B
    top = z.max(axis=1)
    lse = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(lse - z[np.arange(n), y.astype(int)]))


@pytest.mark.parametrize("kind", ["lemonade", "logistic2", "softmax2", "iris"])
def test_parameters_3000_times_their_start_leave_no_error_cell(libreoffice, tmp_path, kind):
    built = build(kind, tmp_path)
    d, s, st = built.dataset, built.settings, built.state
    layout = layout_for(d, s, st)
    X, y = model_X(d, s), d.y
    C = len(s.classes) if s.model == "softmax" else 0
    theta = SCALE * st.theta
    sheets = {"학습", "전체 과정", "최적화 비교", "손실 지형"}
    with libreoffice.open(built.path) as doc:
        assert sheets <= set(doc.sheet_names()) and (C == 0 or "로짓" in doc.sheet_names() or
                                                      len(doc.sheet_names()) > 6), doc.sheet_names()
        for q, v in zip(layout.params, theta):
            doc.set_named(q, float(v))
        doc.recalc()
        assert error_cells(doc) == []
        grid = doc.model.Sheets.getByName("손실 지형")
        top = landscape.LOSS_AXIS
        cells = np.array(_read(grid.getCellRangeByPosition(0, top, landscape.GRID, top + landscape.GRID), True),
                         dtype=object)
    across, down = cells[0, 1:].astype(float), cells[1:, 0].astype(float)
    got = cells[1:, 1:].astype(float)
    idx = [layout.params.index(q) for q in landscape.pair(layout, s)]
    want = np.empty_like(got)
    for i, dv in enumerate(down):
        for j, av in enumerate(across):
            th = theta.copy()
            th[idx[0]], th[idx[1]] = av, dv
            want[i, j] = reference_loss(kind, X, y, th, C)
    assert np.all(np.isfinite(got))
    # a cell is the training sheet's Loss plus a mean of row terms as large as the logits (thousands):
    # rounding of 1e-15 of those, relative to a Loss in the thousands
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9 * np.max(np.abs(want))), \
        np.max(np.abs(got - want) / np.abs(want))
    if kind == "softmax2":
        print("B37:", got[0, 0], "reference", want[0, 0])
