"""The class chart's helper sheet ("차트 데이터" / "Chart data") of a classifier with two inputs:
the points of each class (cells that refer to the training sheet's data, since the rows are not
grouped by class there) and the decision boundary as live line segments, computed in cells
step by step (the maths and its numpy twin are in core/boundary.py).

The sheet, top to bottom:
    title, notes
    the chart's axis ranges (fixed numbers: the box the boundary is clipped to)
    one row per pair of classes: a, b, e, the line's ends, each condition at both ends,
        s from / s to, drawn?, the segment's ends
    the chart's boundary series: two points per pair, a blank row between
    per class two columns x_1, x_2 (its rows among the charted ones)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ..core import boundary
from ..core.layout import MAX_CHART_ROWS, Layout, char_width_px, quote_sheet
from ..core.texts import texts
from .looks import print_setup, row_height_pt, wrapped_lines
TITLE_ROW, NOTE_ROW, STEPS_ROW = 0, 1, 2
BOX_TITLE = 4  # the box's title; its headings below, then x_1's and x_2's rows
LABEL_WIDTH, HEAD_WIDTH, VALUE_WIDTH = 10, 16, 14
HEAD_HEIGHT = 48  # points: four lines of a wrapped heading


def _abs(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


def _rel(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


@dataclass(frozen=True)
class MapLayout:
    """Where every cell of the helper sheet lives (0-based rows and columns)."""
    layout: Layout
    sheet: str
    counts: tuple[int, ...]  # charted rows of each class (the first MAX_CHART_ROWS rows)

    @classmethod
    def of(cls, layout: Layout, y: np.ndarray, lang: str) -> "MapLayout":
        charted = np.asarray(y[:MAX_CHART_ROWS], dtype=int)
        counts = tuple(int(np.sum(charted == c)) for c in range(layout.n_classes))
        return cls(layout, texts(lang)["sheet_class_map"], counts)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return boundary.pairs(self.layout.n_classes)

    # --- the box -----------------------------------------------------------------------
    def box_cell(self, axis: int, end: str) -> tuple[int, int]:
        """(row, col) of axis j's (0-based) min or max."""
        return BOX_TITLE + 2 + axis, 2 if end == "min" else 3

    def heading_cell(self, axis: int) -> tuple[int, int]:
        """The input's heading as the data has it (the chart's axis title refers to it)."""
        return BOX_TITLE + 2 + axis, 1

    # --- the pairs' table -----------------------------------------------------------------
    @property
    def pair_title(self) -> int:
        return BOX_TITLE + 5

    @property
    def pair_head(self) -> int:
        return self.pair_title + 1

    def pair_row(self, i: int) -> int:
        return self.pair_head + 1 + i

    @property
    def conditions(self) -> int:
        """The box's four sides, then one per other class."""
        return 4 + self.layout.n_classes - 2

    @cached_property
    def pair_columns(self) -> dict[str, int]:
        names = ["c", "d"] + (["others"] if self.layout.n_classes > 2 else []) + ["a", "b", "e", "start_1", "start_2", "end_1", "end_2"]
        for i in range(self.conditions):
            names += [f"g{i}_start", f"g{i}_end"]
        names += ["s_from", "s_to", "drawn", "from_1", "from_2", "to_1", "to_2"]
        return {name: c for c, name in enumerate(names)}

    # --- the chart's boundary series --------------------------------------------------------
    @property
    def points_title(self) -> int:
        return self.pair_row(len(self.pairs)) + 1

    @property
    def points_first(self) -> int:
        return self.points_title + 2

    @property
    def points_last(self) -> int:
        return self.points_first + 3 * len(self.pairs) - 2

    # --- the points of each class ------------------------------------------------------------
    @property
    def classes_title(self) -> int:
        return self.points_last + 2

    @property
    def classes_first(self) -> int:
        """First data row of the class columns (class names, then x_1 x_2, above it)."""
        return self.classes_title + 3

    def class_span(self, c: int) -> tuple[int, int, int]:
        """(first row, last row, x_1's column) of class c's points; a class with no charted
        row keeps one blank row, so its chart series stays a valid range."""
        return self.classes_first, self.classes_first + max(self.counts[c], 1) - 1, 2 * c

    @property
    def last_col(self) -> int:
        return max(max(self.pair_columns.values()), 2 * self.layout.n_classes - 1)


