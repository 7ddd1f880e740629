"""Charts of the training sheet: the data with the live prediction, and Loss per step."""

from __future__ import annotations

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.layout import HISTORY_CHART_ROWS, Layout

MAX_CHART_ROWS = 2000  # a chart of more points only slows the spreadsheet down
FIRST_SCREEN_BOTTOM_PX = 390  # the data chart ends above this (a laptop shows ~400 px of rows)
LOSS_HEIGHT_PX = 260
MARGIN_PX = 4
TITLE_FONT = {"size": 11, "bold": True}
AXIS_FONT = {"size": 9}
# Tick labels at the low end: where an axis crosses the other inside the plot (h = 0 for
# data below zero) its labels would print over the other axis's.
AXES = {"name_font": {"size": 9, "bold": False}, "num_font": AXIS_FONT, "label_position": "low"}


def _ref(layout: Layout, col: int, first: int, last: int) -> list:
    return [layout.sheet, first, col, last, col]


def add_train_charts(wb: Workbook, ws: Worksheet, layout: Layout, t: dict, top_px: int) -> None:
    """Both charts in the charts' column, starting at the first data row (`top_px` pixels
    from the top of the sheet): the data chart ends inside the laptop's first screen, the
    Loss chart follows below it."""
    width = layout.column_px(layout.chart_col) - 2 * MARGIN_PX
    data_height = min(max(FIRST_SCREEN_BOTTOM_PX - top_px - 2 * MARGIN_PX, 200), 300)
    data = class_chart(wb, layout, t) if layout.classifier else data_chart(wb, layout, t)
    loss = loss_chart(wb, layout, t)
    data.set_size({"width": width, "height": data_height})
    loss.set_size({"width": width, "height": LOSS_HEIGHT_PX})
    ws.insert_chart(layout.first_row, layout.chart_col, data, {"x_offset": MARGIN_PX, "y_offset": MARGIN_PX})
    ws.insert_chart(layout.first_row, layout.chart_col, loss,
                    {"x_offset": MARGIN_PX, "y_offset": data_height + 4 * MARGIN_PX})


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
    chart.set_legend({"position": "bottom", "font": AXIS_FONT})
    return chart


def class_chart(wb: Workbook, layout: Layout, t: dict):
    """A classifier's rows: the probability the model gives each row's own class (p_true), live;
    a row is predicted right when that is the largest of its class probabilities."""
    last = min(layout.last_row, layout.first_row + MAX_CHART_ROWS - 1)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"name": t["p_true"], "values": _ref(layout, layout.columns["p_true"], layout.first_row, last),
                      "line": {"none": True}, "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": t["chart_p_true"], "name_font": TITLE_FONT})
    chart.set_x_axis({"name": t["row_axis"], **AXES, "label_position": "low"})
    chart.set_y_axis({"name": "p", "min": 0, "max": 1, **AXES})
    chart.set_legend({"none": True})
    return chart


def loss_chart(wb: Workbook, layout: Layout, t: dict):
    """Loss over the history rows; the range reaches past the table so new rows show up."""
    head, c, _, c_last = layout.history_span
    first, last = head + 1, head + max(layout.history_rows, 1) + HISTORY_CHART_ROWS
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    chart.add_series({"name": "Loss", "categories": _ref(layout, c, first, last),
                      "values": _ref(layout, c_last, first, last),
                      "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": t["chart_loss"], "name_font": TITLE_FONT})
    chart.set_x_axis({"name": t["step_axis"], "min": 0, **AXES})
    chart.set_y_axis({"name": t["loss_axis"], "log_base": 10, **AXES})
    chart.set_legend({"none": True})
    return chart
