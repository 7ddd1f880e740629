"""The race ("최적화 비교" / "Optimizers"): N steps from the training sheet's current W, B with
each of the four optimizers, side by side, every cell a live formula.

An Excel table named `compare` holds the step and the Loss of each optimizer after that many
steps (columns step, gd, momentum, rmsprop, adam); a chart draws the four curves on a log
scale. Each optimizer runs in its own lane of columns to the right: the same chain as the
'All steps' sheet (unrolled.Chain: parameters, losses from the sums, slopes, state, next
values, the divergence guard; with --batch the same batches, from the training sheet's step,
unrolled.py says how), with a fresh state (0) and its own learning rate from an
input cell named lr_gd, lr_momentum, lr_rmsprop or lr_adam. The hyperparameters are the
training sheet's (beta, rho, beta1, beta2, delta), so all of it follows what the students
change there.

Default learning rates (Settings.lr_* = None), chosen to make a lesson of the race that every
spreadsheet program shows with the same digits:
- gd: the workbook's own lr, so the race's gd lane is the course's descent;
- momentum, rmsprop, adam: the largest round lr (1, 2 or 5 × 10^k) at or under a size rule whose
  lane, from the workbook's seeded start, is calm and ends lower than it started. The size
  rules: momentum half its stability limit, (1 + beta)/curvature (heavy-ball momentum on a
  quadratic converges for lr < (2 + 2·beta)/λmax); RMSprop and Adam 0.05 × the size of the
  answer (max |least-squares P|, at least 1; 0.05 for a classifier): both divide the slope by
  its own root mean square, so each step moves every parameter by about lr.
- calm: moving the start (or lr) by one unit in the last place moves no row by more than
  CHAOS_DRIFT = 1e-10 (drift()). RMSprop's steps never shrink: once a parameter reaches its
  answer it jitters around it, and that jitter is chaotic (a one-ulp change grows to the size of
  the lane within tens of steps), so two programs, whose sums round differently, draw different
  digits. Measured (tests/test_compare.py::test_default_learning_rates_are_calm_and_make_a_lesson,
  drift of the chosen lr): lemonade rmsprop 0.1 → 0.05 (0.1 drifts by 6; 0.05 by 1.2e-12, Loss
  1917 → 0.043); housing rmsprop 0.2 → 0.005 (no round lr from 0.01 to 2 is calm there:
  a standardised input reaches its answer within the 100 steps; 0.005 falls 34 → 25); the
  3-feature table 0.1 → 0.02; momentum, Adam, gd and every classifier lane keep the size rule
  (drifts 1e-16 to 7e-11).
A lane whose visible digits depend on rounding (drift over VISIBLE_DRIFT: a learning rate the
user chose, or a race started where a default is no longer calm) says so in one line under
the notes; a build warns when the user chose that lr.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import models
from ..core.layout import Layout, param_names, quote_sheet
from ..core.messages import Message
from ..core.optimizers import OPTIMIZERS
from ..core.settings import initial_theta
from ..core.texts import texts
from . import stats
from ..core.layout import char_width_px
from .looks import print_setup, row_height_pt, wrapped_lines
from .formulas import quick_formulas, stored
from .unrolled import Chain, Rows, batch_plan, rows

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
# A lane is chaotic when a change of its start or its lr by one unit in the last place moves
# its rows by more than this (parameters relative to their column's largest size, the Loss
# relative to itself). Two spreadsheet programs round differently in every step (their sums
# differ in the last bits); a lane that amplifies one ulp to 1e-10 would not show the same
# digits to 1e-9 in both. Measured (tests/test_compare.py::test_chaos_measure_separates_the_lanes):
# the calm lanes of the presets drift by 1e-16 to 6e-11, the chaotic ones by 1e-4 to 1e2.
CHAOS_DRIFT = 1e-10
# The sheet's note (and the build's warning) speak of digits a reader sees: a lane whose rows
# move by more than this from one ulp shows different digits in different programs. Between
# the two a lane is not calm enough to be a default, yet shows the same digits everywhere
# (e.g. a start far from the answer, whose ulp is large next to the answer's size).
VISIBLE_DRIFT = 1e-6
LADDER_DEPTH = 10  # round values tried below the size rule's lr (a factor of 1,000 in all)


def upper_lrs(X: np.ndarray, y: np.ndarray, settings) -> dict[str, float]:
    """The size rules of the module's notes: where the search for each default lr starts.
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


