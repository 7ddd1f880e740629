"""The "All steps" sheet ("전체 과정"): the next N course steps from the current W, B, one
step per row of an Excel table named `unrolled`, every cell a live formula.

Row i holds the parameters P, their Loss, the nudged losses Loss_P (and Lossm_P with central
differences), the slopes grad_P and the next values next_P, which are the parameters of row
i + 1. The first row reads the training sheet's parameters through their names (=W, =B), so
the table always shows the next N steps from wherever the students are, and changing lr or
eps there recalculates all of it.

Divergence guard: a row whose Loss is past the limit (models.BLOWUP times the larger of the
first row's Loss and mean(y²), as models.loss_limit) keeps its parameters: next_P = P. The
descent stops moving right after the first row past the limit, so every cell stays a finite
number where an unguarded chain would overflow to #NUM! a few rows later. `rows()` computes
the same numbers with the model, guard included; they are the cells' stored values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import descent
from ..core import models
from ..core.texts import texts
from ..core.layout import Layout
from .looks import print_setup

HEAD_ROW = 7  # the table's header row (0-based); the notes and the limit cell sit above it
LIMIT = (3, 1)  # the Loss limit cell, B4
SETTINGS_ROWS = (4, 5)  # live copies of lr and eps (=lr, =eps), B5 and B6
MAX_PARAM_SERIES = 10  # the parameter chart shows the first W's and B, not 250 lines


# --- the model's numbers ------------------------------------------------------------------
@dataclass(frozen=True)
class Rows:
    """The model's value of every table cell: row i = step i from the current parameters."""
    theta: np.ndarray  # (N, k+1) the parameters of each row
    loss: np.ndarray  # (N,)
    plus: np.ndarray  # (N, k+1) Loss_P, the loss with P + eps
    minus: np.ndarray | None  # (N, k+1) Lossm_P, the loss with P − eps (central only)
    grad: np.ndarray  # (N, k+1)
    next: np.ndarray  # (N, k+1) next_P (= theta of the following row)
    limit: float


def limit_of(y: np.ndarray, first_loss: float) -> float:
    """The limit cell: =1000000*MAX(<first Loss>,SUMSQ(y)/ROWS(y)). models.loss_limit without
    its `tiny` floor, which no spreadsheet parses (it only matters when y ≡ 0 and Loss = 0)."""
    return models.BLOWUP * max(first_loss, float(np.mean(y * y)))


