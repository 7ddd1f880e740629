"""Cells to numbers, one column at a time, the way a teacher's file means them.

A cell is a number as Excel (en/ko) reads typed text: "45,000" is 45000 and "12%" is 0.12.
A column may also follow a convention of its own, found from all of its cells and said once
in a warning:
- a unit, the same in every cell that has one: a suffix ("3.9시간", "64 점", "72kg", "3.5%p")
  or a currency sign in front ("₩6,400", "$3"); the unit is dropped. A percent sign is not a
  unit: "64%" stays Excel's 0.64, so a file gives the same numbers whether Excel opened it first
  or not. Text before a number ("학생01", "약 3") is never a unit: that is how names and ids look.
- decimal commas ("3,9" is 3.9), when no cell of the column has a decimal point and some comma
  cannot be a thousands separator (it is followed by other than three digits, or comes after
  a leading 0). Then a comma that could group thousands ("1,655") is a decimal comma too if
  the file is separated by ";", as a decimal-comma locale's Excel writes it (such a locale
  never groups thousands with a comma); in any other file the column is refused by its first
  comma cell, saying both kinds: one of them is a typing slip, and guessing would change a
  value a thousandfold. A comma in a column that has decimal points is refused ("1,5" among
  "2.5"): there the comma can only group thousands.
"""

from __future__ import annotations

import decimal
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..core.errors import GradsheetError
from ..core.messages import Message
from .cells import Joined, Quoted, blank_cell, blank_row, plain, q, shown
from .tables import MAX_ABS, Table

THOUSANDS, DECIMAL_COMMA, UNIT, PERCENT = "thousands", "decimal_comma", "unit", "percent"
NOTE_ORDER = (THOUSANDS, DECIMAL_COMMA, UNIT, PERCENT)

# Excel's en/ko number formats group thousands by commas in groups of exactly three digits
# ("45,000", "-1,234,567.5").
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
# one decimal comma between digits: "3,9", "-0,25", "1,500" (in a decimal-comma column)
_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_CURRENCY = "₩￦$€£¥"
_STARTS = frozenset("0123456789+-." + _CURRENCY)  # how a number with a unit can start
_PREFIXED = re.compile(rf"([+-]?)\s*([{_CURRENCY}])\s*(\S.*)", re.DOTALL)
# a unit after the number: no digits, spaces or number punctuation in it, at most 10 characters
_SUFFIXED = re.compile(r"(.*?[0-9.])\s*([^\s0-9+\-.,;:!?()\[\]{}<>=*&^#@|\\\"'`~_]{1,10})", re.DOTALL)


@dataclass(frozen=True)
class Reading:
    """How a column writes its numbers: its unit (as first written) and whether it uses
    decimal commas. PLAIN is Excel's reading alone."""
    unit: str | None = None
    prefix: bool = False  # the unit stands before the number (a currency sign)
    decimal_comma: bool = False
    mixed_commas: tuple[str, str] | None = None  # a decimal comma and a thousands one, as seen


PLAIN = Reading()


def _unit_like(text: str) -> bool:
    """A unit has a letter or a symbol (시간, kg, ㎡, ℃, %p) and is not an exponent's 'e'."""
    return text.casefold() != "e" and any(
        ch.isalpha() or unicodedata.category(ch) == "So" for ch in text)


def split_unit(text: str) -> tuple[str | None, bool, str]:
    """(unit, whether it is a prefix, the number's text) of a stripped cell; unit None when
    the cell carries none."""
    if not text or text[0] not in _STARTS:  # a name, a note: no number comes first
        return None, False, text
    m = _PREFIXED.fullmatch(text)
    if m:
        return m.group(2), True, m.group(1) + m.group(3)
    m = _SUFFIXED.fullmatch(text)
    if m and _unit_like(m.group(2)):
        return m.group(2), False, m.group(1).rstrip()
    return None, False, text


