"""The table a workbook learns from: the course's lemonade data or an instructor's file.

`load` reads a CSV/TSV or .xlsx file into a `Table` of headings and cells (read.py); `select`
(choose.py) picks the target and feature columns and converts only those to numbers (clean.py),
so other columns (names, dates, notes) never matter. Every problem with the file is a
`GradsheetError` with a one-line message that names the culprit: the file, and where it applies
the 1-based file row, the column heading and the value; what was read in a way worth knowing
(thousands separators, percentages, units, decimal commas, a title line, a units row, columns
left out) is said once each, as `Dataset.warnings`. Messages are keyed in core/messages.py and
speak the language in use.

This module keeps the names other code imports (`gradsheet.data.dataset.load`, `Dataset` …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .choose import AUTO, CLASSIFY, REGRESS, as_cell_numbers, close_names, row_number, select
from .clean import PERCENT, THOUSANDS, DECIMAL_COMMA, UNIT, Column, Columns, number
from .read import DELIMITERS, ENCODINGS, decode, read_table, sniff_delimiter, table_of
from .tables import (CLASSIFIERS, LINEAR, LOGISTIC, MAX_ABS, MAX_CLASSES, MAX_FEATURES,
                     MAX_HEADING, MAX_ROWS, SOFTMAX, Dataset, Table)

# The course's lemonade table (temperature 온도 -> sales 판매량): y = 2x, so W = 2, B = 0.
# Its headings follow the workbook's language; either language's names select its columns.
LEMONADE_HEADINGS = {"ko": ("온도", "판매량"), "en": ("temperature", "sales")}
LEMONADE_ROWS = ((20, 40), (21, 42), (22, 44), (23, 46), (24, 48), (25, 50))

# older names, still used by the classroom's roster reader
_decode, _sniff_delimiter = decode, sniff_delimiter


def lemonade(lang: str = "ko") -> Dataset:
    return select(lemonade_table(lang), "lemonade", None, None)


def load(path: str | Path | None = None, target: str | None = None,
         features: str | list[str] | None = None, sheet: str | None = None,
         lang: str = "ko", model: str | None = None,
         classes: str | Sequence[str] | None = None) -> Dataset:
    """Read a table; None means the embedded lemonade data (headings in `lang`).

    `target` and `features` name columns by heading or by 1-based position (default: the
    last column with numbers, or of class labels; the other columns with numbers, less row
    numbers). `sheet` picks an .xlsx worksheet by name. `model` None chooses by the target:
    text labels → logistic (2 classes) or softmax (3 to 20), numbers → linear; `classes`
    ("A,B,C" or a list) orders the classes.
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


__all__ = ["AUTO", "CLASSIFIERS", "CLASSIFY", "Column", "Columns", "DECIMAL_COMMA", "DELIMITERS",
           "Dataset", "ENCODINGS", "LEMONADE_HEADINGS", "LEMONADE_ROWS", "LINEAR", "LOGISTIC",
           "MAX_ABS", "MAX_CLASSES", "MAX_FEATURES", "MAX_HEADING", "MAX_ROWS", "PERCENT",
           "REGRESS", "SOFTMAX", "THOUSANDS", "Table", "UNIT", "as_cell_numbers", "close_names",
           "lemonade", "lemonade_table", "load", "number", "read_table", "row_number", "select",
           "table_of"]