def rows(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lr: float, eps: float, n: int,
         diff: str = models.FORWARD) -> Rows:
    """N rows of course steps (2–6) from theta by models.loss, nudged_losses and gradient's
    arithmetic. Until the guard fires these are exactly descent.descend's history rows."""
    k1 = len(theta)
    out = {key: np.empty((n, k1)) for key in ("theta", "plus", "minus", "grad", "next")}
    loss = np.empty(n)
    th = np.asarray(theta, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        limit = limit_of(y, models.loss(X, y, th))
        for i in range(n):
            L = models.loss(X, y, th)
            plus = models.nudged_losses(X, y, th, eps)
            if diff == models.CENTRAL:
                out["minus"][i] = minus = models.nudged_losses(X, y, th, -eps)
                g = (plus - minus) / (2 * eps)  # models.gradient, central
            else:
                g = (plus - L) / eps  # models.gradient, forward
            out["theta"][i], loss[i], out["plus"][i], out["grad"][i] = th, L, plus, g
            # =IF(Loss>limit,P,P-lr*grad_P): past the limit the descent stops moving.
            th = th if L > limit else th - lr * g
            out["next"][i] = th
    return Rows(out["theta"], loss, out["plus"], out["minus"] if diff == models.CENTRAL else None,
                out["grad"], out["next"], limit)


# --- where the cells are --------------------------------------------------------------------
def columns(layout: Layout) -> list[str]:
    """The table's headings after the step column, which are also the maths names."""
    p = layout.params
    cols = list(p) + ["Loss"] + [f"Loss_{q}" for q in p]
    if layout.diff == models.CENTRAL:
        cols += [f"Lossm_{q}" for q in p]
    return cols + [f"grad_{q}" for q in p] + [f"next_{q}" for q in p]


@lru_cache(maxsize=8)  # asked for by every formula of every row
def column_index(layout: Layout) -> dict[str, int]:
    return {name: c for c, name in enumerate(["step"] + columns(layout))}


# --- the formulas, each beside the model function it equals -----------------------------------
def residual(layout: Layout, row: int) -> str:
    """predict(X, theta) − y with this row's parameters: x_1*B9+x_2*C9+D9-y (Excel row `row`)."""
    col = column_index(layout)
    cell = {q: f"{xl_col_to_name(col[q])}{row}" for q in layout.params}
    terms = [f"{x}*{cell[w]}" for w, x in zip(layout.params[:-1], layout.features)]
    return "+".join(terms) + f"+{cell['B']}-y"


def loss_formula(layout: Layout, row: int, p: int | None = None, sign: str = "+") -> str:
    """models.loss (p None), or models.nudged_losses for parameter p moved by ±eps; the nudge
    is added after the residual, in the model's order: (h − y) + eps·x_j."""
    nudge = "" if p is None else sign + ("eps" if p == layout.k else f"eps*{layout.features[p]}")
    return f"=SUMPRODUCT(({residual(layout, row)}{nudge})^2)/ROWS(y)"


def grad_formula(layout: Layout, row: int, name: str) -> str:
    """models.gradient: forward (Loss_P − Loss)/eps, central (Loss_P − Lossm_P)/(2·eps)."""
    col = column_index(layout)
    plus = f"{xl_col_to_name(col[f'Loss_{name}'])}{row}"
    if layout.diff == models.CENTRAL:
        return f"=({plus}-{xl_col_to_name(col[f'Lossm_{name}'])}{row})/(2*eps)"
    return f"=({plus}-{xl_col_to_name(col['Loss'])}{row})/eps"


def next_formula(layout: Layout, row: int, name: str) -> str:
    """models.step, guarded: =IF(Loss>limit,P,P-lr*grad_P)."""
    col = column_index(layout)
    p, g = (f"{xl_col_to_name(col[q])}{row}" for q in (name, f"grad_{name}"))
    loss = f"{xl_col_to_name(col['Loss'])}{row}"
    return f"=IF({loss}>{xl_rowcol_to_cell(*LIMIT, True, True)},{p},{p}-lr*{g})"


def limit_formula(layout: Layout) -> str:
    first = xl_rowcol_to_cell(HEAD_ROW + 1, column_index(layout)["Loss"], True, True)
    return f"={int(models.BLOWUP)}*MAX({first},SUMSQ(y)/ROWS(y))"


def row_formulas(layout: Layout, i: int) -> dict[str, str]:
    """Every formula of table row i (0 = the current parameters)."""
    row = HEAD_ROW + 2 + i  # Excel's row number
    col = column_index(layout)
    top = xl_rowcol_to_cell(HEAD_ROW + 1, 0, True, True)  # step 0 = the first row
    out = {"step": f"=ROW()-ROW({top})"}
    for name in layout.params:
        out[name] = f"={name}" if i == 0 else f"={xl_col_to_name(col[f'next_{name}'])}{row - 1}"
    out["Loss"] = loss_formula(layout, row)
    for p, name in enumerate(layout.params):
        out[f"Loss_{name}"] = loss_formula(layout, row, p)
        if layout.diff == models.CENTRAL:
            out[f"Lossm_{name}"] = loss_formula(layout, row, p, "-")
        out[f"grad_{name}"] = grad_formula(layout, row, name)
        out[f"next_{name}"] = next_formula(layout, row, name)
    return out


def stored(v: float) -> float | str:
    """A formula's stored value: the model's number, or #NUM! where it overflowed (only for
    absurd data or lr, where the cell itself would show #NUM! too; "inf" is not valid xlsx)."""
    return v if math.isfinite(v) else "#NUM!"


def row_values(layout: Layout, r: Rows, i: int) -> dict[str, float]:
    out = {"step": float(i), "Loss": float(r.loss[i])}
    for p, name in enumerate(layout.params):
        out[name] = float(r.theta[i, p])
        out[f"Loss_{name}"] = float(r.plus[i, p])
        if r.minus is not None:
            out[f"Lossm_{name}"] = float(r.minus[i, p])
        out[f"grad_{name}"] = float(r.grad[i, p])
        out[f"next_{name}"] = float(r.next[i, p])
    return out


# --- the sheet -------------------------------------------------------------------------------
def number_kind(key: str) -> str:
    """The number format (looks.NUMBER) of a table column."""
    if key == "step":
        return "count"
    if key.startswith("Loss"):
        return "loss"
    return "slope" if key.startswith("grad_") else "param"


def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X: np.ndarray) -> None:
    t = texts(settings.lang)
    n = settings.unrolled
    r = rows(X, dataset.y, state.theta, settings.lr, settings.eps, n, settings.diff)
    ws = wb.add_worksheet(t["sheet_unrolled"])
    name = ws.get_name()
    ws.write_string(0, 0, t["unrolled_title"].format(n=n), fmt.title)
    ws.write_string(1, 0, t["unrolled_note"].format(sheet=layout.sheet), fmt.note)
    ws.write_string(2, 0, t["unrolled_note2"], fmt.note)
    ws.write_string(LIMIT[0], 0, t["unrolled_limit"], fmt.label)
    ws.write_formula(*LIMIT, limit_formula(layout), fmt.num("formula", "loss"), stored(r.limit))
    ws.write_string(LIMIT[0], 2, t["unrolled_limit_note"], fmt.note)
    for row, key in zip(SETTINGS_ROWS, ("lr", "eps")):
        ws.write_string(row, 0, f"{key}  {t[key]}", fmt.label)
        ws.write_formula(row, 1, f"={key}", fmt.formula, getattr(settings, key))
        ws.write_string(row, 2, t["unrolled_settings_note"].format(sheet=layout.sheet), fmt.note)

    col = column_index(layout)
    styles = {key: fmt.num("plain", number_kind(key)) for key in col}
    for i in range(n):
        row = HEAD_ROW + 1 + i
        values = row_values(layout, r, i)
        for key, formula in row_formulas(layout, i).items():
            ws.write_formula(row, col[key], formula, styles[key], stored(values[key]))
    headers = [t["step_col"]] + columns(layout)
    ws.add_table(HEAD_ROW, 0, HEAD_ROW + n, len(headers) - 1,
                 {"name": "unrolled", "style": "Table Style Light 9",
                  "columns": [{"header": h} for h in headers]})
    ws.freeze_panes(HEAD_ROW + 1, 1)
    print_setup(ws, repeat_rows=(HEAD_ROW, HEAD_ROW))  # the table's headings on every page
    ws.set_column(0, 0, 22)  # the step numbers, and the labels of lr and eps above them
    ws.set_column(1, len(headers) - 1, 13)
    _charts(wb, ws, name, layout, n, len(headers) + 1, t)


