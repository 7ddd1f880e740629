"""The "Landscape" sheet ("손실 지형"): the Loss over a 21×21 grid of two parameters.

Across: the first parameter of the pair (default W or W_1), down: the second (default B),
around the least-squares answer; every other parameter is held at its current value on the
training sheet (through its name). The grid's axes follow from a centre and a span that are
input cells, so an instructor can move or zoom the picture.

Two grids share those axes: the Loss of each cell, and below the title its log10 with a
colour scale (losses span many orders of magnitude; a linear scale would paint all but the
steepest cells the same colour). Conditional formats on the colour grid mark the current
point, the answer, the start and the path of the history table, each in its nearest grid
cell. They reach the other sheet only through defined names (W, best_W, path_W …): Excel 2007
refuses a sheet reference in a conditional format, and later versions keep such a rule only
in an extension block that Excel may drop with a repair prompt. With the 'Optimizers' sheet,
the four lanes of its race are marked too (g, m, r, a), through names race_W_gd … likewise.

Each cell's Loss is the sums' quadratic (stats.py) in the two axis values a (across) and d
(down): with z = the current W's, the pair's set to 0, and a few helper cells under the grids
(Q and β at z, the linear and square coefficients of a and d),
    Loss = MAX(0, Qz + 2·a·c_a + 2·d·c_d + a²·S_aa + 2·a·d·S_ad + d²·S_dd)/n + (βz + a·m_a + d·m_d)²
so the 441 cells cost the same for any number of data rows.
"""

from __future__ import annotations

import math

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import models
from ..core.errors import GradsheetError
from ..core.optimizers import Rule
from ..core.texts import texts
from ..core.layout import HISTORY_CHART_ROWS, Layout, quote_sheet
from . import stats
from .formulas import quick_formulas, stored, write_cell

HALF = 10  # the grid runs from centre − HALF·step to centre + HALF·step
GRID = 2 * HALF + 1
INPUT_HEAD = 4  # heading row of the centre/span block (0-based)
CENTRE, SPAN, STEP, FLOOR = 5, 6, 7, 8  # its rows
COLOUR_AXIS = 11  # the colour grid's axis row; its cells are the GRID rows below
LOSS_AXIS = COLOUR_AXIS + GRID + 3
FLOOR_FACTOR = 1e-6  # colours bottom out at the largest Loss on the grid times this
HELP = LOSS_AXIS + GRID + 2  # the helper cells' title row, under the Loss grid
MARKS = {"current": "◆", "best": "★", "start": "○", "path": "•"}
RACE_MARKS = {"gd": "g", "momentum": "m", "rmsprop": "r", "adam": "a"}  # the race's lanes
# The quadratic in the axis values a and d, as one text for the cells and the numbers alike.
QUAD = Rule("{Qz}+2*{a}*{ca}+2*{d}*{cd}+{a}^2*{Saa}+2*{a}*{d}*{Sad}+{d}^2*{Sdd}")
MEAN = Rule("{bz}+{a}*{ma}+{d}*{md}")
COEFFICIENTS = ("Qz", "bz", "ca", "cd", "Saa", "Sad", "Sdd", "ma", "md")


def pair(layout: Layout, settings) -> tuple[str, str] | None:
    """The two parameters of the landscape: settings.landscape, () for the first W and B,
    or ("none",) for no landscape sheet."""
    want = tuple(settings.landscape)
    if want == ("none",):
        return None
    if not want:  # the first weight and its output's bias: W and B, W_1 and B; softmax W_1_1 and B_1
        return layout.params[0], layout.params[layout.k * layout.C]
    if len(want) != 2 or want[0] == want[1] or not all(p in layout.params for p in want):
        p = layout.params
        names = ", ".join(p) if len(p) <= 6 else f"{p[0]}, {p[1]}, …, {p[-2]}, {p[-1]}"
        raise GradsheetError("build.landscape_pair", names=names, got=repr(",".join(want)))
    return want[0], want[1]


