"""Reading a file into a checked `Table` of headings and cells (nothing becomes a number here).

A CSV/TSV text file (UTF-8, UTF-8 with BOM, UTF-16 with BOM, CP949/EUC-KR; delimiter found by
`csv.Sniffer` among `,` `;` tab, or Excel's "sep=;" first line) or an `.xlsx` workbook (openpyxl,
read-only). A title line above the headings, a units row under them and a pandas-style index
column without a heading are skipped, each with a one-line warning. Every problem with the file
is a `GradsheetError` naming the file and, where it applies, the 1-based file row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Sequence
from xml.etree.ElementTree import ParseError

from ..core.errors import GradsheetError
from ..core.messages import Message
from . import limits
from .cells import blank_cell, blank_row, clean, cut, filled, q, shown
from .clean import counts_rows, number
from .tables import MAX_HEADING, MAX_ROWS, Table

DELIMITERS = ",;\t"
ENCODINGS = ("utf-8-sig", "cp949")  # tried in this order, strictly
_SNIFF_LINES = 30
_SNIFF_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEP_LINE = re.compile(r"sep=(.)\s*", re.IGNORECASE)  # Excel's optional first line, e.g. "sep=;"
# A units row's cells: "(㎡)", "[만원]", "（개）" …
_UNIT_CELL = re.compile(r"[(\[（［【〔].*[)\]）］】〕]", re.DOTALL)


def read_table(path: Path, sheet: str | None = None, min_columns: int = 2) -> Table:
    """The checked table (headings and cells) of a CSV/TSV or .xlsx file. An .xlsx is held to
    the limits of every zip file gradsheet did not write (data/limits.py) before it is read.
    `min_columns`: a data table needs a feature and a target; a roster may be one column."""
    where = clean(str(path))
    if not path.exists():
        raise GradsheetError("data.not_found", file=where)
    if path.is_dir():
        raise GradsheetError("data.is_directory", file=where)
    try:
        with open(path, "rb") as f:
            head = f.read(len(_ZIP_MAGIC))
        if head == _ZIP_MAGIC or path.suffix.lower() in (".xlsx", ".xlsm"):
            size = path.stat().st_size
            if size > limits.MAX_FILE:  # refused before it is read into memory
                raise GradsheetError("data.xlsx_too_big", where=where, mb=size / limits.MB,
                                     limit=limits.MAX_FILE // limits.MB)
        data = path.read_bytes()
    except OSError as e:
        raise GradsheetError("data.cannot_read", file=where, why=clean(e.strerror or e)) from None
    if not data.strip():
        raise GradsheetError("data.empty", where=where)
    if data.startswith(_OLE_MAGIC):
        raise GradsheetError("data.xls", where=where)
    if data.startswith(_ZIP_MAGIC):
        breach = limits.check_zip(data)
        if breach is not None and breach.kind != "damaged":  # a damaged one: openpyxl says how
            kind = breach.kind
            raise GradsheetError("data.xlsx_too_big" if kind == "too_big" else
                                 "data.xlsx_too_many_parts" if kind == "too_many_parts" else
                                 "data.xlsx_part_too_big" if kind == "part_too_big" else
                                 "data.xlsx_part_unpacks_too_much" if kind == "part_unpacks_too_much" else
                                 "data.xlsx_unpacks_too_much", where=where, **breach.values)
        return read_xlsx(where, data, sheet, min_columns)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise GradsheetError("data.not_zip", where=where)
    if sheet is not None:
        raise GradsheetError("data.sheet_for_text", where=where, sheet=q(sheet))
    return read_text(where, data, min_columns)


def read_text(where: str, data: bytes, min_columns: int = 2) -> Table:
    text = decode(where, data)
    if not text.strip():
        raise GradsheetError("data.empty", where=where)
    bad = _BINARY.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise GradsheetError("data.binary", where=where, code=f"0x{ord(bad.group()):02x}", line=line)

    head = text[:_SNIFF_CHARS].splitlines(keepends=True)
    sep = _SEP_LINE.fullmatch(head[0].rstrip("\r\n")) if head else None
    if sep:
        delimiter = sep.group(1)
    else:
        while head and not head[0].strip():
            head.pop(0)
        delimiter = sniff_delimiter(head[:_SNIFF_LINES + 1])

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=True, strict=False)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise GradsheetError("data.csv_error", where=where, row=reader.line_num, why=clean(e)) from None
    if sep:
        rows[0] = []  # the "sep=;" line is not part of the table
    return table_of(where, rows, text_cells=True, underscores="_" in text, delimiter=delimiter,
                    min_columns=min_columns)


def decode(where: str, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:  # Excel's "Unicode Text" export: UTF-16 with a byte-order mark
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GradsheetError("data.encoding", where=where)


def sniff_delimiter(lines: list[str]) -> str:
    """csv.Sniffer's choice among , ; tab: from the first lines, else from the header line alone
    (the first lines disagree when a row is ragged; that row is then reported by row number).
    A first line without any delimiter may be a title above the table: then the lines after it."""
    if lines and not any(d in lines[0] for d in DELIMITERS):
        lines = lines[1:] or lines
    else:
        lines = lines[:_SNIFF_LINES]
    sniffer = csv.Sniffer()
    for text in ("".join(lines), lines[0] if lines else ""):
        try:
            return sniffer.sniff(text, delimiters=DELIMITERS).delimiter
        except csv.Error:
            continue
    return ","  # no delimiter at all: a single column, refused later with its heading


def read_xlsx(where: str, data: bytes, sheet: str | None, min_columns: int = 2) -> Table:
    import openpyxl  # imported here: reading CSV does not need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _XLSX_ERRORS as e:
        raise GradsheetError("data.bad_xlsx", where=where,
                             why=cut(clean(e) or type(e).__name__, 120)) from None
    try:
        sheets = book.worksheets
        names = [ws.title for ws in sheets]
        if not sheets:
            raise GradsheetError("data.no_sheets", where=where)
        if sheet is None:
            ws = sheets[0]
        elif sheet in names:
            ws = sheets[names.index(sheet)]
        else:
            raise GradsheetError("data.no_sheet", where=where, sheet=q(sheet),
                                 sheets=", ".join(clean(n) for n in names))
        where = Message("data.where_sheet", file=where, sheet=q(ws.title))
        rows: list[Sequence] = []
        for row in ws.iter_rows(values_only=True):
            rows.append(row if any(not blank_cell(v) for v in row) else ())
    except _XLSX_ERRORS as e:
        raise GradsheetError("data.damaged_xlsx", where=where,
                             why=cut(clean(e) or type(e).__name__, 120)) from None
    finally:
        book.close()
    return table_of(where, rows, text_cells=False, underscores=True, min_columns=min_columns)


def _xlsx_errors() -> tuple[type[BaseException], ...]:
    from openpyxl.utils.exceptions import InvalidFileException

    errors: list[type[BaseException]] = [
        zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, InvalidFileException, ParseError,
        KeyError, ValueError, TypeError, IndexError, AttributeError, EOFError, OSError,
        NotImplementedError, UnicodeError, OverflowError]
    try:  # openpyxl parses with lxml when it is installed
        from lxml.etree import LxmlError
        errors.append(LxmlError)
    except ImportError:
        pass
    return tuple(errors)


_XLSX_ERRORS = _xlsx_errors()


# ---------------------------------------------------------------------------------------------
# From rows of cells to a checked table


def table_of(where, rows: list[Sequence], text_cells: bool, underscores: bool,
             delimiter: str = "", min_columns: int = 2) -> Table:
    """Check the shape and headings of the rows (row i is file row i + 1); skip a title line
    above the headings and a units row under them, with a warning each."""
    while rows and blank_row(rows[-1]):  # blank trailing lines / empty formatted rows
        rows.pop()
    top = _next_filled(rows, 0)
    if top is None:
        raise GradsheetError("data.empty", where=where)
    warnings = []
    below = _next_filled(rows, top + 1)
    if below is not None and _is_title(rows[top]) and _looks_like_headings(rows[below]):
        title = next(c for c in rows[top] if not blank_cell(c))
        warnings.append(Message("data.title_skipped", row=top + 1, cell=q(shown(title), 40)))
        top = below
    header = rows[top]
    first = top + 1  # index of the first data row
    if first < len(rows) and _is_units_row(rows[first]):
        units = [q(shown(c), 20) for c in rows[first] if not blank_cell(c)]
        shown_units = ", ".join(units[:4]) + (", …" if len(units) > 4 else "")
        warnings.append(Message("data.units_skipped", row=first + 1, cells=shown_units))
        first += 1
    width = len(header) if text_cells else max(len(row) for row in rows[top:])
    body = rows[first:]
    if not body:
        raise GradsheetError("data.no_rows", where=where)
    if len(body) > MAX_ROWS:
        raise GradsheetError("data.too_many_rows", where=where, count=len(body), most=MAX_ROWS)
    if text_cells and set(map(len, body)) != {width}:
        for i, row in enumerate(body, start=first + 1):
            if len(row) != width:
                if blank_row(row):
                    raise GradsheetError("data.blank_row", where=where, row=i)
                raise GradsheetError("data.ragged", where=where, row=i, fields=len(row), width=width)
    if not text_cells:  # worksheet rows may be ragged; missing cells are empty
        header = tuple(header) + (None,) * (width - len(header))
        body = [row if len(row) == width else tuple(row) + (None,) * (width - len(row))
                for row in body]

    columns = list(zip(*body))
    headings: list[str] = []
    keep: list[int] = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(header):
        heading = _heading(cell)
        if not heading:
            if all(blank_cell(v) for v in columns[j]):
                continue  # an empty column (e.g. a trailing delimiter on every line): ignored
            if j == 0 and counts_rows(columns[j]):
                # pandas' to_csv() writes its index so: no heading, then 0, 1, 2 …
                warnings.append(Message("data.index_skipped", first=shown(columns[j][0]),
                                        last=shown(columns[j][-1])))
                continue
            raise GradsheetError("data.empty_heading", where=where, column=j + 1)
        key = heading.casefold()
        if key in seen:
            first_seen = seen[key]
            other = _heading(header[first_seen])
            if other == heading:
                raise GradsheetError("data.duplicate_heading", where=where, heading=q(heading),
                                     first=first_seen + 1, second=j + 1)
            raise GradsheetError("data.headings_case", where=where, first_heading=q(other),
                                 heading=q(heading), first=first_seen + 1, second=j + 1)
        seen[key] = j
        headings.append(heading)
        keep.append(j)
    if not keep:
        raise GradsheetError("data.one_column", where=where)
    if len(keep) < min_columns:
        if headings:
            raise GradsheetError("data.one_column_named", where=where, heading=q(headings[0]))
        raise GradsheetError("data.one_column", where=where)
    return Table(where, tuple(h[:MAX_HEADING] for h in headings), tuple(headings),
                 tuple(columns[j] for j in keep), body, first + 1, text_cells, underscores,
                 warnings=tuple(warnings), delimiter=delimiter)


def _next_filled(rows: Sequence[Sequence], start: int) -> int | None:
    return next((i for i in range(start, len(rows)) if not blank_row(rows[i])), None)


def _is_number(cell) -> bool:
    return not isinstance(number(cell), Message)


def _is_title(row: Sequence) -> bool:
    """One filled cell, and not a number: e.g. "2024년 아파트 시세" above the table."""
    cells = filled(row)
    return len(cells) == 1 and not _is_number(cells[0])


def _looks_like_headings(row: Sequence) -> bool:
    cells = filled(row)
    return len(cells) >= 2 and not all(_is_number(c) for c in cells)


def _is_units_row(row: Sequence) -> bool:
    """No numbers, and every filled cell a unit in brackets: "(㎡)", "(만원)", "[개]"."""
    cells = filled(row)
    return bool(cells) and all(isinstance(c, str) and _UNIT_CELL.fullmatch(c.strip()) for c in cells)


def _heading(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()

