"""Sums formed once: the linear model's Loss as a quadratic in W, B, for the derived sheets.

For h = x·w + B the Loss is a quadratic in the parameters whose coefficients are sums over
the data. With the CENTRED sums (raw ones, Σy² − n·ȳ², cancel badly when y is far from 0)

    n = ROWS(y),  x̄_j = AVERAGE(x_j),  ȳ = AVERAGE(y)
    S_jl = SUMPRODUCT(x_j − x̄_j, x_l − x̄_l)     s_j = SUMPRODUCT(x_j − x̄_j, y − ȳ)
    q = DEVSQ(y)

and, for one point (w, B),

    u_j = Σ_l S_jl·w_l                 (SUMPRODUCT of S's row j with the row's W cells)
    Q   = Σ_j w_j·u_j − 2·Σ_j w_j·s_j + q  (the centred residuals' squares summed; MAX(0, …))
    β   = B + Σ_j x̄_j·w_j − ȳ          (the mean of h − y)

    Loss = Q/n + β²
    Loss with W_j + e = (Q + 2e·(u_j − s_j) + e²·S_jj)/n + (β + e·x̄_j)²
    Loss with B + e   = Q/n + (β + e)²

(e = ±eps), so a derived sheet's row costs O(k²) whatever the number of data rows. The
training sheet keeps the course's row-by-row formulas; the derived sheets ('All steps',
'Optimizers', 'Landscape') read these sums from a labelled block ("Sums, formed once").

This module is the numpy twin of those formulas: the same numbers in the same order, for
the cells' stored values. The sums over the data use math.fsum (exactly rounded), the
closest twin of LibreOffice's compensated sums; a spreadsheet's own sums agree to a few
units in the last place of the magnitudes summed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sums:
    n: int
    xbar: np.ndarray  # (k,) AVERAGE(x_j)
    ybar: float  # AVERAGE(y)
    S: np.ndarray  # (k, k) SUMPRODUCT(x_j − x̄_j, x_l − x̄_l)
    s: np.ndarray  # (k,) SUMPRODUCT(x_j − x̄_j, y − ȳ)
    q: float  # DEVSQ(y)

    @property
    def k(self) -> int:
        return len(self.xbar)


def sums(X: np.ndarray, y: np.ndarray) -> Sums:
    """The block's numbers, each sum over the data exactly rounded."""
    n, k = X.shape
    xbar = np.array([math.fsum(X[:, j]) / n for j in range(k)])
    ybar = math.fsum(y) / n
    Xc, yc = X - xbar, y - ybar
    S = np.empty((k, k))
    for j in range(k):
        for m in range(j, k):  # the lower half is a copy of the upper one (=cell)
            S[j, m] = S[m, j] = math.fsum(Xc[:, j] * Xc[:, m])
    s = np.array([math.fsum(Xc[:, j] * yc) for j in range(k)])
    return Sums(n, xbar, ybar, S, s, math.fsum(yc * yc))


def _dot(a, b) -> float:
    """SUMPRODUCT over a few cells (k of them)."""
    return math.fsum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float))


@dataclass(frozen=True)
class Point:
    """The helper cells of one point θ = [w…, B]: u_j, Q and β."""
    u: np.ndarray
    Q: float
    beta: float


def point(st: Sums, theta: np.ndarray) -> Point:
    w, B = np.asarray(theta[:-1], dtype=float), float(theta[-1])
    u = np.array([_dot(st.S[j], w) for j in range(st.k)])
    Q = _dot(w, u) - 2 * _dot(w, st.s) + st.q
    Q = 0.0 if Q < 0 else Q  # =MAX(0,…); a NaN stays NaN, as the cell's error would
    return Point(u, Q, B + _dot(st.xbar, w) - st.ybar)


def loss(st: Sums, p: Point) -> float:
    """=Q/n+β^2"""
    return p.Q / st.n + p.beta ** 2


