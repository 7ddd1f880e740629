"""The steps engine on a live workbook (xlwings, or LibreOffice in the tests).

A front-end gives a `Grid`: read or write one rectangle of values, read or resize a table.
`load` reads a constant number of rectangles (settings sheet, parameter block, data,
history) and `save` writes a constant number back, however many steps ran in between.
Places come from the layout, checked against the workbook's own defined names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from . import models
from . import steps
from .errors import GradsheetError
from .messages import use
from .texts import TEXTS
from .layout import Layout
from .optimizers import HYPER_DEFAULTS, OPTIMIZERS, hyper_rule
from .scaling import scale_columns
from .settings import State

META_SHEET = "gradsheet"  # as written by writer.py
META_ROWS = 32  # a build writes 20 keys; room for more without reading far (a press reads them)


class Grid(Protocol):
    def sheet_names(self) -> list[str]: ...
    def read(self, sheet: str, row: int, col: int, nrows: int, ncols: int) -> list[list]: ...
    def write(self, sheet: str, row: int, col: int, values: list[list]) -> None: ...
    def table_body(self, sheet: str, name: str) -> list[list]: ...
    def resize_table(self, sheet: str, name: str, row: int, col: int, nrows: int, ncols: int) -> None: ...
    def name_range(self, name: str) -> tuple[str, int, int, int, int] | None:
        """(sheet, row, col, nrows, ncols) of a workbook-scope name, or None."""


@dataclass
class Live:
    """A workbook as the engine sees it."""
    layout: Layout
    lang: str
    problem: steps.Problem  # the model's data (scaled when --scale) and lr, eps, diff
    state: State
    book_loss: object  # the Loss cell's value, as the program that last calculated it saw it
    meta: dict  # the settings sheet: what the workbook was built with
    headings: tuple[str, ...]  # the features' headings, then the target's
    raw: np.ndarray  # the feature columns as the data wrote them
    # an exercise: what the cells a step pastes from (Loss, grad_P, next_P) show
    shown: dict = field(default_factory=dict)


def load(grid: Grid, meta_rows: int = META_ROWS) -> Live:
    """`meta_rows`: how far down the settings sheet to read (the file reader reads it all)."""
    if META_SHEET not in grid.sheet_names():
        raise GradsheetError("book.no_meta", sheet=META_SHEET)
    meta = {}
    for key, value in grid.read(META_SHEET, 0, 0, meta_rows, 2):
        if key:
            try:
                meta[key] = json.loads(value)
            except (TypeError, ValueError):
                raise GradsheetError("book.meta_damaged", sheet=META_SHEET, key=repr(key)) from None
    if meta.get("generator") != "gradsheet":
        raise GradsheetError("book.not_gradsheet")
    lang = meta.get("lang", "ko")
    if not isinstance(lang, str) or lang not in TEXTS:
        raise GradsheetError("book.meta_damaged", sheet=META_SHEET, key=repr("lang"))
    use(lang)  # from here on, every message speaks the workbook's language
    sheet = TEXTS.get(lang, TEXTS["ko"])["sheet_train"]
    if sheet not in grid.sheet_names():
        raise GradsheetError("book.sheet_missing", sheet=sheet)
    model, classes = meta.get("model", "linear"), tuple(str(c) for c in meta.get("classes", ()))
    if not isinstance(model, str) or model not in models.MODELS:
        raise GradsheetError("book.unknown_model", sheet=META_SHEET, model=repr(model))
    hidden, activation = _hidden_meta(meta)
    if hidden:  # Wh_1_1 … Wh_k_1: the inputs of unit 1
        k = sum(1 for j in range(1, 251) if grid.name_range(f"Wh_{j}_1"))
    elif model == "softmax":  # W_1_1 … W_k_1: the inputs of class 1
        k = sum(1 for j in range(1, 251) if grid.name_range(f"W_{j}_1"))
    else:
        k = 1 if grid.name_range("W") else sum(1 for j in range(1, 251) if grid.name_range(f"W_{j}"))
    y_range = grid.name_range("y_1" if model == "softmax" else "y")
    if not k or y_range is None:
        raise GradsheetError("book.lost_names")
    optimizer = meta.get("optimizer", "gd")
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise GradsheetError("book.unknown_optimizer", sheet=META_SHEET, optimizer=repr(optimizer))
    batch_built, shuffle = meta.get("batch", 0), meta.get("shuffle", True)
    if isinstance(batch_built, bool) or not isinstance(batch_built, int) or batch_built < 0 \
            or not isinstance(shuffle, bool):
        raise GradsheetError("book.meta_damaged", sheet=META_SHEET, key=repr("batch"))
    layout = Layout(y_range[3], k, sheet, meta.get("diff", models.FORWARD), 0,
                    meta.get("scale", "none") != "none", optimizer, model, classes, hidden, activation,
                    batch_built, shuffle)
    # a workbook of another layout (an older gradsheet's) is refused, not written at wrong places
    for name in (layout.params[0], layout.params[-1], "Loss", "lr", "next_action", "beta"):
        where = grid.name_range(name)
        if where is None or where[:3] != (sheet, *layout.cell(name)):
            raise GradsheetError("book.name_moved", name=name)
    where = grid.name_range("history_head")
    if where is None or where[:3] != (sheet, layout.history_span[0], layout.history_span[1]):
        raise GradsheetError("book.name_moved", name="history_head")

    top, left, bottom, right = _block_bounds(layout)
    block = grid.read(sheet, top, left, bottom - top + 1, right - left + 1)

    def cell(name):
        r, c = layout.cell(name)
        return block[r - top][c - left]

    def number(name, default=None):
        v = cell(name)
        if v is None and default is not None:
            return float(default)
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise GradsheetError("book.not_number", name=name, value=repr(cell(name))) from None
        if not np.isfinite(v):
            raise GradsheetError("book.not_finite", name=name, value=repr(v))
        return v

    lr, eps = number("lr"), number("eps")
    if lr <= 0 or eps <= 0:
        raise GradsheetError("book.lr_eps_positive", lr=lr, eps=eps)
    hyper = {name: number(name, default) for name, default in HYPER_DEFAULTS.items()}
    for name, value in hyper.items():  # a typed 1 or 0 would step with nonsense, or blame lr
        rule = hyper_rule(name, value)
        if rule:
            raise GradsheetError("book.hyper", name=name, value=value, rule=rule)
    target_cols = [layout.columns[name] for name in layout.targets]
    heading_col = layout.columns["label" if layout.classifier else "y"]
    width = max(*target_cols, *(layout.raw_column(j) for j in range(k)),
                *([layout.columns["key"]] if layout.batch else [])) + 1
    rows = grid.read(sheet, layout.head_row, 0, layout.n + 1, width)  # headings, then data
    heads = tuple(str(rows[0][c]) for c in [layout.raw_column(j) for j in range(k)] + [heading_col])
    data = np.array(rows[1:], dtype=object)
    try:
        # contiguous like the model's own arrays, so sums run in the same order
        raw = np.ascontiguousarray(data[:, [layout.raw_column(j) for j in range(k)]].astype(float))
        y = _targets(layout, data[:, target_cols].astype(float))
    except (TypeError, ValueError):
        raise GradsheetError("book.data_not_number") from None
    X = scale_columns(raw, meta["scale"])[0] if layout.scaled else raw
    params = layout.params
    theta = np.array([number(p) for p in params])
    state = State(theta, np.array([number(f"init_{p}", theta[i]) for i, p in enumerate(params)]),
                  number("prevLoss", 0.0), np.array([number(f"dLoss_d{p}", 0.0) for p in params]),
                  _history(_history_rows(grid, layout), len(params), layout.history_index(params[0]) - 1),
                  0,
                  {slot: np.array([number(f"{slot}_{p}", 0.0) for p in params]) for slot in layout.slots},
                  int(number("t", 0.0)) if "t" in layout.scalars else 0)
    if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(y))):
        raise GradsheetError("book.data_not_finite")
    exercise = bool(meta.get("blank") or meta.get("exercise"))
    found = _batches(grid, layout, data, number) if layout.batch else None
    problem = steps.Problem(X, y, lr, eps, meta.get("diff", models.FORWARD), optimizer, hyper,
                            model, len(classes), exercise, hidden, activation, found)
    shown = {name: cell(name) for name in steps.shown_names(params)} if exercise else {}
    state = replace(state, action=steps.position(problem, state))  # where the coach says it is
    return Live(layout, lang, problem, state, cell("Loss"), meta, heads, raw, shown)


def _batches(grid: Grid, layout: Layout, data: np.ndarray, number) -> "batches.Batches":
    """--batch: B from its cell, the shuffle key from the data block, the epochs' table from its
    place; refused in one line when they no longer make every epoch a partition of the rows."""
    from . import batches
    size = number("batch")
    if size != int(size) or not 1 <= size <= layout.n:
        raise GradsheetError("book.batch_not_size", n=layout.n, value=repr(size))
    first, c, last, _ = layout.shuffle_span
    try:
        key = data[:, layout.columns["key"]].astype(float)
        mix = np.array(grid.read(layout.sheet, first, c, last - first + 1, 3), dtype=float)
    except (TypeError, ValueError):
        raise GradsheetError("book.batch_damaged") from None
    if not batches.valid(key, mix, layout.n):
        raise GradsheetError("book.batch_damaged")
    return batches.Batches(int(size), key.astype(np.int64), mix.astype(np.int64))


def _hidden_meta(meta: dict) -> tuple[int, str]:
    """The hidden layer's units and activation from the settings sheet (none: 0, as before
    hidden layers existed). Anything else there is damage, told in one line."""
    from .network import ACTIVATIONS, MAX_HIDDEN
    hidden, activation = meta.get("hidden", 0), meta.get("activation", "tanh")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or not 0 <= hidden <= MAX_HIDDEN:
        raise GradsheetError("book.hidden_damaged", sheet=META_SHEET, key=repr("hidden"))
    if activation not in ACTIVATIONS:
        raise GradsheetError("book.hidden_damaged", sheet=META_SHEET, key=repr("activation"))
    return hidden, activation


def _targets(layout: Layout, Y: np.ndarray) -> np.ndarray:
    """y as the model takes it: the target, logistic's 0/1, or the class index of softmax's
    one-hot columns (each row exactly one 1)."""
    if layout.model == "softmax":
        if not np.all((Y == 0) | (Y == 1)) or not np.all(Y.sum(axis=1) == 1):
            raise GradsheetError("book.one_hot")
        return np.ascontiguousarray(np.argmax(Y, axis=1).astype(float))
    y = np.ascontiguousarray(Y[:, 0])
    if layout.model == "logistic" and not np.all((y == 0) | (y == 1)):
        raise GradsheetError("book.y_binary")
    return y


def _block_bounds(layout: Layout) -> tuple[int, int, int, int]:
    rows = [r for r, _ in layout.scalars.values()]
    cols = [c for _, c in layout.scalars.values()]
    return min(rows), min(cols), max(rows), max(cols)


# Rows under the history table a press reads too: rows a student pasted by hand in a program that
# does not grow the table (LibreOffice); the press's rewrite takes them into the table.
HAND_ROWS = 100


def _history_rows(grid: Grid, layout: Layout) -> list[list]:
    """The history table's body, then the rows pasted under it up to the first empty one."""
    body = list(grid.table_body(layout.sheet, "history"))
    head, c0, _, c1 = layout.history_span
    first = head + 1 + max(len(body), 1)
    below = grid.read(layout.sheet, first, c0, 1, c1 - c0 + 1)  # a press by button: an empty row
    if not all(v is None or v == "" for v in below[0][1:]):
        below = grid.read(layout.sheet, first, c0, HAND_ROWS, c1 - c0 + 1)
    for row in below:
        if all(v is None or v == "" for v in row[1:]):
            break
        body.append(row)
    return body


