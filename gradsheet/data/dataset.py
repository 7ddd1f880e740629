"""The table a workbook learns from: the course's lemonade data or an instructor's file.

`load` reads a CSV/TSV text file (UTF-8, UTF-8 with BOM, CP949/EUC-KR; delimiter found by
`csv.Sniffer` among `,` `;` tab) or an `.xlsx` workbook (openpyxl, read-only) into a `Table`
of headings and cells; `select` then picks the target and feature columns and converts only
those to numbers, so other columns (names, dates, notes) never matter. Every problem
with the file becomes a `GradsheetError` with a one-line message that names the culprit:
the file, and where it applies the 1-based file row, the column heading and the value.

Files as instructors have them are read the way Excel (English/Korean locale) shows them:
numbers with thousands separators (`"45,000"`) and percentages (`12%` is 0.12), a title line
above the headings and a units row under them; each such reading is said once, as a warning.

A target of text labels (합격/불합격, setosa/versicolor/virginica) makes a classification data
set: `Dataset.classes` names the classes and `y` holds each row's class index 0..C-1 (as
float64, like any target; the model one-hots it as np.eye(C)[y.astype(int)]). See
`_class_target` for how classes are found, ordered and checked.
"""

from __future__ import annotations

import codecs
import csv
import decimal
import difflib
import io
import math
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence
from xml.etree.ElementTree import ParseError

import numpy as np

from ..core.errors import GradsheetError

# The course's lemonade table (temperature 온도 -> sales 판매량): y = 2x, so W = 2, B = 0.
# Its headings follow the workbook's language; either language's names select its columns.
LEMONADE_HEADINGS = {"ko": ("온도", "판매량"), "en": ("temperature", "sales")}
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

# Excel's en/ko number formats group thousands by commas in groups of exactly three digits
# ("45,000", "-1,234,567.5"). Anything else with a comma ("1,5", "12,34", "0,500") is refused:
# it may be a decimal comma, and guessing would silently change a value a thousandfold.
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
# A units row's cells: "(㎡)", "[만원]", "（개）" …
_UNIT = re.compile(r"[(\[（［【〔].*[)\]）］】〕]", re.DOTALL)
THOUSANDS, PERCENT = "thousands", "percent"

# Models whose target is a class (the model specs live in core/models.py); any other model
# name is a regression on a numeric target, checked by Settings. LINEAR is the default.
LINEAR, LOGISTIC, SOFTMAX = "linear", "logistic", "softmax"
CLASSIFIERS = (LOGISTIC, SOFTMAX)
# A classifier has one output (h, Loss and slope columns) per class: more would crowd the sheet,
# and a target with more distinct labels is more likely a column of names than of classes.
MAX_CLASSES = 20


@dataclass(frozen=True)
class Dataset:
    name: str  # file stem; the default output is <name>.xlsx
    feature_names: tuple[str, ...]
    target_name: str
    X: np.ndarray  # float64, shape (n, k)
    y: np.ndarray  # float64, shape (n,); for a classifier the class index 0..C-1 of each row
    warnings: tuple[str, ...] = field(default=())
    classes: tuple[str, ...] = ()  # class names, index order; empty for a regression
    model: str = LINEAR  # the model the target asks for: linear, logistic or softmax (or as given)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def k(self) -> int:
        return self.X.shape[1]


@dataclass(frozen=True)
class Table:
    """A table as read, before any cell becomes a number: `select` converts only the columns
    a workbook uses. Column j is headed headings[j] and holds columns[j], one cell per row."""
    where: str  # the file (and sheet) named in messages
    headings: tuple[str, ...]  # stripped, cut to MAX_HEADING
    full_headings: tuple[str, ...]  # before cutting, for the warning
    columns: tuple[Sequence, ...]
    rows: Sequence[Sequence]  # the data rows with all their cells (to tell a blank row)
    first_row: int  # the 1-based file row of rows[0]
    text_cells: bool  # every cell is a str (a text file), so numpy may convert in bulk
    underscores: bool = True  # whether a cell may hold "_" (float() accepts "1_0"; Excel not)
    aliases: dict = field(default_factory=dict)  # other names of columns: name -> index
    warnings: tuple[str, ...] = ()  # what reading the file skipped (title, units row)


