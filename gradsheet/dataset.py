"""The table a workbook learns from: the course's lemonade data or an instructor's file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import GradsheetError

# The course's lemonade table (temperature 온도 -> sales 판매량): y = 2x, so W = 2, B = 0.
LEMONADE_HEADINGS = ("온도", "판매량")
LEMONADE_ROWS = ((20, 40), (21, 42), (22, 44), (23, 46), (24, 48), (25, 50))


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
    """Read a numeric table; None means the embedded lemonade data."""
    if path is None:
        return select(lemonade_table(), "lemonade", target, features)
    path = Path(path)
    if not path.exists():
        raise GradsheetError(f"data file not found: {path}")
    text = path.read_text(encoding="utf-8-sig")
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        raise GradsheetError(f"{path}: the file is empty")
    headings, body = rows[0], rows[1:]
    if not body:
        raise GradsheetError(f"{path}: a header row but no data rows")
    columns = []
    for j, heading in enumerate(headings):
        values = []
        for i, row in enumerate(body, start=2):
            try:
                values.append(float(row[j]))
            except (ValueError, IndexError):
                raise GradsheetError(f"{path}: row {i}, column '{heading}': not a number") from None
        columns.append(values)
    return select((tuple(headings), np.array(columns, dtype=float).T), path.stem, target, features)


def lemonade_table() -> tuple[tuple[str, ...], np.ndarray]:
    return LEMONADE_HEADINGS, np.array(LEMONADE_ROWS, dtype=float)


def select(table: tuple[tuple[str, ...], np.ndarray], name: str, target: str | None,
           features: str | list[str] | None) -> Dataset:
    """Pick the target (default: last column) and the features (default: all others)."""
    headings, values = table
    t = _column(headings, target) if target else len(headings) - 1
    if features:
        names = features.split(",") if isinstance(features, str) else list(features)
        f = [_column(headings, s.strip()) for s in names]
    else:
        f = [j for j in range(len(headings)) if j != t]
    if not f:
        raise GradsheetError("no feature columns: the table needs at least two columns")
    if t in f:
        raise GradsheetError(f"column '{headings[t]}' cannot be both target and feature")
    return Dataset(name, tuple(headings[j] for j in f), headings[t],
                   np.ascontiguousarray(values[:, f]), np.ascontiguousarray(values[:, t]))


def _column(headings: tuple[str, ...], wanted: str) -> int:
    if wanted in headings:
        return headings.index(wanted)
    if wanted.isdigit() and 1 <= int(wanted) <= len(headings):
        return int(wanted) - 1
    raise GradsheetError(f"no column '{wanted}'; the columns are: {', '.join(headings)}")