def _history(body: list[list], width: int, skip: int = 0) -> np.ndarray:
    """The engine's history rows [P…, Loss] from the table's rows (`skip`: columns between the
    step number and the first parameter: --batch's epoch; Loss_batch after Loss is recomputed)."""
    rows = []
    for row in body:
        values = row[1 + skip:2 + skip + width]  # the step number (and with --batch the epoch) first
        if all(v is None or v == "" for v in values):
            continue  # an empty table keeps one blank row
        try:
            rows.append([float(v) for v in values])
        except (TypeError, ValueError):
            raise GradsheetError("book.history_not_number", row=len(rows) + 1, values=repr(values)) from None
    return np.array(rows, dtype=float).reshape(-1, width + 1)


def save(grid: Grid, live: Live, new: State, note: str | None = None) -> None:
    """Write what changed from live.state to `new`: parameters, dLoss_dP, the optimizer's
    state, prevLoss, the status cells and the history rows — a few rectangles and one table
    resize at most."""
    save_cells(grid, live, new, note)
    _save_history(grid, live, live.state.history, new.history)


def history_cells(live: Live, rows: np.ndarray, first: int) -> list[list]:
    """The history table's cells of the engine's `rows` from row `first` (0-based): with --batch
    the epoch and the row's Loss_batch too, from the model on the batch of the row's step."""
    problem = live.problem
    losses = None
    if problem.batches is not None:
        from .descent import batch_losses
        losses = batch_losses(problem.X, problem.y, rows, problem.spec, problem.batches, first)
    from .batches import history_cells as cells
    return cells(rows, first, problem.batches, losses)