def nudged(st: Sums, p: Point, e: float) -> np.ndarray:
    """The Loss with each parameter moved by e (eps, or −eps for central differences)."""
    out = np.empty(st.k + 1)
    for j in range(st.k):
        out[j] = (p.Q + 2 * e * (p.u[j] - st.s[j]) + e ** 2 * st.S[j, j]) / st.n + (p.beta + e * st.xbar[j]) ** 2
    out[-1] = p.Q / st.n + (p.beta + e) ** 2
    return out


def loss_at(st: Sums, theta: np.ndarray) -> float:
    return loss(st, point(st, theta))


# --- the formulas, each beside its twin above -------------------------------------------------
# The block's defined names (workbook scope; the derived sheets read the sums through them),
# and with several inputs S_xx_1 … S_xx_k, the rows of S_xx.
NAMES = ("n_rows", "mean_x", "mean_y", "S_xx", "S_xy", "S_yy")


def mean_x(k: int, j: int) -> str:
    """x̄_j (j 0-based)."""
    return "mean_x" if k == 1 else f"INDEX(mean_x,1,{j + 1})"


def s_xx(k: int, j: int, m: int) -> str:
    return "S_xx" if k == 1 else f"INDEX(S_xx,{j + 1},{m + 1})"


def s_xy(k: int, j: int) -> str:
    return "S_xy" if k == 1 else f"INDEX(S_xy,1,{j + 1})"


def u_formula(k: int, j: int, w: str) -> str:
    """u_j = Σ_l S_jl·w_l, `w` the row's W cells (a range of k cells in a row). Row j of S_xx
    has a name of its own (S_xx_1 …): INDEX(S_xx,j,0) takes a whole row in Excel, LibreOffice
    and Google Sheets, but is #REF! in Gnumeric."""
    return f"=S_xx*{w}" if k == 1 else f"=SUMPRODUCT(S_xx_{j + 1},{w})"


def q_formula(k: int, w: str, u: str) -> str:
    """Q = Σ w_j·u_j − 2·Σ w_j·s_j + q, never below 0 (a sum of squares; rounding could
    take it a hair below when the fit is exact)."""
    if k == 1:
        return f"=MAX(0,{w}*{u}-2*{w}*S_xy+S_yy)"
    return f"=MAX(0,SUMPRODUCT({w},{u})-2*SUMPRODUCT({w},S_xy)+S_yy)"


def beta_formula(k: int, w: str, b: str) -> str:
    """β = B + Σ x̄_j·w_j − ȳ, the mean of h − y."""
    xw = f"mean_x*{w}" if k == 1 else f"SUMPRODUCT(mean_x,{w})"
    return f"={b}+{xw}-mean_y"


def loss_formula(q: str, beta: str) -> str:
    return f"={q}/n_rows+{beta}^2"


def nudged_formula(k: int, p: int, q: str, u: str | None, beta: str, sign: str = "+") -> str:
    """The Loss with parameter p (k = B) moved by ±eps; `u` is u_p's cell (None for B)."""
    if p == k:
        return f"={q}/n_rows+({beta}{sign}eps)^2"
    return (f"=({q}{sign}2*eps*({u}-{s_xy(k, p)})+eps^2*{s_xx(k, p, p)})/n_rows"
            f"+({beta}{sign}eps*{mean_x(k, p)})^2")


# --- the sheet --------------------------------------------------------------------------------
TITLE_ROWS = 5  # title and four lines of notes
HEAD = TITLE_ROWS + 1  # the block's heading row (0-based): the data columns' names


def block_rows(k: int) -> dict[str, int]:
    """Rows of the block: the means, the cross products of each x_j and of y, and n."""
    rows = {"head": HEAD, "mean": HEAD + 1}
    for j in range(k + 1):
        rows[f"cross_{j}"] = HEAD + 2 + j  # j = k: the y row
    rows["n"] = HEAD + 3 + k
    return rows


