"""The headless engine's book: a gradsheet workbook file read back into dataset, settings
and state, so `gradsheet step/run/reset` can rewrite it through the same writer.

The reading itself is core.live.load, the same as for a live workbook; here it runs on an
openpyxl Grid over the file's stored values (as the program that saved it calculated them).
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from ..core import live
from ..data.dataset import Dataset
from ..core.errors import GradsheetError
from ..core.layout import Layout
from ..core.optimizers import HYPER_NAMES
from ..core.settings import RACE_LR_NAMES, Settings, State
from ..sheets.blanks import Kept, Written

SETTING_KEYS = ("seed", "lang", "diff", "title", "buttons", "unrolled", "landscape", "scale", "model", "optimizer",
                "compare", "classes", "batch", "shuffle", "batch_seed")
# An exercise's record (gradsheet exercise): its blank cells, whose it is, which exercise.
EXERCISE_KEYS = ("blank", "student", "student_name", "exercise")
RECORD_ROWS = 1000  # the hidden record has ~20 rows; far more is not gradsheet's
_LINK = re.compile(r"\[\d+\]")  # a reference into another workbook, as a file stores it: [1]Sheet1!A1


@dataclass
class WorkbookFile:
    path: Path
    dataset: Dataset
    settings: Settings
    state: State
    book_loss: object  # the Loss cell's stored value
    layout: Layout  # where the workbook keeps its cells (history_rows not counted)
    exercise: "ExerciseFile | None" = None  # an exercise workbook: what the student wrote

    def address(self, name: str) -> str:
        """A cell a message can point to, as a student types it: 학습!G5."""
        return f"{self.layout.sheet}!{self.layout.a1(name).replace('$', '')}"


class OpenpyxlGrid:
    """core.live.Grid, read-only, over a workbook opened by openpyxl (read_only, data_only)."""

    def __init__(self, wb):
        self.wb = wb

    def sheet_names(self):
        return self.wb.sheetnames

    def read(self, sheet, row, col, nrows, ncols):
        rows = [list(r) for r in self.wb[sheet].iter_rows(min_row=row + 1, max_row=row + nrows,
                                                             min_col=col + 1, max_col=col + ncols,
                                                             values_only=True)]
        rows += [[None] * ncols for _ in range(nrows - len(rows))]  # past the sheet's end
        return rows

    def table_body(self, sheet, name):
        """The rows under the table's header down to the first blank one (a read-only
        workbook does not expose its tables; `history_head` names the header row)."""
        _, row, col, _, ncols = self.name_range(f"{name}_head")
        body = []
        for r in self.wb[sheet].iter_rows(min_row=row + 2, min_col=col + 1, max_col=col + ncols,
                                          values_only=True):
            if all(v is None for v in r):
                break
            body.append(list(r))
        return body

    def name_range(self, name):
        if name not in self.wb.defined_names:
            return None
        try:
            (sheet, ref), = self.wb.defined_names[name].destinations
            c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
        except (ValueError, TypeError):
            return None
        return sheet, r1 - 1, c1 - 1, r2 - r1 + 1, c2 - c1 + 1

    def write(self, *args):
        raise NotImplementedError("files are rewritten whole by the writer")

    resize_table = write


def race_lrs(grid: live.Grid, derived: set[str] = frozenset()) -> dict[str, float | None]:
    """The race's learning rates, lr_gd … lr_adam, from their cells (students may change them);
    None where the workbook has no race, the cell is empty or it holds the default formula
    (names in `derived`): then the writer derives the default again."""
    out = {}
    for name in RACE_LR_NAMES:
        where = grid.name_range(name)
        value = None if where is None else grid.read(where[0], where[1], where[2], 1, 1)[0][0]
        if name in derived or value is None or (isinstance(value, str) and not value.strip()):
            out[name] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
            cell = f"{where[0]}!{get_column_letter(where[2] + 1)}{where[1] + 1}"
            raise GradsheetError("book.race_lr", name=name, cell=cell, value=repr(value))
        out[name] = number
    return out


def _default_formulas(path: Path, grid: OpenpyxlGrid) -> set[str]:
    """The race's lr cells that still hold their default formula (=lr: the gd lane follows the
    workbook's lr until a student types a number there). Formulas need a second, formula-text
    reading of just those cells (a few rows at the top of one sheet)."""
    from ..sheets.compare import DEFAULT_FORMULAS
    places = {name: grid.name_range(name) for name in DEFAULT_FORMULAS}
    places = {name: where for name, where in places.items() if where is not None}
    if not places:
        return set()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return {name for name, (sheet, r, c, _, _) in places.items()
                if str(OpenpyxlGrid(wb).read(sheet, r, c, 1, 1)[0][0]).replace(" ", "") == DEFAULT_FORMULAS[name]}
    finally:
        wb.close()


def read(path: str | Path) -> WorkbookFile:
    path = Path(path)
    if not path.is_file():
        raise GradsheetError("book.not_found", path=path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise GradsheetError("book.unreadable", path=path, kind=type(e).__name__) from None
    try:
        grid = OpenpyxlGrid(wb)
        opened = live.load(grid, RECORD_ROWS)
        race = race_lrs(grid, _default_formulas(path, grid))
        exercise = _exercise_options(opened.meta)
    except GradsheetError as e:
        raise GradsheetError("book.in_file", path=path, error=e) from None
    finally:
        wb.close()
    meta = opened.meta
    options = {key: meta[key] for key in SETTING_KEYS if key in meta}
    options["landscape"] = tuple(options.get("landscape", ()))
    options["classes"] = tuple(options.get("classes", ()))
    options["hidden"], options["activation"] = opened.layout.hidden, opened.layout.activation  # checked by load
    if opened.problem.batches is not None:  # B is a cell a student may have changed, checked by load
        options["batch"] = opened.problem.batches.size
    # lr, eps and the hyperparameters are cells a student may have changed: read from the sheet
    settings = Settings(lr=opened.problem.lr, eps=opened.problem.eps, **opened.problem.hyper, **options,
                        **(exercise or {}))
    dataset = Dataset(meta.get("dataset", path.stem), opened.headings[:-1], opened.headings[-1],
                      opened.raw, opened.problem.y, classes=settings.classes, model=settings.model)
    settings = replace(settings, **still_derived(race, opened.problem.X, opened.problem.y, settings))
    found = opened.problem.batches
    if found is not None:  # a rewrite draws the key and the table from the seed again: the same?
        made = settings.batches(dataset.n)
        if not (np.array_equal(made.key, found.key) and np.array_equal(made.mix, found.mix)):
            raise GradsheetError("book.in_file", path=path, error=GradsheetError("book.batch_damaged"))
    book = WorkbookFile(path, dataset, settings, opened.state, opened.book_loss, opened.layout)
    if exercise:
        try:
            book.exercise = _read_exercise(path, opened.layout, settings.blank, opened.shown)
        except GradsheetError as e:
            raise GradsheetError("book.in_file", path=path, error=e) from None
    return book


# --- exercise workbooks: the student's cells and the exercise's record, kept ------------------

@dataclass(frozen=True)
class ExerciseFile:
    """An exercise workbook (made by `gradsheet exercise`) as the student's file holds it."""
    kept: Kept  # every blank cell's content and the hidden record, for the rewrite
    places: dict[str, list[tuple[int, int]]]  # blank name -> its cells on the training sheet
    shown: dict[str, object]  # what the cells a step reads (Loss, grad_P, next_P) showed when last calculated


