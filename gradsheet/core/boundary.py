"""The decision boundary of a classifier with two inputs, as line segments inside a box: the
numbers behind the class chart's live boundary (sheets/class_map.py writes the same maths as
formulas, this module gives their stored values and the tests' reference).

Classes c and d tie where z_c = z_d, a straight line z_d − z_c = a·x_1 + b·x_2 + e = 0 (every
z is linear in x). The boundary between them is the part of that line where both are also at
least every other class's z_e, and inside the chart's box. Logistic regression is the 2-class
case with z_0 = 0 and z_1 = z, so its boundary is W_1·x_1 + W_2·x_2 + B = 0 (p = 0.5).

Each pair's segment is found in three steps, all of them plain arithmetic a spreadsheet can do:
1. the line's points at both ends of the box, parametrised by x_1 when the line is closer to
   horizontal (|b| ≥ |a|), else by x_2, so the division is by the larger coefficient;
2. Cyrus–Beck clipping: along P(s) = start + s·(end − start), s ∈ [0, 1], every condition
   "g(P) ≥ 0" (inside the box's four sides, z_d ≥ z_e for each other class e) is linear in s,
   g(s) = g_0 + s·(g_1 − g_0), so it gives a lower bound (g rises) or an upper bound (g falls)
   for s, or keeps all or nothing (g constant);
3. an empty interval, or a = b = 0 (no line), collapses the segment to the box's corner, a
   point: nothing is drawn, and no cell ever shows an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

MAX_MAP_CLASSES = 6  # 15 pairs of classes; beyond that the chart shows p_true per row
AXIS_MARGIN = 0.05  # of the data's span, on each side, before rounding to a tick
AXIS_TICKS = 5  # roughly this many steps along each axis


def draws_map(k: int, model: str, classes: int) -> bool:
    """Whether a workbook's class chart is the map (two inputs, 2…MAX_MAP_CLASSES classes)."""
    return model in ("logistic", "softmax") and k == 2 and 2 <= classes <= MAX_MAP_CLASSES


def pairs(classes: int) -> list[tuple[int, int]]:
    """The pairs (c, d), c < d, whose boundaries the chart draws."""
    return list(combinations(range(classes), 2))


def nice_step(raw: float) -> float:
    """The smallest of 1, 2 or 5 × 10^k not below `raw`."""
    exp = int(np.floor(np.log10(raw)))
    for mant in (1, 2, 5, 10):
        if mant * 10.0 ** exp >= raw * (1 - 1e-12):
            return float(f"{mant}e{exp}")
    return float(f"1e{exp + 1}")


def axis_range(values: np.ndarray) -> tuple[float, float, float]:
    """(min, max, step) of a fixed chart axis: the data's range with a little margin, widened
    to whole steps (a round number every tick). A constant column gets a unit-wide range."""
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else max(abs(lo), 1.0)
    lo, hi = lo - AXIS_MARGIN * span, hi + AXIS_MARGIN * span
    step = nice_step((hi - lo) / AXIS_TICKS)
    digits = max(0, -int(np.floor(np.log10(step)))) + 1
    return (round(float(np.floor(lo / step)) * step, digits),
            round(float(np.ceil(hi / step)) * step, digits), step)


def chart_box(X: np.ndarray) -> tuple[float, float, float, float]:
    """(x_1 min, x_1 max, x_2 min, x_2 max): the chart's axes, and the box the boundary is
    clipped to."""
    (x0, x1, _), (y0, y1, _) = axis_range(X[:, 0]), axis_range(X[:, 1])
    return x0, x1, y0, y1


