"""The training sheet ("학습" / "Train"): data, parameters, Loss, hand-work cells, history."""

from __future__ import annotations

import numpy as np
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from . import charts, formulas, procedure
from .dataset import Dataset
from .labels import texts
from .layout import Layout
from .settings import Settings, State
from .values import SheetValues


def write(wb: Workbook, fmt, layout: Layout, dataset: Dataset, settings: Settings,
          state: State, values: SheetValues) -> Worksheet:
    t = texts(settings.lang)
    ws = wb.add_worksheet(layout.sheet)
    ws.write_string(0, 0, settings.title or t["title"], fmt.title)
    ws.write_string(1, 0, t["subtitle"], fmt.note)
    _write_data(ws, fmt, layout, dataset, settings, values, t)
    _write_settings(ws, fmt, layout, settings, t)
    _write_params(ws, fmt, layout, settings, state, values, t)
    _write_loss_cells(ws, fmt, layout, settings, state, values, t)
    _write_history(ws, fmt, layout, state, t)
    charts.add_train_charts(wb, ws, layout, t)
    if settings.buttons == "lite":
        from .buttons import insert_buttons
        insert_buttons(ws, fmt.button_font, layout, settings.lang)
    ws.freeze_panes(layout.first_row, 0)
    ws.set_column(0, layout.columns["sqerr"], 11)
    ws.set_column(layout.c0, layout.c0, 22)
    ws.set_column(layout.c0 + 1, layout.c0 + len(layout.param_columns) - 1, 15)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # printed (and rendered to PDF) one page wide, charts included
    return ws


def _write_data(ws, fmt, layout, dataset, settings, values, t) -> None:
    cols = layout.columns
    # Row above the headings: the contract's names, so students see what `x`, `y`, `h` mean.
    for j, name in enumerate(layout.features):
        ws.write_string(layout.head_row - 1, cols[name], name, fmt.name)
    for name in ("y", "h", "sqerr"):
        ws.write_string(layout.head_row - 1, cols[name], name, fmt.name)
    # Headings exactly as the dataset wrote them (always as text, never as formulas).
    for j, heading in enumerate(dataset.feature_names):
        ws.write_string(layout.head_row, layout.raw_column(j), heading, fmt.heading)
    ws.write_string(layout.head_row, cols["y"], dataset.target_name, fmt.heading)
    ws.write_string(layout.head_row, cols["h"], t["h"], fmt.heading)
    ws.write_string(layout.head_row, cols["sqerr"], t["sqerr"], fmt.heading)

    h_tpl, e_tpl = formulas.h_template(layout), formulas.sqerr_template(layout)
    raw_cols = [layout.raw_column(j) for j in range(layout.k)]
    yc, hc, ec = cols["y"], cols["h"], cols["sqerr"]
    X, y = dataset.X.tolist(), dataset.y.tolist()
    h, e = values.h.tolist(), values.sqerr.tolist()
    wnum, wform, ff = ws.write_number, ws.write_formula, fmt.formula
    scaled = _write_scaling(ws, fmt, layout, dataset, settings, t) if layout.scaled else []
    for i in range(layout.n):
        r = layout.first_row + i
        for c, v in zip(raw_cols, X[i]):
            wnum(r, c, v)
        for c, tpl, xs in scaled:
            wform(r, c, tpl.format(r + 1), ff, xs[i])
        wnum(r, yc, y[i])
        wform(r, hc, h_tpl.format(r + 1), ff, h[i])
        wform(r, ec, e_tpl.format(r + 1), ff, e[i])


def _write_scaling(ws, fmt, layout, dataset, settings, t) -> list:
    """--scale: each scaled column x_j shows its centre and spread above it, and the
    labels say what happened; returns (column, formula template, values) per x_j."""
    from .scaling import scale_columns
    Xs, centre, spread = scale_columns(dataset.X, settings.scale)
    top = layout.head_row - 3  # centre, spread, then the names row above the headings
    label_col = layout.columns[layout.features[0]] - 1
    ws.write_string(top, label_col, t[f"scale_centre_{settings.scale}"], fmt.note)
    ws.write_string(top + 1, label_col, t[f"scale_spread_{settings.scale}"], fmt.note)
    out = []
    for j, name in enumerate(layout.features):
        c = layout.columns[name]
        f_centre, f_spread = formulas.scale_stats(layout, j, settings.scale)
        ws.write_formula(top, c, f_centre, fmt.formula, float(centre[j]))
        ws.write_formula(top + 1, c, f_spread, fmt.formula, float(spread[j]))
        ws.write_string(layout.head_row, c, f"{dataset.feature_names[j]} ({t['scaled']})", fmt.heading)
        out.append((c, formulas.scaled_template(layout, j), Xs[:, j].tolist()))
    return out


def _write_settings(ws, fmt, layout, settings, t) -> None:
    c0 = layout.c0
    ws.write_string(layout.head_row, c0, t["settings"], fmt.section)
    for name in ("lr", "eps"):
        r, c = layout.cell(name)
        ws.write_string(r, c0, f"{name}  {t[name]}", fmt.label)
        ws.write_number(r, c, getattr(settings, name), fmt.input)
        ws.write_string(r, c + 1, t[f"{name}_note"], fmt.note)


