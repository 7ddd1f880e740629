"""What reading makes (a `Table` of headings and cells) and what choosing makes of it (a
`Dataset` of numbers), with the limits both respect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

# Excel's sheet has 1,048,576 rows and the workbook's data table starts below its header (row 4).
MAX_ROWS = 1_048_000
# The per-row prediction formula grows with each feature; more would pass Excel's 8,192 characters.
MAX_FEATURES = 250
# Larger numbers would overflow the squared errors (and 16-digit rounding of 1.8e308 is inf).
MAX_ABS = 1e100
# Headings become table headers and chart titles: cut to this many characters (a warning says so).
MAX_HEADING = 255

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
    # what reading and choosing did that the user should hear: core.messages.Message warnings,
    # relayed with warnings.warn(m) and rendered in the language in use when printed
    warnings: tuple = field(default=())
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
    where: object  # the file (and sheet) named in messages: a str, or a Message
    headings: tuple[str, ...]  # stripped, cut to MAX_HEADING
    full_headings: tuple[str, ...]  # before cutting, for the warning
    columns: tuple[Sequence, ...]
    rows: Sequence[Sequence]  # the data rows with all their cells (to tell a blank row)
    first_row: int  # the 1-based file row of rows[0]
    text_cells: bool  # every cell is a str (a text file), so numpy may convert in bulk
    underscores: bool = True  # whether a cell may hold "_" (float() accepts "1_0"; Excel not)
    aliases: dict = field(default_factory=dict)  # other names of columns: name -> index
    warnings: tuple = ()  # what reading the file skipped (title, units row): Messages
    delimiter: str = ""  # a text file's field delimiter ("," ";" tab); "" for a worksheet