# --- the formulas ------------------------------------------------------------------------------
def _weights(layout: Layout, d: int, c: int) -> tuple[str, str, str]:
    """Excel text of z_d − z_c's coefficients (a, b, e); logistic: z_1 = z, z_0 = 0."""
    if layout.model != "softmax":
        return layout.params[0], layout.params[1], layout.params[2]
    k, C = layout.k, layout.n_classes
    w = [[layout.params[cls * k + j] for cls in range(C)] for j in range(k)]
    b = layout.params[k * C:]
    return (f"{w[0][d]}-{w[0][c]}", f"{w[1][d]}-{w[1][c]}", f"{b[d]}-{b[c]}")


def pair_formulas(m: MapLayout, i: int) -> dict[str, str]:
    """The formulas of pair i's row, by column name (core/boundary.segment's steps)."""
    c, d = m.pairs[i]
    r = m.pair_row(i)
    col = m.pair_columns
    at = {name: _rel(r, col[name]) for name in col}
    X0, X1 = (_abs(*m.box_cell(0, end)) for end in ("min", "max"))
    Y0, Y1 = (_abs(*m.box_cell(1, end)) for end in ("min", "max"))
    a, b, e = at["a"], at["b"], at["e"]
    wa, wb, we = _weights(m.layout, d, c)
    by_x1 = f"ABS({b})>=ABS({a})"
    out = {"a": f"={wa}", "b": f"={wb}", "e": f"={we}",
           "start_1": f"=IF({by_x1},{X0},-({b}*{Y0}+{e})/{a})",
           "start_2": f"=IF({by_x1},IF({b}=0,{Y0},-({a}*{X0}+{e})/{b}),{Y0})",
           "end_1": f"=IF({by_x1},{X1},-({b}*{Y1}+{e})/{a})",
           "end_2": f"=IF({by_x1},IF({b}=0,{Y0},-({a}*{X1}+{e})/{b}),{Y1})"}
    sides = [("1", "{p}-" + X0), ("1", X1 + "-{p}"), ("2", "{p}-" + Y0), ("2", Y1 + "-{p}")]
    for g, (axis, text) in enumerate(sides):
        for end in ("start", "end"):
            out[f"g{g}_{end}"] = "=" + text.format(p=at[f"{end}_{axis}"])
    others = [o for o in range(m.layout.n_classes) if o not in (c, d)]
    for g, other in enumerate(others, start=4):
        oa, ob, oe = _weights(m.layout, d, other)
        for end in ("start", "end"):
            out[f"g{g}_{end}"] = f"=({oa})*{at[end + '_1']}+({ob})*{at[end + '_2']}+({oe})"
    lows, highs = [], []
    for g in range(m.conditions):
        g0, g1 = at[f"g{g}_start"], at[f"g{g}_end"]
        lows.append(f"IF({g1}>{g0},{g0}/({g0}-{g1}),IF({g0}<0,2,0))")
        highs.append(f"IF({g1}<{g0},{g0}/({g0}-{g1}),1)")
    out["s_from"] = "=MAX(0," + ",".join(lows) + ")"
    out["s_to"] = "=MIN(1," + ",".join(highs) + ")"
    out["drawn"] = f"=IF(AND({at['s_from']}<={at['s_to']},OR({a}<>0,{b}<>0)),1,0)"
    for end, s in (("from", at["s_from"]), ("to", at["s_to"])):
        for axis, corner in (("1", X0), ("2", Y0)):
            p0, p1 = at[f"start_{axis}"], at[f"end_{axis}"]
            out[f"{end}_{axis}"] = f"=IF({at['drawn']}=1,{p0}+{s}*({p1}-{p0}),{corner})"
    return out


