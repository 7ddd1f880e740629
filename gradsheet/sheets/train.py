"""The training sheet ("학습" / "Train"): data, parameters, Loss, hand-work cells, history.

Where things go is the layout's business (see the map in layout.py); this module writes
them, sizes the rows that hold wrapped text, and sets up the screen and the printout.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from . import blanks
from . import charts
from . import formulas
from ..core.models import excel_accuracy, excel_confusion, model_spec
from ..core import coach, procedure
from ..data.dataset import Dataset
from ..core.texts import texts
from ..core.optimizers import HYPER_NAMES, OPTIMIZERS
from ..core.layout import BUTTON_HEIGHT, BUTTON_ROW, NOTE_ROW, TITLE_HEIGHT, TITLE_ROW, Layout
from .looks import MIN_SCALE, page_px, plan_pages, print_setup, row_height_pt, text_px, wrapped_lines
from ..core.settings import Settings, State
from .values import SheetValues, model_X
from ..core import batches
from ..core.a1 import xl_rowcol_to_cell

NOT_AVAILABLE = "#N/A"  # a formula's stored value where the spreadsheet shows #N/A


def shown_value(value: float) -> float | str:
    """A formula cell's stored value: the number, or #N/A where the sheet shows it (an exercise's
    accuracy while softmax's z columns are still empty)."""
    return NOT_AVAILABLE if np.isnan(value) else float(value)


def write(wb: Workbook, fmt, layout: Layout, dataset: Dataset, settings: Settings,
          state: State, values: SheetValues, kept: blanks.Kept | None = None) -> Worksheet:
    t = texts(settings.lang)
    ws = Strings(wb.add_worksheet(layout.sheet))
    if kept is not None:  # an exercise rewritten: the student's blank cells go back as they were
        ws = blanks.Keeping(ws, fmt, kept)
    for col, width in sorted(layout.column_widths.items()):
        ws.set_column(col, col, width)
    heights = {TITLE_ROW: TITLE_HEIGHT, BUTTON_ROW: BUTTON_HEIGHT}
    kind = f"_{layout.model}" if layout.classifier else ""
    if layout.hidden:
        kind = "_hidden"
    ws.write_string(TITLE_ROW, 0, settings.title or t["title" + kind], fmt.title)
    # the subtitle within the data and the charts' columns (the first printed page), wrapped if need be
    subtitle = t["subtitle" + kind]
    subtitle = subtitle.format(act=layout.activation) if layout.hidden else subtitle
    lines = _top_line(ws, fmt, layout, NOTE_ROW, 0, subtitle, min(layout.x_px(layout.c0), FIRST_PAGE_PX))
    if lines > 1:
        heights[NOTE_ROW] = row_height_pt(lines)
    if settings.buttons == "lite":  # right of the buttons, a line saying where they work
        from ..excel.buttons import note_cell
        r, c = note_cell(layout)
        # among the data's columns (a wide table), within the first printed page (or the charts' column)
        room = NOTE_PX if c >= layout.c0 else FIRST_PAGE_PX - layout.x_px(c)
        lines = _top_line(ws, fmt, layout, r, c, t["buttons_where"], room)
        if lines > 1:
            heights[BUTTON_ROW] = max(BUTTON_HEIGHT, row_height_pt(lines))
    heights.update(_write_data(ws, fmt, layout, dataset, settings, values, t))
    _write_single_cells(ws, fmt, layout, settings, state, values, t)
    heights.update(_write_params(blanks.Blanks(ws, fmt, layout, settings.blank, t), fmt, layout, state, values, t,
                                 exercise=bool(settings.blank)))
    if layout.classifier:
        _write_confusion(ws, fmt, layout, values, t)
    _write_history(ws, fmt, layout, state, t, dataset, settings)
    _write_coach(ws, fmt, layout, settings, state, values, t, dataset)
    for row, height in sorted(heights.items()):
        ws.set_row(row, height)
    charts.add_train_charts(wb, ws, layout, t, _top_px(heights, layout.first_row), dataset, settings)
    if settings.buttons == "lite":
        from ..excel.buttons import insert_buttons
        insert_buttons(ws, fmt.button_font, layout, settings.lang)
    # Frozen: everything above the data (title, buttons, headings, lr and eps), so the
    # buttons stay in reach while scrolling down the data; the charts start below the line.
    ws.freeze_panes(layout.first_row, 0)
    # Printed readably, not shrunk to one page wide: the data and the charts, then the hand-work
    # cells from their labels on, each page ending where no text runs on over it.
    scale, breaks = print_plan(layout, ws.texts + _coach_texts(layout, settings), ws.merged)
    print_setup(ws, repeat_rows=(layout.head_row - 1, layout.head_row), scale=scale, breaks=tuple(breaks))
    return ws