def lemonade(lang: str = "ko") -> Dataset:
    return select(lemonade_table(lang), "lemonade", None, None)


def load(path: str | Path | None = None, target: str | None = None,
         features: str | list[str] | None = None, sheet: str | None = None,
         lang: str = "ko", model: str | None = None,
         classes: str | Sequence[str] | None = None) -> Dataset:
    """Read a table; None means the embedded lemonade data (headings in `lang`).

    `target` and `features` name columns by heading or by 1-based position (default: see
    `_default_target`; all other columns with numbers are features). `sheet` picks an .xlsx
    worksheet by name. `model` None chooses by the target: text labels → logistic (2 classes)
    or softmax (3 to 20), numbers → linear; `classes` ("A,B,C" or a list) orders the classes.
    """
    if path is None:
        return select(lemonade_table(lang), "lemonade", target, features, model, classes)
    path = Path(path)
    return select(read_table(path, sheet), path.stem, target, features, model, classes)


def lemonade_table(lang: str = "ko") -> Table:
    """The course's table, headed in `lang` (English for "en", else Korean); the other
    language's headings still name its columns (`--target 온도` works in English too)."""
    headings = LEMONADE_HEADINGS["en" if lang == "en" else "ko"]
    aliases = {h: j for names in LEMONADE_HEADINGS.values() for j, h in enumerate(names)}
    return Table("lemonade", headings, headings, tuple(zip(*LEMONADE_ROWS)), LEMONADE_ROWS, 2,
                 text_cells=False, aliases=aliases)


def select(table: Table, name: str, target: str | None,
           features: str | list[str] | None, model: str | None = None,
           classes: str | Sequence[str] | None = None) -> Dataset:
    """Pick the target (default: see `_default_target`) and the features (default: all other
    columns with numbers; columns without any are left out with a warning), then convert the
    chosen columns, and only those, to numbers; a class target to class indices."""
    headings = table.headings
    model = model or None
    wanted = _wanted_classes(classes)
    if wanted is not None and model is not None and model not in CLASSIFIERS:
        raise GradsheetError(f"--classes orders the classes of a class target; --model {model} "
                             "learns a number (use --model logistic or softmax)")
    intent = _intent(model, wanted)
    columns = _Columns(table)
    f, t, left_out = _choose(table, columns, target, features, intent)
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
    warnings = list(table.warnings)
    warnings += [_cut_note(table.full_headings[j]) for j in f + [t]
                 if len(table.full_headings[j]) > MAX_HEADING]
    if left_out:
        warnings.append(_left_out_note(table, left_out))
    if intent == REGRESS or (intent == AUTO and columns.has_numbers(t)):
        if intent == REGRESS and not columns.has_numbers(t):
            _refuse_text_target(table, t, model)
        values = columns.values(f + [t])
        warnings += [_conversion_note(headings[j], columns.converted(j)) for j in f + [t]
                     if columns.converted(j)]
        return Dataset(name, tuple(headings[j] for j in f), headings[t],
                       as_cell_numbers(values[:, :-1]), as_cell_numbers(values[:, -1]),
                       tuple(warnings), model=model or LINEAR)
    target_class = _class_target(table, columns, t, f, model, wanted)
    warnings += [_conversion_note(headings[j], columns.converted(j)) for j in f
                 if columns.converted(j)]
    warnings += target_class.notes
    return Dataset(name, tuple(headings[j] for j in f), headings[t],
                   as_cell_numbers(target_class.X), target_class.y, tuple(warnings),
                   target_class.classes, target_class.model)


def _choose(table: Table, columns: "_Columns", target: str | None,
            features: str | list[str] | None, intent: str
            ) -> tuple[list[int], int, list[int]]:
    """(feature columns, target column, columns left out for having no numbers)."""
    f: list[int] = []
    if features:
        names = features.split(",") if isinstance(features, str) else list(features)
        f = [_column(table, str(s).strip()) for s in names]
    if target not in (None, ""):
        t = _column(table, target)
    else:
        t = _default_target(table, columns, f, intent)
    left_out: list[int] = []
    if not features:
        for j in range(len(table.headings)):
            if j != t:
                (f if columns.has_numbers(j) else left_out).append(j)
        if not f and left_out:  # nothing with numbers besides the target: say why, by the cell
            columns.values([left_out[0]])
    return f, t, left_out