def reading_of(cells: Sequence, delimiter: str = "") -> Reading:
    """The column's convention, from all its text cells (see the module's docstring). A unit
    counts when at least half of the column's filled cells carry it: one odd cell ('31,5OO')
    is a typing slip to refuse by its cell, not a unit."""
    texts = [text for text in (cell.strip() for cell in cells if isinstance(cell, str)) if text]
    split = [split_unit(text) for text in texts]
    units = Counter((label.casefold(), before) for label, before, _ in split if label is not None)
    unit, prefix = None, False
    if units:
        (key, prefix), same = units.most_common(1)[0]  # the first seen of the most common
        unit = next(label for label, before, _ in split
                    if label is not None and (label.casefold(), before) == (key, prefix))
        if 2 * same < sum(1 for cell in cells if not blank_cell(cell)):
            unit, prefix = None, False
    commas, point = [], False
    for text, (label, before, core) in zip(texts, split):
        if unit is None or label is None or label.casefold() != unit.casefold() or before != prefix:
            core = text
        digits = core[:-1].rstrip() if core.endswith("%") else core
        point = point or "." in digits
        if "," in digits:
            commas.append(digits)
    decimals = [c for c in commas if _DECIMAL.fullmatch(c) and not _GROUPED.fullmatch(c)]
    grouped = [c for c in commas if _GROUPED.fullmatch(c)]
    if point or not decimals or len(decimals) + len(grouped) < len(commas):
        return Reading(unit, prefix)  # Excel's reading: odd commas are refused by the cell
    if grouped and delimiter != ";":
        return Reading(unit, prefix, mixed_commas=(decimals[0], grouped[0]))
    return Reading(unit, prefix, decimal_comma=True)


def number(cell, reading: Reading = PLAIN) -> tuple[float, tuple[str, ...]] | Message:
    """(the cell's number, how it was read: THOUSANDS, DECIMAL_COMMA, UNIT, PERCENT), or why it
    is not a number (a Message)."""
    kinds: tuple[str, ...] = ()
    if blank_cell(cell):
        return Message("data.missing")
    if isinstance(cell, bool):
        return Message("data.not_a_number", cell=Quoted(cell))
    if isinstance(cell, (int, float)):
        try:
            value = float(cell)
        except OverflowError:
            return Message("data.not_finite", cell=Quoted(cell))
    elif isinstance(cell, str):
        read = _text_number(cell.strip(), reading)
        if isinstance(read, Message):
            return read
        value, kinds = read
    else:  # dates, times, anything else a worksheet may hold
        return Message("data.not_a_number", cell=Quoted(cell))
    if not math.isfinite(value):
        return Message("data.not_finite", cell=Quoted(shown(cell)))
    if abs(value) > MAX_ABS:
        return Message("data.too_large", cell=Quoted(shown(cell)), most=MAX_ABS)
    return value, kinds


def _text_number(text: str, reading: Reading) -> tuple[float, tuple[str, ...]] | Message:
    kinds = []
    digits = text
    label, before, core = split_unit(text) if reading.unit is not None else (None, False, text)
    if label is not None:
        if label.casefold() != reading.unit.casefold() or before != reading.prefix:
            return Message("data.unit_differs", cell=Quoted(text), unit=Quoted(reading.unit))
        if core.endswith("%"):  # a unit and a percent sign: which would the number mean?
            return Message("data.not_a_number", cell=Quoted(text))
        digits = core
        kinds.append(UNIT)
    if digits.endswith("%"):
        digits = digits[:-1].rstrip()
        kinds.append(PERCENT)
    if reading.mixed_commas and (_DECIMAL.fullmatch(digits) or _GROUPED.fullmatch(digits)):
        decimal_one, grouped_one = reading.mixed_commas
        return Message("data.commas_mixed", cell=Quoted(text), decimal=Quoted(decimal_one), grouped=Quoted(grouped_one))
    if reading.decimal_comma and _DECIMAL.fullmatch(digits):
        digits = digits.replace(",", ".")
        kinds.insert(0, DECIMAL_COMMA)
    elif _GROUPED.fullmatch(digits):
        digits = digits.replace(",", "")
        kinds.insert(0, THOUSANDS)
    try:
        if "_" in digits:
            raise ValueError(digits)
        value = float(digits)
    except ValueError:
        if "," in digits and any(ch.isdigit() for ch in digits):
            return Message("data.bad_comma", cell=Quoted(text))
        return Message("data.not_a_number", cell=Quoted(text))
    if PERCENT in kinds and math.isfinite(value):
        try:  # in decimal, as Excel does: "12.3%" is the double nearest 0.123, not 12.3/100
            value = float(decimal.Decimal(digits).scaleb(-2))
        except (decimal.DecimalException, ValueError):
            value = value / 100
    return value, tuple(kinds)


