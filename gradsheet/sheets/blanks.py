"""An exercise's blank cells (gradsheet exercise): where the course workbook has a formula, the
student's copy has an empty cell styled "write the formula here", which keeps its defined name.
The cell stores no formula and no value, so it gives nothing away; a hover note (a data
validation's input message, shown by Excel and LibreOffice alike) says what it waits for."""

from __future__ import annotations


def blank_cell(ws, fmt, r: int, c: int, t: dict) -> None:
    ws.write_blank(r, c, None, fmt.blank)
    _hover(ws, r, c, r, t)


def column_writer(ws, fmt, col: int, write_formula, t: dict):
    """write_formula, except in column `col`: there an empty "write the formula here" cell (the
    hover note is added once for the whole column, on its first row)."""
    first = []

    def write(r, c, formula, style, value):
        if c != col:
            return write_formula(r, c, formula, style, value)
        ws.write_blank(r, c, None, fmt.blank)
        if not first:
            first.append(r)
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

    def __getattr__(self, name):
        return getattr(self._ws, name)


def _hover(ws, r: int, c: int, last_row: int, t: dict) -> None:
    ws.data_validation(r, c, last_row, c, {"validate": "any", "input_title": t["blank_title"],
                                           "input_message": t["blank_message"]})