# --- the model's numbers ------------------------------------------------------------------
def nice(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^e that is at least v (v > 0)."""
    e = math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10.0 ** e >= v * (1 - 1e-12):
            return float(f"{m}e{e}")
    return float(f"1e{e + 1}")


def frame(X, y, state, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(centre, span) per axis: the answer, rounded to a hundredth of the span, and a round
    span that holds the initial point, the current point and every history point."""
    best = models.best_theta(X, y)[idx]
    points = [np.asarray(state.init)[idx], np.asarray(state.theta)[idx]]
    if len(state.history):
        points.append(np.asarray(state.history)[:, idx])
    far = np.max(np.abs(np.vstack(points) - best), axis=0)
    centre, span = np.empty(2), np.empty(2)
    for a in range(2):
        s = nice(max(1.1 * far[a], 1e-3 * max(1.0, abs(best[a]))))
        q = s / 100
        centre[a] = round(best[a] / q) * q + 0.0  # + 0.0: no −0 on the sheet
        span[a] = nice(max(1.1 * (far[a] + abs(centre[a] - best[a])), s))
    return centre, span


def path_frame(state, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A classifier's (centre, span) per axis: cross-entropy has no least-squares answer to
    centre on, so the frame centres on the middle of the start, the current point and the
    history (rounded to a hundredth of the span), with a round span that holds them all and
    some room around (at least 1: the start's W, B are drawn from −1 … 1)."""
    points = [np.asarray(state.init)[idx], np.asarray(state.theta)[idx]]
    if len(state.history):
        points.append(np.asarray(state.history)[:, idx])
    points = np.vstack(points)
    low, high = points.min(axis=0), points.max(axis=0)
    centre, span = np.empty(2), np.empty(2)
    for a in range(2):
        s = nice(max(1.0, 1.5 * (high[a] - low[a]) / 2))
        q = s / 100
        centre[a] = round((low[a] + high[a]) / 2 / q) * q + 0.0  # + 0.0: no −0 on the sheet
        span[a] = nice(max(1.1 * max(high[a] - centre[a], centre[a] - low[a]), s))
    return centre, span


def classifier_losses(spec, X, y, theta, idx: list[int], across, down) -> np.ndarray:
    """The cross-entropy at every grid cell [i down, j across], the other parameters at theta
    (Model.loss; the cells compute the same from the training sheet's columns, see
    classifier_formula)."""
    out = np.empty((len(down), len(across)))
    th = np.asarray(theta, dtype=float).copy()
    for i, d in enumerate(down):
        for j, a in enumerate(across):
            th[idx[0]], th[idx[1]] = a, d
            out[i, j] = spec.loss(X, y, th)
    return out


def axes(centre: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Across: centre₁ + (j − 10)·step₁, down: centre₂ + (10 − i)·step₂ (larger at the top),
    step = span / 10, in the formulas' order of operations."""
    step = span / HALF
    across = np.array([centre[0] + (j - HALF) * step[0] for j in range(GRID)])
    down = np.array([centre[1] + (HALF - i) * step[1] for i in range(GRID)])
    return across, down


def coefficients(st: stats.Sums, theta, idx: list[int]) -> tuple[np.ndarray, dict[str, float]]:
    """The helper cells: z (the current W's, the pair's set to 0) and the quadratic's
    coefficients of the two axes (a parameter B has no S terms and mean 1)."""
    k = st.k
    z = np.array(theta[:k], dtype=float)
    bz = 0.0 if k in idx else float(theta[k])
    for i in idx:
        if i < k:
            z[i] = 0.0
    p = stats.point(st, np.append(z, bz))
    c = {"Qz": p.Q, "bz": p.beta}
    for key, i in (("a", idx[0]), ("d", idx[1])):
        c[f"c{key}"] = p.u[i] - st.s[i] if i < k else 0.0
        c[f"S{key}{key}"] = st.S[i, i] if i < k else 0.0
        c[f"m{key}"] = st.xbar[i] if i < k else 1.0
    c["Sad"] = st.S[idx[0], idx[1]] if max(idx) < k else 0.0
    return z, {name: float(c[name]) for name in COEFFICIENTS}


def losses(st: stats.Sums, theta, idx: list[int], across, down) -> np.ndarray:
    """The Loss at every grid cell [i down, j across], the other parameters at theta:
    =MAX(0,QUAD)/n_rows+(MEAN)^2 with the helper cells' values."""
    _, c = coefficients(st, theta, idx)
    values = {**c, "a": np.asarray(across, dtype=float)[None, :], "d": np.asarray(down, dtype=float)[:, None]}
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(0, QUAD(**values)) / st.n + MEAN(**values) ** 2


def log_grid(L: np.ndarray) -> tuple[np.ndarray, float]:
    """=LOG10(MAX(Loss,floor)), floor =MAX(1E-300,1E-6*MAX(grid)): no log of 0, and six
    decades of colour below the highest Loss."""
    floor = max(1e-300, FLOOR_FACTOR * float(L.max()))
    return np.log10(np.maximum(L, floor)), floor


# --- formulas ---------------------------------------------------------------------------------
def _abs(r: int, c: int) -> str:
    return xl_rowcol_to_cell(r, c, True, True)


def axis_formula(a: int, offset: int) -> str:
    """Axis a (0 across, 1 down) at `offset` steps from the centre."""
    c, s = _abs(CENTRE, 1 + a), _abs(STEP, 1 + a)
    return f"={c}" if offset == 0 else f"={c}{'+' if offset > 0 else '-'}{abs(offset)}*{s}"


def helper_cells(layout: Layout) -> dict[str, tuple[int, int]]:
    """Where the helper cells are: z_j and (S·z)_j in two rows (one column per W), then one
    coefficient per row."""
    out = {}
    for j in range(layout.k):
        out[f"z_{j}"] = (HELP + 2, 1 + j)
        out[f"Sz_{j}"] = (HELP + 3, 1 + j)
    for i, name in enumerate(COEFFICIENTS):
        out[name] = (HELP + 5 + i, 1)
    return out


def helper_formulas(layout: Layout, idx: list[int]) -> dict[str, str | float]:
    """The helper cells' formulas (numbers where the coefficient of B is a constant)."""
    k, cells = layout.k, helper_cells(layout)
    ref = {name: _abs(*rc) for name, rc in cells.items()}
    z = f"{ref['z_0']}:{ref[f'z_{k - 1}']}" if k > 1 else ref["z_0"]
    out: dict[str, str | float] = {}
    for j in range(k):
        out[f"z_{j}"] = 0.0 if j in idx else f"={layout.params[j]}"
        out[f"Sz_{j}"] = stats.u_formula(k, j, z)
    out["Qz"] = stats.q_formula(k, z, f"{ref['Sz_0']}:{ref[f'Sz_{k - 1}']}" if k > 1 else ref["Sz_0"])
    out["bz"] = stats.beta_formula(k, z, "0" if k in idx else "B")
    for key, i in (("a", idx[0]), ("d", idx[1])):
        out[f"c{key}"] = f"={ref[f'Sz_{i}']}-{stats.s_xy(k, i)}" if i < k else 0.0
        out[f"S{key}{key}"] = f"={stats.s_xx(k, i, i)}" if i < k else 0.0
        out[f"m{key}"] = f"={stats.mean_x(k, i)}" if i < k else 1.0
    out["Sad"] = f"={stats.s_xx(k, idx[0], idx[1])}" if max(idx) < k else 0.0
    return out


def loss_formula(layout: Layout, across: str, down: str) -> str:
    """The quadratic with the across axis cell for a, the down axis cell for d."""
    ref = {name: _abs(*helper_cells(layout)[name]) for name in COEFFICIENTS}
    ref.update(a=across, d=down)
    return f"=MAX(0,{QUAD.formula(ref)[1:]})/n_rows+({MEAN.formula(ref)[1:]})^2"


def classifier_formula(layout: Layout, p: tuple[str, str], across: str, down: str) -> str:
    """A classifier's Loss with the pair moved to the axis values, from the training sheet's
    columns (the current z, p_c and Loss): each axis moves the logit of its output by
    Δ = (axis − current)·x_j (a bias: without x_j).
    Logistic: the stable row loss at z' = z + Δ_across + Δ_down (logits.logistic_loss).
    Softmax: Loss' = Loss + mean(LN(1 + Σ p_c·(e^Δ_c − 1)) − Σ y_c·Δ_c) over the outputs moved,
    the closed form of SoftmaxCE.nudged_losses for two moves at once, written with no
    cancellation as a log-sum-exp over every class of v_c = z_c + Δ_c (Δ_c = 0 for the classes
    not moved), less the row's lse = ce + Σ y_c·z_c:
        LN(Σ_c e^(v_c − lse)) = M − lse + LN(Σ_c e^(v_c − M)),   M = max_c v_c,
    so the largest term is e^0 = 1 and none overflows, whatever the parameters (1 − p_c loses
    the other classes when p_c rounds to 1; without the shift every term underflows to 0 when a
    move takes the row's dominant logit far down: LN(0), an error cell). M is a row-wise
    maximum inside SUMPRODUCT: max(a, b) = (a + b + |a − b|)/2 (MAX would take the maximum of
    whole columns), of the moved classes' v_c and the row's largest unmoved z_c, which a helper
    column under the grids holds (unmoved_max: it does not depend on the grid cell)."""
    from . import logits
    moves: dict[int, list[str]] = {}
    for q, axis in zip(p, (across, down)):
        i = layout.params.index(q)
        j = layout.param_feature(i)
        moves.setdefault(layout.param_class(i), []).append(
            f"({axis}-{q})" + ("" if j is None else f"*{layout.features[j]}"))
    if layout.model == "logistic":
        return logits.logistic_loss("(z+" + "+".join(moves[0]) + ")")
    deltas = {c: "+".join(m) if len(m) == 1 else "(" + "+".join(m) + ")" for c, m in moves.items()}
    ys, zs = layout.targets, layout.per_class("z")
    lse = "(ce+" + "+".join(f"{y}*{z}" for y, z in zip(ys, zs)) + ")"
    v = [f"({z}+{deltas[c]})" if c in deltas else z for c, z in enumerate(zs)]
    shift = _row_max([v[c] for c in sorted(deltas)] + [unmoved_range(layout)])
    mass = "+".join(f"EXP({v[c]}-{shift})" for c in range(len(zs)))
    linear = "".join(f"-({d})*{ys[c]}" for c, d in deltas.items())
    return f"=Loss+SUMPRODUCT({shift}-{lse}+LN({mass}){linear})/ROWS({ys[0]})"


def _row_max(terms: list[str]) -> str:
    """The row-wise maximum of columns inside SUMPRODUCT: (a + b + |a − b|)/2, pairwise."""
    out = terms[0]
    for t in terms[1:]:
        out = f"({out}+{t}+ABS({out}-{t}))/2"
    return out


UNMOVED_HEAD = HELP + 3  # softmax: the heading of the unmoved_max column (column A), its rows below


def unmoved_classes(layout: Layout, p: tuple[str, str]) -> list[int]:
    moved = {layout.param_class(layout.params.index(q)) for q in p}
    return [c for c in range(layout.C) if c not in moved]


def unmoved_range(layout: Layout) -> str:
    """The helper column's data rows, e.g. $A$65:$A$214 (one per data row)."""
    return (f"{xl_rowcol_to_cell(UNMOVED_HEAD + 1, 0, True, True)}:"
            f"{xl_rowcol_to_cell(UNMOVED_HEAD + layout.n, 0, True, True)}")


def _write_unmoved(ws, fmt, layout: Layout, p: tuple[str, str], X, theta, t: dict) -> None:
    """Softmax: under the note, the column of each data row's largest z_c among the classes the
    pair does not move (the log-sum-exp's shift, with the moved classes' v_c)."""
    classes = unmoved_classes(layout, p)
    z = models.model_spec("softmax", layout.C).logits(X, np.asarray(theta, dtype=float))
    ws.write_string(UNMOVED_HEAD, 0, t["landscape_unmoved"].format(
        names=", ".join(layout.per_class("z")[c] for c in classes)), fmt.heading)
    sheet = quote_sheet(layout.sheet)
    cols = [layout.columns[layout.per_class("z")[c]] for c in classes]
    for i in range(layout.n):
        r = layout.first_row + i
        refs = ",".join(f"{sheet}!{xl_rowcol_to_cell(r, c)}" for c in cols)
        ws.write_formula(UNMOVED_HEAD + 1 + i, 0, f"=MAX({refs})", fmt.num("plain", "data"),
                         stored(float(np.max(z[i, classes]))))


def history_range(layout: Layout, name: str) -> str:
    """Column `name` of the history table as an A1 range (conditional formats cannot use
    structured references), reaching past the table like the training sheet's Loss chart."""
    head, c0, _, _ = layout.history_span
    c = xl_col_to_name(c0 + layout.history_columns.index(name))
    first, last = head + 2, head + 1 + max(layout.history_rows, 1) + HISTORY_CHART_ROWS
    return f"{quote_sheet(layout.sheet)}!${c}${first}:${c}${last}"


def path_names(layout: Layout, p: tuple[str, str]) -> dict[str, str]:
    """The defined names the markers read the history through: path_W -> the history table's
    W column (a conditional format may name another sheet's cells, never address them)."""
    return {f"path_{q}": history_range(layout, q) for q in p}


def marker_formulas(layout: Layout, p: tuple[str, str], across: str, down: str,
                    race: bool = False) -> dict[str, str]:
    """The conditions of the markers for the grid cell whose axis values sit in `across`
    and `down` (relative references in the conditional formats).

    A point marks the cell at its nearest whole number of steps from the centre,
    ROUND((value − centre)/step, 0), compared with the same number of the cell's axis value.
    One ROUND per point gives exactly one cell (none off the grid) in every engine, where
    comparing with the cells' edges would leave a point that sits on an edge (2-decimal
    starting values often do) in two cells or none, depending on the last bit."""
    def offset(v: str, a: int) -> str:
        return f"ROUND(({v}-{_abs(CENTRE, 1 + a)})/{_abs(STEP, 1 + a)},0)"

    def near(v1: str, v2: str) -> list[str]:
        return [f"{offset(v1, 0)}={offset(across, 0)}", f"{offset(v2, 1)}={offset(down, 1)}"]
    h1, h2 = path_names(layout, p)
    f1, f2 = (f"INDEX({h},1)" for h in (h1, h2))  # the first history row: the start
    def along(r1: str, r2: str) -> str:  # any row of two columns, in the cell
        return f"=SUMPRODUCT(ISNUMBER({r1})*({near(r1, r2)[0]})*({near(r1, r2)[1]}))>0"
    out = {
        "current": f"=AND({','.join(near(p[0], p[1]))})",
        "best": f"=AND({','.join(near('best_' + p[0], 'best_' + p[1]))})",
        "start": f"=AND(ISNUMBER({f1}),{','.join(near(f1, f2))})",
        "path": along(h1, h2),
    }
    if layout.classifier or layout.hidden:  # no least-squares answer to mark
        del out["best"]
    for o in RACE_MARKS if race else ():
        out[f"race_{o}"] = along(f"race_{p[0]}_{o}", f"race_{p[1]}_{o}")
    return out


# --- the sheet -------------------------------------------------------------------------------
def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X: np.ndarray,
          sums: stats.Sums | None = None) -> None:
    t = texts(settings.lang)
    p = pair(layout, settings)
    idx = [layout.params.index(q) for q in p]
    if layout.classifier or layout.hidden:
        centre, span = path_frame(state, idx)
        L = classifier_losses(settings.spec, X, dataset.y, state.theta, idx, *axes(centre, span))
    else:
        st = stats.sums(X, dataset.y) if sums is None else sums
        centre, span = frame(X, dataset.y, state, idx)
        L = losses(st, state.theta, idx, *axes(centre, span))
    ws = wb.add_worksheet(t["sheet_landscape"])
    quick_formulas(ws)
    ws.write_string(0, 0, t["landscape_title"].format(p1=p[0], p2=p[1]), fmt.title)
    ws.write_string(1, 0, t["landscape_note"].format(p1=p[0], p2=p[1], sheet=layout.sheet), fmt.note)
    ws.write_string(2, 0, markers_note(layout, X, dataset.y, t), fmt.note)
    race = bool(settings.compare)
    if race:
        ws.write_string(3, 0, t["landscape_race_markers"].format(sheet=t["sheet_compare"]), fmt.note)
    _write_frame(ws, fmt, p, centre, span, log_grid(L)[1], t, layout.classifier or layout.hidden)
    _write_grids(wb, ws, fmt, layout, p, axes(centre, span), L, t)
    if layout.hidden:
        ws.write_string(HELP, 0, t["landscape_helpers_ce"].format(sheet=layout.sheet), fmt.section)
        ws.write_string(HELP + 1, 0, t["landscape_help_hidden"].format(p1=p[0], p2=p[1]), fmt.note)
    elif layout.classifier:
        _write_classifier_note(ws, fmt, layout, p, t)
        if layout.model == "softmax":
            _write_unmoved(ws, fmt, layout, p, X, state.theta, t)
    else:
        _write_helpers(wb, ws, fmt, layout, st, state.theta, idx, t)
    _markers(wb, ws, layout, p, settings if race else None)
    ws.set_column(0, 0, 20)
    ws.set_column(1, GRID, 7.5)
    ws.freeze_panes(COLOUR_AXIS + 1, 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # printed one page wide
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)


def markers_note(layout: Layout, X, y, t: dict) -> str:
    """What the marks mean; a classifier's says there is no answer to mark (★), and what the
    smallest Loss is where one exists (it is not a point of this grid in general)."""
    if layout.hidden:
        return t["landscape_markers_hidden"]
    if not layout.classifier:
        return t["landscape_markers"]
    best = models.best_classifier_loss(X, y, len(layout.classes))
    words = t["landscape_best_none"] if best is None else t["landscape_best_some"].format(best=f"{best:.4g}")
    return t["landscape_markers_ce"].format(best=words)


def _write_classifier_note(ws, fmt, layout: Layout, p: tuple[str, str], t: dict) -> None:
    """Under the grids: how the cells compute a classifier's Loss (no helper cells needed)."""
    ws.write_string(HELP, 0, t["landscape_helpers_ce"].format(sheet=layout.sheet), fmt.section)
    xs = []
    for q in p:
        j = layout.param_feature(layout.params.index(q))
        xs.append("1" if j is None else layout.features[j])
    ws.write_string(HELP + 1, 0, t[f"landscape_help_ce_{layout.model}"].format(
        p1=p[0], p2=p[1], x1=xs[0], x2=xs[1]), fmt.note)


def _write_helpers(wb: Workbook, ws, fmt, layout: Layout, st: stats.Sums, theta, idx: list[int], t: dict) -> None:
    """Under the grids: z and S·z (one column per W), then the quadratic's coefficients, each
    with its name and what it is."""
    z, values = coefficients(st, theta, idx)
    p = stats.point(st, np.append(z, 0.0))
    values.update({f"z_{j}": float(z[j]) for j in range(layout.k)})
    values.update({f"Sz_{j}": float(p.u[j]) for j in range(layout.k)})
    ws.write_string(HELP, 0, t["landscape_helpers"].format(sums=t["sheet_sums"]), fmt.section)
    for j, w in enumerate(layout.params[:-1]):
        ws.write_string(HELP + 1, 1 + j, w, fmt.heading)
    ws.write_string(HELP + 2, 0, "z", fmt.label)
    ws.write_string(HELP + 3, 0, "S·z", fmt.label)
    ws.write_string(HELP + 4, 0, t["landscape_help_formula"], fmt.note)
    # the grid's narrow columns: long numbers shrink to fit rather than show ###
    cells = helper_cells(layout)
    number = wb.add_format({**fmt.STYLES["formula"], "num_format": "General", "shrink": True})
    for name in COEFFICIENTS:
        r, _ = cells[name]
        ws.write_string(r, 0, name, fmt.label)
        ws.write_string(r, 2, t[f"landscape_help_{name}"], fmt.note)
    for name, formula in helper_formulas(layout, idx).items():
        r, c = cells[name]
        if isinstance(formula, float):
            ws.write_number(r, c, formula, number)
        else:
            write_cell(ws, r, c, formula, number, stored(values[name]))


def _write_frame(ws, fmt, p, centre, span, floor: float, t: dict, classifier: bool = False) -> None:
    """The inputs centre and span (plain numbers an instructor may change), the step and
    the colour floor."""
    ws.write_string(INPUT_HEAD, 1, p[0], fmt.heading)
    ws.write_string(INPUT_HEAD, 2, p[1], fmt.heading)
    for row, key in ((CENTRE, "centre"), (SPAN, "span"), (STEP, "step"), (FLOOR, "floor")):
        note = "landscape_centre_note_ce" if classifier and key == "centre" else f"landscape_{key}_note"
        ws.write_string(row, 0, t[f"landscape_{key}"], fmt.label)
        ws.write_string(row, 3, t[note], fmt.note)
    for a in range(2):
        ws.write_number(CENTRE, 1 + a, float(centre[a]), fmt.input)
        ws.write_number(SPAN, 1 + a, float(span[a]), fmt.input)
        ws.write_formula(STEP, 1 + a, f"={_abs(SPAN, 1 + a)}/{HALF}", fmt.formula, float(span[a] / HALF))
    first, last = _abs(LOSS_AXIS + 1, 1), _abs(LOSS_AXIS + GRID, GRID)
    ws.write_formula(FLOOR, 1, f"=MAX(1E-300,{FLOOR_FACTOR:.0E}*MAX({first}:{last}))", fmt.formula,
                     stored(floor))


def _write_grids(wb, ws, fmt, layout, p, axes_, L: np.ndarray, t: dict) -> None:
    """The colour grid (log10 of the Loss) on top, the Loss grid below; each with its axes."""
    across, down = axes_
    logs = log_grid(L)[0]
    log_fmt = wb.add_format({"num_format": "0.0", "align": "center"})
    loss_fmt = wb.add_format({"num_format": "0.0E+0", "align": "center", "font_color": "#404040"})
    axis_fmt = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "align": "center"})
    corner = f"{p[1]} ↓  {p[0]} →"
    ws.write_string(COLOUR_AXIS - 1, 0, t["landscape_log_grid"].format(p1=p[0], p2=p[1]), fmt.section)
    ws.write_string(LOSS_AXIS - 1, 0, t["landscape_loss_grid"], fmt.section)
    for top in (COLOUR_AXIS, LOSS_AXIS):
        ws.write_string(top, 0, corner, axis_fmt)
    for j in range(GRID):  # the Loss grid's axes repeat the colour grid's
        ws.write_formula(COLOUR_AXIS, 1 + j, axis_formula(0, j - HALF), axis_fmt, float(across[j]))
        ws.write_formula(LOSS_AXIS, 1 + j, f"={xl_rowcol_to_cell(COLOUR_AXIS, 1 + j)}", axis_fmt,
                         float(across[j]))
    for i in range(GRID):
        ws.write_formula(COLOUR_AXIS + 1 + i, 0, axis_formula(1, HALF - i), axis_fmt, float(down[i]))
        ws.write_formula(LOSS_AXIS + 1 + i, 0, f"={xl_rowcol_to_cell(COLOUR_AXIS + 1 + i, 0)}", axis_fmt,
                         float(down[i]))
        b = xl_rowcol_to_cell(LOSS_AXIS + 1 + i, 0, col_abs=True)  # $A37
        for j in range(GRID):
            a = xl_rowcol_to_cell(LOSS_AXIS, 1 + j, row_abs=True)  # B$36
            if layout.hidden:  # the whole network over the data, the pair at the axis values
                from . import network_steps
                text = network_steps.pair_loss_formula(layout, p, a, b)
            else:
                text = classifier_formula(layout, p, a, b) if layout.classifier else loss_formula(layout, a, b)
            write_cell(ws, LOSS_AXIS + 1 + i, 1 + j, text, loss_fmt, stored(float(L[i, j])))
            ws.write_formula(COLOUR_AXIS + 1 + i, 1 + j,
                             f"=LOG10(MAX({xl_rowcol_to_cell(LOSS_AXIS + 1 + i, 1 + j)},{_abs(FLOOR, 1)}))",
                             log_fmt, stored(float(logs[i, j])))


def colour_range() -> tuple[int, int, int, int]:
    return COLOUR_AXIS + 1, 1, COLOUR_AXIS + GRID, GRID


def _markers(wb: Workbook, ws, layout: Layout, p: tuple[str, str], race_settings=None) -> None:
    """Marker rules first (higher priority: they set only font, border and a number format
    that shows a symbol, so the colour scale's fill still shows), then the colour scale.
    `race_settings`: the settings when the workbook has the race, whose lanes are marked too."""
    from . import compare
    r1, c1, r2, c2 = colour_range()
    across = xl_rowcol_to_cell(COLOUR_AXIS, c1, row_abs=True)  # B$12 for the top-left cell
    down = xl_rowcol_to_cell(r1, 0, col_abs=True)  # $A13
    names = path_names(layout, p)
    if race_settings is not None:
        sheet = texts(race_settings.lang)["sheet_compare"]
        names.update(compare.path_names(layout, sheet, race_settings.compare, p))
    for name, ref in names.items():
        wb.define_name(name, "=" + ref)
    marks = {**MARKS, **{f"race_{o}": m for o, m in RACE_MARKS.items()}}
    for kind, formula in marker_formulas(layout, p, across, down, race_settings is not None).items():
        mark = marks[kind]
        style = {"num_format": f'"{mark}";"{mark}";"{mark}"', "bold": True, "font_color": "#000000"}
        if kind == "current":
            style["border"] = 1
        style = wb.add_format(style)
        ws.conditional_format(r1, c1, r2, c2, {"type": "formula", "criteria": formula, "format": style})
    ws.conditional_format(r1, c1, r2, c2, {"type": "3_color_scale", "min_color": "#63BE7B",
                                           "mid_color": "#FFEB84", "max_color": "#F8696B"})
