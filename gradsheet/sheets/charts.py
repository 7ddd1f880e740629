"""Charts of the training sheet: the data with the live prediction, and Loss per step."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core import boundary
from ..core.layout import HISTORY_CHART_ROWS, MAX_CHART_ROWS, Layout, quote_sheet
from .class_map import MapLayout
from .values import model_X

FIRST_SCREEN_BOTTOM_PX = 390  # the data chart ends above this (a laptop shows ~400 px of rows)
LOSS_HEIGHT_PX = 260
MAP_HEIGHT_PX = 320  # the class map's plot comes out about as tall as it is wide
MARGIN_PX = 4
UNITS_HEIGHT_PX = 220  # a network's hidden units, under the Loss chart
TITLE_FONT = {"size": 11, "bold": True}
AXIS_FONT = {"size": 10}  # looks.SMALLEST_PT: printed at no less than 8 points
# Tick labels at the low end: where an axis crosses the other inside the plot (h = 0 for
# data below zero) its labels would print over the other axis's.
AXES = {"name_font": {"size": AXIS_FONT["size"], "bold": False}, "num_font": AXIS_FONT, "label_position": "low"}


def _ref(layout: Layout, col: int, first: int, last: int) -> list:
    return [layout.sheet, first, col, last, col]


def add_train_charts(wb: Workbook, ws: Worksheet, layout: Layout, t: dict, top_px: int,
                     dataset=None, settings=None) -> None:
    """Both charts in the charts' column, starting at the first data row (`top_px` pixels
    from the top of the sheet): the data chart ends inside the laptop's first screen, the
    Loss chart follows below it. A classifier's chart needs the data (`dataset`, `settings`)
    to place the classes' points and fix its axes."""
    width = layout.column_px(layout.chart_col) - 2 * MARGIN_PX
    data_height = min(max(FIRST_SCREEN_BOTTOM_PX - top_px - 2 * MARGIN_PX, 200), 300)
    units = None
    if layout.hidden and dataset is not None:  # a network: its curve or prediction map, its units
        from . import network_map
        grid = None
        if network_map.shows_map(layout) or network_map.shows_curve(layout):
            grid = network_map.Grid(layout, model_X(dataset, settings), dataset.y)
            data = network_map.network_chart(wb, layout, t, grid, settings.lang)
            if network_map.shows_map(layout):
                data_height = MAP_HEIGHT_PX
        else:
            data = data_chart(wb, layout, t) if not layout.classifier else class_chart(wb, layout, t)
        units = network_map.units_chart(wb, layout, t, grid, settings.lang)
    elif not layout.classifier:
        data = data_chart(wb, layout, t)
    elif dataset is not None and not layout.hidden and boundary.draws_map(layout.k, layout.model, layout.n_classes):
        data = class_map_chart(wb, layout, t, dataset, settings)
        data_height = MAP_HEIGHT_PX  # a map needs room: it may reach below the first screen
    else:
        data = class_chart(wb, layout, t)
    loss = loss_chart(wb, layout, t)
    data.set_size({"width": width, "height": data_height})
    loss.set_size({"width": width, "height": LOSS_HEIGHT_PX})
    ws.insert_chart(layout.first_row, layout.chart_col, data, {"x_offset": MARGIN_PX, "y_offset": MARGIN_PX})
    ws.insert_chart(layout.first_row, layout.chart_col, loss,
                    {"x_offset": MARGIN_PX, "y_offset": data_height + 4 * MARGIN_PX})
    if units is not None:
        units.set_size({"width": width, "height": UNITS_HEIGHT_PX})
        ws.insert_chart(layout.first_row, layout.chart_col, units,
                        {"x_offset": MARGIN_PX, "y_offset": data_height + LOSS_HEIGHT_PX + 7 * MARGIN_PX})


def batch_point_source(layout: Layout) -> tuple[str, str | None]:
    """--batch: (the column the data chart draws up the chart, the column across, or None for
    the row number): batch_point shows the first for this step's rows, and the chart draws those
    points once more, as the batch's own series."""
    if layout.k == 2 and layout.classifier and (layout.hidden or boundary.draws_map(layout.k, layout.model,
                                                                                    layout.n_classes)):
        return "x_2", "x_1"
    if layout.k == 1 and (not layout.classifier or layout.hidden):
        return "y", "x"
    if not layout.classifier:
        return "h", "y"
    return "p_true", None