class Strings:
    """The worksheet, noting every text written on it (row, column, text, format): the printed
    pages are planned around the texts that run on over empty cells."""

    def __init__(self, ws: Worksheet):
        self._ws, self.texts, self.merged = ws, [], []

    def write_string(self, row, col, string, cell_format=None):
        self.texts.append((row, col, string, cell_format))
        return self._ws.write_string(row, col, string, cell_format)

    def merge_range(self, first_row, first_col, last_row, last_col, data, cell_format=None):
        self.merged.append((first_col, last_col))
        return self._ws.merge_range(first_row, first_col, last_row, last_col, data, cell_format)

    def __getattr__(self, name):
        return getattr(self._ws, name)


def _coach_texts(layout, settings) -> list[tuple]:
    """Every text the next-action cell and the row under it may show (bold, and a note)."""
    r, c = layout.cell("next_action")
    params, opt, lang = layout.params, layout.optimizer, settings.lang
    count = len(procedure.actions(params, opt))
    bold = _Look(11, True)
    wide = -1234.567890123456  # a number as wide as the coach writes (13 digits, a sign)
    batch = bool(layout.batch)
    wrong = [coach.lines(params, coach.Advice(2, why, p, wide, wide), lang, opt, True, batch)[1]
             for why in range(1, len(coach.WRONG)) for p in range(len(params))]
    return ([(r, c, procedure.describe(params, i, lang, opt, batch), bold) for i in range(count)]
            + [(r, c, coach.lines(params, coach.Advice(coach.NOT_READY), lang, opt, True, batch)[0], bold)]
            + [(r + 1, c, procedure.just_did(params, i, lang, opt, batch), None) for i in range(count)]
            + [(r + 1, c, text, None) for text in wrong])


class _Look:
    """What print_plan reads of a cell format."""

    def __init__(self, font_size: float, bold: bool):
        self.font_size, self.bold, self.text_wrap, self.text_h_align = font_size, bold, 0, 0


def print_plan(layout: Layout, strings: list[tuple], merged: list[tuple[int, int]] = ()) -> tuple[int, list[int]]:
    """(scale, page breaks) of the training sheet: looks.plan_pages over its columns and the texts
    that run on (left-aligned: to the right; right-aligned: to the left; wrapped ones never) and the
    merged ranges (first, last column), with a new page wished for where the hand-work cells start."""
    last = max(max(layout.column_widths), max(c for _, c, _, _ in strings), max((c for _, c in merged), default=0))
    edges = [layout.x_px(c) for c in range(last + 2)]
    spans = [(edges[first], edges[last + 1]) for first, last in merged]
    for _, c, text, style in strings:
        if style is not None and style.text_wrap:
            continue
        size, bold = (style.font_size, bool(style.bold)) if style is not None else (11, False)
        width = text_px(text, size, bold) + 8  # the cell's margins
        left, right = edges[c], edges[c + 1]
        align = style.text_h_align if style is not None else 0
        if align == 3:
            spans.append((right - width, right))
        elif align == 2:
            spans.append(((left + right - width) / 2, (left + right + width) / 2))
        else:
            spans.append((left, left + width))
    # a page of its own for the other optimizers' settings (right of the coach's columns)
    return plan_pages(edges, spans, forced=(layout.c0, layout.other_hyper_col))


# The texts above the data wrap within these widths (Excel's pixels): within the first printed page
# (what a page holds at MIN_SCALE), and the line by the buttons, when it stands over the parameter
# table, within about its width through next_P.
FIRST_PAGE_PX = int(page_px(MIN_SCALE))
NOTE_PX = 820


