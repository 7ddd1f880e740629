"""The pictures of a hidden-layer workbook (issue 19), live, from a helper sheet ("신경망 차트" /
"Network charts") whose formulas run the network on a grid of inputs with the training sheet's
parameters (the names Wh_i_j, Bh_j, Wo_j, Bo):

- one input: the network's curve over the inputs' range, with the data (regression: h; a
  classifier: p of class 1, or of each class), and each hidden unit's activation a_j along it;
- two inputs, classes: a prediction map, like TensorFlow Playground's background: a grid of
  points over the inputs, each in the colour of the class the network predicts there (one
  series per class; a point of another class is #N/A there, which a chart leaves out), with
  the data's points on top; and each hidden unit's activation along the data rows;
- otherwise: the usual data chart, and the units' activations along the data rows.

Every grid cell is the same arithmetic as the training sheet's row formulas (the spec's
excel_activate), so the curve is exactly the h a data row at that x would get.
"""

from __future__ import annotations

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ..core import boundary
from ..core.layout import Layout, quote_sheet
from ..core.network import excel_activate
from ..core.texts import texts
from .formulas import stored
from .looks import print_setup, row_height_pt, wrapped_lines
from ..core.layout import char_width_px

COLUMN_WIDTH = 11  # characters: the grid's numbers and the headings (class_1, "outer: x_1")
CURVE_POINTS = 61  # one input: points along the curve
MAP_SIDE = 31  # two inputs: a 31 × 31 grid of dots (small: the data's points stay in sight over them)
TITLE_ROW, NOTE_ROW, HEAD_ROW = 0, 1, 3
FIRST = HEAD_ROW + 1
COLOURS = ("#4472C4", "#ED7D31", "#70AD47", "#7030A0", "#BF9000", "#C00000")
LIGHT = ("#C9D6EE", "#F8D3B7", "#CFE5C2", "#D9C3E8", "#F0E0A6", "#F0B7B7")  # the map's background
MARKERS = ("circle", "triangle", "square", "diamond", "x", "plus")
UNIT_COLOURS = ("#7F3F00", "#1F4E79", "#375623", "#7030A0", "#BF9000", "#C00000", "#00B0F0", "#808080")


def shows_map(layout: Layout) -> bool:
    return layout.hidden > 0 and layout.k == 2 and layout.classifier and layout.n_classes <= len(COLOURS)


def shows_curve(layout: Layout) -> bool:
    return layout.hidden > 0 and layout.k == 1


def sheet_name(lang: str) -> str:
    return texts(lang)["sheet_network"]