def add_batch_series(chart, layout: Layout, t: dict) -> None:
    """The points of this step's batch, drawn over the chart's own (batch_point: #N/A elsewhere)."""
    if not layout.batch:
        return
    _, across = batch_point_source(layout)
    last = min(layout.last_row, layout.first_row + MAX_CHART_ROWS - 1)
    series = {"name": t["batch_series"], "values": _ref(layout, layout.columns["batch_point"], layout.first_row, last),
              "marker": {"type": "circle", "size": 8, "border": {"color": "#C00000", "width": 1.5},
                         "fill": {"none": True}}}
    if across is not None:
        series["categories"] = _ref(layout, layout.columns[across], layout.first_row, last)
    if across is None:
        series["line"] = {"none": True}
    chart.add_series(series)


def data_chart(wb: Workbook, layout: Layout, t: dict):
    """One feature: the points (x, y) and the line h = W·x + B, which moves with W and B.
    Several features: predicted h against actual y, beside the diagonal h = y."""
    last = min(layout.last_row, layout.first_row + MAX_CHART_ROWS - 1)
    col = layout.columns
    chart = wb.add_chart({"type": "scatter"})
    marker = {"type": "circle", "size": 6}
    if layout.k == 1:
        x = _ref(layout, col["x"], layout.first_row, last)
        chart.add_series({"name": "y", "categories": x, "values": _ref(layout, col["y"], layout.first_row, last),
                          "marker": marker})
        chart.add_series({"name": "h = W·x + B", "categories": x,
                          "values": _ref(layout, col["h"], layout.first_row, last),
                          "line": {"color": "#C00000", "width": 2}, "marker": {"type": "none"}})
        chart.set_title({"name": t["chart_data"], "name_font": TITLE_FONT})
        chart.set_x_axis({"name": "x", "major_gridlines": {"visible": False}, **AXES})
        chart.set_y_axis({"name": "y, h", **AXES})
    else:
        y = _ref(layout, col["y"], layout.first_row, last)
        chart.add_series({"name": "h", "categories": y, "values": _ref(layout, col["h"], layout.first_row, last),
                          "marker": marker})
        # (y, y) pairs all lie on the diagonal, so a line through them draws h = y.
        chart.add_series({"name": t["diagonal"], "categories": y, "values": y,
                          "line": {"color": "#7F7F7F", "dash_type": "dash"}, "marker": {"type": "none"}})
        chart.set_title({"name": t["chart_data_multi"], "name_font": TITLE_FONT})
        chart.set_x_axis({"name": "y", **AXES})
        chart.set_y_axis({"name": "h", **AXES})
    add_batch_series(chart, layout, t)
    chart.set_legend({"position": "bottom", "font": AXIS_FONT})
    return chart


# The classes' points: a colour and a shape each (told apart in print too); the boundary is
# black, so it never looks like one of the classes.
CLASS_COLOURS = ("#4472C4", "#ED7D31", "#70AD47", "#7030A0", "#BF9000", "#C00000")
CLASS_MARKERS = ("circle", "triangle", "square", "diamond", "x", "plus")