def pair_values(seg: boundary.Segment) -> dict[str, float]:
    """The stored values of a pair's row, by column name (the same names as pair_formulas)."""
    out = {"a": seg.a, "b": seg.b, "e": seg.e, "start_1": seg.start[0], "start_2": seg.start[1],
           "end_1": seg.end[0], "end_2": seg.end[1], "s_from": seg.s_from, "s_to": seg.s_to,
           "drawn": seg.drawn, "from_1": seg.frm[0], "from_2": seg.frm[1], "to_1": seg.to[0],
           "to_2": seg.to[1]}
    for g, (g0, g1) in enumerate(seg.g):
        out[f"g{g}_start"], out[f"g{g}_end"] = g0, g1
    return {k: float(v) for k, v in out.items()}


# --- the sheet -------------------------------------------------------------------------------
def write(wb, fmt, layout: Layout, dataset, settings, state, X: np.ndarray) -> None:
    """The helper sheet, when the class chart is the map (two inputs, at most six classes)."""
    if layout.hidden or not boundary.draws_map(layout.k, layout.model, layout.n_classes):
        return
    t = texts(settings.lang)
    m = MapLayout.of(layout, dataset.y, settings.lang)
    ws = wb.add_worksheet(m.sheet)
    ws.set_column(0, 1, HEAD_WIDTH)
    ws.set_column(2, m.last_col, VALUE_WIDTH)
    ws.write_string(TITLE_ROW, 0, t["map_title"], fmt.title)
    kind = "map_note_softmax" if layout.model == "softmax" else "map_note_logistic"
    ws.write_string(NOTE_ROW, 0, t[kind].format(train=layout.sheet), fmt.note)
    ws.write_string(STEPS_ROW, 0, t["map_note_steps"], fmt.note)
    print_setup(ws)
    box = boundary.chart_box(X)
    _write_box(ws, fmt, m, dataset, t, box)
    segments = boundary.segments(layout, state.theta, box)
    _write_pairs(ws, fmt, m, t, segments)
    _write_points(ws, fmt, m, t, segments)
    _write_classes(ws, fmt, m, dataset, t, X)


def _write_box(ws, fmt, m: MapLayout, dataset, t, box) -> None:
    ws.write_string(BOX_TITLE, 0, t["map_box"], fmt.section)
    ws.write_string(BOX_TITLE + 1, 2, t["map_min"], fmt.heading)
    ws.write_string(BOX_TITLE + 1, 3, t["map_max"], fmt.heading)
    scaled = f" ({t['scaled']})" if m.layout.scaled else ""
    for j in range(2):
        ws.write_string(BOX_TITLE + 2 + j, 0, m.layout.features[j], fmt.name)
        ws.write_string(*m.heading_cell(j), dataset.feature_names[j] + scaled)
        ws.write_number(*m.box_cell(j, "min"), box[2 * j])
        ws.write_number(*m.box_cell(j, "max"), box[2 * j + 1])


def _pair_headings(m: MapLayout, t) -> dict[str, str]:
    out = {"c": t["map_head_c"], "d": t["map_head_d"], "a": t["map_head_a"], "b": t["map_head_b"],
           "e": t["map_head_e"], "s_from": t["map_head_s_from"], "s_to": t["map_head_s_to"],
           "drawn": t["map_head_drawn"]}
    if "others" in m.pair_columns:
        out["others"] = t["map_head_others"]
    for axis in ("1", "2"):
        x = f"x_{axis}"
        out |= {f"start_{axis}": t["map_head_start"].format(x=x), f"end_{axis}": t["map_head_end"].format(x=x),
                f"from_{axis}": t["map_head_from"].format(x=x), f"to_{axis}": t["map_head_to"].format(x=x)}
    conds = [t["map_cond_min"].format(x="x_1"), t["map_cond_max"].format(x="x_1"),
             t["map_cond_min"].format(x="x_2"), t["map_cond_max"].format(x="x_2")]
    # The other classes differ by pair: the headings number them, the "others" column names them.
    conds += [t["map_cond_class"].format(name=f"e{i}") for i in range(1, m.conditions - 3)]
    return out | {f"g{g}_{end}": t[f"map_cond_{end}"].format(cond=cond)
                  for g, cond in enumerate(conds) for end in ("start", "end")}