def _top_line(ws, fmt, layout: Layout, row: int, col: int, text: str, room_px: float) -> int:
    """`text` in a note's style from (row, col), merged over the columns that fit in `room_px` (at
    least its own) and wrapped; returns the lines it takes."""
    last = col
    while layout.x_px(last + 2) - layout.x_px(col) <= room_px:
        last += 1
    if last == col and layout.x_px(col + 2) <= FIRST_PAGE_PX:  # a wide column next: take it in
        last += 1
    if last > col:
        ws.merge_range(row, col, row, last, text, fmt.note_wrap)
    else:
        ws.write_string(row, col, text, fmt.note_wrap)
    return wrapped_lines(text, layout.x_px(last + 1) - layout.x_px(col))


def _top_px(heights: dict[int, float], row: int) -> int:
    """Pixels from the top of the sheet to the top of `row` (default rows are 15 pt)."""
    return round(sum(heights.get(r, 15) for r in range(row)) * 4 / 3)


def _lines_height(texts_and_widths, bold: bool = True) -> float | None:
    """The height of a row of wrapped texts, each in a column of the given pixel width;
    None when one line is enough (the default height)."""
    lines = max((wrapped_lines(text, px, bold=bold) for text, px in texts_and_widths), default=1)
    return row_height_pt(lines) if lines > 1 else None


def _write_data(ws, fmt, layout, dataset, settings, values, t) -> dict[int, float]:
    """The data block; returns the heights of rows that hold wrapped headings."""
    cols = layout.columns
    # Row above the headings: the contract's names, so students see what `x`, `y`, `h` mean.
    batch_names = layout.batch_columns + (["batch_point"] if layout.batch else [])
    for name in layout.features + layout.targets + layout.computed + batch_names:
        ws.write_string(layout.head_row - 1, cols[name], name, fmt.name)
    # Headings exactly as the dataset wrote them (always as text, never as formulas).
    headings = {layout.raw_column(j): heading for j, heading in enumerate(dataset.feature_names)}
    headings |= {cols[name]: text for name, text in _headings(layout, dataset, t).items()}
    headings |= {cols[name]: t[f"{name}_head"] for name in batch_names}
    scaled = _write_scaling(ws, fmt, layout, dataset, settings, t, headings) if layout.scaled else []
    for c, heading in headings.items():
        ws.write_string(layout.head_row, c, heading, fmt.heading)

    templates = settings.spec.excel_rows(layout)
    computed = [(cols[name], templates[name], _stored_column(values.rows[name])) for name in layout.computed]
    if layout.batch:  # turn, in_batch (after the target) and the chart's batch_point (at the end)
        point, _ = charts.batch_point_source(layout)
        batch_templates = batches.excel_rows(layout, point)
        shown = _point_values(layout, dataset, settings, values, point)
        in_batch = values.batch_columns["in_batch"]
        stored_points = [float(v) if b else NOT_AVAILABLE for v, b in zip(shown, in_batch)]
        computed = ([(cols[name], batch_templates[name], values.batch_columns[name].tolist())
                     for name in ("turn", "in_batch")] + computed
                    + [(cols["batch_point"], batch_templates["batch_point"], stored_points)])
        keys = values.batch_columns["key"].tolist()
    raw_cols = [layout.raw_column(j) for j in range(layout.k)]
    X = dataset.X.tolist()
    targets = _target_columns(layout, dataset)
    labels = [dataset.classes[int(c)] for c in dataset.y] if layout.classifier else None
    wnum, wform, wstr = ws.write_number, ws.write_formula, ws.write_string
    f_data = fmt.num("formula", "data")
    blank_columns = [cols[name] for name in layout.computed if name in settings.blank]
    if blank_columns:  # an exercise: the student writes these columns (h; z, p, ce …)
        wform = blanks.column_writer(ws, fmt, blank_columns, wform, t)
    for i in range(layout.n):
        r = layout.first_row + i
        for c, v in zip(raw_cols, X[i]):
            wnum(r, c, v)
        for c, tpl, xs in scaled:
            wform(r, c, tpl.format(r + 1), f_data, xs[i])
        if labels:
            wstr(r, cols["label"], labels[i])
        for c, ys in targets:
            wnum(r, c, ys[i])
        if layout.batch:
            wnum(r, cols["key"], keys[i])
        for c, tpl, vs in computed:
            wform(r, c, tpl.format(r + 1), f_data, vs[i])
    if layout.batch:
        _mark_batch_rows(ws, fmt, layout)
    height = _lines_height((text, layout.column_px(c)) for c, text in headings.items())
    return {layout.head_row: height} if height else {}


