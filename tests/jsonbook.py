"""A gradsheet workbook as xlwings' Book(json=...) sees it (the way Excel for xlwings Lite /
Server sends a book), and the actions a script returns applied back to those values.

Tests only: the remote engine is xlwings PRO code, licensed noncommercially here.
"""

from __future__ import annotations

import copy
import os
import re

import openpyxl

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # tests only

import xlwings as xw  # noqa: E402
from openpyxl.utils import range_boundaries  # noqa: E402


def book_json(path) -> dict:
    """Values of every sheet (stored values, empty cells as ""), names and tables."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        values = [["" if v is None else v for v in row]
                  for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                          max_col=ws.max_column, values_only=True)]
        tables = []
        for table in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            addr = lambda a, b, c, d: f"${_col(a)}${b}:${_col(c)}${d}"  # noqa: E731
            tables.append({"name": table.name, "range_address": addr(c1, r1, c2, r2),
                           "header_row_range_address": addr(c1, r1, c2, r1),
                           "data_body_range_address": addr(c1, r1 + 1, c2, r2),
                           "total_row_range_address": None, "show_headers": True,
                           "show_totals": False, "table_style": "TableStyleLight9",
                           "show_autofilter": True})
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": tables})
    names = []
    for name, defn in wb.defined_names.items():
        (sheet, ref), = defn.destinations
        names.append({"name": name, "sheet_index": wb.sheetnames.index(sheet), "address": ref.replace("$", ""),
                      "book_scope": True, "scope_sheet_index": None, "scope_sheet_name": None,
                      "refers_to": "=" + defn.attr_text})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": os.path.basename(path), "active_sheet_index": 0, "selection": "A1"},
            "names": names, "sheets": sheets}


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def open_book(data: dict) -> xw.Book:
    return xw.Book(json=copy.deepcopy(data))


def apply_actions(data: dict, actions: list[dict]) -> dict:
    """The book json after Excel applied the script's setValues / rangeClearContents / resizeTable actions
    (formulas are not recalculated: compare only cells the script wrote)."""
    data = copy.deepcopy(data)
    for a in actions:
        sheet = data["sheets"][a["sheet_position"]]
        if a["func"] == "setValues":
            grid = sheet["values"]
            for i, row in enumerate(a["values"]):
                r = a["start_row"] + i
                while len(grid) <= r:
                    grid.append([""] * len(grid[0]))
                for j, v in enumerate(row):
                    c = a["start_column"] + j
                    while len(grid[r]) <= c:
                        grid[r].append("")
                    grid[r][c] = "" if v is None else v
        elif a["func"] == "rangeClearContents":
            grid = sheet["values"]
            for r in range(a["start_row"], min(a["start_row"] + a["row_count"], len(grid))):
                for c in range(a["start_column"], min(a["start_column"] + a["column_count"], len(grid[r]))):
                    grid[r][c] = ""
        elif a["func"] == "resizeTable":
            index, address = a["args"]
            table = sheet["tables"][index]
            c1, r1, c2, r2 = range_boundaries(address.replace("$", ""))
            table["range_address"] = address
            table["data_body_range_address"] = f"${_col(c1)}${r1 + 1}:${_col(c2)}${r2}"
        else:
            raise AssertionError(f"unexpected action {a['func']}")
    return data


def cell(data: dict, sheet: str, ref: str):
    """The value at an A1 reference like $G$10 in the book json."""
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
    col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1)))) - 1
    values = next(s for s in data["sheets"] if s["name"] == sheet)["values"]
    v = values[int(m.group(2)) - 1][col]
    return None if v == "" else v


def position(data: dict) -> int:
    """The next hand action as the engine reads it from the book's cells (the json engine does
    not calculate the coach's formulas; core/coach.py's rules on the same cells do)."""
    from gradsheet.core import addin, live
    return live.load(addin.XlwingsGrid(open_book(data))).state.action
