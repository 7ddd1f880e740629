"""The table a workbook learns from: the course's lemonade data or an instructor's file.

`load` reads a CSV/TSV text file (UTF-8, UTF-8 with BOM, CP949/EUC-KR; delimiter found by
`csv.Sniffer` among `,` `;` tab) or an `.xlsx` workbook (openpyxl, read-only). Every problem
with the file becomes a `GradsheetError` with a one-line message that names the culprit:
the file, and where it applies the 1-based file row, the column heading and the value.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence
from xml.etree.ElementTree import ParseError

import numpy as np

from .errors import GradsheetError

# The course's lemonade table (temperature 온도 -> sales 판매량): y = 2x, so W = 2, B = 0.
LEMONADE_HEADINGS = ("온도", "판매량")
LEMONADE_ROWS = ((20, 40), (21, 42), (22, 44), (23, 46), (24, 48), (25, 50))

# Excel's sheet has 1,048,576 rows and the workbook's data table starts below its header (row 4).
MAX_ROWS = 1_048_000
# The per-row prediction formula grows with each feature; more would pass Excel's 8,192 characters.
MAX_FEATURES = 250
# Larger numbers would overflow the squared errors (and 16-digit rounding of 1.8e308 is inf).
MAX_ABS = 1e100
# Headings become table headers and chart titles: cut to this many characters (a warning says so).
MAX_HEADING = 255

DELIMITERS = ",;\t"
ENCODINGS = ("utf-8-sig", "cp949")  # tried in this order, strictly
_SNIFF_LINES = 30
_SNIFF_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEP_LINE = re.compile(r"sep=(.)\s*", re.IGNORECASE)  # Excel's optional first line, e.g. "sep=;"


@dataclass(frozen=True)
class Dataset:
    name: str  # file stem; the default output is <name>.xlsx
    feature_names: tuple[str, ...]
    target_name: str
    X: np.ndarray  # float64, shape (n, k)
    y: np.ndarray  # float64, shape (n,)
    warnings: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def k(self) -> int:
        return self.X.shape[1]


def lemonade() -> Dataset:
    return select(lemonade_table(), "lemonade", None, None)


def load(path: str | Path | None = None, target: str | None = None,
         features: str | list[str] | None = None, sheet: str | None = None) -> Dataset:
    """Read a numeric table; None means the embedded lemonade data.

    `target` and `features` name columns by heading or by 1-based position (default: the last
    column is the target, all others are features). `sheet` picks an .xlsx worksheet by name.
    """
    if path is None:
        return select(lemonade_table(), "lemonade", target, features)
    path = Path(path)
    headings, values, warnings = read_table(path, sheet)
    dataset = select((headings, values), path.stem, target, features)
    return replace(dataset, warnings=tuple(warnings))


def lemonade_table() -> tuple[tuple[str, ...], np.ndarray]:
    return LEMONADE_HEADINGS, np.array(LEMONADE_ROWS, dtype=float)


def select(table: tuple[tuple[str, ...], np.ndarray], name: str, target: str | None,
           features: str | list[str] | None) -> Dataset:
    """Pick the target (default: last column) and the features (default: all others)."""
    headings, values = table
    t = _column(headings, target) if target not in (None, "") else len(headings) - 1
    if features:
        names = features.split(",") if isinstance(features, str) else list(features)
        f = [_column(headings, str(s).strip()) for s in names]
    else:
        f = [j for j in range(len(headings)) if j != t]
    if not f:
        raise GradsheetError("no feature columns: the table needs at least two columns")
    if t in f:
        raise GradsheetError(f"column {_q(headings[t])} cannot be both target and feature")
    if len(set(f)) != len(f):
        twice = next(j for j in f if f.count(j) > 1)
        raise GradsheetError(f"feature column {_q(headings[twice])} is chosen twice")
    if len(f) > MAX_FEATURES:
        raise GradsheetError(
            f"{_clean(name)}: {len(f)} feature columns; at most {MAX_FEATURES} fit in the per-row "
            f"formula (Excel allows 8,192 characters); choose fewer features")
    return Dataset(name, tuple(headings[j] for j in f), headings[t],
                   as_cell_numbers(values[:, f]), as_cell_numbers(values[:, t]))


def as_cell_numbers(a: np.ndarray) -> np.ndarray:
    """The numbers exactly as a workbook cell holds them: XlsxWriter writes a number with 16
    significant digits, so a 17-digit float would differ in its last bit in the sheet.
    Rounding once here makes the model, the formulas and the steps engine see one data set."""
    flat = [float(f"{v:.16G}") for v in np.asarray(a, dtype=np.float64).ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(a))


def _column(headings: tuple[str, ...], wanted) -> int:
    wanted = str(wanted)
    for candidate in (wanted, wanted.strip(), wanted.strip()[:MAX_HEADING]):
        if candidate in headings:
            return headings.index(candidate)
    w = wanted.strip()
    if w.isdigit() and 1 <= int(w) <= len(headings):
        return int(w) - 1
    shown = ", ".join(_clean(_cut(h, 40)) for h in headings[:20])
    more = f", ... ({len(headings)} in all)" if len(headings) > 20 else ""
    raise GradsheetError(f"no column {_q(wanted)}; the columns are: {shown}{more}")


# ---------------------------------------------------------------------------------------------
# Reading files


def read_table(path: Path, sheet: str | None = None
               ) -> tuple[tuple[str, ...], np.ndarray, list[str]]:
    """The headings, the (n, columns) float64 values and warnings of a CSV/TSV or .xlsx file."""
    where = _clean(str(path))
    if not path.exists():
        raise GradsheetError(f"data file not found: {where}")
    if path.is_dir():
        raise GradsheetError(f"{where} is a directory, not a data file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise GradsheetError(f"cannot read {where}: {_clean(e.strerror or e)}") from None
    if not data.strip():
        raise GradsheetError(f"{where}: the file is empty")
    if data.startswith(_OLE_MAGIC):
        raise GradsheetError(f"{where}: an old Excel 97-2003 (.xls) workbook; "
                             "save it as .xlsx or CSV")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(where, data, sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise GradsheetError(f"{where}: not an Excel .xlsx workbook (the file is not a zip "
                             "archive)")
    if sheet is not None:
        raise GradsheetError(f"{where}: sheet {_q(sheet)} was asked for, but the file is a text "
                             "table, not an .xlsx workbook")
    return _read_text(where, data)


def _read_text(where: str, data: bytes):
    text = _decode(where, data)
    if not text.strip():
        raise GradsheetError(f"{where}: the file is empty")
    bad = _BINARY.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise GradsheetError(f"{where}: not a text table: binary data (character "
                             f"0x{ord(bad.group()):02x} on line {line})")

    head = text[:_SNIFF_CHARS].splitlines(keepends=True)
    sep = _SEP_LINE.fullmatch(head[0].rstrip("\r\n")) if head else None
    if sep:
        delimiter = sep.group(1)
    else:
        while head and not head[0].strip():
            head.pop(0)
        delimiter = _sniff_delimiter("".join(head[:_SNIFF_LINES]), head[0] if head else "")

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=True, strict=False)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise GradsheetError(f"{where}: row {reader.line_num}: {_clean(e)}") from None
    if sep:
        rows[0] = []  # the "sep=;" line is not part of the table
    return _table(where, rows, text_cells=True, underscores="_" in text)


def _decode(where: str, data: bytes) -> str:
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
    raise GradsheetError(f"{where}: not a text table: the bytes are neither UTF-8 nor "
                         "CP949/EUC-KR text")


def _sniff_delimiter(sample: str, header: str) -> str:
    """csv.Sniffer's choice among , ; tab: from the first lines, else from the header line alone
    (the first lines disagree when a row is ragged; that row is then reported by row number)."""
    sniffer = csv.Sniffer()
    for text in (sample, header):
        try:
            return sniffer.sniff(text, delimiters=DELIMITERS).delimiter
        except csv.Error:
            continue
    return ","  # no delimiter at all: a single column, refused later with its heading


def _read_xlsx(where: str, data: bytes, sheet: str | None):
    import openpyxl  # imported here: reading CSV does not need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _XLSX_ERRORS as e:
        raise GradsheetError(f"{where}: a zip archive but not a readable Excel .xlsx workbook "
                             f"({_cut(_clean(e) or type(e).__name__, 120)})") from None
    try:
        sheets = book.worksheets
        names = [ws.title for ws in sheets]
        if not sheets:
            raise GradsheetError(f"{where}: the workbook has no worksheets")
        if sheet is None:
            ws = sheets[0]
        elif sheet in names:
            ws = sheets[names.index(sheet)]
        else:
            shown = ", ".join(_clean(n) for n in names)
            raise GradsheetError(f"{where}: no sheet {_q(sheet)}; the sheets are: {shown}")
        where = f"{where}, sheet {_q(ws.title)}"
        rows: list[Sequence] = []
        for row in ws.iter_rows(values_only=True):
            rows.append(row if any(not _blank_cell(v) for v in row) else ())
    except _XLSX_ERRORS as e:
        raise GradsheetError(f"{where}: the workbook is damaged "
                             f"({_cut(_clean(e) or type(e).__name__, 120)})") from None
    finally:
        book.close()
    return _table(where, rows, text_cells=False, underscores=True)


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
# From rows of cells to a checked numeric table


def _table(where: str, rows: list[Sequence], text_cells: bool, underscores: bool):
    """Check the shape and headings of the rows (row i is file row i + 1), convert to numbers."""
    while rows and _blank_row(rows[-1]):  # blank trailing lines / empty formatted rows
        rows.pop()
    top = next((i for i, row in enumerate(rows) if not _blank_row(row)), None)
    if top is None:
        raise GradsheetError(f"{where}: the file is empty")
    header = rows[top]
    width = len(header) if text_cells else max(len(row) for row in rows)
    body = rows[top + 1:]
    if not body:
        raise GradsheetError(f"{where}: a header row but no data rows")
    if len(body) > MAX_ROWS:
        raise GradsheetError(f"{where}: {len(body):,} data rows; at most {MAX_ROWS:,} fit on an "
                             "Excel sheet below the workbook's header")
    if text_cells and set(map(len, body)) != {width}:
        for i, row in enumerate(body, start=top + 2):
            if len(row) != width:
                if _blank_row(row):
                    raise GradsheetError(f"{where}: row {i} is empty (blank rows are allowed "
                                         "only at the end)")
                raise GradsheetError(f"{where}: row {i} has {len(row)} fields, but the header "
                                     f"row has {width}")
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
            if all(_blank_cell(v) for v in columns[j]):
                continue  # an empty column (e.g. a trailing delimiter on every line): ignored
            raise GradsheetError(f"{where}: column {j + 1} has values but an empty heading")
        key = heading.casefold()
        if key in seen:
            first = seen[key]
            other = _heading(header[first])
            if other == heading:
                raise GradsheetError(f"{where}: duplicate heading {_q(heading)} (columns "
                                     f"{first + 1} and {j + 1})")
            raise GradsheetError(f"{where}: headings {_q(other)} and {_q(heading)} (columns "
                                 f"{first + 1} and {j + 1}) differ only in letter case, and "
                                 "Excel treats them as the same")
        seen[key] = j
        headings.append(heading)
        keep.append(j)
    if len(keep) < 2:
        only = f" ({_q(headings[0])})" if headings else ""
        raise GradsheetError(f"{where}: only one column{only}; the table needs at least one "
                             "feature column and a target column")

    warnings = []
    for i, heading in enumerate(headings):
        if len(heading) > MAX_HEADING:
            warnings.append(f"heading {_q(heading, 40)} is {len(heading):,} characters long; "
                            f"cut to {MAX_HEADING}")
            headings[i] = heading[:MAX_HEADING]

    values = _numbers(where, body, top + 2, [columns[j] for j in keep], keep,
                      [_heading(header[j]) for j in keep], text_cells, underscores)
    return tuple(headings), values, warnings


def _numbers(where, body, first_row, columns, keep, headings, text_cells, underscores):
    """Columns to a float64 (n, k) array: numpy in bulk; on any failure, find the first bad cell
    in reading order (row by row) for the message."""
    if text_cells:
        try:
            out = np.empty((len(body), len(columns)), dtype=np.float64)
            for c, column in enumerate(columns):
                out[:, c] = np.array(column, dtype=np.float64)
                if underscores and any("_" in s for s in column):
                    raise ValueError("underscore")  # float() accepts "1_0"; Excel does not
            if (np.abs(out) <= MAX_ABS).all():  # also false for nan and inf
                return out
        except (ValueError, TypeError, OverflowError):
            pass
    out = np.empty((len(body), len(columns)), dtype=np.float64)
    for i, row in enumerate(body):
        for c, j in enumerate(keep):
            number = _number(row[j])
            if isinstance(number, str):
                r = first_row + i
                if _blank_row(row):
                    raise GradsheetError(f"{where}: row {r} is empty (blank rows are allowed "
                                         "only at the end)")
                raise GradsheetError(f"{where}: row {r}, column {_q(headings[c])}: {number}")
            out[i, c] = number
    return out


def _number(cell) -> float | str:
    """The cell's number, or why it is not one."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return "the value is missing"
    if isinstance(cell, bool):
        return f"{_q(cell)} is not a number"
    if isinstance(cell, (int, float)):
        try:
            number = float(cell)
        except OverflowError:
            return f"{_q(cell)} is not a finite number"
    elif isinstance(cell, str):
        text = cell.strip()
        try:
            if "_" in text:
                raise ValueError(text)
            number = float(text)
        except ValueError:
            return f"{_q(text)} is not a number"
    else:  # dates, times, anything else a worksheet may hold
        return f"{_q(cell)} is not a number"
    if not math.isfinite(number):
        return f"{_q(cell.strip() if isinstance(cell, str) else cell)} is not a finite number"
    if abs(number) > MAX_ABS:
        return (f"{_q(cell.strip() if isinstance(cell, str) else cell)} is too large "
                f"(beyond ±{MAX_ABS:g} the squared errors overflow)")
    return number


def _heading(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _blank_cell(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank_row(row: Sequence) -> bool:
    return all(_blank_cell(v) for v in row)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _clean(value) -> str:
    """One line: characters that are not printable (line breaks, controls) shown escaped."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in str(value))


def _q(value, limit: int = 60) -> str:
    """A culprit for a message: quoted, cut, on one line."""
    return f"'{_clean(_cut(str(value), limit))}'"