def _point_values(layout, dataset, settings, values, point: str) -> np.ndarray:
    """The numbers of the column the data chart draws (batch_point shows them for the batch)."""
    if point in values.rows:
        return values.rows[point]
    if point in layout.features:
        return model_X(dataset, settings)[:, layout.features.index(point)]
    return np.asarray(dataset.y, dtype=float)


def _mark_batch_rows(ws, fmt, layout) -> None:
    """This step's rows stand out in the data block (a rule on in_batch, live); batch_point's
    #N/A (the rows the chart leaves out) is shown faintly."""
    first, last = layout.first_row, layout.last_row
    flag = xl_rowcol_to_cell(first, layout.columns["in_batch"], row_abs=False, col_abs=True)
    left, right = 0, layout.columns["batch_point"] - 1
    ws.conditional_format(first, left, last, right, {"type": "formula", "criteria": f"={flag}=1",
                                                     "format": fmt.batch_row})
    c = layout.columns["batch_point"]
    point = xl_rowcol_to_cell(first, c, row_abs=False, col_abs=False)
    ws.conditional_format(first, c, last, c, {"type": "formula", "criteria": f"=ISNA({point})",
                                              "format": fmt.faint})


def _stored_column(values: np.ndarray) -> list:
    """A formula column's stored values (NaN, the #N/A of an exercise's softmax pred while its z
    columns are empty, stored as that error)."""
    if not np.isnan(values).any():
        return values.tolist()
    return [shown_value(v) for v in values]


def _headings(layout, dataset, t) -> dict[str, str]:
    """The headings of the target's and the computed columns (by contract name)."""
    if layout.hidden:
        out = _headings(replace(layout, hidden=0), dataset, t)
        for j in range(1, layout.hidden + 1):
            out |= {f"zh_{j}": t["zh_head"].format(j=j), f"a_{j}": t["a_head"].format(j=j),
                    f"dzh_{j}": t["dzh_head"].format(j=j)}
        return out
    if not layout.classifier:
        return {"y": dataset.target_name, "h": t["h"], "sqerr": t["sqerr"]}
    out = {"label": dataset.target_name, "p_true": t["p_true"], "ce": t["ce"], "pred": t["pred"]}
    if layout.model == "logistic":
        return out | {"y": t["y_logistic"].format(one=layout.classes[1]), "z": t["z_head"], "p": t["p_head"]}
    out["lse"] = t["lse"]
    for c, name in enumerate(layout.classes):
        out |= {layout.targets[c]: name, layout.per_class("z")[c]: f"{t['z_head']} {name}",
                layout.per_class("p")[c]: f"{t['p_head']} {name}"}
    return out


def _target_columns(layout, dataset) -> list[tuple[int, list[float]]]:
    """(column, numbers) of y: the target itself, logistic's class 0/1, or softmax's one-hot."""
    y = dataset.y
    if layout.model == "softmax":
        return [(layout.columns[name], (y == c).astype(float).tolist()) for c, name in enumerate(layout.targets)]
    return [(layout.columns["y"], y.tolist())]