def _write_pairs(ws, fmt, m: MapLayout, t, segments: list[boundary.Segment]) -> None:
    ws.write_string(m.pair_title, 0, t["map_pairs"], fmt.section)
    col = m.pair_columns
    headings = _pair_headings(m, t)
    for name, text in headings.items():
        ws.write_string(m.pair_head, col[name], text, fmt.heading)
    # as tall as the longest wrapped heading needs (the value columns are VALUE_WIDTH wide)
    lines = max(wrapped_lines(text, char_width_px(HEAD_WIDTH if col[name] < 2 else VALUE_WIDTH), bold=True)
                for name, text in headings.items())
    ws.set_row(m.pair_head, max(HEAD_HEIGHT, row_height_pt(lines)))
    number = fmt.num("formula", "data")
    classes = m.layout.classes
    for i, seg in enumerate(segments):
        r = m.pair_row(i)
        ws.write_string(r, col["c"], classes[seg.c])
        ws.write_string(r, col["d"], classes[seg.d])
        others = [o for o in range(len(classes)) if o not in (seg.c, seg.d)]
        if others:
            ws.write_string(r, col["others"], ", ".join(f"e{n} = {classes[o]}" for n, o in enumerate(others, 1)))
        values = pair_values(seg)
        for name, formula in pair_formulas(m, i).items():
            ws.write_formula(r, col[name], formula, number, values[name])


def _write_points(ws, fmt, m: MapLayout, t, segments: list[boundary.Segment]) -> None:
    ws.write_string(m.points_title, 0, t["map_points"], fmt.section)
    ws.write_string(m.points_title + 1, 0, "x_1", fmt.name)
    ws.write_string(m.points_title + 1, 1, "x_2", fmt.name)
    col = m.pair_columns
    number = fmt.num("formula", "data")
    for i, seg in enumerate(segments):
        r = m.pair_row(i)
        for step, (end, point) in enumerate((("from", seg.frm), ("to", seg.to))):
            for axis in range(2):
                ws.write_formula(m.points_first + 3 * i + step, axis, "=" + _rel(r, col[f"{end}_{axis + 1}"]),
                                 number, float(point[axis]))


def _write_classes(ws, fmt, m: MapLayout, dataset, t, X: np.ndarray) -> None:
    layout = m.layout
    rows = min(layout.n, MAX_CHART_ROWS)
    ws.write_string(m.classes_title, 0, t["map_classes"].format(train=layout.sheet, rows=rows), fmt.section)
    train = quote_sheet(layout.sheet)
    x_cols = [layout.columns[name] for name in layout.features]
    y = np.asarray(dataset.y[:rows], dtype=int)
    number = fmt.num("formula", "data")
    for c in range(layout.n_classes):
        first, _, c1 = m.class_span(c)
        ws.merge_range(first - 2, c1, first - 2, c1 + 1, layout.classes[c], fmt.heading)
        ws.write_string(first - 1, c1, "x_1", fmt.name)
        ws.write_string(first - 1, c1 + 1, "x_2", fmt.name)
        for n, i in enumerate(np.flatnonzero(y == c)):
            for j in range(2):
                ws.write_formula(first + n, c1 + j, f"={train}!{_abs(layout.first_row + i, x_cols[j])}",
                                 number, float(X[i, j]))