# What the options ask of the target: a number (a regression model named), a class (a
# classifier named, or --classes given), or whatever the target column holds (AUTO).
REGRESS, CLASSIFY, AUTO = "regress", "classify", "auto"


def _intent(model: str | None, wanted: list[str] | None) -> str:
    if model is None:
        return AUTO if wanted is None else CLASSIFY
    return CLASSIFY if model in CLASSIFIERS else REGRESS


def _default_target(table: Table, columns: "_Columns", f: list[int], intent: str) -> int:
    """The target when none is named.

    A classifier asked for (--model logistic/softmax, or --classes): the last column. A
    regression asked for (--model linear): the last column with numbers, as always. Neither
    (AUTO): the last column if it looks like classes, as in iris's species column, else the
    last column with numbers. Looking like classes means: no cell is a number, 2 to
    MAX_CLASSES distinct labels of which some repeat (a column of names or notes rarely
    repeats), and every other column holds numbers unless the features are named (a table
    with other text columns keeps the regression default, whatever its last column holds).
    With no column with numbers at all the last column is taken, to be refused by its cells."""
    last = len(table.headings) - 1
    if intent == CLASSIFY:
        return last
    if intent == AUTO and last not in f and _looks_like_classes(table, columns, last) and \
            (f or all(columns.has_numbers(j) for j in range(last))):
        return last
    return next((j for j in reversed(range(len(table.headings))) if columns.has_numbers(j)),
                last)


def _looks_like_classes(table: Table, columns: "_Columns", j: int) -> bool:
    if columns.has_numbers(j):
        return False
    labels = [_label(cell) for cell in table.columns[j] if not _blank_cell(cell)]
    distinct = len(set(labels))
    return 2 <= distinct <= MAX_CLASSES and distinct < len(labels)


def as_cell_numbers(a: np.ndarray) -> np.ndarray:
    """The numbers exactly as a workbook cell holds them: XlsxWriter writes a number with 16
    significant digits, so a 17-digit float would differ in its last bit in the sheet.
    Rounding once here makes the model, the formulas and the steps engine see one data set."""
    flat = [float(f"{v:.16G}") for v in np.asarray(a, dtype=np.float64).ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(a))


def _column(table: Table, wanted) -> int:
    headings = table.headings
    wanted = str(wanted)
    for candidate in (wanted, wanted.strip(), wanted.strip()[:MAX_HEADING]):
        if candidate in headings:
            return headings.index(candidate)
    w = wanted.strip()
    if w in table.aliases:
        return table.aliases[w]
    if w.isdigit() and 1 <= int(w) <= len(headings):
        return int(w) - 1
    close = _close_names(headings, w)
    if close:
        options = " or ".join(f"{_q(headings[j])} (column {j + 1})" for j in close)
        raise GradsheetError(f"no column {_q(wanted)}; did you mean {options}?")
    shown = ", ".join(_clean(_cut(h, 40)) for h in headings[:20])
    more = f", ... ({len(headings)} in all)" if len(headings) > 20 else ""
    raise GradsheetError(f"no column {_q(wanted)}; the columns are: {shown}{more}")


def _close_names(names: Sequence[str], wanted: str, most: int = 3) -> list[int]:
    """The names (headings, class labels) a mistyped one probably meant, best first: names that
    start with it or contain it ('매매가' → '매매가(만원)'), then difflib's close matches;
    letter case ignored."""
    key = wanted.casefold()
    if not key:
        return []
    folded = [h.casefold() for h in names]
    found = [j for j, h in enumerate(folded) if h.startswith(key)]
    found += [j for j, h in enumerate(folded) if key in h or (len(h) > 1 and h in key)]
    found += [folded.index(h) for h in difflib.get_close_matches(key, folded, n=most)]
    return list(dict.fromkeys(found))[:most]


# ---------------------------------------------------------------------------------------------
# A class target


@dataclass(frozen=True)
class _ClassTarget:
    X: np.ndarray  # the feature columns, float64, as read
    y: np.ndarray  # each row's class index 0..C-1, float64
    classes: tuple[str, ...]  # the class names in index order
    model: str  # LOGISTIC or SOFTMAX (or as given)
    notes: tuple[str, ...]  # warning lines