def lane_rows(X, y, settings, theta, lr: float, o: str, sums: stats.Sums | None = None, step: int = 0) -> Rows:
    """One lane's numbers: a fresh state, `lr`, settings.compare steps from theta (with --batch
    from the training sheet's step `step`, on its batches)."""
    b, _ = batch_plan(settings, len(y))
    return rows(X, y, np.asarray(theta, dtype=float), lr, settings.eps, settings.compare, settings.diff, OPTIMIZERS[o],
                settings.hyper, sums=sums, model=settings.spec, batches=b, step=step)


def drift(X, y, settings, theta, lr: float, o: str, sums: stats.Sums | None = None,
          base: Rows | None = None, step: int = 0) -> float:
    """How far lane `o` moves when its start (every parameter one ulp up, or one ulp down) or
    its lr (one ulp up) moves by the least a float can: the largest change of any row's
    parameters (relative to the largest size in their column) or Loss (relative to itself).
    A calm lane keeps it near the ulp it was given; a chaotic one grows it to the size of
    the lane itself (see CHAOS_DRIFT)."""
    theta = np.asarray(theta, dtype=float)
    a = lane_rows(X, y, settings, theta, lr, o, sums, step) if base is None else base
    scale = np.maximum(np.max(np.abs(a.theta), axis=0), np.finfo(float).tiny)
    loss = np.maximum(np.abs(a.loss), np.finfo(float).tiny)
    worst = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        for start, rate in ((np.nextafter(theta, np.inf), lr), (np.nextafter(theta, -np.inf), lr),
                            (theta, float(np.nextafter(lr, np.inf)))):
            b = lane_rows(X, y, settings, start, rate, o, sums, step)
            moved = max(float(np.max(np.abs(a.theta - b.theta) / scale, initial=0.0)),
                        float(np.max(np.abs(a.loss - b.loss) / loss, initial=0.0)))
            worst = max(worst, moved if np.isfinite(moved) else np.inf)
    return worst


def _ladder(top: float):
    """top rounded down to 1, 2 or 5 × 10^k, then each round value below it."""
    v = models.round_below(top)
    for _ in range(LADDER_DEPTH):
        yield v
        v = models.round_below(v * (1 - 1e-6))


def reference_start(X: np.ndarray, settings) -> np.ndarray:
    """The start the defaults are measured from: the seeded initial values a fresh workbook
    has (so the defaults depend on the data and the settings only, and a rewrite derives the
    same ones)."""
    k = X.shape[1]
    return initial_theta(k, settings.seed, len(param_names(k, settings.model, len(settings.classes))))


_DEFAULTS: dict = {}


def default_lrs(X: np.ndarray, y: np.ndarray, settings) -> dict[str, float]:
    """The race's learning rates when the settings leave them open: for momentum, RMSprop and
    Adam the largest round lr at or below the size rule (upper_lrs) whose lane, from the
    seeded start, is calm (not chaotic: see drift) and ends lower than it started; gd keeps the
    workbook's lr. When no value on the ladder qualifies, the size rule's (the sheet then says
    its digits depend on rounding)."""
    key = (hashlib.sha1(np.ascontiguousarray(X, dtype=float).tobytes()).hexdigest(),
           hashlib.sha1(np.ascontiguousarray(y, dtype=float).tobytes()).hexdigest(),
           settings.model, tuple(settings.classes), settings.lr, settings.eps, settings.diff, settings.compare,
           settings.seed, tuple(sorted(settings.hyper.items())), settings.batch, settings.shuffle, settings.batch_seed)
    if key not in _DEFAULTS:
        _DEFAULTS.clear()  # one table at a time
        _DEFAULTS[key] = _search(X, y, settings)
    return dict(_DEFAULTS[key])


