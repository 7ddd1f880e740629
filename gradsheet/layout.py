"""Where every cell lives: the single source of cell places.

The writer, the formulas, the steps engine and the tests ask the layout for places by the
contract's names (`layout.cell("Loss")`); nobody else hard-codes an address.
Rows and columns are 0-based, as XlsxWriter counts; `a1()` gives Excel's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .model import CENTRAL, FORWARD

HISTORY_CHART_ROWS = 1000  # the Loss chart looks this far below the history rows it has
# The single cells under the parameter table, top to bottom ("next_action" has a second
# row below it saying what was just done).
LOSS_ROWS = ("Loss", "prevLoss", "dLoss_dt", "best_Loss", "best_dist", "next_action")


def param_names(k: int) -> list[str]:
    return (["W"] if k == 1 else [f"W_{j}" for j in range(1, k + 1)]) + ["B"]


def feature_names(k: int) -> list[str]:
    return ["x"] if k == 1 else [f"x_{j}" for j in range(1, k + 1)]


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class Layout:
    n: int  # data rows
    k: int  # features
    sheet: str  # the training sheet's name ("학습" or "Train")
    diff: str = FORWARD
    history_rows: int = 0  # rows already in the history table
    scaled: bool = False  # True when x_j are scaled copies of the raw feature columns

    # --- the data block (left) -------------------------------------------------------
    @property
    def head_row(self) -> int:
        """The dataset's headings: Excel row 4; the contract names sit on the row above.
        With --scale two more rows come first, holding each column's centre and spread."""
        return 5 if self.scaled else 3

    @property
    def first_row(self) -> int:
        return self.head_row + 1

    @property
    def params(self) -> list[str]:
        return param_names(self.k)

    @property
    def features(self) -> list[str]:
        return feature_names(self.k)

    @property
    def last_row(self) -> int:
        return self.first_row + self.n - 1

    @cached_property
    def columns(self) -> dict[str, int]:
        """Data-block columns: raw features, (scaled x_j), y, h, sqerr."""
        cols: dict[str, int] = {}
        c = 0
        if self.scaled:
            for j in range(self.k):
                cols[f"raw_{j + 1}"] = c
                c += 1
        for name in self.features:
            cols[name] = c
            c += 1
        for name in ("y", "h", "sqerr"):
            cols[name] = c
            c += 1
        return cols

    def raw_column(self, j: int) -> int:
        """Column holding feature j's numbers as read from the data (0-based j)."""
        return self.columns[f"raw_{j + 1}"] if self.scaled else self.columns[self.features[j]]

    # --- the parameter block (right of the data) --------------------------------------
    @property
    def c0(self) -> int:
        return self.columns["sqerr"] + 2

    @cached_property
    def param_columns(self) -> dict[str, int]:
        """Columns of the parameter table: one row per parameter."""
        kinds = ["name", "value", "init", "Loss"] + (["Lossm"] if self.diff == CENTRAL else [])
        kinds += ["grad", "dLoss", "next", "exact", "fderr", "best"]
        return {kind: self.c0 + i for i, kind in enumerate(kinds)}

    PARAM_HEAD = 8  # parameter table heading row; the settings block sits above it

    def param_row(self, p: int) -> int:
        return self.PARAM_HEAD + 1 + p

    @property
    def loss_row(self) -> int:
        return self.param_row(self.k + 1) + 1

    @cached_property
    def scalars(self) -> dict[str, tuple[int, int]]:
        """Every single-cell name of the contract -> (row, col)."""
        value = self.c0 + 1
        cells = {"lr": (4, value), "eps": (5, value)}
        pc = self.param_columns
        for p, name in enumerate(self.params):
            r = self.param_row(p)
            cells[name] = (r, pc["value"])
            cells[f"init_{name}"] = (r, pc["init"])
            cells[f"Loss_{name}"] = (r, pc["Loss"])
            if self.diff == CENTRAL:
                cells[f"Lossm_{name}"] = (r, pc["Lossm"])
            cells[f"grad_{name}"] = (r, pc["grad"])
            cells[f"dLoss_d{name}"] = (r, pc["dLoss"])
            cells[f"next_{name}"] = (r, pc["next"])
            cells[f"exact_grad_{name}"] = (r, pc["exact"])
            cells[f"fd_error_{name}"] = (r, pc["fderr"])
            cells[f"best_{name}"] = (r, pc["best"])
        for i, name in enumerate(LOSS_ROWS):
            cells[name] = (self.loss_row + i, value)
        return cells

    def cell(self, name: str) -> tuple[int, int]:
        return self.scalars[name]

    def a1(self, name: str) -> str:
        """Absolute address of a scalar name on the training sheet, e.g. $H$10."""
        return xl_rowcol_to_cell(*self.scalars[name], row_abs=True, col_abs=True)

    # --- history table (below the parameter block) --------------------------------------
    @property
    def history_head(self) -> int:
        return self.scalars["next_action"][0] + 4  # below the status and "just done" rows

    @property
    def history_columns(self) -> list[str]:
        return ["step"] + self.params + ["Loss"]

    @property
    def history_span(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col) of the table, header included.
        An Excel table needs at least one body row, so an empty history keeps one blank row."""
        last = self.history_head + max(self.history_rows, 1)
        return self.history_head, self.c0, last, self.c0 + len(self.history_columns) - 1

    # --- names ------------------------------------------------------------------------
    def column_ref(self, col: int, first: int | None = None, last: int | None = None) -> str:
        first = self.first_row if first is None else first
        last = self.last_row if last is None else last
        c = xl_col_to_name(col, col_abs=True)
        return f"{quote_sheet(self.sheet)}!{c}${first + 1}:{c}${last + 1}"

    def defined_names(self) -> dict[str, str]:
        """Workbook-scope names -> what they refer to (without the leading '=')."""
        names = {}
        for name in self.features + ["y", "h", "sqerr"]:
            names[name] = self.column_ref(self.columns[name])
        for name in self.scalars:
            names[name] = f"{quote_sheet(self.sheet)}!{self.a1(name)}"
        r, c, _, c2 = self.history_span
        names["history_head"] = (f"{quote_sheet(self.sheet)}!"
                                 f"{xl_rowcol_to_cell(r, c, True, True)}:{xl_rowcol_to_cell(r, c2, True, True)}")
        return names
