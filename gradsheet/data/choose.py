"""Choosing the target and the inputs of a `Table`, and making the `Dataset` of them.

Only the chosen columns become numbers (clean.py), so other columns (names, dates, notes) never
matter. By default the inputs are the other columns with numbers, except row numbers: a column
headed like one (번호, No, #, id, index …) or a first column counting 10 or more rows (1, 2, 3
… n), each left out with a one-line note. A target of text labels (합격/불합격, setosa/versicolor/virginica) makes a
classification data set: `Dataset.classes` names the classes and `y` holds each row's class
index 0..C-1 (as float64, like any target; the model one-hots it as np.eye(C)[y.astype(int)]).
See `_class_target` for how classes are found, ordered and checked.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..core.errors import GradsheetError
from ..core.messages import Message
from .cells import Joined, blank_cell, clean, cut, listed, plain, q, shown
from .clean import UNIT, Columns, conversion_note, counts
from .tables import (CLASSIFIERS, LINEAR, LOGISTIC, MAX_CLASSES, MAX_FEATURES, MAX_HEADING,
                     SOFTMAX, Dataset, Table)

# Headings that name a row number or an id, never an input (compared without letter case)
ROW_NUMBER_HEADINGS = frozenset({"번호", "순번", "연번", "일련번호", "학번", "no", "no.", "#",
                                 "id", "index", "unnamed: 0"})
# A first column that counts the rows is row numbers from this many rows on. On a shorter table
# a counting column is as likely a designed input (x = 1, 2, 3 … hours) that the students see
# whole; a column that counts 10 or more rows exactly, in file order, is the sheet's numbering.
COUNTING_ROWS = 10
BY_HEADING, BY_COUNT = "heading", "count"


def select(table: Table, name: str, target: str | None,
           features: str | list[str] | None, model: str | None = None,
           classes: str | Sequence[str] | None = None) -> Dataset:
    """Pick the target (default: see `_default_target`) and the features (default: see
    `_default_features`), then convert the chosen columns, and only those, to numbers; a
    class target to class indices."""
    headings = table.headings
    model = model or None
    wanted = _wanted_classes(classes)
    if wanted is not None and model is not None and model not in CLASSIFIERS:
        raise GradsheetError("data.classes_need_classifier", model=model)
    intent = _intent(model, wanted)
    columns = Columns(table)
    f, t, notes = _choose(table, columns, target, features, intent)
    if not f:
        raise GradsheetError("data.no_features")
    if t in f:
        raise GradsheetError("data.target_is_feature", column=q(headings[t]))
    if len(set(f)) != len(f):
        twice = next(j for j in f if f.count(j) > 1)
        raise GradsheetError("data.feature_twice", column=q(headings[twice]))
    if len(f) > MAX_FEATURES:
        raise GradsheetError("data.too_many_features", name=clean(name), count=len(f),
                             most=MAX_FEATURES)
    warnings = list(table.warnings)
    warnings += [Message("data.heading_cut", heading=q(table.full_headings[j], 40),
                         length=len(table.full_headings[j]), most=MAX_HEADING)
                 for j in f + [t] if len(table.full_headings[j]) > MAX_HEADING]
    warnings += notes
    if intent == REGRESS or (intent == AUTO and columns.has_numbers(t)):
        if intent == REGRESS and not columns.has_numbers(t):
            _refuse_text_target(table, t, model)
        values = columns.values(f + [t])
        warnings += [conversion_note(headings[j], columns.get(j)) for j in f + [t]
                     if columns.converted(j)]
        return Dataset(name, tuple(headings[j] for j in f), headings[t],
                       as_cell_numbers(values[:, :-1]), as_cell_numbers(values[:, -1]),
                       tuple(warnings), model=model or LINEAR)
    target_class = _class_target(table, columns, t, f, model, wanted)
    warnings += [conversion_note(headings[j], columns.get(j)) for j in f if columns.converted(j)]
    warnings += target_class.notes
    return Dataset(name, tuple(headings[j] for j in f), headings[t],
                   as_cell_numbers(target_class.X), target_class.y, tuple(warnings),
                   target_class.classes, target_class.model)


def _choose(table: Table, columns: Columns, target: str | None,
            features: str | list[str] | None, intent: str
            ) -> tuple[list[int], int, list[Message]]:
    """(feature columns, target column, the notes on columns left out)."""
    f: list[int] = []
    if features:
        names = features.split(",") if isinstance(features, str) else list(features)
        f = [_column(table, str(s).strip()) for s in names]
    if target not in (None, ""):
        t = _column(table, target)
    else:
        t = _default_target(table, columns, f, intent)
    if features:
        return f, t, []
    return _default_features(table, columns, t)


def _default_features(table: Table, columns: Columns, t: int) -> tuple[list[int], int, list[Message]]:
    """Every column but the target that holds numbers, except row numbers (see `row_number`).

    A column without numbers is left out with a note naming it and a cell. A row-number
    column is left out with a note saying how to ask for it; but counting columns stay when no
    other input varies (x = 1, 2, 3 → y is a textbook table, and a constant beside it changes
    nothing), and a table whose only inputs are headed as row numbers is refused. Nothing with numbers besides the target is
    refused by the cell to blame (see `_refuse_no_numbers`)."""
    with_numbers, left_out = [], []
    for j in range(len(table.headings)):
        if j != t:
            (with_numbers if columns.has_numbers(j) else left_out).append(j)
    why = {j: row_number(table, columns, j) for j in with_numbers}
    f = [j for j in with_numbers if why[j] is None]
    if not any(_varies(columns, j) for j in f):  # keep counting columns rather than have no
        f = [j for j in with_numbers if why[j] != BY_HEADING]  # input that varies at all
    if not f and with_numbers:
        raise GradsheetError("data.only_row_numbers", where=table.where,
                             columns=listed([table.headings[j] for j in with_numbers], 40),
                             first=q(table.headings[with_numbers[0]]))
    if not f and left_out:
        _refuse_no_numbers(table, columns, t, left_out)
    notes = []
    if left_out:
        notes.append(_left_out_note(table, left_out))
    row_numbers = [j for j in with_numbers if j not in f]
    if row_numbers:
        notes.append(_row_number_note(table, columns, row_numbers, why))
    return f, t, notes


def _varies(columns: Columns, j: int) -> bool:
    """Whether column j's numbers are not all the same (a column with a bad cell counts: it is
    refused by that cell anyway)."""
    values = columns.get(j).values
    return values is None or bool(np.any(values != values[0]))


def row_number(table: Table, columns: Columns, j: int) -> str | None:
    """BY_HEADING when column j is headed like a row number or an id (번호, No., #, id …),
    BY_COUNT when it is the first column and its numbers count COUNTING_ROWS or more rows
    (1, 2, … n or 0, 1, … n−1; row numbers are kept on the left), else None."""
    if table.headings[j].strip().casefold() in ROW_NUMBER_HEADINGS:
        return BY_HEADING
    if j > 0 or len(table.rows) < COUNTING_ROWS:
        return None
    values = columns.get(j).values
    if values is not None and counts(values):
        return BY_COUNT
    return None


def _row_number_note(table: Table, columns: Columns, left: list[int], why: dict) -> Message:
    if len(left) > 1:
        return Message("data.row_numbers", count=len(left),
                       columns=listed([table.headings[j] for j in left], 40))
    j = left[0]
    values = columns.get(j).values
    if why[j] == BY_COUNT:
        return Message("data.row_numbers_count", column=q(table.headings[j], 40),
                       first=plain(values[0]), second=plain(values[1]), last=plain(values[-1]))
    return Message("data.row_numbers_heading", column=q(table.headings[j], 40))


# a cell that starts as a number does (a sign, a currency sign, digits), whatever follows it
_STARTS_AS_NUMBER = re.compile(r"[+-]?\s*[₩￦$€£¥]?\s*[+-]?\.?[0-9]")


def _refuse_no_numbers(table: Table, columns: Columns, t: int, left_out: list[int]) -> None:
    """No column besides the target holds numbers. The one to blame is the column whose cells
    mostly start as numbers do ('3.9 hours approx.'): refused by its first cell that is not a
    number. A column of names or ids ('학생01', 'A-3') is not blamed; if no column looks like
    numbers, every candidate is named with an example cell."""
    def share(j: int) -> float:
        cells = [shown(c) for c in table.columns[j] if not blank_cell(c)]
        starting = sum(1 for c in cells if _STARTS_AS_NUMBER.match(c))
        return starting / len(cells) if cells else 0.0

    if len(left_out) == 1 and all(blank_cell(c) for c in table.columns[left_out[0]]):
        columns.values(left_out)  # raises: the value is missing (an empty column)
    best = max(left_out, key=share)
    if share(best) > 0.5:
        columns.values([best])  # raises, naming the first cell that is not a number
    raise GradsheetError("data.no_numbers", where=table.where, target=q(table.headings[t], 40),
                         columns=Joined([_example(table, j) for j in left_out[:5]], sep=", "))


def _example(table: Table, j: int) -> Message:
    """'이름' ('홍길동' in row 2), or '빈칸' (empty)."""
    example = next(((i, c) for i, c in enumerate(table.columns[j]) if not blank_cell(c)), None)
    if example is None:
        return Message("data.column_empty", column=q(table.headings[j], 40))
    return Message("data.column_example", column=q(table.headings[j], 40),
                   cell=q(shown(example[1]), 30), row=table.first_row + example[0])


def _left_out_note(table: Table, left_out: list[int]) -> Message:
    shown_columns = Joined([_example(table, j) for j in left_out[:5]], sep=", ")
    if len(left_out) == 1:
        return Message("data.left_out_one", columns=shown_columns)
    more = len(left_out) - 5
    if more > 0:
        return Message("data.left_out_more", count=len(left_out), columns=shown_columns, more=more)
    return Message("data.left_out", count=len(left_out), columns=shown_columns)


# What the options ask of the target: a number (a regression model named), a class (a
# classifier named, or --classes given), or whatever the target column holds (AUTO).
REGRESS, CLASSIFY, AUTO = "regress", "classify", "auto"


def _intent(model: str | None, wanted: list[str] | None) -> str:
    if model is None:
        return AUTO if wanted is None else CLASSIFY
    return CLASSIFY if model in CLASSIFIERS else REGRESS


def _default_target(table: Table, columns: Columns, f: list[int], intent: str) -> int:
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


def _looks_like_classes(table: Table, columns: Columns, j: int) -> bool:
    if columns.has_numbers(j):
        return False
    labels = [_label(cell) for cell in table.columns[j] if not blank_cell(cell)]
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
    close = close_names(headings, w)
    if close:
        options = Joined([Message("data.column_at", column=q(headings[j]), number=j + 1)
                          for j in close], sep_key="data.or")
        raise GradsheetError("data.no_column_close", column=q(wanted), options=options)
    names = ", ".join(clean(cut(h, 40)) for h in headings[:20])
    if len(headings) > 20:
        raise GradsheetError("data.no_column_many", column=q(wanted), columns=names,
                             count=len(headings))
    raise GradsheetError("data.no_column", column=q(wanted), columns=names)


def close_names(names: Sequence[str], wanted: str, most: int = 3) -> list[int]:
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
    notes: tuple[Message, ...]  # warning lines


def _class_target(table: Table, columns: Columns, t: int, f: list[int], model: str | None,
                  wanted: list[str] | None) -> _ClassTarget:
    """The features and the class of each row.

    A target of text labels (surrounding spaces stripped, letter case kept) has its classes
    numbered in order of first appearance; a target of numbers only (read as classes because a
    classifier was asked for) has them in order of value, named by the number ("0", "1"), and
    --model logistic takes only 0 and 1 there, so that the class index is the number. Numbers
    with a unit ("1등급") are labels, kept as written. `wanted` (--classes) reorders them.
    2 to MAX_CLASSES classes; `model` None picks logistic for 2 and softmax for more, and
    says so."""
    heading = q(table.headings[t])
    column = columns.get(t)
    if column.values is not None and UNIT not in column.converted:  # every cell a number: codes
        X = columns.values(f)
        codes = column.values + 0.0  # -0.0 is 0
        if model == LOGISTIC:
            _check_zero_one(table, t, codes)
        values, inverse = np.unique(codes, return_inverse=True)
        found, kind = [plain(v) for v in values], "values"
    else:
        labels, bad = _labels(table, t)
        X = columns.values(f, bad)
        found, kind = list(dict.fromkeys(labels)), "labels"
        position = {name: i for i, name in enumerate(found)}
        inverse = np.fromiter((position[label] for label in labels), dtype=np.intp,
                              count=len(labels))
    count = len(found)
    if count < 2:
        raise GradsheetError("data.one_class", where=table.where, target=heading,
                             label=q(found[0]), most=MAX_CLASSES)
    if count > MAX_CLASSES:
        raise GradsheetError("data.too_many_values" if kind == "values" else "data.too_many_labels",
                             where=table.where, target=heading,
                             count=count, most=MAX_CLASSES)
    order = found if wanted is None else _ordered(found, wanted, heading)
    if model == LOGISTIC and count != 2:
        raise GradsheetError("data.logistic_two", target=heading, count=count,
                             classes=listed(found))
    chosen = model or (LOGISTIC if count == 2 else SOFTMAX)
    notes = []
    if model is None:
        if chosen == LOGISTIC:
            notes.append(Message("data.classes_logistic", target=heading, classes=listed(order),
                                 positive=q(order[1])))
        else:
            notes.append(Message("data.classes_softmax", target=heading, count=count,
                                 classes=listed(order)))
    notes += _case_notes(heading, found)
    index = np.array([order.index(name) for name in found], dtype=np.float64)
    return _ClassTarget(X, index[inverse], tuple(order), chosen, tuple(notes))


def _refuse_text_target(table: Table, t: int, model: str) -> None:
    """A regression asked for on a column of labels: say what to do instead."""
    first = next(((i, c) for i, c in enumerate(table.columns[t]) if not blank_cell(c)), None)
    if first is None:  # an empty column: refused by its first cell, as missing
        return
    i, cell = first
    raise GradsheetError("data.text_target", where=table.where, target=q(table.headings[t]),
                         cell=q(shown(cell), 30), row=table.first_row + i, model=model)


def _wanted_classes(classes: str | Sequence[str] | None) -> list[str] | None:
    """--classes as names ("A,B,C" or a list; surrounding spaces stripped); None if not given."""
    if classes is None or (isinstance(classes, str) and not classes.strip()):
        return None
    names = classes.split(",") if isinstance(classes, str) else [str(c) for c in classes]
    names = [name.strip() for name in names]
    if not all(names):
        raise GradsheetError("data.classes_empty_name", classes=q(",".join(names)))
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
            return plain(float(cell))
        except OverflowError:
            return str(cell)
    return str(cell)


def _labels(table: Table, t: int) -> tuple[list[str], list[tuple[int, int, Message]]]:
    """Column t's labels, and its first missing one as (row index, column, why)."""
    labels = []
    for i, cell in enumerate(table.columns[t]):
        if blank_cell(cell):
            return labels, [(i, t, Message("data.label_missing"))]
        labels.append(_label(cell))
    return labels, []


def _check_zero_one(table: Table, t: int, codes: np.ndarray) -> None:
    other = np.flatnonzero((codes != 0) & (codes != 1))
    if other.size:
        i = int(other[0])
        raise GradsheetError("data.not_zero_one", where=table.where, row=table.first_row + i,
                             column=q(table.headings[t]), cell=q(shown(table.columns[t][i])))


def _ordered(found: list[str], wanted: list[str], heading: str) -> list[str]:
    """The classes in --classes order; each class of the target named exactly once."""
    for name in wanted:
        if name not in found:
            close = close_names(found, name)
            if close:
                raise GradsheetError("data.no_class_close", name=q(name), target=heading,
                                     options=Joined([q(found[j]) for j in close], sep_key="data.or"))
            raise GradsheetError("data.no_class", name=q(name), target=heading,
                                 classes=listed(found))
    twice = next((name for name in wanted if wanted.count(name) > 1), None)
    if twice is not None:
        raise GradsheetError("data.class_twice", name=q(twice))
    left = [name for name in found if name not in wanted]
    if left:
        raise GradsheetError("data.classes_left_out", left=listed(left), target=heading,
                             count=len(found))
    return list(wanted)


def _case_notes(heading: str, found: list[str]) -> list[Message]:
    """Labels that differ only in letter case are two classes: probably a typing slip."""
    seen: dict[str, str] = {}
    for name in found:
        other = seen.setdefault(name.casefold(), name)
        if other != name:
            return [Message("data.labels_case", target=heading, first=q(other, 30), second=q(name, 30))]
    return []