def _cell(r: int, c: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell
    return xl_rowcol_to_cell(r, c, True, True)


def defined_names(sheet: str, k: int) -> dict[str, str]:
    """NAMES -> their cells on the sums sheet (A1 text without the leading '=')."""
    from ..core.layout import quote_sheet
    rows, s = block_rows(k), quote_sheet(sheet)
    cross = rows["cross_0"]
    def span(r1: int, c1: int, r2: int, c2: int) -> str:  # one cell stays one cell (k = 1)
        return f"{s}!{_cell(r1, c1)}" + ("" if (r1, c1) == (r2, c2) else f":{_cell(r2, c2)}")
    names = {"n_rows": span(rows["n"], 1, rows["n"], 1),
             "mean_x": span(rows["mean"], 1, rows["mean"], k),
             "mean_y": span(rows["mean"], k + 1, rows["mean"], k + 1),
             "S_xx": span(cross, 1, cross + k - 1, k),
             "S_xy": span(cross + k, 1, cross + k, k),
             "S_yy": span(cross + k, k + 1, cross + k, k + 1)}
    if k > 1:
        names.update({f"S_xx_{j + 1}": span(cross + j, 1, cross + j, k) for j in range(k)})
    return names


def write(wb, fmt, layout, settings, st: Sums) -> None:
    """The sums sheet: one block, formed once from the data columns' names, that the derived
    sheets read through NAMES; `st` holds its numbers (the stored values)."""
    from ..core.texts import texts
    from .looks import print_setup
    from .formulas import quick_formulas
    t = texts(settings.lang)
    k, cols = layout.k, layout.features + ["y"]
    ws = wb.add_worksheet(t["sheet_sums"])
    quick_formulas(ws)
    ws.write_string(0, 0, t["sums_title"], fmt.title)
    for i, key in enumerate(("sums_note", "sums_formula", "sums_formula2", "sums_train")):
        ws.write_string(1 + i, 0, t[key].format(sheet=layout.sheet), fmt.note)
    rows = block_rows(k)
    value = fmt.num("formula", "data")
    for c, name in enumerate(cols, start=1):
        ws.write_string(rows["head"], c, name, fmt.heading)
    ws.write_string(rows["mean"], 0, t["sums_mean"], fmt.label)
    for c, name in enumerate(cols, start=1):
        ws.write_formula(rows["mean"], c, f"=AVERAGE({name})", value,
                         float(st.xbar[c - 1] if c <= k else st.ybar))
    centred = [f"{name}-{_cell(rows['mean'], c)}" for c, name in enumerate(cols, start=1)]
    matrix = np.block([[st.S, st.s[:, None]], [st.s[None, :], np.array([[st.q]])]])
    for j in range(k + 1):
        r = rows[f"cross_{j}"]
        ws.write_string(r, 0, t["sums_cross"].format(name=cols[j]), fmt.label)
        for m in range(k + 1):
            if m < j:  # the lower half copies the upper one: each sum over the data once
                formula = f"={_cell(rows[f'cross_{m}'], j + 1).replace('$', '')}"
            elif j == m == k:
                formula = "=DEVSQ(y)"
            else:
                formula = f"=SUMPRODUCT({centred[j]},{centred[m]})"
            ws.write_formula(r, m + 1, formula, value, float(matrix[j, m]))
    ws.write_string(rows["n"], 0, t["sums_n"], fmt.label)
    ws.write_formula(rows["n"], 1, "=ROWS(y)", fmt.num("formula", "count"), float(st.n))
    ws.write_string(rows["n"] + 2, 0, t["sums_names"].format(rows=t["sums_rows"] if k > 1 else ""), fmt.note)
    ws.set_column(0, 0, 24)
    ws.set_column(1, k + 1, 14)
    print_setup(ws)
    for name, ref in defined_names(ws.get_name(), k).items():
        wb.define_name(name, "=" + ref)