def _exercise_options(meta: dict) -> dict | None:
    """The record's exercise keys as settings, or None for a workbook that is no exercise."""
    if not (meta.get("blank") or meta.get("exercise")):
        return None
    blank = meta.get("blank", [])
    if not isinstance(blank, list) or not all(isinstance(name, str) for name in blank):
        raise GradsheetError("book.meta_damaged", sheet=live.META_SHEET, key=repr("blank"))
    out = {"blank": tuple(blank)}
    for key in EXERCISE_KEYS[1:]:
        value = meta.get(key, "")
        if not isinstance(value, str):
            raise GradsheetError("book.meta_damaged", sheet=live.META_SHEET, key=repr(key))
        out[key] = value
    return out


def _value_cells(layout: Layout) -> set[str]:
    """Cells that hold the numbers a step reads and writes (never a blank of an exercise)."""
    names = {"lr", "eps", "t", "prevLoss", "next_action", *HYPER_NAMES}
    for p in layout.params:
        names |= {p, f"init_{p}", f"dLoss_d{p}", *[f"{slot}_{p}" for slot in layout.slots]}
    return names | set(layout.features) | set(layout.targets)


def blank_places(layout: Layout, blank) -> dict[str, list[tuple[int, int]]]:
    """Each blank name's cells: one for a single cell, every data row for a column (h). A name
    the training sheet does not have is none; one of the cells a step writes is a damaged record."""
    values = _value_cells(layout)
    out = {}
    for name in blank:
        if name in values:
            raise GradsheetError("book.meta_damaged", sheet=live.META_SHEET, key=repr("blank"))
        if name in layout.scalars:
            out[name] = [layout.cell(name)]
        elif name in layout.computed:
            c = layout.columns[name]
            out[name] = [(r, c) for r in range(layout.first_row, layout.last_row + 1)]
    return out


