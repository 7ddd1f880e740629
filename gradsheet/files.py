"""The headless engine's book: a gradsheet workbook file read back into dataset, settings
and state, so `gradsheet step/run/reset` can rewrite it through the same writer.

Places come from the layout (rebuilt from the workbook's size and its hidden settings
sheet); the workbook's defined names are checked against it, so a workbook whose structure
was changed is refused instead of being misread.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from .dataset import Dataset
from .errors import GradsheetError
from .layout import Layout, quote_sheet
from .settings import Settings, State
from .writer import META_SHEET

SETTING_KEYS = ("seed", "lang", "diff", "title", "buttons", "unrolled", "landscape", "scale")


@dataclass
class WorkbookFile:
    path: Path
    dataset: Dataset
    settings: Settings
    state: State
    book_loss: object  # the Loss cell's stored value, as the last program to save it computed it


def read(path: str | Path) -> WorkbookFile:
    path = Path(path)
    if not path.is_file():
        raise GradsheetError(f"workbook not found: {path}")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise GradsheetError(f"{path}: not a readable .xlsx workbook ({type(e).__name__})") from None
    try:
        return _read(path, wb)
    finally:
        wb.close()


def _read(path: Path, wb) -> WorkbookFile:
    if META_SHEET not in wb.sheetnames:
        raise GradsheetError(f"{path}: not a gradsheet workbook (it has no '{META_SHEET}' sheet); "
                             "make one with `gradsheet build`")
    meta = {}
    for row in wb[META_SHEET].iter_rows(max_col=2, values_only=True):
        if row[0] is not None:
            try:
                meta[row[0]] = json.loads(row[1])
            except (TypeError, ValueError):
                raise GradsheetError(f"{path}: its '{META_SHEET}' sheet is damaged (key {row[0]!r})") from None
    if meta.get("generator") != "gradsheet":
        raise GradsheetError(f"{path}: not a gradsheet workbook")
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    k = 1 if "W" in names else sum(1 for n in names if n.startswith("W_"))
    if "y" not in names or k == 0:
        raise GradsheetError(f"{path}: the workbook lost its names W/B/y; it cannot be stepped")
    n = _rows_of(names["y"])
    raw = {key: meta[key] for key in SETTING_KEYS if key in meta}
    raw["landscape"] = tuple(raw.get("landscape", ()))
    from .labels import texts
    sheet = texts(raw.get("lang", "ko"))["sheet_train"]
    if sheet not in wb.sheetnames:
        raise GradsheetError(f"{path}: the sheet '{sheet}' is missing")
    layout = Layout(n, k, sheet, raw.get("diff", "forward"), 0, raw.get("scale", "none") != "none")
    _check_names(path, layout, names)
    ws = wb[sheet]
    dataset = _read_data(path, ws, layout, meta.get("dataset", path.stem))
    block = _read_block(ws, layout)
    lr, eps = (_number(path, layout, block, name) for name in ("lr", "eps"))
    settings = Settings(lr=lr, eps=eps, **raw)
    params = layout.params
    theta = np.array([_number(path, layout, block, p) for p in params])
    init = np.array([_number(path, layout, block, f"init_{p}", default=theta[i]) for i, p in enumerate(params)])
    dloss = np.array([_number(path, layout, block, f"dLoss_d{p}", default=0.0) for p in params])
    prev = _number(path, layout, block, "prevLoss", default=0.0)
    from . import procedure
    action = procedure.parse(k, _cell(block, layout, "next_action"))
    history = _read_history(ws, layout)
    state = State(theta, init, prev, dloss, history, action)
    return WorkbookFile(path, dataset, settings, state, _cell(block, layout, "Loss"))


def _rows_of(ref: str) -> int:
    """Rows in a name's 'Sheet'!$B$5:$B$10 reference."""
    cells = ref.split("!")[-1].replace("$", "").split(":")
    first = int("".join(ch for ch in cells[0] if ch.isdigit()))
    last = int("".join(ch for ch in cells[-1] if ch.isdigit()))
    return last - first + 1


def _check_names(path: Path, layout: Layout, names: dict[str, str]) -> None:
    for name, ref in layout.defined_names().items():
        if names.get(name, "").replace("'", "") != ref.replace("'", ""):
            raise GradsheetError(f"{path}: the name '{name}' no longer points where gradsheet put it "
                                 f"({names.get(name)!r} instead of {ref!r}); the workbook's structure was changed")


def _read_data(path: Path, ws, layout: Layout, name: str) -> Dataset:
    raw_cols = [layout.raw_column(j) for j in range(layout.k)]
    yc = layout.columns["y"]
    width = max(raw_cols + [yc]) + 1
    head = next(ws.iter_rows(min_row=layout.head_row + 1, max_row=layout.head_row + 1, max_col=width, values_only=True))
    X = np.empty((layout.n, layout.k))
    y = np.empty(layout.n)
    rows = ws.iter_rows(min_row=layout.first_row + 1, max_row=layout.last_row + 1, max_col=width, values_only=True)
    for i, row in enumerate(rows):
        try:
            X[i] = [row[c] for c in raw_cols]
            y[i] = row[yc]
        except (TypeError, ValueError, IndexError):
            raise GradsheetError(f"{path}: data row {layout.first_row + i + 1} holds a non-number; "
                                 "the data was damaged") from None
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise GradsheetError(f"{path}: the data holds a non-finite number")
    return Dataset(name, tuple(str(head[c]) for c in raw_cols), str(head[yc]), X, y)


def _read_block(ws, layout: Layout) -> dict[tuple[int, int], object]:
    """The parameter block's cells (settings, parameter table, Loss rows) by (row, col)."""
    rows = [r for r, _ in layout.scalars.values()]
    cols = [c for _, c in layout.scalars.values()]
    block = {}
    for r, row in enumerate(ws.iter_rows(min_row=min(rows) + 1, max_row=max(rows) + 1,
                                         min_col=min(cols) + 1, max_col=max(cols) + 1,
                                         values_only=True), start=min(rows)):
        for c, v in enumerate(row, start=min(cols)):
            block[r, c] = v
    return block


def _cell(block, layout: Layout, name: str):
    return block.get(layout.cell(name))


def _number(path: Path, layout: Layout, block, name: str, default: float | None = None) -> float:
    value = _cell(block, layout, name)
    if value is None and default is not None:
        return float(default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        where = f"{quote_sheet(layout.sheet)}!{layout.a1(name).replace('$', '')}"
        raise GradsheetError(f"{path}: {name} ({where}) holds {value!r}, not a finite number")
    return float(value)


def _read_history(ws, layout: Layout) -> np.ndarray:
    """History rows [P…, Loss] under the table's header, up to the first blank row."""
    head, c0, _, c_last = layout.history_span
    rows = []
    for row in ws.iter_rows(min_row=head + 2, min_col=c0 + 1, max_col=c_last + 1, values_only=True):
        values = row[1:]  # the step number comes first
        if all(v is None for v in values):
            break
        try:
            rows.append([float(v) for v in values])
        except (TypeError, ValueError):
            raise GradsheetError(f"history row {len(rows) + 1} holds a non-number: {values!r}") from None
    return np.array(rows, dtype=float).reshape(-1, len(layout.params) + 1)