def _write_params(ws, fmt, layout, settings, state, values, t) -> None:
    pc = layout.param_columns
    head = layout.PARAM_HEAD
    # Two heading rows keep the columns narrow: the course's words above, the names below.
    words = {"name": t["params"], "value": t["col_value"], "init": t["col_init"],
             "Loss": t["col_loss_p"], "Lossm": t["col_lossm_p"], "grad": t["col_grad"],
             "dLoss": t["col_dloss"], "next": t["col_next"], "exact": t["col_exact"],
             "fderr": t["col_fderr"], "best": t["col_best"]}
    names = {"name": "", "value": "P", "init": "init_P", "Loss": "Loss_P", "Lossm": "Lossm_P",
             "grad": "grad_P", "dLoss": "dLoss_dP", "next": "next_P", "exact": "exact_grad_P",
             "fderr": "fd_error_P", "best": "best_P"}
    for kind, c in pc.items():
        ws.write_string(head - 1, c, words[kind], fmt.section if kind == "name" else fmt.label)
        ws.write_string(head, c, names[kind], fmt.heading)
    for p, name in enumerate(layout.params):
        r = layout.param_row(p)
        ws.write_string(r, pc["name"], name, fmt.label)
        ws.write_number(r, pc["value"], float(state.theta[p]), fmt.input)
        ws.write_formula(r, pc["init"], formulas.INIT, fmt.formula, float(state.init[p]))
        ws.write_formula(r, pc["Loss"], formulas.nudged_loss(layout, p), fmt.formula,
                         float(values.nudged[p]))
        if "Lossm" in pc:
            ws.write_formula(r, pc["Lossm"], formulas.nudged_loss(layout, p, "-"), fmt.formula,
                             float(values.nudged_minus[p]))
        ws.write_formula(r, pc["grad"], formulas.grad(layout, p), fmt.formula,
                         float(values.grad[p]))
        ws.write_number(r, pc["dLoss"], float(state.dloss[p]), fmt.paste)
        ws.write_formula(r, pc["next"], formulas.next_value(name), fmt.formula,
                         float(values.next[p]))
        ws.write_formula(r, pc["exact"], formulas.exact_grad(layout, p), fmt.formula,
                         float(values.exact[p]))
        ws.write_formula(r, pc["fderr"], formulas.fd_error(name), fmt.formula,
                         float(values.grad[p] - values.exact[p]))
        if values.best is None:
            ws.write_string(r, pc["best"], t["no_answer"], fmt.note)
        else:
            ws.write_formula(r, pc["best"], formulas.best(layout, p), fmt.formula, float(values.best[p]))


def _write_loss_cells(ws, fmt, layout, settings, state, values, t) -> None:
    c0 = layout.c0
    rows = {
        "Loss": (formulas.LOSS, values.loss, fmt.result, t["loss_note"]),
        "prevLoss": (None, state.prev_loss, fmt.paste, t["prev_note"]),
        "dLoss_dt": (formulas.DLOSS_DT, values.dloss_dt, fmt.formula, t["dt_note"]),
        "best_Loss": (formulas.best_loss(layout), values.best_loss, fmt.formula, t["best_loss_note"]),
        "best_dist": (formulas.best_dist(layout), values.best_dist, fmt.formula, t["best_dist_note"]),
    }
    for name, (formula, value, style, note) in rows.items():
        r, c = layout.cell(name)
        ws.write_string(r, c0, name, fmt.label)
        if value is None:  # best_Loss, best_dist without a unique answer
            ws.write_string(r, c, t["no_answer"], fmt.note)
        elif formula:
            ws.write_formula(r, c, formula, style, float(value))
        else:
            ws.write_number(r, c, float(value), style)
        ws.write_string(r, c + 1, note, fmt.note)
    r, c = layout.cell("next_action")
    ws.write_string(r, c0, t["action_label"], fmt.label)
    ws.write_string(r, c, procedure.describe(layout.k, state.action, settings.lang), fmt.status)
    r += 1
    # At the start of a step the last thing done was the previous step's final action.
    last = state.action - 1 if state.action else (len(procedure.actions(layout.k)) - 1
                                                  if len(state.history) else None)
    ws.write_string(r, c, procedure.just_did(layout.k, last, settings.lang), fmt.note)


def _write_history(ws, fmt, layout, state, t) -> None:
    first_row, first_col, last_row, last_col = layout.history_span
    ws.write_string(first_row - 1, first_col, t["history"], fmt.section)
    headers = [t["step_col"]] + layout.params + ["Loss"]
    rows = [[i + 1] + [float(v) for v in row] for i, row in enumerate(np.asarray(state.history))]
    options = {"name": "history", "style": "Table Style Light 9",
               "columns": [{"header": h} for h in headers]}
    if rows:
        options["data"] = rows
    ws.add_table(first_row, first_col, last_row, last_col, options)