def _class_target(table: Table, columns: "_Columns", t: int, f: list[int], model: str | None,
                  wanted: list[str] | None) -> _ClassTarget:
    """The features and the class of each row.

    A target of text labels (surrounding spaces stripped, letter case kept) has its classes
    numbered in order of first appearance; a target of numbers only (read as classes because a
    classifier was asked for) has them in order of value, named by the number ("0", "1"), and
    --model logistic takes only 0 and 1 there, so that the class index is the number.
    `wanted` (--classes) reorders them. 2 to MAX_CLASSES classes; `model` None picks logistic
    for 2 and softmax for more, and says so."""
    heading = _q(table.headings[t])
    column = columns.get(t)
    if column.values is not None:  # every cell a number: class codes
        X = columns.values(f)
        codes = column.values + 0.0  # -0.0 is 0
        if model == LOGISTIC:
            _check_zero_one(table, t, codes)
        values, inverse = np.unique(codes, return_inverse=True)
        found, kind = [_plain(v) for v in values], "values"
    else:
        labels, bad = _labels(table, t)
        X = columns.values(f, bad)
        found, kind = list(dict.fromkeys(labels)), "labels"
        position = {name: i for i, name in enumerate(found)}
        inverse = np.fromiter((position[label] for label in labels), dtype=np.intp,
                              count=len(labels))
    count = len(found)
    if count < 2:
        raise GradsheetError(f"{table.where}: target {heading} holds only 1 class "
                             f"({_q(found[0])}); classification needs 2 to {MAX_CLASSES} classes")
    if count > MAX_CLASSES:
        raise GradsheetError(f"{table.where}: target {heading} holds {count:,} different {kind}; "
                             f"classification takes at most {MAX_CLASSES} classes")
    order = found if wanted is None else _ordered(found, wanted, heading)
    if model == LOGISTIC and count != 2:
        raise GradsheetError(f"--model logistic learns 2 classes, but target {heading} holds "
                             f"{count} ({_listed(found)}); use --model softmax")
    chosen = model or (LOGISTIC if count == 2 else SOFTMAX)
    notes = []
    if model is None:
        which = (f", p is the probability of {_q(order[1])} (--classes orders them)"
                 if chosen == LOGISTIC else "")
        notes.append(f"target {heading} holds {count} classes ({_listed(order)}): {chosen} "
                     f"regression (--model {chosen}){which}")
    notes += _case_notes(heading, found)
    index = np.array([order.index(name) for name in found], dtype=np.float64)
    return _ClassTarget(X, index[inverse], tuple(order), chosen, tuple(notes))


def _refuse_text_target(table: Table, t: int, model: str) -> None:
    """A regression asked for on a column of labels: say what to do instead."""
    first = next(((i, c) for i, c in enumerate(table.columns[t]) if not _blank_cell(c)), None)
    if first is None:  # an empty column: refused by its first cell, as missing
        return
    i, cell = first
    raise GradsheetError(f"{table.where}: target {_q(table.headings[t])} holds text "
                         f"({_q(_shown_cell(cell), 30)} in row {table.first_row + i}), not numbers; "
                         f"--model {model} learns a number (--model logistic or softmax, or no "
                         "--model, learns its classes)")


def _wanted_classes(classes: str | Sequence[str] | None) -> list[str] | None:
    """--classes as names ("A,B,C" or a list; surrounding spaces stripped); None if not given."""
    if classes is None or (isinstance(classes, str) and not classes.strip()):
        return None
    names = classes.split(",") if isinstance(classes, str) else [str(c) for c in classes]
    names = [name.strip() for name in names]
    if not all(names):
        raise GradsheetError(f"--classes {_q(','.join(names))} has an empty class name")
    return names


def _label(cell) -> str:
    """A class label as the cell shows it: text without surrounding spaces (nothing else
    changes: labels are case-sensitive), a worksheet number in its shortest spelling."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, (int, float)):
        try:
            return _plain(float(cell))
        except OverflowError:
            return str(cell)
    return str(cell)


def _labels(table: Table, t: int) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Column t's labels, and its first missing one as (row index, column, why)."""
    labels = []
    for i, cell in enumerate(table.columns[t]):
        if _blank_cell(cell):
            return labels, [(i, t, "the class label is missing")]
        labels.append(_label(cell))
    return labels, []