def class_map_chart(wb: Workbook, layout: Layout, t: dict, dataset, settings):
    """Two inputs: the rows as points (x_1, x_2), one series per class, and the current decision
    boundary as live line segments (the helper sheet computes them from W and B, see
    class_map.py). The axes are fixed to the box the segments are clipped to."""
    m = MapLayout.of(layout, dataset.y, settings.lang)
    chart = wb.add_chart({"type": "scatter"})
    for c, name in enumerate(layout.classes):
        first, last, col = m.class_span(c)
        colour = CLASS_COLOURS[c % len(CLASS_COLOURS)]
        chart.add_series({"name": name, "categories": [m.sheet, first, col, last, col],
                          "values": [m.sheet, first, col + 1, last, col + 1],
                          "marker": {"type": CLASS_MARKERS[c % len(CLASS_MARKERS)], "size": 5,
                                     "border": {"color": colour}, "fill": {"color": colour}}})
    chart.add_series({"name": t["boundary"], "categories": [m.sheet, m.points_first, 0, m.points_last, 0],
                      "values": [m.sheet, m.points_first, 1, m.points_last, 1],
                      "line": {"color": "#000000", "width": 2}, "marker": {"type": "none"}})
    add_batch_series(chart, layout, t)
    chart.show_blanks_as("gap")  # the blank row between two pairs' segments
    x0, x1, y0, y1 = boundary.chart_box(model_X(dataset, settings))
    for axis, (lo, hi), setter in ((0, (x0, x1), chart.set_x_axis), (1, (y0, y1), chart.set_y_axis)):
        # Each axis at the other's low end (not through 0), out of the points' way.
        setter({"name": "=" + _abs_ref(m.sheet, *m.heading_cell(axis)), "min": lo, "max": hi,
                "major_unit": boundary.nice_step((hi - lo) / boundary.AXIS_TICKS), "crossing": "min",
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}, **AXES})
    chart.set_title({"name": t["chart_classes"], "name_font": TITLE_FONT})
    chart.set_legend({"position": "bottom", "font": AXIS_FONT})
    return chart


def _abs_ref(sheet: str, row: int, col: int) -> str:
    return f"{quote_sheet(sheet)}!{xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)}"


def class_chart(wb: Workbook, layout: Layout, t: dict):
    """A classifier's rows: the probability the model gives each row's own class (p_true), live;
    a row is predicted right when that is the largest of its class probabilities."""
    last = min(layout.last_row, layout.first_row + MAX_CHART_ROWS - 1)
    chart = wb.add_chart({"type": "line"})
    colour = CLASS_COLOURS[0]
    chart.add_series({"name": t["p_true"], "values": _ref(layout, layout.columns["p_true"], layout.first_row, last),
                      "line": {"none": True},
                      "marker": {"type": "circle", "size": 4, "border": {"color": colour}, "fill": {"color": colour}}})
    many = layout.k == 2 and layout.n_classes > boundary.MAX_MAP_CLASSES
    title = t["chart_p_true_many"].format(max=boundary.MAX_MAP_CLASSES) if many else t["chart_p_true"]
    chart.set_title({"name": title, "name_font": TITLE_FONT})
    # A row number every so often, and no tick per row (hundreds of ticks make a grey bar).
    every = max(1, int(boundary.nice_step((last - layout.first_row + 1) / 5)))
    chart.set_x_axis({"name": t["row_axis"], **AXES, "interval_unit": every, "interval_tick": every,
                      "major_tick_mark": "none"})
    chart.set_y_axis({"name": "p", "min": 0, "max": 1, "major_unit": 0.25,
                      "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}, **AXES})
    add_batch_series(chart, layout, t)
    chart.set_legend({"none": True} if not layout.batch else {"position": "bottom", "font": AXIS_FONT})
    return chart


def loss_chart(wb: Workbook, layout: Layout, t: dict):
    """Loss over the history rows; the range reaches past the table so new rows show up."""
    head, c, _, c_last = layout.history_span
    first, last = head + 1, head + max(layout.history_rows, 1) + HISTORY_CHART_ROWS
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    loss = c + layout.history_index("Loss")
    chart.add_series({"name": "Loss", "categories": _ref(layout, c, first, last),
                      "values": _ref(layout, loss, first, last),
                      "marker": {"type": "circle", "size": 4}})
    if layout.batch:  # the batch's Loss, noisy beside the whole table's
        chart.add_series({"name": "Loss_batch", "categories": _ref(layout, c, first, last),
                          "values": _ref(layout, c + layout.history_index("Loss_batch"), first, last),
                          "line": {"color": "#ED7D31", "width": 1}, "marker": {"type": "none"}})
    chart.set_title({"name": t["chart_loss_batch" if layout.batch else "chart_loss"], "name_font": TITLE_FONT})
    chart.set_x_axis({"name": t["step_axis"], "min": 0, **AXES})
    chart.set_y_axis({"name": t["loss_axis"], "log_base": 10, **AXES})
    chart.set_legend({"position": "bottom", "font": AXIS_FONT} if layout.batch else {"none": True})
    return chart
