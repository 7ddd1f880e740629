"""The race ("최적화 비교" / "Optimizers"): N steps from the training sheet's current W, B with
each of the four optimizers, side by side, every cell a live formula.

An Excel table named `compare` holds the step and the Loss of each optimizer after that many
steps (columns step, gd, momentum, rmsprop, adam); a chart draws the four curves on a log
scale. Each optimizer runs in its own lane of columns to the right: the same chain as the
'All steps' sheet (unrolled.Chain: parameters, losses from the sums, slopes, state, next
values, the divergence guard), with a fresh state (0) and its own learning rate from an
input cell named lr_gd, lr_momentum, lr_rmsprop or lr_adam. The hyperparameters are the
training sheet's (beta, rho, beta1, beta2, delta), so all of it follows what the students
change there.

Default learning rates (Settings.lr_* = None), chosen to make a lesson of the race:
- gd: the workbook's own lr, so the race's gd lane is the course's descent;
- momentum: half its stability limit, (1 + beta)/curvature rounded down to 1, 2 or 5 × 10^k.
  Heavy-ball momentum on a quadratic converges for lr < (2 + 2·beta)/λmax, nearly twice plain
  gd's 2/λmax; half of that keeps it well inside while showing what momentum adds;
- rmsprop and adam: 0.05 × the size of the answer (max |least-squares P|, at least 1), rounded
  down the same way. Both divide the slope by its own root mean square, so each step moves
  every parameter by about lr whatever the slope's size: lr is a distance, and this one
  covers the answer in ~20 steps and leaves a jitter of a few per cent of it.
Measured over 100 steps (lemonade, the housing preset, a 3-feature table raw and standardised;
tests/test_compare.py::test_default_learning_rates_make_a_lesson): every lane falls by two to
five orders of magnitude and none reaches the divergence limit. Plain gd at the course's lr is
hard to beat on the badly conditioned lemonade table; momentum overshoots first; RMSprop, whose
steps never shrink, keeps jittering around the answer. That jitter is chaotic: a one-ulp change
of the start moves its last rows visibly, so two spreadsheet programs may draw its tail
differently (its level stays the same); gd, momentum and Adam agree to 1e-9 or better there.
"""

from __future__ import annotations


import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import models
from ..core.layout import Layout, quote_sheet
from ..core.optimizers import OPTIMIZERS
from ..core.texts import texts
from . import stats
from ..core.layout import char_width_px
from .looks import print_setup, row_height_pt, wrapped_lines
from .formulas import quick_formulas, stored
from .unrolled import Chain, Rows, rows

NAMES = tuple(OPTIMIZERS)  # gd, momentum, rmsprop, adam: the table's columns, in this order
LR_NAMES = {o: f"lr_{o}" for o in NAMES}
# The lr cells that hold a formula by default: the gd lane follows the workbook's lr until a
# number is typed there (the headless writer keeps the formula: Settings.lr_gd stays None).
DEFAULT_FORMULAS = {"lr_gd": "=lr"}
TITLE_ROWS = 3  # title and two notes
NAMES_ROW, LR_ROW, LAST_ROW, LIMIT_ROW = 3, 4, 5, 6  # the settings block over the table
HEAD_ROW = 8  # the table's header row (0-based); step i is row HEAD_ROW + 1 + i
TABLE_WIDTHS = (20, 12, 12, 12, 12)  # step (and the settings' labels), then one Loss column each
CHART_COL = len(TABLE_WIDTHS) + 1  # one narrow column apart
CHART_PX = (560, 340)
LANE_COL = CHART_COL + 10  # the lanes start right of the chart (default columns are 64 px)
LANE_WIDTH = 13
DEFAULT_WIDTH = 8.43  # the columns under the chart keep Excel's default width


# --- default learning rates -------------------------------------------------------------------
def default_lrs(X: np.ndarray, y: np.ndarray, settings) -> dict[str, float]:
    """The race's learning rates when the settings leave them open (see the module's notes).
    A classifier has no least-squares answer to size RMSprop's and Adam's steps by: they take
    0.05 (a twentieth of the unit the standardised inputs and the start's W, B are on), and
    momentum half its limit from the cross-entropy's curvature bound (models.CURVATURE_SHARE)."""
    if getattr(settings, "hidden", 0):  # a network: no curvature bound; the workbook's lr, Keras-like 0.01
        return {"gd": settings.lr, "momentum": settings.lr, "rmsprop": 0.01, "adam": 0.01}
    share = models.CURVATURE_SHARE[settings.model]
    if settings.model == "linear":
        scale = max(1.0, float(np.max(np.abs(models.best_theta(X, y)))))
    else:
        scale = 1.0
    sign_like = models.round_below(0.05 * scale)
    return {"gd": settings.lr, "momentum": models.round_below((1 + settings.beta) / (share * models.curvature(X))),
            "rmsprop": sign_like, "adam": sign_like}