def class_coefficients(layout, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W as k×C, B as C) with z_c = Σ_j W[j, c]·x_j + B[c] for every class, read through the
    layout's parameter map (the sheet's formulas name the same cells). Logistic: class 0 has
    z_0 = 0, class 1 the model's z."""
    C = max(layout.n_classes, 2)
    W, B = np.zeros((layout.k, C)), np.zeros(C)
    shift = 0 if layout.model == "softmax" else 1
    for p, value in enumerate(theta):
        j, c = layout.param_feature(p), layout.param_class(p) + shift
        if j is None:
            B[c] = value
        else:
            W[j, c] = value
    return W, B


@dataclass(frozen=True)
class Segment:
    """One pair's boundary, every intermediate number the sheet shows in the pair's row."""
    c: int
    d: int
    a: float  # z_d − z_c = a·x_1 + b·x_2 + e
    b: float
    e: float
    start: tuple[float, float]  # the line at the box's first edge (x_1 = min, or x_2 = min)
    end: tuple[float, float]  # … and at its last edge
    g: list[tuple[float, float]]  # each condition at start and end: the box's sides, then z_d − z_e
    s_from: float
    s_to: float
    drawn: int  # 1 when the segment is not empty
    frm: tuple[float, float]  # the drawn segment's ends (the box's corner twice when not drawn)
    to: tuple[float, float]


def _bounds(g0: float, g1: float) -> tuple[float, float]:
    """The s-interval where g_0 + s·(g_1 − g_0) ≥ 0 (clipped to [0, 1] by the caller): from the
    root when g rises, up to the root when it falls. A g that is negative at s = 0 and does not
    rise is negative all along: the lower bound 2 empties the interval.
    Excel: IF(g1>g0, g0/(g0-g1), IF(g0<0, 2, 0)) and IF(g1<g0, g0/(g0-g1), 1)"""
    lo = g0 / (g0 - g1) if g1 > g0 else (2.0 if g0 < 0 else 0.0)
    hi = g0 / (g0 - g1) if g1 < g0 else 1.0
    return lo, hi


def segment(W: np.ndarray, B: np.ndarray, c: int, d: int, box) -> Segment:
    """The boundary between classes c and d inside `box`, step by step as the sheet computes it."""
    X0, X1, Y0, Y1 = box
    a, b, e = W[0, d] - W[0, c], W[1, d] - W[1, c], B[d] - B[c]
    if abs(b) >= abs(a):  # closer to horizontal: by x_1 (b = 0 here means a = 0: no line)
        start = (X0, Y0 if b == 0 else -(a * X0 + e) / b)
        end = (X1, Y0 if b == 0 else -(a * X1 + e) / b)
    else:
        start, end = (-(b * Y0 + e) / a, Y0), (-(b * Y1 + e) / a, Y1)
    g = [(start[0] - X0, end[0] - X0), (X1 - start[0], X1 - end[0]),
         (start[1] - Y0, end[1] - Y0), (Y1 - start[1], Y1 - end[1])]
    for other in range(len(B)):
        if other not in (c, d):
            wa, wb, we = W[0, d] - W[0, other], W[1, d] - W[1, other], B[d] - B[other]
            g.append((wa * start[0] + wb * start[1] + we, wa * end[0] + wb * end[1] + we))
    bounds = [_bounds(g0, g1) for g0, g1 in g]
    s_from = max([0.0] + [lo for lo, _ in bounds])
    s_to = min([1.0] + [hi for _, hi in bounds])
    drawn = int(s_from <= s_to and (a != 0 or b != 0))

    def at(s: float) -> tuple[float, float]:
        if not drawn:
            return X0, Y0
        return start[0] + s * (end[0] - start[0]), start[1] + s * (end[1] - start[1])

    return Segment(c, d, float(a), float(b), float(e), start, end, g, s_from, s_to, drawn,
                   at(s_from), at(s_to))


def segments(layout, theta: np.ndarray, box) -> list[Segment]:
    """Every pair's boundary segment for parameters theta."""
    W, B = class_coefficients(layout, np.asarray(theta, dtype=float))
    with np.errstate(all="ignore"):
        return [segment(W, B, c, d, box) for c, d in pairs(len(B))]