class Grid:
    """The helper sheet's columns: the inputs, zh_j, a_j, the outputs, (a map: the predicted
    class and one column per class holding x_2 where that class is predicted), then the data's
    points class by class (a map)."""

    def __init__(self, layout: Layout, X: np.ndarray, y: np.ndarray):
        self.layout = layout
        k, H = layout.k, layout.hidden
        if k == 1:
            lo, hi, _ = boundary.axis_range(X[:, 0])
            self.points = np.linspace(lo, hi, CURVE_POINTS)[:, None]
            self.box = (lo, hi)
        else:
            x0, x1, y0, y1 = boundary.chart_box(X)
            g1, g2 = np.meshgrid(np.linspace(x0, x1, MAP_SIDE), np.linspace(y0, y1, MAP_SIDE))
            self.points = np.column_stack([g1.ravel(), g2.ravel()])
            self.box = (x0, x1, y0, y1)
        names = layout.features + [f"zh_{j}" for j in range(1, H + 1)] + [f"a_{j}" for j in range(1, H + 1)]
        outs = {"linear": ["h"], "logistic": ["z", "p"]}.get(layout.model, [f"z_{c}" for c in range(1, layout.C + 1)])
        names += outs
        if shows_map(layout):
            names += ["pred"] + [f"class_{c}" for c in range(1, layout.n_classes + 1)]
        self.columns = {name: i for i, name in enumerate(names)}
        self.last = FIRST + len(self.points) - 1
        self.data_col = len(names) + 1  # a map: the data's points, two columns per class
        self.y = np.asarray(y, dtype=int) if layout.classifier else None
        self.X = X

    def col(self, name: str) -> str:
        return xl_col_to_name(self.columns[name])

    def formulas(self) -> dict[str, str]:
        """Row templates ({0}: the Excel row)."""
        lay = self.layout
        out = {}
        for j in range(1, lay.hidden + 1):
            terms = [f"{self.col(x)}{{0}}*Wh_{i}_{j}" for i, x in enumerate(lay.features, start=1)]
            out[f"zh_{j}"] = "=" + "+".join(terms) + f"+Bh_{j}"
            out[f"a_{j}"] = "=" + excel_activate(lay.activation, f"{self.col(f'zh_{j}')}{{0}}")
        units = range(1, lay.hidden + 1)
        if lay.model == "softmax":
            for c in range(1, lay.C + 1):
                out[f"z_{c}"] = "=" + "+".join(f"{self.col(f'a_{j}')}{{0}}*Wo_{j}_{c}" for j in units) + f"+Bo_{c}"
        else:
            head = "h" if lay.model == "linear" else "z"
            out[head] = "=" + "+".join(f"{self.col(f'a_{j}')}{{0}}*Wo_{j}" for j in units) + "+Bo"
        if lay.model == "logistic":
            z = f"{self.col('z')}{{0}}"
            out["p"] = f"=EXP(MIN({z},0))/(1+EXP(-ABS({z})))"
        if shows_map(lay):
            if lay.model == "logistic":
                out["pred"] = f"=IF({self.col('z')}{{0}}>=0,1,0)"
            else:
                row = f"${self.col('z_1')}{{0}}:${self.col(f'z_{lay.C}')}{{0}}"
                out["pred"] = f"=MATCH(MAX({row}),{row},0)-1"
            for c in range(1, lay.n_classes + 1):
                out[f"class_{c}"] = f"=IF({self.col('pred')}{{0}}={c - 1},{self.col('x_2')}{{0}},NA())"
        return out

    def values(self, spec, theta: np.ndarray) -> dict[str, np.ndarray]:
        G = self.points
        Zh, A = spec.hidden_layer(G, theta)
        Z = spec.outputs(A, theta, G.shape[1])
        out = {x: G[:, i] for i, x in enumerate(self.layout.features)}
        out |= {f"zh_{j + 1}": Zh[:, j] for j in range(Zh.shape[1])}
        out |= {f"a_{j + 1}": A[:, j] for j in range(A.shape[1])}
        lay = self.layout
        if lay.model == "softmax":
            out |= {f"z_{c + 1}": Z[:, c] for c in range(lay.C)}
            pred = np.argmax(Z, axis=1)
        else:
            out["h" if lay.model == "linear" else "z"] = Z[:, 0]
            pred = (Z[:, 0] >= 0).astype(int)
        if lay.model == "logistic":
            z = Z[:, 0]
            out["p"] = np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))
        if shows_map(lay):
            out["pred"] = pred.astype(float)
            for c in range(lay.n_classes):
                out[f"class_{c + 1}"] = np.where(pred == c, G[:, 1], np.nan)
        return out


