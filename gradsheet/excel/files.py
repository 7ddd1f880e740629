"""The headless engine's book: a gradsheet workbook file read back into dataset, settings
and state, so `gradsheet step/run/reset` can rewrite it through the same writer.

The reading itself is core.live.load, the same as for a live workbook; here it runs on an
openpyxl Grid over the file's stored values (as the program that saved it calculated them).
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from ..core import live
from ..data.dataset import Dataset
from ..core.errors import GradsheetError
from ..core.layout import Layout
from ..core.settings import RACE_LR_NAMES, Settings, State

SETTING_KEYS = ("seed", "lang", "diff", "title", "buttons", "unrolled", "landscape", "scale", "model", "optimizer",
                "compare", "classes")


@dataclass
class WorkbookFile:
    path: Path
    dataset: Dataset
    settings: Settings
    state: State
    book_loss: object  # the Loss cell's stored value
    layout: Layout  # where the workbook keeps its cells (history_rows not counted)

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
        opened = live.load(grid)
        race = race_lrs(grid, _default_formulas(path, grid))
    except GradsheetError as e:
        raise GradsheetError("book.in_file", path=path, error=e) from None
    finally:
        wb.close()
    meta = opened.meta
    options = {key: meta[key] for key in SETTING_KEYS if key in meta}
    options["landscape"] = tuple(options.get("landscape", ()))
    options["classes"] = tuple(options.get("classes", ()))
    # lr, eps and the hyperparameters are cells a student may have changed: read from the sheet
    settings = Settings(lr=opened.problem.lr, eps=opened.problem.eps, **opened.problem.hyper, **options)
    dataset = Dataset(meta.get("dataset", path.stem), opened.headings[:-1], opened.headings[-1],
                      opened.raw, opened.problem.y, classes=settings.classes, model=settings.model)
    settings = replace(settings, **still_derived(race, opened.problem.X, opened.problem.y, settings))
    return WorkbookFile(path, dataset, settings, opened.state, opened.book_loss, opened.layout)


def still_derived(race: dict[str, float | None], X, y, settings: Settings) -> dict[str, float | None]:
    """The race's learning rates as read, with None for those that still hold the default the
    writer derived from the data (so a rewrite keeps deriving them, and a round trip keeps
    the settings equal)."""
    if all(v is None for v in race.values()):
        return race
    from ..sheets.compare import LR_NAMES, default_lrs
    defaults = {LR_NAMES[o]: v for o, v in default_lrs(X, y, settings).items()}
    return {name: None if v == defaults[name] else v for name, v in race.items()}