def counts_rows(cells: Sequence) -> bool:
    """Whether the cells are plain numbers counting the rows: 1, 2, … n or 0, 1, … n−1 (n ≥ 3)."""
    if len(cells) < 3:
        return False
    values = []
    for cell in cells:
        got = number(cell)
        if isinstance(got, Message):
            return False
        values.append(got[0])
    return counts(np.array(values))


def counts(values: np.ndarray) -> bool:
    n = len(values)
    return n >= 3 and any(np.array_equal(values, np.arange(start, start + n)) for start in (0, 1))


# ---------------------------------------------------------------------------------------------
# Columns, converted once each


@dataclass
class Column:
    values: np.ndarray | None  # float64; None when a cell is not a number
    bad: tuple[int, Message] | None = None  # (row index, why) of the first cell that is not one
    converted: dict = field(default_factory=dict)  # kind -> [count, first cell, its number]
    reading: Reading = PLAIN
    any_number: bool | None = None  # whether the column holds numbers (known once asked)


def convert(table: Table, cells: Sequence) -> Column:
    """A column's numbers: numpy in bulk for plain text numbers; cell by cell otherwise (Excel
    formatting, a unit, decimal commas, worksheet cells, or a bad cell to find)."""
    if table.text_cells and not (table.underscores and any("_" in s for s in cells)):
        try:
            values = np.array(cells, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            values = None
        if values is not None and (np.abs(values) <= MAX_ABS).all():  # false for nan, inf
            return Column(values)
    reading = reading_of(cells, table.delimiter)
    values = np.empty(len(cells), dtype=np.float64)
    converted: dict = {}
    for i, cell in enumerate(cells):
        got = number(cell, reading)
        if isinstance(got, Message):
            return Column(None, (i, got), converted, reading)
        values[i], kinds = got
        for kind in kinds:
            converted.setdefault(kind, [0, shown(cell), values[i]])[0] += 1
    return Column(values, None, converted, reading)


class Columns:
    """Each column of a table converted at most once, on demand."""

    def __init__(self, table: Table):
        self.table = table
        self.done: dict[int, Column] = {}

    def get(self, j: int) -> Column:
        if j not in self.done:
            self.done[j] = convert(self.table, self.table.columns[j])
        return self.done[j]

    def has_numbers(self, j: int) -> bool:
        """Whether column j holds numbers: any plain number (a column of numbers with one bad
        cell does, and is refused if chosen), or mostly numbers in the column's own writing
        (units, decimal commas). A column of names, dates or notes does not."""
        column = self.get(j)
        if column.values is not None:
            return True
        if column.any_number is None:
            cells = self.table.columns[j]
            column.any_number = any(not isinstance(number(c), Message) for c in cells) or (
                column.reading != PLAIN and 2 * sum(
                    not isinstance(number(c, column.reading), Message) for c in cells
                ) > sum(1 for c in cells if not blank_cell(c)))
        return column.any_number

    def converted(self, j: int) -> dict:
        return self.get(j).converted

    def values(self, chosen: list[int], also_bad: Sequence[tuple[int, int, Message]] = ()
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
            i, j, why = min(bad, key=lambda b: (b[0], b[1]))
            r = table.first_row + i
            if blank_row(table.rows[i]):
                raise GradsheetError("data.blank_row", where=table.where, row=r)
            raise GradsheetError("data.bad_cell", where=table.where, row=r,
                                 column=q(table.headings[j]), why=why)
        return out


def conversion_note(heading: str, column: Column) -> Message:
    """One line for a column whose numbers needed reading: what was read, how many, an example."""
    parts = [_note_part(kind, *column.converted[kind], column.reading)
             for kind in NOTE_ORDER if kind in column.converted]
    return Message("data.read", column=q(heading, 40), parts=Joined(parts))


def _note_part(kind: str, count: int, cell: str, value: float, reading: Reading) -> Message:
    one, example = count == 1, dict(count=count, cell=q(cell, 30), number=plain(value))
    if kind == THOUSANDS:
        return Message("data.read_thousands_one" if one else "data.read_thousands", **example)
    if kind == DECIMAL_COMMA:
        return Message("data.read_decimal_comma_one" if one else "data.read_decimal_comma", **example)
    if kind == UNIT:
        return Message("data.read_unit_one" if one else "data.read_unit", unit=q(reading.unit), **example)
    return Message("data.read_percent_one" if one else "data.read_percent", **example)