def _write_scaling(ws, fmt, layout, dataset, settings, t, headings) -> list:
    """--scale: each scaled column x_j shows its centre and spread above it, and its heading
    says it is scaled; returns (column, formula template, values) per x_j."""
    from ..core.scaling import scale_columns
    Xs, centre, spread = scale_columns(dataset.X, settings.scale)
    top = layout.head_row - 3  # centre, spread, then the names row above the headings
    # Right-aligned, so a label wider than its column runs left over the empty raw columns.
    label_col = layout.columns[layout.features[0]] - 1
    right = fmt.scale_label
    ws.write_string(top, label_col, t[f"scale_centre_{settings.scale}"], right)
    ws.write_string(top + 1, label_col, t[f"scale_spread_{settings.scale}"], right)
    out = []
    f_data = fmt.num("formula", "data")
    for j, name in enumerate(layout.features):
        c = layout.columns[name]
        f_centre, f_spread = formulas.scale_stats(layout, j, settings.scale)
        ws.write_formula(top, c, f_centre, f_data, float(centre[j]))
        ws.write_formula(top + 1, c, f_spread, f_data, float(spread[j]))
        headings[c] = f"{dataset.feature_names[j]}\n({t['scaled']})"  # the mark on a line of its own
        out.append((c, formulas.scaled_template(layout, j), Xs[:, j].tolist()))
    return out


def _write_single_cells(ws, fmt, layout, settings, state, values, t) -> None:
    """lr, eps, Loss, prevLoss, dLoss_dt and the next action, each with its name on the
    left and a note on the right; best_Loss and best_dist under the parameter table."""
    model = settings.spec
    rows = {
        "lr": (None, settings.lr, fmt.input, t["lr_note" if settings.optimizer == "gd" else "lr_note_opt"]
               if not settings.blank else t["lr_note_exercise"]),
        "eps": (None, settings.eps, fmt.input, t["eps_note"]),
        # the optimizer's own settings explained in full; the others' (off the first screen) in short
        **{h: (None, getattr(settings, h), fmt.input, t[f"{h}_short" if h in layout.other_hyper else f"{h}_note"])
           for h in HYPER_NAMES},
        **({"t": (None, state.t, fmt.paste, t["t_note"])} if "t" in layout.scalars else {}),
        "Loss": (model.EXCEL_LOSS, values.loss, fmt.num("result", "loss"),
                 t[f"loss_note_{layout.model}" if layout.classifier else "loss_note"]),
        "prevLoss": (None, state.prev_loss, fmt.num("paste", "loss"), t["prev_note_batch" if layout.batch else "prev_note"]),
        "dLoss_dt": (formulas.dloss_dt(layout), values.dloss_dt, fmt.num("formula", "slope"),
                     t["dt_note_batch" if layout.batch else "dt_note"]),
    }
    if layout.batch:  # B, the step counter and the epoch above Loss; the batch's Loss under it
        rows["batch"] = (None, settings.batch, fmt.input, t["batch_note"].format(n=layout.n))
        rows["step"] = (batches.excel_step(_abs_cell(coach.cells(layout)["n"]), coach.column_range(layout, "value"),
                                           coach.column_range(layout, "hist"), len(layout.params)),
                        values.step, fmt.num("formula", "count"), t["step_note"])
        rows["epoch"] = (batches.EPOCH, values.epoch, fmt.num("formula", "count"),
                         t["epoch_note_shuffled" if layout.shuffle else "epoch_note"])
        rows["Loss_batch"] = (batches.on_batch(model.EXCEL_LOSS), values.loss_batch, fmt.num("result", "loss"),
                              t["loss_batch_note"])
        rows = {name: rows[name] for name in layout.single_rows if name in rows} | \
            {name: row for name, row in rows.items() if name not in layout.single_rows}
    if layout.classifier:  # the best Loss is Newton's number, not a formula; then the accuracy
        rows["best_Loss"] = (None, values.best_loss, fmt.num("plain", "loss"), t["best_loss_note_ce"])
        rows["accuracy"] = (excel_accuracy(layout), values.accuracy, fmt.num("formula", "share"),
                            t["accuracy_note"])
    elif not layout.hidden:
        # an exercise's best_Loss is a number: its formula is a Loss formula to copy from
        rows["best_Loss"] = (None if settings.blank else model.excel_best_loss(layout), values.best_loss,
                             fmt.num("formula", "loss"), t["best_loss_note"])
        rows["best_dist"] = (formulas.best_dist(layout), values.best_dist, fmt.num("formula", "param"),
                             t["best_dist_note"])
    if layout.hidden:  # no answer to compare with: a network's loss is not convex
        rows = {name: row for name, row in rows.items() if name in layout.scalars}
    c0 = layout.c0
    for name, (formula, value, style, note) in rows.items():
        r, c = layout.cell(name)
        ws.write_string(r, c - 1, name, fmt.label)  # the label left of the value, the note right
        if value is None:  # best_Loss, best_dist without a unique answer: say so in the note
            ws.write_string(r, c, "—", fmt.note)
            note = t["separable" if layout.classifier else "no_answer"]
        elif name in settings.blank:
            blanks.blank_cell(ws, fmt, r, c, t)
        elif formula:
            formulas.write_cell(ws, r, c, formula, style, "" if name == "dLoss_dt" and state.prev_loss == 0
                                else shown_value(value))
        else:
            ws.write_number(r, c, float(value), style)
        ws.write_string(r, c + 1, note, fmt.note)
    if layout.other_hyper:
        ws.write_string(layout.other_hyper_head, layout.other_hyper_col, t["other_hyper"], fmt.section)
    if layout.batch:
        _write_shuffle(ws, fmt, layout, settings, values, t)
    r, c = layout.cell("next_action")
    ws.write_string(r, c0, t["action_label"], fmt.label)


