"""Charts of the training sheet: the data with the live prediction, and Loss per step."""

from __future__ import annotations

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .layout import HISTORY_CHART_ROWS, Layout

MAX_CHART_ROWS = 2000  # a chart of more points only slows the spreadsheet down


def _ref(layout: Layout, col: int, first: int, last: int) -> list:
    return [layout.sheet, first, col, last, col]


def add_train_charts(wb: Workbook, ws: Worksheet, layout: Layout, t: dict) -> None:
    anchor_col = layout.c0 + len(layout.param_columns) + 1
    ws.insert_chart(3, anchor_col, data_chart(wb, layout, t), {"x_scale": 1.2, "y_scale": 1.1})
    ws.insert_chart(21, anchor_col, loss_chart(wb, layout, t), {"x_scale": 1.2, "y_scale": 1.1})


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
        chart.set_title({"name": t["chart_data"]})
        chart.set_x_axis({"name": "x", "major_gridlines": {"visible": False}})
        chart.set_y_axis({"name": "y, h"})
    else:
        y = _ref(layout, col["y"], layout.first_row, last)
        chart.add_series({"name": "h", "categories": y, "values": _ref(layout, col["h"], layout.first_row, last),
                          "marker": marker})
        # (y, y) pairs all lie on the diagonal, so a line through them draws h = y.
        chart.add_series({"name": t["diagonal"], "categories": y, "values": y,
                          "line": {"color": "#7F7F7F", "dash_type": "dash"}, "marker": {"type": "none"}})
        chart.set_title({"name": t["chart_data_multi"]})
        chart.set_x_axis({"name": "y"})
        chart.set_y_axis({"name": "h"})
    chart.set_legend({"position": "bottom"})
    return chart


def loss_chart(wb: Workbook, layout: Layout, t: dict):
    """Loss over the history rows; the range reaches past the table so new rows show up."""
    head, c, _, c_last = layout.history_span
    first, last = head + 1, head + max(layout.history_rows, 1) + HISTORY_CHART_ROWS
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    chart.add_series({"name": "Loss", "categories": _ref(layout, c, first, last),
                      "values": _ref(layout, c_last, first, last),
                      "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": t["chart_loss"]})
    chart.set_x_axis({"name": t["step_axis"], "min": 0})
    chart.set_y_axis({"name": t["loss_axis"], "log_base": 10})
    chart.set_legend({"none": True})
    return chart