def _read_exercise(path: Path, layout: Layout, blank, shown: dict) -> ExerciseFile:
    """The formula-text reading: every blank cell's content, and the hidden record's rows."""
    places = blank_places(layout, blank)
    where = [rc for cells in places.values() for rc in cells]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        raw = {}
        if where:
            top, left = min(r for r, _ in where), min(c for _, c in where)
            bottom, right = max(r for r, _ in where), max(c for _, c in where)
            for r, row in enumerate(wb[layout.sheet].iter_rows(min_row=top + 1, max_row=bottom + 1,
                                                               min_col=left + 1, max_col=right + 1), start=top):
                for c, cell in enumerate(row, start=left):
                    raw[(r, c)] = cell
        record = _record(wb[live.META_SHEET])
    finally:
        wb.close()
    cells = _written(layout, {rc: raw.get(rc) for rc in where})
    filled = frozenset(name for name, rcs in places.items() if any(not cells[rc].empty for rc in rcs))
    return ExerciseFile(Kept(cells, filled, record), places, shown)


def _written(layout: Layout, raw: dict) -> dict[tuple[int, int], Written]:
    """What the student wrote in each blank cell, as it can be written back exactly; a cell
    that cannot be is refused, naming it (nothing is written then)."""
    out = {}
    members = set()
    for (r, c), cell in raw.items():
        at = f"{layout.sheet}!{get_column_letter(c + 1)}{r + 1}"
        value = None if cell is None else cell.value
        kind = None if cell is None else getattr(cell, "data_type", None)
        if isinstance(value, ArrayFormula):
            c1, r1, c2, r2 = range_boundaries(str(value.ref).replace("$", ""))
            area = {(rr, cc) for rr in range(r1 - 1, r2) for cc in range(c1 - 1, c2)}
            if (r, c) != (r1 - 1, c1 - 1) or not area <= raw.keys():
                raise GradsheetError("book.exercise_array", cell=at, range=value.ref)
            text = value.text if str(value.text).startswith("=") else f"={value.text}"
            _no_link(at, text)
            out[(r, c)] = Written(formula=text, array=(r1 - 1, c1 - 1, r2 - 1, c2 - 1))
            members |= area - {(r, c)}
        elif value is None:
            out[(r, c)] = Written()
        elif kind == "f" or (kind is None and isinstance(value, str) and value.startswith("=")):
            _no_link(at, value)
            out[(r, c)] = Written(formula=value)
        elif kind == "e":
            raise GradsheetError("book.exercise_error_value", cell=at, value=value)
        elif isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
            out[(r, c)] = Written(value=to_excel(value))  # a typed number in a date format: the number
        elif isinstance(value, (bool, int, float, str)):
            out[(r, c)] = Written(value=value)
        else:
            raise GradsheetError("book.exercise_error_value", cell=at, value=repr(value))
    for rc in members:  # filled by their array formula: what the file stores there is its result
        out[rc] = Written(in_array=True)
    return out


def _no_link(at: str, formula: str) -> None:
    if _LINK.search(formula):
        raise GradsheetError("book.exercise_link", cell=at)


def _record(ws) -> tuple[tuple, ...]:
    """The hidden settings sheet row by row, as it is (text, numbers; trailing blanks dropped)."""
    rows = []
    for row in ws.iter_rows():
        values = []
        for cell in row:
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) in ("f", "e") or not isinstance(value, (str, int, float, type(None))):
                raise GradsheetError("book.meta_damaged", sheet=live.META_SHEET, key=repr(f"{cell.coordinate}"))
            values.append(value)
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
        if len(rows) > RECORD_ROWS:
            raise GradsheetError("book.meta_damaged", sheet=live.META_SHEET, key=repr("rows"))
    while rows and not rows[-1]:
        rows.pop()
    return tuple(rows)


def still_derived(race: dict[str, float | None], X, y, settings: Settings) -> dict[str, float | None]:
    """The race's learning rates as read, with None for those that still hold the default the
    writer derived from the data (so a rewrite keeps deriving them, and a round trip keeps
    the settings equal)."""
    if all(v is None for v in race.values()):
        return race
    from ..sheets.compare import LR_NAMES, default_lrs
    defaults = {LR_NAMES[o]: v for o, v in default_lrs(X, y, settings).items()}
    return {name: None if v == defaults[name] else v for name, v in race.items()}