def write(wb, fmt, layout: Layout, settings, state, X: np.ndarray, y: np.ndarray) -> Grid | None:
    """The helper sheet, for a network with one input, or two inputs and classes."""
    if not (shows_map(layout) or shows_curve(layout)):
        return None
    t = texts(settings.lang)
    grid = Grid(layout, X, y)
    ws = wb.add_worksheet(sheet_name(settings.lang))
    last_col = grid.data_col + 2 * layout.n_classes - 1 if shows_map(layout) else len(grid.columns) - 1
    last_col = max(last_col, 9)
    ws.set_column(0, last_col, COLUMN_WIDTH)
    ws.write_string(TITLE_ROW, 0, t["network_title"], fmt.title)
    # the note wrapped across the used columns, so that it prints whole on the page's width
    note = t["network_note"].format(train=layout.sheet)
    ws.merge_range(NOTE_ROW, 0, NOTE_ROW, last_col, note, fmt.wrap)
    ws.set_row(NOTE_ROW, row_height_pt(wrapped_lines(note, (last_col + 1) * char_width_px(COLUMN_WIDTH))))
    print_setup(ws, repeat_rows=(HEAD_ROW, HEAD_ROW))
    formulas = grid.formulas()
    values = grid.values(settings.spec, state.theta)
    data = fmt.num("formula", "data")
    for name, c in grid.columns.items():
        ws.write_string(HEAD_ROW, c, name, fmt.heading)
        column = values[name]
        for i, v in enumerate(column):
            r = FIRST + i
            if name in formulas:
                value = "#N/A" if np.isnan(v) else stored(float(v))
                ws.write_formula(r, c, formulas[name].format(r + 1), data, value)
            else:
                ws.write_number(r, c, float(v))
    if shows_map(layout):  # the data's points, class by class (x_1, x_2), for the map's top layer
        for c, label in enumerate(layout.classes):
            col = grid.data_col + 2 * c
            ws.write_string(HEAD_ROW, col, f"{label}: x_1", fmt.heading)
            ws.write_string(HEAD_ROW, col + 1, "x_2", fmt.heading)
            for i, (a, b) in enumerate(X[grid.y == c]):
                ws.write_number(FIRST + i, col, float(a))
                ws.write_number(FIRST + i, col + 1, float(b))
    ws.freeze_panes(FIRST, 0)
    return grid


def _ref(sheet: str, first: int, col: int, last: int) -> list:
    return [sheet, first, col, last, col]


def network_chart(wb, layout: Layout, t: dict, grid: Grid, lang: str):
    """One input: the data and the network's curve; two inputs: the prediction map."""
    sheet = sheet_name(lang)
    chart = wb.add_chart({"type": "scatter"})
    from .charts import AXES, AXIS_FONT, TITLE_FONT
    lay = layout
    last_data = lay.last_row
    if shows_curve(lay):
        x = _ref(sheet, FIRST, grid.columns["x"], grid.last)
        data_x = [lay.sheet, lay.first_row, lay.columns["x"], last_data, lay.columns["x"]]
        if lay.model == "linear":
            chart.add_series({"name": "y", "categories": data_x,
                              "values": [lay.sheet, lay.first_row, lay.columns["y"], last_data, lay.columns["y"]],
                              "marker": {"type": "circle", "size": 6}})
            chart.add_series({"name": t["network_curve"], "categories": x,
                              "values": _ref(sheet, FIRST, grid.columns["h"], grid.last),
                              "line": {"color": "#C00000", "width": 2}, "marker": {"type": "none"}})
            chart.set_y_axis({"name": "y, h", **AXES})
        else:
            targets = lay.targets if lay.model == "softmax" else ["y"]
            for c, name in enumerate(targets):
                colour = COLOURS[c % len(COLOURS)]
                chart.add_series({"name": name, "categories": data_x,
                                  "values": [lay.sheet, lay.first_row, lay.columns[name], last_data, lay.columns[name]],
                                  "marker": {"type": MARKERS[c % len(MARKERS)], "size": 6,
                                             "border": {"color": colour}, "fill": {"color": colour}}})
            if lay.model == "logistic":
                chart.add_series({"name": "p", "categories": x, "values": _ref(sheet, FIRST, grid.columns["p"], grid.last),
                                  "line": {"color": "#C00000", "width": 2}, "marker": {"type": "none"}})
            chart.set_y_axis({"name": "y, p", "min": 0, "max": 1, **AXES})
        lo, hi = grid.box
        chart.set_x_axis({"name": "x", "min": lo, "max": hi, "major_gridlines": {"visible": False}, **AXES})
        chart.set_title({"name": t["network_chart_curve"], "name_font": TITLE_FONT})
    else:
        x = _ref(sheet, FIRST, grid.columns["x_1"], grid.last)
        for c, name in enumerate(lay.classes):
            colour = LIGHT[c % len(LIGHT)]
            chart.add_series({"name": t["network_predicted"].format(name=name), "categories": x,
                              "values": _ref(sheet, FIRST, grid.columns[f"class_{c + 1}"], grid.last),
                              "marker": {"type": "square", "size": 2, "border": {"none": True}, "fill": {"color": colour}}})
        for c, name in enumerate(lay.classes):
            count = int(np.sum(grid.y == c))
            if not count:
                continue
            col = grid.data_col + 2 * c
            colour = COLOURS[c % len(COLOURS)]
            chart.add_series({"name": name, "categories": _ref(sheet, FIRST, col, FIRST + count - 1),
                              "values": _ref(sheet, FIRST, col + 1, FIRST + count - 1),
                              "marker": {"type": MARKERS[c % len(MARKERS)], "size": 8,
                                         "border": {"color": "#000000"}, "fill": {"color": colour}}})
        x0, x1, y0, y1 = grid.box
        for (lo, hi), setter, head in (((x0, x1), chart.set_x_axis, "x_1"), ((y0, y1), chart.set_y_axis, "x_2")):
            setter({"name": head, "min": lo, "max": hi, "crossing": "min",
                    "major_unit": boundary.nice_step((hi - lo) / boundary.AXIS_TICKS),
                    "major_gridlines": {"visible": False}, **AXES})
        chart.set_title({"name": t["network_chart_map"], "name_font": TITLE_FONT})
    from .charts import add_batch_series
    add_batch_series(chart, layout, t)
    chart.set_legend({"position": "bottom", "font": AXIS_FONT})
    return chart