def _abs_cell(rc: tuple[int, int]) -> str:
    return xl_rowcol_to_cell(*rc, row_abs=True, col_abs=True)


def _write_shuffle(ws, fmt, layout, settings, values, t) -> None:
    """--batch: this epoch's shuffle (shuffle_a, shuffle_b) and the table `shuffle` they come
    from, one row per epoch of the cycle (core/batches.py): right of the parameter table."""
    r, c = layout.shuffle_head
    ws.write_string(r, c, t["shuffle_title"], fmt.section)
    for name, formula, value in zip(("shuffle_a", "shuffle_b", "shuffle_c"),
                                    (batches.SHUFFLE_A, batches.SHUFFLE_B, batches.SHUFFLE_C), values.shuffle):
        rr, cc = layout.cell(name)
        ws.write_string(rr, cc - 1, name, fmt.label)
        ws.write_formula(rr, cc, formula, fmt.num("formula", "count"), float(value))
        ws.write_string(rr, cc + 1, t[f"{name}_note"], fmt.note)
    first, c0, last, _ = layout.shuffle_span
    for j, heading in enumerate("abc"):
        ws.write_string(first - 1, c0 + j, heading, fmt.heading)
    ws.write_string(first - 1, c0 + 3, t["shuffle_table_note" if layout.shuffle else "shuffle_table_note_none"],
                    fmt.note)
    for i, row in enumerate(settings.batches(layout.n).mix):
        for j, v in enumerate(row):
            ws.write_number(first + i, c0 + j, int(v), fmt.num("plain", "count"))


def _write_coach(ws, fmt, layout, settings, state, values, t, dataset=None) -> None:
    """The live coach (core/coach.py): the next action and the line under it, each parameter's
    three cells at the end of its row, and the sums under them, all formulas; their stored
    values are the coach's reading of the model's numbers."""
    hist_base = None
    if layout.batch and len(state.history):  # history's Loss_batch: H on this step's batch
        found = settings.batches(layout.n)
        mask = found.mask(values.step)
        hist_base = settings.spec.loss(model_X(dataset, settings)[mask], dataset.y[mask], state.history[-1, :-1])
    reading = coach.read(state.theta, state.history, state.prev_loss, state.dloss, state.slots, state.t,
                         values.loss, values.nudged, settings.eps, settings.lr, settings.hyper, settings.optimizer,
                         values.loss_batch, hist_base)
    pc = layout.param_columns
    f_param, f_count = fmt.num("formula", "param"), fmt.num("formula", "count")
    empty = not len(state.history)
    for p in range(len(layout.params)):
        r = layout.param_row(p)
        cells = coach.row_formulas(layout, p, frozenset(settings.blank))
        ws.write_formula(r, pc["hist"], cells["hist"], f_param, "" if empty else float(reading.hist[p]))
        ws.write_formula(r, pc["upd"], cells["upd"], f_param, "" if empty else float(reading.upd[p]))
        rate = reading.rates[p]
        ws.write_formula(r, pc["rate"], cells["rate"], fmt.num("formula", "param"), "" if np.isnan(rate) else float(rate))
        if "vrate" in cells:
            vrate = reading.vrates[p]
            ws.write_formula(r, pc["vrate"], cells["vrate"], fmt.num("formula", "param"),
                             "" if np.isnan(vrate) else float(vrate))
        ws.write_formula(r, pc["code"], cells["code"], f_count, reading.codes[p])
    advice = reading.advice
    last = procedure.last_done(layout.params, max(advice.index, 0), not empty, layout.optimizer)
    done = "" if last is None else procedure.describe(layout.params, last, settings.lang, layout.optimizer,
                                                      bool(layout.batch))
    last = -1 if last is None else last
    stored = {"n": len(state.history), "pos": advice.index, "why": advice.why, "who": advice.who,
              "last": last, "done": done}
    sums = coach.sum_formulas(layout, settings.lang)
    for name, (r, c) in coach.cells(layout).items():
        ws.write_string(r, c - 1, t[f"coach_{name}"], fmt.label)
        ws.write_formula(r, c, sums[name], f_count, stored[name])
    line1, line2 = coach.lines(layout.params, advice, settings.lang, settings.optimizer, not empty,
                               bool(layout.batch))
    f1, f2 = coach.coach_formulas(layout, settings.lang)
    r, c = layout.cell("next_action")
    ws.write_formula(r, c, f1, fmt.status, line1)
    ws.write_formula(r + 1, c, f2, fmt.note, line2)