def save_cells(grid: Grid, live: Live, new: State, note: str | None = None) -> None:
    """`save` without the history rows (core/press.py writes those from the table's ends)."""
    lay, sheet = live.layout, live.layout.sheet
    r, c = lay.cell(lay.params[0])
    grid.write(sheet, r, c, [[float(v)] for v in new.theta])
    r, c = lay.cell(f"dLoss_d{lay.params[0]}")
    grid.write(sheet, r, c, [[float(v)] for v in new.dloss])
    if lay.slots:  # the state columns stand side by side: one rectangle
        r, c = lay.cell(f"{lay.slots[0]}_{lay.params[0]}")
        grid.write(sheet, r, c, [[float(new.slots[s][p]) for s in lay.slots] for p in range(len(lay.params))])
    if "t" in lay.scalars:
        r, c = lay.cell("t")
        grid.write(sheet, r, c, [[int(new.t)]])
    r, c = lay.cell("prevLoss")
    grid.write(sheet, r, c, [[float(new.prev_loss)]])
    r, c = lay.button_note  # the coach's cells are formulas: they follow by themselves
    grid.write(sheet, r, c, [[note or ""]])


def _save_history(grid: Grid, live: Live, old: np.ndarray, new: np.ndarray) -> None:
    lay = live.layout
    head, c0, _, c_last = lay.history_span
    ncols = c_last - c0 + 1
    keep = len(old) if len(new) >= len(old) and np.array_equal(new[:len(old)], old) else 0
    rows = history_cells(live, new[keep:], keep)
    if not len(new):  # reset: blank the old rows; the table keeps one (blank) body row
        rows = [[None] * ncols for _ in range(max(len(old), 1))]
    elif keep == 0 and len(old) > len(new):
        rows += [[None] * ncols for _ in range(len(old) - len(new))]
    if rows:
        grid.write(lay.sheet, head + 1 + keep, c0, rows)
    if len(new) != len(old):
        grid.resize_table(lay.sheet, "history", head, c0, max(len(new), 1) + 1, ncols)