def _check_zero_one(table: Table, t: int, codes: np.ndarray) -> None:
    other = np.flatnonzero((codes != 0) & (codes != 1))
    if other.size:
        i = int(other[0])
        raise GradsheetError(
            f"{table.where}: row {table.first_row + i}, column {_q(table.headings[t])}: "
            f"{_q(_shown_cell(table.columns[t][i]))} is neither 0 nor 1 (--model logistic reads "
            "a numeric target as the classes 0 and 1; --model softmax takes other numbers)")


def _ordered(found: list[str], wanted: list[str], heading: str) -> list[str]:
    """The classes in --classes order; each class of the target named exactly once."""
    for name in wanted:
        if name not in found:
            close = _close_names(found, name)
            hint = (f"did you mean {' or '.join(_q(found[j]) for j in close)}?" if close else
                    f"its classes are: {_listed(found)}")
            raise GradsheetError(f"--classes: no class {_q(name)} in target {heading}; {hint}")
    twice = next((name for name in wanted if wanted.count(name) > 1), None)
    if twice is not None:
        raise GradsheetError(f"--classes names class {_q(twice)} twice")
    left = [name for name in found if name not in wanted]
    if left:
        raise GradsheetError(f"--classes leaves out {_listed(left)} of target {heading}; name "
                             f"each of its {len(found)} classes once")
    return list(wanted)


def _case_notes(heading: str, found: list[str]) -> list[str]:
    """Labels that differ only in letter case are two classes: probably a typing slip."""
    seen: dict[str, str] = {}
    for name in found:
        other = seen.setdefault(name.casefold(), name)
        if other != name:
            return [f"target {heading}: labels {_q(other, 30)} and {_q(name, 30)} differ only "
                    "in letter case, so they are two classes"]
    return []


def _listed(names: Sequence[str]) -> str:
    return ", ".join(_clean(_cut(name, 30)) for name in names)


# ---------------------------------------------------------------------------------------------
# The chosen columns to numbers


@dataclass
class _Column:
    values: np.ndarray | None  # float64; None when a cell is not a number
    bad: tuple[int, str] | None = None  # (row index, why) of the first cell that is not one
    converted: dict = field(default_factory=dict)  # kind -> [count, first cell, its number]
    any_number: bool | None = None  # whether any cell is a number (known once asked)


class _Columns:
    """Each column converted at most once, on demand."""

    def __init__(self, table: Table):
        self.table = table
        self.done: dict[int, _Column] = {}

    def get(self, j: int) -> _Column:
        if j not in self.done:
            self.done[j] = _convert(self.table, self.table.columns[j])
        return self.done[j]

    def has_numbers(self, j: int) -> bool:
        """Whether column j holds any number at all (a column of names, dates or notes does
        not; a column of numbers with one bad cell does, and is refused if chosen)."""
        column = self.get(j)
        if column.values is not None:
            return True
        if column.any_number is None:
            column.any_number = any(not isinstance(_number(cell), str)
                                    for cell in self.table.columns[j])
        return column.any_number

    def converted(self, j: int) -> dict:
        return self.get(j).converted

    def values(self, chosen: list[int], also_bad: Sequence[tuple[int, int, str]] = ()
               ) -> np.ndarray:
        """The chosen columns as an (n, len(chosen)) float64 array; a cell that is not a number
        is refused by file row and heading, the first in reading order (row by row), and so
        is a bad cell of another column in `also_bad` (row index, column, why)."""
        table = self.table
        out = np.empty((len(table.rows), len(chosen)), dtype=np.float64)
        bad = list(also_bad)
        for c, j in enumerate(chosen):
            column = self.get(j)
            if column.bad is not None:
                bad.append((column.bad[0], j, column.bad[1]))
            else:
                out[:, c] = column.values
        if bad:
            i, j, why = min(bad)
            r = table.first_row + i
            if _blank_row(table.rows[i]):
                raise GradsheetError(f"{table.where}: row {r} is empty (blank rows are allowed "
                                     "only at the end)")
            raise GradsheetError(f"{table.where}: row {r}, column {_q(table.headings[j])}: {why}")
        return out