def _write_confusion(ws, fmt, layout, values, t) -> None:
    """The C×C table named `confusion`: a title, the predicted classes across, the true
    classes down, each count a live formula."""
    r0, c0, _, _ = layout.confusion_span()
    ws.write_string(layout.confusion_head, layout.c0, t["confusion_title"], fmt.section)
    ws.write_string(r0 - 1, layout.c0, t["confusion_corner"], fmt.heading)
    for i, name in enumerate(layout.classes):
        ws.write_string(r0 - 1, c0 + i, name, fmt.heading)
        ws.write_string(r0 + i, layout.c0, name, fmt.label)
        for j in range(layout.n_classes):
            count = values.confusion[i, j]
            ws.write_formula(r0 + i, c0 + j, excel_confusion(layout, i, j), fmt.num("formula", "count"),
                             NOT_AVAILABLE if np.isnan(count) else int(count))


def _write_params(ws, fmt, layout, state, values, t, exercise: bool = False) -> dict[int, float]:
    """The parameter table; returns the height of its row of (wrapped) words. An exercise leaves
    the exact slope and its difference to grad_P out (columns, headings and all): the calculus
    slope is grad_P's answer computed another way."""
    model = model_spec(layout.model, len(layout.classes), layout.hidden, layout.activation)
    pc = layout.param_columns
    head = layout.param_head
    # Two heading rows keep the columns narrow: the course's words above, the names below.
    words = {"name": t["params"], "value": t["col_value"], "init": t["col_init"],
             "Loss": t["col_loss_p"], "Lossm": t["col_lossm_p"], "grad": t["col_grad"],
             "dLoss": t["col_dloss"], "next": t["col_next"], "exact": t["col_exact"],
             "fderr": t["col_fderr"], "best": t["col_best"], "hist": t["col_hist"], "upd": t["col_upd"],
             "rate": t["col_rate"], "vrate": t["col_vrate"], "code": t["col_code"]}
    names = {"name": "", "value": "P", "init": "init_P", "Loss": "Loss_P", "Lossm": "Lossm_P",
             "grad": "grad_P", "dLoss": "dLoss_dP", "next": "next_P", "exact": "exact_grad_P",
             "fderr": "fd_error_P", "best": "best_P", "hist": "", "upd": "", "rate": "", "vrate": "", "code": ""}
    for slot in layout.slots:  # the optimizer's state: pasted values, and the next ones
        words[slot], words[f"next_{slot}"] = t[f"col_{slot}"], t[f"col_next_{slot}"]
        names[slot], names[f"next_{slot}"] = f"{slot}_P", f"next_{slot}_P"
    opt = OPTIMIZERS[layout.optimizer]
    omitted = ("exact", "fderr") if exercise else ()
    for kind, c in pc.items():
        if kind in omitted:
            continue
        ws.write_string(head - 1, c, words[kind], fmt.section if kind == "name" else fmt.words)
        ws.write_string(head, c, names[kind], fmt.heading)
    f_param, f_loss = fmt.num("formula", "param"), fmt.num("formula", "loss")
    f_slope = fmt.num("formula", "slope")
    over = batches.on_batch if layout.batch else (lambda text: text)  # --batch: over this step's rows
    for p, name in enumerate(layout.params):
        r = layout.param_row(p)
        ws.write_string(r, pc["name"], name, fmt.label)
        ws.write_number(r, pc["value"], float(state.theta[p]), fmt.num("input", "param"))
        ws.write_formula(r, pc["init"], formulas.INIT, f_param, float(state.init[p]))
        formulas.write_cell(ws, r, pc["Loss"], over(model.excel_nudged_loss(layout, p)), f_loss, float(values.nudged[p]))
        if "Lossm" in pc:
            formulas.write_cell(ws, r, pc["Lossm"], over(model.excel_nudged_loss(layout, p, "-")), f_loss,
                                float(values.nudged_minus[p]))
        ws.write_formula(r, pc["grad"], model.excel_grad(layout, p), f_slope, float(values.grad[p]))
        ws.write_number(r, pc["dLoss"], float(state.dloss[p]), fmt.num("paste", "slope"))
        ref = optimizer_refs(name, layout.slots)
        for slot in layout.slots:
            ws.write_number(r, pc[slot], float(state.slots[slot][p]), fmt.num("paste", "slope"))
            ws.write_formula(r, pc[f"next_{slot}"], opt.next_slot[slot].formula(ref), f_slope,
                             float(values.next_slots[slot][p]))
        ws.write_formula(r, pc["next"], opt.next_param.formula(ref), f_param, float(values.next[p]))
        if not exercise:
            formulas.write_cell(ws, r, pc["exact"], over(model.excel_exact_grad(layout, p)), f_slope,
                                float(values.exact[p]))
            ws.write_formula(r, pc["fderr"], formulas.fd_error(name), fmt.num("formula", "small"),
                             float(values.grad[p] - values.exact[p]))
        if "best" not in pc:
            continue
        if values.best is None:
            ws.write_string(r, pc["best"], t["no_answer"], fmt.note)
        else:
            ws.write_formula(r, pc["best"], model.excel_best(layout, p), f_param, float(values.best[p]))
    wide = [(words[kind], layout.column_px(c)) for kind, c in pc.items() if kind != "name" and kind not in omitted]
    height = _lines_height(wide)
    return {head - 1: height} if height else {}