def learning_rates(X: np.ndarray, y: np.ndarray, settings) -> dict[str, float]:
    """Each lane's lr: the settings' lr_<name>, or its default."""
    given = {o: getattr(settings, LR_NAMES[o]) for o in NAMES}
    if all(v is not None for v in given.values()):
        return given
    return {o: given[o] if given[o] is not None else v for o, v in default_lrs(X, y, settings).items()}


# --- where the cells are ------------------------------------------------------------------------
def lanes(layout: Layout, sheet: str = "", n: int = 0, before: int = 0) -> dict[str, Chain]:
    """Each optimizer's chain of columns, left to right with a blank column between. `sheet`
    is the race's sheet; softmax: each lane's `n` steps have their blocks on the 'Logits'
    sheet after the `before` steps of the 'All steps' sheet's (logits.py)."""
    from . import logits
    out, left = {}, LANE_COL
    block = logits.first_block(layout) + before * logits.block_width(layout)
    for o in NAMES:
        out[o] = Chain(layout, OPTIMIZERS[o], left=left, head=HEAD_ROW, lr=LR_NAMES[o],
                       limit=xl_rowcol_to_cell(LIMIT_ROW, 1, True, True), fresh=True, sheet=sheet,
                       logits=block)
        left += len(out[o].columns) + 1
        block += n * logits.block_width(layout)
    return out


def lr_cells(sheet: str) -> dict[str, str]:
    """lr_<name> -> its input cell (the defined names' targets)."""
    return {LR_NAMES[o]: f"{quote_sheet(sheet)}!{xl_rowcol_to_cell(LR_ROW, 1 + c, True, True)}"
            for c, o in enumerate(NAMES)}


def path_names(layout: Layout, sheet: str, n: int, pair: tuple[str, str]) -> dict[str, str]:
    """race_<P>_<name> -> lane `name`'s column of parameter P (the landscape's markers read the
    race's paths through these: a conditional format may name another sheet's cells, never
    address them)."""
    out = {}
    for o, chain in lanes(layout).items():
        for q in pair:
            c = xl_col_to_name(chain.col[q])
            out[f"race_{q}_{o}"] = f"{quote_sheet(sheet)}!${c}${HEAD_ROW + 2}:${c}${HEAD_ROW + 1 + n}"
    return out


def limit_formula(layout: Layout) -> str:
    from .unrolled import mean_square_y
    first = xl_rowcol_to_cell(HEAD_ROW + 1, 1, True, True)  # gd's Loss at step 0: the start
    return f"={int(models.BLOWUP)}*MAX({first},{mean_square_y(layout)})"


def race(X, y, settings, state, sums: stats.Sums | None = None) -> dict[str, Rows]:
    """Each lane's numbers: fresh state, its own lr, from the current parameters."""
    st = stats.sums(X, y) if sums is None and settings.model == "linear" and not settings.hidden else sums
    lrs = learning_rates(X, y, settings)
    return {o: rows(X, y, state.theta, lrs[o], settings.eps, settings.compare, settings.diff, OPTIMIZERS[o],
                    settings.hyper, sums=st, model=settings.spec) for o in NAMES}


