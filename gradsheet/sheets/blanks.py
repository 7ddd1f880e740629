"""An exercise's blank cells (gradsheet exercise): where the course workbook has a formula, the
student's copy has an empty cell styled "write the formula here", which keeps its defined name.
The cell stores no formula and no value, so it gives nothing away; a hover note (a data
validation's input message, shown by Excel and LibreOffice alike) says what it waits for."""

from __future__ import annotations


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