def optimizer_refs(name: str, slots) -> dict[str, str]:
    """The optimizer rules' symbols as the training sheet's names, for parameter `name`."""
    ref = {"P": name, "g": f"dLoss_d{name}", "lr": "lr", "t": "t", **{h: h for h in HYPER_NAMES}}
    for slot in slots:
        ref[slot], ref[f"next_{slot}"] = f"{slot}_{name}", f"next_{slot}_{name}"
    return ref


def _write_history(ws, fmt, layout, state, t, dataset=None, settings=None) -> None:
    first_row, first_col, last_row, last_col = layout.history_span
    ws.write_string(first_row - 1, first_col, t["history_batch" if layout.batch else "history"], fmt.section)
    headers = [t["step_col"]] + layout.history_columns[1:]
    kinds = ["count"] + ["count" if name == "epoch" else "loss" if name.startswith("Loss") else "param"
                         for name in layout.history_columns[1:]]
    found = settings.batches(layout.n) if layout.batch else None
    losses = None
    if found is not None:
        from ..core.descent import batch_losses
        losses = batch_losses(model_X(dataset, settings), dataset.y, state.history, settings.spec, found)
    rows = batches.history_cells(state.history, 0, found, losses)
    options = {"name": "history", "style": "Table Style Light 9",
               "columns": [{"header": h, "format": fmt.num("plain", kind)} for h, kind in zip(headers, kinds)]}
    if rows:
        options["data"] = rows
    ws.add_table(first_row, first_col, last_row, last_col, options)