def _convert(table: Table, cells: Sequence) -> _Column:
    """A column's numbers: numpy in bulk for plain text numbers; cell by cell otherwise (Excel
    formatting, worksheet cells, or a bad cell to find)."""
    if table.text_cells and not (table.underscores and any("_" in s for s in cells)):
        try:
            values = np.array(cells, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            values = None
        if values is not None and (np.abs(values) <= MAX_ABS).all():  # false for nan, inf
            return _Column(values)
    values = np.empty(len(cells), dtype=np.float64)
    converted: dict = {}
    for i, cell in enumerate(cells):
        number = _number(cell)
        if isinstance(number, str):
            return _Column(None, (i, number), converted)
        values[i], kinds = number
        for kind in kinds:
            converted.setdefault(kind, [0, cell.strip(), values[i]])[0] += 1
    return _Column(values, None, converted)


def _number(cell) -> tuple[float, tuple[str, ...]] | str:
    """(the cell's number, how Excel formatting was read: THOUSANDS, PERCENT), or why it is
    not a number."""
    kinds: tuple[str, ...] = ()
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
        read = _number_text(cell.strip())
        if isinstance(read, str):
            return read
        number, kinds = read
    else:  # dates, times, anything else a worksheet may hold
        return f"{_q(cell)} is not a number"
    if not math.isfinite(number):
        return f"{_q(cell.strip() if isinstance(cell, str) else cell)} is not a finite number"
    if abs(number) > MAX_ABS:
        return (f"{_q(cell.strip() if isinstance(cell, str) else cell)} is too large "
                f"(beyond ±{MAX_ABS:g} the squared errors overflow)")
    return number, kinds


def _number_text(text: str) -> tuple[float, tuple[str, ...]] | str:
    """A number as Excel (en/ko) reads typed text: "45,000" is 45000, "12%" is 0.12."""
    kinds = []
    digits = text
    if digits.endswith("%"):
        digits = digits[:-1].rstrip()
        kinds.append(PERCENT)
    if _GROUPED.fullmatch(digits):
        digits = digits.replace(",", "")
        kinds.insert(0, THOUSANDS)
    try:
        if "_" in digits:
            raise ValueError(digits)
        number = float(digits)
    except ValueError:
        if "," in digits and any(ch.isdigit() for ch in digits):
            return (f"{_q(text)} is not a number (a comma is read only between groups of three "
                    "digits, as in 45,000; a decimal needs a point, as in 1.5)")
        return f"{_q(text)} is not a number"
    if PERCENT in kinds and math.isfinite(number):
        try:  # in decimal, as Excel does: "12.3%" is the double nearest 0.123, not 12.3/100
            number = float(decimal.Decimal(digits).scaleb(-2))
        except (decimal.DecimalException, ValueError):
            number = number / 100
    return number, tuple(kinds)


# ---------------------------------------------------------------------------------------------
# Warnings: one line each


def _cut_note(heading: str) -> str:
    return (f"heading {_q(heading, 40)} is {len(heading):,} characters long; "
            f"cut to {MAX_HEADING}")


def _left_out_note(table: Table, left_out: list[int]) -> str:
    shown = []
    for j in left_out[:5]:
        example = next(((i, c) for i, c in enumerate(table.columns[j]) if not _blank_cell(c)), None)
        where = "empty" if example is None else \
            f"{_q(_shown_cell(example[1]), 30)} in row {table.first_row + example[0]}"
        shown.append(f"{_q(table.headings[j], 40)} ({where})")
    more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    count = f"{len(left_out)} columns" if len(left_out) > 1 else "a column"
    return f"left out {count} without numbers: {', '.join(shown)}{more}"


def _conversion_note(heading: str, converted: dict) -> str:
    parts = []
    for kind in (k for k in (THOUSANDS, PERCENT) if k in converted):
        count, cell, number = converted[kind]
        if kind == THOUSANDS:
            what = ("numbers with thousands separators read as plain numbers" if count > 1 else
                    "number with thousands separators read as a plain number")
        else:
            what = ("percentages read as fractions, as Excel stores them" if count > 1 else
                    "percentage read as a fraction, as Excel stores it")
        parts.append(f"{count:,} {what} (e.g. {_q(cell, 30)} → {_plain(number)})")
    return f"column {_q(heading, 40)}: " + "; ".join(parts)


def _plain(number: float) -> str:
    text = repr(float(number))
    return text[:-2] if text.endswith(".0") else text


def _shown_cell(cell) -> str:
    return cell.strip() if isinstance(cell, str) else str(cell)


# ---------------------------------------------------------------------------------------------
# Reading files


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The checked table (headings and cells) of a CSV/TSV or .xlsx file."""
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
        delimiter = _sniff_delimiter(head[:_SNIFF_LINES + 1])

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


def _sniff_delimiter(lines: list[str]) -> str:
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
# From rows of cells to a checked table


def _table(where: str, rows: list[Sequence], text_cells: bool, underscores: bool) -> Table:
    """Check the shape and headings of the rows (row i is file row i + 1); skip a title line
    above the headings and a units row under them, with a warning each."""
    while rows and _blank_row(rows[-1]):  # blank trailing lines / empty formatted rows
        rows.pop()
    top = _next_filled(rows, 0)
    if top is None:
        raise GradsheetError(f"{where}: the file is empty")
    warnings = []
    below = _next_filled(rows, top + 1)
    if below is not None and _is_title(rows[top]) and _looks_like_headings(rows[below]):
        title = next(c for c in rows[top] if not _blank_cell(c))
        warnings.append(f"row {top + 1} ({_q(_shown_cell(title), 40)}) looks like a title above "
                        "the headings: skipped")
        top = below
    header = rows[top]
    first = top + 1  # index of the first data row
    if first < len(rows) and _is_units_row(rows[first]):
        units = [_q(_shown_cell(c), 20) for c in rows[first] if not _blank_cell(c)]
        shown = ", ".join(units[:4]) + (", …" if len(units) > 4 else "")
        warnings.append(f"row {first + 1} ({shown}) looks like units under the headings: skipped")
        first += 1
    width = len(header) if text_cells else max(len(row) for row in rows[top:])
    body = rows[first:]
    if not body:
        raise GradsheetError(f"{where}: a header row but no data rows")
    if len(body) > MAX_ROWS:
        raise GradsheetError(f"{where}: {len(body):,} data rows; at most {MAX_ROWS:,} fit on an "
                             "Excel sheet below the workbook's header")
    if text_cells and set(map(len, body)) != {width}:
        for i, row in enumerate(body, start=first + 1):
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
            first_seen = seen[key]
            other = _heading(header[first_seen])
            if other == heading:
                raise GradsheetError(f"{where}: duplicate heading {_q(heading)} (columns "
                                     f"{first_seen + 1} and {j + 1})")
            raise GradsheetError(f"{where}: headings {_q(other)} and {_q(heading)} (columns "
                                 f"{first_seen + 1} and {j + 1}) differ only in letter case, and "
                                 "Excel treats them as the same")
        seen[key] = j
        headings.append(heading)
        keep.append(j)
    if len(keep) < 2:
        only = f" ({_q(headings[0])})" if headings else ""
        raise GradsheetError(f"{where}: only one column{only}; the table needs at least one "
                             "feature column and a target column")
    return Table(where, tuple(h[:MAX_HEADING] for h in headings), tuple(headings),
                 tuple(columns[j] for j in keep), body, first + 1, text_cells, underscores,
                 warnings=tuple(warnings))


def _next_filled(rows: Sequence[Sequence], start: int) -> int | None:
    return next((i for i in range(start, len(rows)) if not _blank_row(rows[i])), None)


def _filled(row: Sequence) -> list:
    return [cell for cell in row if not _blank_cell(cell)]


def _is_number(cell) -> bool:
    return not isinstance(_number(cell), str)


def _is_title(row: Sequence) -> bool:
    """One filled cell, and not a number: e.g. "2024년 아파트 시세" above the table."""
    filled = _filled(row)
    return len(filled) == 1 and not _is_number(filled[0])


def _looks_like_headings(row: Sequence) -> bool:
    filled = _filled(row)
    return len(filled) >= 2 and not all(_is_number(c) for c in filled)


def _is_units_row(row: Sequence) -> bool:
    """No numbers, and every filled cell a unit in brackets: "(㎡)", "(만원)", "[개]"."""
    filled = _filled(row)
    return bool(filled) and all(isinstance(c, str) and _UNIT.fullmatch(c.strip()) for c in filled)


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
