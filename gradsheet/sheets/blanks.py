"""An exercise's blank cells (gradsheet exercise): where the course workbook has a formula, the
student's copy has an empty cell styled "write the formula here", which keeps its defined name.
The cell stores no formula and no value, so it gives nothing away; a hover note (a data
validation's input message, shown by Excel and LibreOffice alike) says what it waits for."""

from __future__ import annotations

from dataclasses import dataclass


def blank_cell(ws, fmt, r: int, c: int, t: dict) -> None:
    ws.write_blank(r, c, None, fmt.blank)
    _hover(ws, r, c, r, t)


def column_writer(ws, fmt, cols, write_formula, t: dict):
    """write_formula, except in the columns `cols`: there an empty "write the formula here" cell
    (the hover note is added once for each column, on its first row)."""
    cols, noted = set(cols), set()

    def write(r, c, formula, style, value):
        if c not in cols:
            return write_formula(r, c, formula, style, value)
        ws.write_blank(r, c, None, fmt.blank)
        if c not in noted:
            noted.add(c)
            _hover(ws, r, c, r, t)
    return write


class Blanks:
    """The worksheet, except that write_formula leaves the named blank cells empty."""

    def __init__(self, ws, fmt, layout, blank, t: dict):
        self._ws, self._fmt, self._t = ws, fmt, t
        self._blank = {layout.cell(name) for name in blank if name in layout.scalars}

    def write_formula(self, r, c, formula, style, value):
        if (r, c) in self._blank:
            return blank_cell(self._ws, self._fmt, r, c, self._t)
        return self._ws.write_formula(r, c, formula, style, value)

    def write_array_formula(self, r1, c1, r2, c2, formula, style, value):
        """A classifier's Loss_P is a one-cell array formula (sheets/formulas.write_cell)."""
        if (r1, c1) in self._blank:
            return blank_cell(self._ws, self._fmt, r1, c1, self._t)
        return self._ws.write_array_formula(r1, c1, r2, c2, formula, style, value)

    def __getattr__(self, name):
        return getattr(self._ws, name)


def _hover(ws, r: int, c: int, last_row: int, t: dict) -> None:
    ws.data_validation(r, c, last_row, c, {"validate": "any", "input_title": t["blank_title"],
                                           "input_message": t["blank_message"]})


# --- an exercise rewritten (gradsheet step/run/next/reset/set): the student's cells kept ---

@dataclass(frozen=True)
class Written:
    """What a student wrote into one blank cell, as their file holds it: a formula (its text,
    and an array formula's range when it is one), a typed value, or nothing."""
    formula: str | None = None
    array: tuple[int, int, int, int] | None = None  # (first_row, first_col, last_row, last_col)
    value: object = None  # a typed number, text or TRUE/FALSE
    in_array: bool = False  # a cell an array formula anchored elsewhere fills

    @property
    def empty(self) -> bool:
        return self.formula is None and self.value is None and not self.in_array


@dataclass(frozen=True)
class Kept:
    """What a rewrite of an exercise keeps as the student's file has it: every blank cell's
    content and the hidden record's rows (the exercise's identity, whose the workbook is)."""
    cells: dict[tuple[int, int], Written]
    filled: frozenset[str]  # blank names with anything written in them
    record: tuple[tuple, ...]  # the hidden settings sheet, row by row


class Keeping:
    """The training sheet, except at the blank cells: whatever the writer puts there, the
    student's own content goes in, in the blank style (so no formula or value of the tool's
    ever lands in one). Their formulas store no value: Excel recalculates every formula on
    opening (the file asks it to), LibreOffice calculates every formula without a stored value,
    and no number of the tool's stands in a cell the student wrote. A formula of the tool's
    whose value is not known (NaN: it reads a cell the student wrote) stores none either."""

    def __init__(self, ws, fmt, kept: Kept):
        self._ws, self._fmt, self._kept = ws, fmt, kept

    def _student(self, r: int, c: int) -> bool:
        """Write the student's content at (r, c) if it is a blank cell; True if it was."""
        w = self._kept.cells.get((r, c))
        if w is None:
            return False
        ws, style = self._ws, self._fmt.blank
        if w.in_array:  # the array formula at its anchor fills this cell
            return True
        if w.array is not None:
            ws.write_array_formula(*w.array, "{" + w.formula + "}", style, "")
        elif w.formula is not None:
            ws.write_formula(r, c, w.formula, style, "")
        elif isinstance(w.value, bool):
            ws.write_boolean(r, c, w.value, style)
        elif isinstance(w.value, (int, float)):
            ws.write_number(r, c, w.value, style)
        elif isinstance(w.value, str):
            ws.write_string(r, c, w.value, style)
        else:
            ws.write_blank(r, c, None, style)
        return True

    def write_formula(self, r, c, formula, style=None, value=0):
        if not self._student(r, c):
            self._ws.write_formula(r, c, formula, style, _stored(value))

    def write_array_formula(self, r1, c1, r2, c2, formula, style=None, value=0):
        if not self._student(r1, c1):
            self._ws.write_array_formula(r1, c1, r2, c2, formula, style, _stored(value))

    def write_blank(self, r, c, blank=None, style=None):
        if not self._student(r, c):
            self._ws.write_blank(r, c, blank, style)

    def write_number(self, r, c, number, style=None):
        if not self._student(r, c):
            self._ws.write_number(r, c, number, style)

    def write_string(self, r, c, string, style=None):
        if not self._student(r, c):
            self._ws.write_string(r, c, string, style)

    def __getattr__(self, name):
        return getattr(self._ws, name)


def _stored(value):
    """A formula's stored value: none ("") where it is not known."""
    return "" if isinstance(value, float) and value != value else value