def units_chart(wb, layout: Layout, t: dict, grid: Grid | None, lang: str):
    """Each hidden unit's activation a_j: along the curve's x (one input), else along the data
    rows (the training sheet's a_j columns), one line per unit."""
    from .charts import AXES, AXIS_FONT, TITLE_FONT
    from ..core.layout import MAX_CHART_ROWS
    H = layout.hidden
    if grid is not None and shows_curve(layout):
        sheet = sheet_name(lang)
        chart = wb.add_chart({"type": "scatter"})
        x = _ref(sheet, FIRST, grid.columns["x"], grid.last)
        for j in range(1, H + 1):
            chart.add_series({"name": f"a_{j}", "categories": x,
                              "values": _ref(sheet, FIRST, grid.columns[f"a_{j}"], grid.last),
                              "line": {"color": UNIT_COLOURS[(j - 1) % len(UNIT_COLOURS)], "width": 1.5},
                              "marker": {"type": "none"}})
        lo, hi = grid.box
        chart.set_x_axis({"name": "x", "min": lo, "max": hi, "major_gridlines": {"visible": False}, **AXES})
    else:
        last = min(layout.last_row, layout.first_row + MAX_CHART_ROWS - 1)
        chart = wb.add_chart({"type": "line"})
        dots = last - layout.first_row >= 20  # many rows: a dot per row reads better than a zigzag
        for j in range(1, H + 1):
            c = layout.columns[f"a_{j}"]
            colour = UNIT_COLOURS[(j - 1) % len(UNIT_COLOURS)]
            look = ({"line": {"none": True}, "marker": {"type": "circle", "size": 3, "border": {"color": colour},
                                                         "fill": {"color": colour}}} if dots else
                    {"line": {"color": colour, "width": 1.5}, "marker": {"type": "none"}})
            chart.add_series({"name": f"a_{j}", "values": [layout.sheet, layout.first_row, c, last, c], **look})
        # no row numbers: a small chart's rotated ticks print over each other; the axis says "row"
        chart.set_x_axis({"name": t["row_axis"], **AXES, "label_position": "none", "major_tick_mark": "none"})
    chart.set_y_axis({"name": "a", **AXES})
    chart.set_title({"name": t["network_chart_units"].format(act=layout.activation), "name_font": TITLE_FONT})
    chart.set_legend({"position": "bottom", "font": AXIS_FONT})
    return chart


def cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


__all__ = ["write", "network_chart", "units_chart", "shows_map", "shows_curve", "quote_sheet"]