def _charts(wb: Workbook, ws, sheet: str, layout: Layout, n: int, anchor: int, t: dict) -> None:
    col = column_index(layout)
    first, last = HEAD_ROW + 1, HEAD_ROW + n
    steps = [sheet, first, 0, last, 0]
    loss = wb.add_chart({"type": "scatter", "subtype": "straight"})
    loss.add_series({"name": "Loss", "categories": steps,
                     "values": [sheet, first, col["Loss"], last, col["Loss"]]})
    loss.set_title({"name": t["chart_unrolled_loss"]})
    loss.set_x_axis({"name": t["unrolled_step_axis"], "min": 0})
    loss.set_y_axis({"name": t["loss_axis"], "log_base": 10})
    loss.set_legend({"none": True})
    ws.insert_chart(HEAD_ROW, anchor, loss, {"x_scale": 1.2, "y_scale": 1.1})

    params = layout.params[:-1][:MAX_PARAM_SERIES - 1] + ["B"]
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    for q in params:
        chart.add_series({"name": q, "categories": steps, "values": [sheet, first, col[q], last, col[q]]})
    chart.set_title({"name": t["chart_unrolled_params"]})
    chart.set_x_axis({"name": t["unrolled_step_axis"], "min": 0})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(HEAD_ROW + 18, anchor, chart, {"x_scale": 1.2, "y_scale": 1.1})