# --- the sheet ----------------------------------------------------------------------------------
def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X: np.ndarray,
          sums: stats.Sums | None = None) -> dict[str, tuple[Chain, Rows]]:
    """Write the sheet; returns each lane's chain and numbers (softmax's 'Logits' sheet needs
    them)."""
    t = texts(settings.lang)
    n = settings.compare
    lrs = learning_rates(X, dataset.y, settings)
    runs = race(X, dataset.y, settings, state, sums)
    ws = wb.add_worksheet(t["sheet_compare"])
    quick_formulas(ws)
    sheet = ws.get_name()
    ws.write_string(0, 0, t["compare_title"].format(n=n), fmt.title)
    _notes(wb, ws, [t["compare_note"].format(sheet=layout.sheet), t["compare_note2"].format(sheet=layout.sheet)])
    _settings_block(ws, fmt, layout, settings, lrs, runs, n, t)
    for name, ref in lr_cells(sheet).items():
        wb.define_name(name, "=" + ref)

    count, loss = fmt.num("plain", "count"), fmt.num("plain", "loss")
    top = xl_rowcol_to_cell(HEAD_ROW + 1, 0, True, True)
    chains = lanes(layout, sheet, n, settings.unrolled)
    for i in range(n):
        row = HEAD_ROW + 1 + i
        ws.write_formula(row, 0, f"=ROW()-ROW({top})", count, float(i))
        for c, o in enumerate(NAMES, start=1):
            ws.write_formula(row, c, f"={chains[o].ref('Loss', row + 1)}", loss, stored(float(runs[o].loss[i])))
    ws.add_table(HEAD_ROW, 0, HEAD_ROW + n, len(NAMES),
                 {"name": "compare", "style": "Table Style Light 9",
                  "columns": [{"header": h} for h in ("step", *NAMES)]})
    for o, chain in chains.items():
        ws.write_string(HEAD_ROW - 1, chain.left, t["compare_lane"].format(name=o, lr=LR_NAMES[o]), fmt.section)
        chain.write(ws, fmt, runs[o], n)
        ws.set_column(chain.left, chain.left + len(chain.columns) - 1, LANE_WIDTH)
    for c, width in enumerate(TABLE_WIDTHS):
        ws.set_column(c, c, width)
    ws.set_column(CHART_COL - 1, CHART_COL - 1, 2)
    print_setup(ws, repeat_rows=(HEAD_ROW, HEAD_ROW))
    # on paper: the settings, the table and the chart; the lanes are the working, on screen
    ws.print_area(0, 0, HEAD_ROW + n, LANE_COL - 2)
    _chart(wb, ws, sheet, n, t)
    return {o: (chains[o], runs[o]) for o in NAMES}


def _notes(wb: Workbook, ws, notes: list[str]) -> None:
    """The notes under the title, each wrapped across the printed width (the table and the
    chart) in a row as tall as it needs."""
    style = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
    widths = list(TABLE_WIDTHS) + [2] + [DEFAULT_WIDTH] * (LANE_COL - 1 - CHART_COL)
    width_px = sum(char_width_px(w) for w in widths)
    for i, text in enumerate(notes, start=1):
        ws.merge_range(i, 0, i, LANE_COL - 2, text, style)
        ws.set_row(i, row_height_pt(wrapped_lines(text, width_px)))


def _settings_block(ws, fmt, layout: Layout, settings, lrs: dict[str, float], runs: dict[str, Rows], n: int, t: dict) -> None:
    """Over the table: the optimizers' names, their learning rates (inputs), the Loss each
    has in the last row, and the divergence limit."""
    last = HEAD_ROW + n  # the table's last row (0-based)
    for c, o in enumerate(NAMES, start=1):
        ws.write_string(NAMES_ROW, c, o, fmt.heading)
        name = LR_NAMES[o]
        if getattr(settings, name) is None and name in DEFAULT_FORMULAS:
            ws.write_formula(LR_ROW, c, DEFAULT_FORMULAS[name], fmt.input, float(lrs[o]))
        else:
            ws.write_number(LR_ROW, c, float(lrs[o]), fmt.input)
        ws.write_formula(LAST_ROW, c, f"={xl_rowcol_to_cell(last, c)}", fmt.num("formula", "loss"),
                         stored(float(runs[o].loss[-1])))
    ws.write_string(LR_ROW, 0, t["compare_lr"], fmt.label)
    ws.write_string(LAST_ROW, 0, t["compare_last"].format(n=n - 1), fmt.label)
    ws.write_string(LIMIT_ROW, 0, t["unrolled_limit"], fmt.label)
    # a limit in the billions reads best as 2.0E+09 in a column of Loss values
    ws.write_formula(LIMIT_ROW, 1, limit_formula(layout), fmt.num("formula", "small"), stored(runs["gd"].limit))


def _chart(wb: Workbook, ws, sheet: str, n: int, t: dict) -> None:
    first, last = HEAD_ROW + 1, HEAD_ROW + n
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    for c, o in enumerate(NAMES, start=1):
        chart.add_series({"name": o, "categories": [sheet, first, 0, last, 0],
                          "values": [sheet, first, c, last, c], "line": {"width": 2}})
    chart.set_title({"name": t["chart_compare"], "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": t["unrolled_step_axis"], "min": 0, "max": n - 1, "name_font": {"size": 9, "bold": False},
                      "num_font": {"size": 9}})
    chart.set_y_axis({"name": t["loss_axis"], "log_base": 10, "name_font": {"size": 9, "bold": False},
                      "num_font": {"size": 9}, "label_position": "low"})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": CHART_PX[0], "height": CHART_PX[1]})
    ws.insert_chart(NAMES_ROW, CHART_COL, chart, {"x_offset": 4, "y_offset": 0})