def _search(X, y, settings) -> dict[str, float]:
    upper = upper_lrs(X, y, settings)
    if settings.compare < 2 or getattr(settings, "hidden", 0):  # a network's lanes: see upper_lrs
        return upper
    start = reference_start(X, settings)
    sums = stats.sums(X, y) if settings.model == "linear" else None
    out = {"gd": upper["gd"]}
    for o in NAMES[1:]:
        out[o] = upper[o]
        for lr in _ladder(upper[o]):
            lane = lane_rows(X, y, settings, start, lr, o, sums)
            if not np.all(lane.loss <= lane.limit) or not lane.loss[-1] < lane.loss[0]:
                continue
            if drift(X, y, settings, start, lr, o, sums, base=lane) <= CHAOS_DRIFT:
                out[o] = lr
                break
    return out


def learning_rates(X: np.ndarray, y: np.ndarray, settings) -> dict[str, float]:
    """Each lane's lr: the settings' lr_<name>, or its default."""
    given = {o: getattr(settings, LR_NAMES[o]) for o in NAMES}
    if all(v is not None for v in given.values()):
        return given
    return {o: given[o] if given[o] is not None else v for o, v in default_lrs(X, y, settings).items()}


def chaotic_lanes(X, y, settings, theta, sums: stats.Sums | None = None,
                  runs: dict[str, Rows] | None = None, step: int = 0) -> list[str]:
    """The lanes whose visible digits depend on rounding (VISIBLE_DRIFT), from `theta` at their
    learning rates (`runs`:
    the lanes' numbers, when at hand). A lane that passes the divergence limit is left to the
    limit's own note: it stops there, and its growth, not chaos, is what it shows."""
    lrs = learning_rates(X, y, settings)
    out = []
    for o in NAMES:
        base = lane_rows(X, y, settings, theta, lrs[o], o, sums, step) if runs is None else runs[o]
        if np.all(base.loss <= base.limit) and drift(X, y, settings, theta, lrs[o], o, sums, base,
                                                     step) > VISIBLE_DRIFT:
            out.append(o)
    return out


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
    """Each lane's numbers: fresh state, its own lr, from the current parameters (with --batch
    from the training sheet's step, on its batches)."""
    st = stats.sums(X, y) if sums is None and settings.model == "linear" and not settings.hidden else sums
    lrs = learning_rates(X, y, settings)
    b, step = batch_plan(settings, len(y), state)
    return {o: rows(X, y, state.theta, lrs[o], settings.eps, settings.compare, settings.diff, OPTIMIZERS[o],
                    settings.hyper, sums=st, model=settings.spec, batches=b, step=step) for o in NAMES}


# --- the sheet ----------------------------------------------------------------------------------
def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X: np.ndarray,
          sums: stats.Sums | None = None) -> dict[str, tuple[Chain, Rows]]:
    """Write the sheet; returns each lane's chain and numbers (softmax's 'Logits' sheet needs
    them)."""
    t = texts(settings.lang)
    n = settings.compare
    lrs = learning_rates(X, dataset.y, settings)
    sums = stats.sums(X, dataset.y) if sums is None and settings.model == "linear" else sums
    runs = race(X, dataset.y, settings, state, sums)
    chaos = chaotic_lanes(X, dataset.y, settings, state.theta, sums, runs, batch_plan(settings, dataset.n, state)[1])
    ws = wb.add_worksheet(t["sheet_compare"])
    quick_formulas(ws)
    sheet = ws.get_name()
    ws.write_string(0, 0, t["compare_title"].format(n=n), fmt.title)
    second = t["compare_note2"].format(sheet=layout.sheet)
    if chaos:  # one line, under the notes: these lanes' digits depend on rounding
        names = ", ".join(f"{o} (lr {lrs[o]:g})" for o in chaos)
        second += "\n" + t["compare_chaos"].format(names=names)
        asked = [f"{o} (lr {lrs[o]:g})" for o in chaos if getattr(settings, LR_NAMES[o]) is not None]
        if asked:  # a learning rate the user chose (a default that turned chaotic: the note only)
            warnings.warn(Message("build.race_chaotic", names=", ".join(asked)), stacklevel=2)
    first = t["compare_note"].format(sheet=layout.sheet)
    if layout.batch:
        first += " " + t["compare_note_batch"].format(sheet=layout.sheet)
    _notes(wb, ws, [first, second])
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
