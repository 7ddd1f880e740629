"""Excel's A1 names of 0-based rows and columns, without XlsxWriter.

The same two functions, with the same results, as xlsxwriter.utility's: the engine (all of
core/, which an xlwings Lite workbook carries in its main.py) needs no writer library.
"""

from __future__ import annotations


def xl_col_to_name(col: int, col_abs: bool = False) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"; "$A" when absolute."""
    name = ""
    col += 1
    while col:
        col, letter = divmod(col - 1, 26)
        name = chr(ord("A") + letter) + name
    return ("$" if col_abs else "") + name


def xl_rowcol_to_cell(row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    """(0, 0) -> "A1"; "$A$1" when both are absolute."""
    return f"{xl_col_to_name(col, col_abs)}{'$' if row_abs else ''}{row + 1}"
