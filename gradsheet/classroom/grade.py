"""`gradsheet grade`: recalculate every submission in LibreOffice and grade each blank cell
against what the correct formula gives on the student's **own** cells.

For each file (submissions.py says which files, and whose): check it before any engine sees it
(size, zip parts: zip bombs), load a private copy without macros, lift sheet protection that has
no password, recalculate and read the inputs and the blank cells (the first reading). Then type
new numbers over EVERY input cell in the engine, whatever it holds — x, y, the parameters, lr,
eps, the pasted slopes, prevLoss, the optimizer's state, t and the hyperparameters (an input
holding a formula or an error is itself a finding, and no excuse) — recalculate and read again
(the second reading). The new numbers are sane and drawn afresh for every run, so no formula can
know them in advance. A cell is
  ok        its value equals the correct maths on the student's own cells, in both readings
            (a right Loss over a wrong h column is ok: the wrong h is the only mistake);
  constant  its value did not follow the changed inputs (a typed number, =1916.76+0);
  wrong     a formula with another result (or right only for the workbook's own numbers);
  missing   empty;
  error     the cell shows #VALUE!, #NAME? or the like where the correct maths gives a number.
The verdicts themselves (candidates, tolerances from rounding, marks) are verdict.py's, which
needs no engine.
"""

from __future__ import annotations

import contextvars
import csv
import json
import os
import secrets
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import GradsheetError
from ..core.layout import Layout
from ..core.messages import Message, os_reason, use
from ..core.optimizers import HYPER_DEFAULTS, HYPER_NAMES
from ..core.texts import texts
# Limits on an untrusted file, checked before LibreOffice opens it: the same as on an .xlsx data
# file or roster (data/limits.py says why these sizes).
from ..data.limits import check_zip
from . import feedback, verdict
from .engine import CellError, LibreOffice, _read
from .exercise import KEY_FILE, read_key
from .submissions import WORKBOOK_SUFFIXES, Checked, Graded, Handed, assign, cleanup, collect, neutral, shown

__all__ = ["grade", "Grader", "Graded", "Refused", "check_file", "write_report", "engines_for", "KEY_FILE"]

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook (or an old .xls) starts so
TIMEOUT = 60.0  # seconds per submission before the engine is restarted
MAX_ENGINES = 2  # LibreOffices side by side (one per core; the machines we grade on have 2-4)
SECOND_ENGINE_FROM = 20  # submissions: below this a second engine's start costs more than it saves
META_SHEET = "gradsheet"
STATUS_OK = "ok"
LANGS = ("ko", "en")


@dataclass
class Run:
    rows: list[Graded]
    report: Path
    feedback: list[Path]
    max: int


class Refused(GradsheetError):
    """A submission that is not graded, with the reason (its status, in the answer key's
    language: the row renders it)."""


# --- before the engine: is it a workbook, of a sane size? --------------------------------------

def check_file(path: Path) -> None:
    """Refuse what is not a workbook or would unpack past the limits (data/limits.py, the same
    as for a data file or a roster); the message names the limit that was passed: one part's,
    or all parts' together."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise Refused("grade.not_workbook", suffix=path.suffix or Message("grade.no_suffix"))
    try:
        with open(path, "rb") as f:
            if f.read(len(OLE)) == OLE:
                raise Refused("grade.encrypted")
        breach = check_zip(path)
    except OSError as e:
        raise Refused("grade.unreadable", reason=os_reason(e)) from None
    if breach is not None:
        raise _refusal(breach)


def _refusal(breach) -> Refused:
    """What a file past a limit of data/limits.py is told, naming that limit."""
    values = dict(breach.values)
    if "part" in values:
        values["part"] = shown(values["part"])
    if breach.kind == "too_big":
        return Refused("grade.too_big", **values)
    if breach.kind == "too_many_parts":
        return Refused("grade.too_many_parts", **values)
    if breach.kind == "part_too_big":
        return Refused("grade.part_too_big", **values)
    if breach.kind == "part_unpacks_too_much":
        return Refused("grade.zip_bomb", **values)
    if breach.kind == "unpacks_too_much":
        return Refused("grade.zip_bomb_total", **values)
    return Refused("grade.damaged_zip")


# --- in the engine ----------------------------------------------------------------------------

class Places:
    """Where a submission's cells are: its defined names (what its formulas use), or, for a name
    the student deleted or bent out of shape, the place the exercise put it (from the layout).
    UNO calls cross a pipe (about a millisecond each on a busy machine), so the work is done in
    blocks: every name is resolved by one array of probe formulas (SHEET, ROW, COLUMN, ROWS,
    COLUMNS of the name) written onto the settings sheet in the engine, and a reading takes each
    sheet's cells in one block (a name far out on a sheet is read on its own)."""

    PROBE_COL = 3  # the settings sheet uses A:B; the probe goes right of it (never saved)
    MAX_BLOCK = 200_000  # cells in one block read
    MAX_ROWS = 100_000  # a column name longer than this is not a data column

    def __init__(self, doc, probe_sheet, layout: Layout, names: dict[str, str], fixed: dict | None = None):
        """names: name -> "column" or "single"; fixed: name -> its place by the layout only
        (cells without a defined name, such as the class names' column)."""
        self.model, self.layout = doc.model, layout
        self.lost: list[str] = []
        self.at: dict[str, tuple | None] = {}  # name -> (sheet index, first row, first col, last row, last col)
        self._sheets: dict[int, object] = {}
        self.formulas: set[tuple[int, int, int]] = set()  # (sheet, row, col) of formula cells, first reading
        sheets = self.model.Sheets
        count = sheets.getCount()
        self.train = list(sheets.ElementNames).index(layout.sheet) if sheets.hasByName(layout.sheet) else -1
        order = list(names)
        c0 = self.PROBE_COL
        probe = probe_sheet.getCellRangeByPosition(c0, 0, c0 + 4, len(order) - 1)
        probe.setFormulaArray(tuple(tuple(f"={f}({name})" for f in ("SHEET", "ROW", "COLUMN", "ROWS", "COLUMNS"))
                                    for name in order))
        found = probe.getDataArray()
        for name, spot in zip(order, found):
            place = None
            if all(isinstance(v, float) and np.isfinite(v) for v in spot):  # a name that refers to cells
                sheet, row, col, rows, cols = (int(v) for v in spot)
                shaped = (cols == 1 and 1 <= rows <= self.MAX_ROWS) if names[name] == "column" else rows == cols == 1
                if shaped and 1 <= sheet <= count:
                    place = (sheet - 1, row - 1, col - 1, row + rows - 2, col + cols - 2)
            if place is None:  # deleted, no longer a reference, or bent out of shape
                self.lost.append(name)
                place = self._exercise_place(name)
            self.at[name] = place
        columns = [n for n in order if names[n] == "column" and n not in self.lost and self.at[n]]
        if len({self.at[n][1] for n in columns}) > 1 or len({self.at[n][3] for n in columns}) > 1:
            for n in columns:  # columns of different rows: read them all where the exercise put them
                self.lost.append(n)
                self.at[n] = self._exercise_place(n)
        for name, place in (fixed or {}).items():
            self.at[name] = (self.train, *place) if self.train >= 0 else None

    def _exercise_place(self, name: str) -> tuple | None:
        L = self.layout
        if self.train < 0:
            return None
        if name in L.columns:
            c = L.columns[name]
            return self.train, L.first_row, c, L.last_row, c
        if name in L.scalars:
            r, c = L.cell(name)
            return self.train, r, c, r, c
        return None

    def _sheet(self, index: int):
        if index not in self._sheets:
            self._sheets[index] = self.model.Sheets.getByIndex(index)
        return self._sheets[index]

    def sheets(self) -> set[int]:
        return {a[0] for a in self.at.values() if a}

    def read(self, formulas: bool = False) -> dict[str, list]:
        """name -> its cells in order (float, str, None for empty, CellError). With `formulas`,
        also note which cells hold a formula (self.formulas)."""
        out: dict[str, list] = {}
        for sheet in self.sheets():
            spots = {n: a for n, a in self.at.items() if a and a[0] == sheet}
            r0, c0 = min(a[1] for a in spots.values()), min(a[2] for a in spots.values())
            r1, c1 = max(a[3] for a in spots.values()), max(a[4] for a in spots.values())
            groups = [(spots, (r0, c0, r1, c1))] if (r1 - r0 + 1) * (c1 - c0 + 1) <= self.MAX_BLOCK else \
                [({n: a}, a[1:]) for n, a in spots.items()]
            for group, (top, left, bottom, right) in groups:
                rng = self._sheet(sheet).getCellRangeByPosition(left, top, right, bottom)
                block = _read(rng, strict=False)
                for n, a in group.items():
                    out[n] = [block[r - top][c - left] for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]
                if formulas:
                    from com.sun.star.sheet.CellFlags import FORMULA
                    for q in rng.queryContentCells(FORMULA).getRangeAddresses():
                        self.formulas.update((sheet, r, c) for r in range(q.StartRow, q.EndRow + 1)
                                             for c in range(q.StartColumn, q.EndColumn + 1))
        for name, a in self.at.items():
            if a is None:
                out[name] = [None]
        return out

    def is_formula(self, name: str) -> list[bool]:
        """Per cell of `name` (in read() order): does it hold a formula (as first read)?"""
        a = self.at.get(name)
        if a is None:
            return [False]
        return [(a[0], r, c) in self.formulas for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]

    def put(self, name: str, values) -> None:
        self.put_many({name: values})

    def put_many(self, values: dict) -> None:
        """Type numbers (or texts) into names' cells, in the engine only, over whatever they
        hold: one call per run of neighbouring cells in a column (a call crosses the pipe)."""
        cells: dict[tuple[int, int, int], object] = {}
        for name, given in values.items():
            a = self.at.get(name)
            if a is None:
                continue
            flat = [v if isinstance(v, str) else float(v) for v in np.atleast_1d(np.asarray(given, dtype=object))]
            spots = [(a[0], r, c) for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]
            if len(flat) == len(spots):
                cells.update(zip(spots, flat))
        for (sheet, col), run in _runs(cells):
            top = run[0][0]
            rng = self._sheet(sheet).getCellRangeByPosition(col, top, col, top + len(run) - 1)
            rng.setDataArray(tuple((v,) for _, v in run))


def _runs(cells: dict):
    """((sheet, col), [(row, value) …]) for each run of cells one under the other."""
    by_col: dict[tuple[int, int], list] = {}
    for (sheet, row, col), v in sorted(cells.items()):
        by_col.setdefault((sheet, col), []).append((row, v))
    for key, column in by_col.items():
        run = [column[0]]
        for row, v in column[1:]:
            if row == run[-1][0] + 1:
                run.append((row, v))
            else:
                yield key, run
                run = [(row, v)]
        yield key, run


def _roots(names, cells: dict, wants: dict) -> set[str]:
    """Blank names broken at the root on a reading: a cell shows an error or text where the
    correct maths on the student's own cells gives a number."""
    return {name for name in names
            if any(isinstance(v, (CellError, str)) and np.isfinite(wants[name].at(i)[0][0])
                   for i, v in enumerate(cells[name]))}


def _numbers(cells: list) -> np.ndarray:
    """As a spreadsheet's arithmetic sees them: empty is 0; text or an error is NaN."""
    return np.array([0.0 if v is None else v if isinstance(v, float) else np.nan for v in cells])


def _meta(doc):
    """(the settings sheet, its records) or (None, {}) when the workbook has none. The records
    are the student's to edit: only texts for keys, the first of each, values as JSON or as
    they are."""
    sheets = doc.model.Sheets
    if not sheets.hasByName(META_SHEET):
        return None, {}
    sheet = sheets.getByName(META_SHEET)
    out: dict = {}
    for row in sheet.getCellRangeByName("A1:B60").getDataArray():
        key, value = row[0], row[1]
        if not isinstance(key, str) or not key or key in out:
            continue
        try:
            out[key] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            out[key] = value
    return sheet, out


def _record(value) -> str | None:
    """The hidden record's student id, if it is a sane text."""
    if isinstance(value, str) and 0 < len(value.strip()) <= 200:
        return value.strip()
    return None


def _unprotect(sheets) -> list[str]:
    """Lift the protection of these sheets where it has no password; the names of those still
    locked."""
    locked = []
    for sheet in sheets:
        if sheet.isProtected():
            try:
                sheet.unprotect("")
            except Exception:  # com.sun.star.lang.IllegalArgumentException: a password is set
                pass
            if sheet.isProtected():
                locked.append(sheet.getName())
    return locked


class Grader:
    """Grades one file at a time in one engine (with its own time limit and restart)."""

    def __init__(self, key: dict, lo: LibreOffice | None, timeout: float = TIMEOUT, seed: int | None = None):
        self.key, self.lo, self.timeout = key, lo, timeout
        self.settings = key["settings"]
        lang = self.settings.get("lang", "ko")
        self.lang = lang if lang in LANGS else "ko"  # of the statuses and the feedback
        self.blank = list(key["blank"])
        self.students = {s["id"]: s for s in key["students"]}
        first = key["students"][0]
        self.n, self.k = len(first["y"]), len(first["X"][0])
        self.model = key.get("model", self.settings.get("model", "linear"))
        self.classes = tuple(str(c) for c in key.get("classes", self.settings.get("classes", ())))
        self.sheet = verdict.Sheet(self.model, self.k, len(self.classes) if self.model == "softmax" else 0,
                                   self.settings.get("optimizer", "gd"), self.settings.get("diff", "forward"))
        unknown = [name for name in self.blank if name not in self.sheet.computed]
        if unknown:
            raise GradsheetError("grade.key_blank", names=", ".join(unknown))
        self.rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)

    # --- one file, never raising ---
    def grade(self, path: Path) -> Graded:
        """One file on its own, matched to the roster by itself (its row)."""
        path = Path(path)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
        checked = self.check(Handed(shown(path.name), path, mtime))
        rows = assign(list(self.students.values()), [checked], self.blank, self.lang)
        return next(r for r in rows if r.file == checked.handed.shown)

    def check(self, handed: Handed) -> Checked:
        c = Checked(handed)
        if handed.refused is not None:
            c.findings.append(handed.refused)
            return c
        path = handed.path
        try:
            if path is None or not path.is_file():
                raise Refused("grade.file_not_found")
            check_file(path)
            self._in_engine(path, c)
            c.graded = True
        except Refused as e:
            c.marks, c.notes, c.graded = {}, {}, False
            c.findings.insert(0, e)  # it renders itself, in the row's language
        except Exception as e:  # the grader's own fault: a row saying so, the detail for the teacher
            c.marks, c.notes, c.graded = {}, {}, False
            c.findings.insert(0, Message("grade.grader_failed"))
            c.detail = f"{type(e).__name__}: {e}"[:300]
        return c

    def _in_engine(self, path: Path, c: Checked) -> None:
        killed = threading.Event()

        def kill():
            killed.set()
            self.lo.kill()
        # The engine opens a private copy: the submissions folder never gets LibreOffice's lock
        # files, and a killed engine's stale lock never blocks the next one.
        scratch = tempfile.mkdtemp(prefix="gradsheet-grade-")
        copy = Path(scratch, "submission" + path.suffix.lower())
        shutil.copyfile(path, copy)
        timer = threading.Timer(self.timeout, kill)
        timer.start()
        try:
            self._grade_loaded(copy, c)
        except Exception as e:  # a status for the row; a fresh engine if this one was killed or died
            timer.cancel()
            if killed.is_set():
                self._restart()
                raise Refused("grade.timed_out", seconds=self.timeout) from None
            if self.lo.proc is None or self.lo.proc.poll() is not None:
                self._restart()
                raise Refused("grade.stopped_engine") from None
            if isinstance(e, Refused):
                raise
            if any(k.__name__.startswith("com.sun.star.") or k.__module__.startswith("uno")
                   for k in type(e).__mro__):  # the engine refused something in it
                raise Refused("grade.engine_refused") from None
            raise
        finally:
            timer.cancel()
            shutil.rmtree(scratch, ignore_errors=True)
        if killed.is_set():  # the kill came just after the last call: the engine still needs a restart
            self._restart()

    def _restart(self) -> None:
        self.lo.stop()
        self.lo.start()

    def layout(self) -> Layout:
        return Layout(self.n, self.k, texts(self.lang)["sheet_train"], self.settings.get("diff", "forward"), 0,
                      self.settings.get("scale", "none") != "none", self.settings.get("optimizer", "gd"),
                      self.model, self.classes)

    def _names(self, layout: Layout) -> tuple[dict[str, str], dict[str, tuple]]:
        """(names -> "column"/"single" to find by name, cells found by the layout only)."""
        S = self.sheet
        names = {f: "column" for f in S.column_inputs}
        for name in self.typed_singles():
            names[name] = "single"
        for name in self.blank:
            names[name] = "column" if name in S.columns else "single"
        fixed = {}
        if layout.scaled:  # the numbers as read (x_j are their scaled copies): whose data it holds
            for j in range(self.k):
                c = layout.raw_column(j)
                fixed[f"raw_{j + 1}"] = (layout.first_row, c, layout.last_row, c)
        if layout.classifier:
            c = layout.columns["label"]
            fixed["label"] = (layout.first_row, c, layout.last_row, c)
        return names, fixed

    def typed_singles(self) -> list[str]:
        """The single cells that hold typed numbers: what the formulas read, prevLoss and every
        optimizer's settings (a formula may read the wrong one)."""
        return list(dict.fromkeys([*self.sheet.scalar_inputs, "prevLoss", *HYPER_NAMES]))

    def _grade_loaded(self, path: Path, c: Checked) -> None:
        try:
            doc = self.lo.open(path)
        except RuntimeError:
            raise Refused("grade.cannot_open") from None
        with doc:
            doc.recalc()
            meta_sheet, meta = _meta(doc)
            c.record = _record(meta.get("student"))
            if meta.get("generator") != "gradsheet":
                raise Refused("grade.not_exercise")
            if meta.get("exercise") != self.key["exercise"]:
                raise Refused("grade.other_exercise")
            if _unprotect([meta_sheet]):  # the probe is written there
                raise Refused("grade.password", sheets=META_SHEET)
            layout = self.layout()
            names, fixed = self._names(layout)
            places = Places(doc, meta_sheet, layout, names, fixed)
            locked = _unprotect([places._sheet(i) for i in sorted(places.sheets())])  # the sheets typed on
            if locked:
                raise Refused("grade.password", sheets=", ".join(locked))
            self._grade_places(doc, places, layout, c)

    def _grade_places(self, doc, places: Places, layout: Layout, c: Checked) -> None:
        S = self.sheet
        cells = places.read(formulas=True)
        c.by_data = self._owner(cells, layout)
        typed = [*(f"raw_{j + 1}" for j in range(self.k) if layout.scaled), *S.column_inputs, *self.typed_singles()]
        by_design = set(S.features) if layout.scaled else set()  # scaled x_j: the workbook's formulas
        not_numbers = [n for n in typed if n not in by_design and
                       any(isinstance(v, (str, CellError)) for v in cells[n])]
        with_formulas = [n for n in typed if n not in by_design and n not in not_numbers
                         and any(places.is_formula(n))]
        if with_formulas:
            c.findings.append(Message("grade.inputs_formulas", names=", ".join(with_formulas)))
        if not_numbers:
            c.findings.append(Message("grade.inputs_not_numbers", names=", ".join(not_numbers)))
        # an input that is not a number gets one (the exercise's own, where known) before the
        # first reading: an error in an input never excuses an error in a blank
        fix = [n for n in [*S.column_inputs, *self.typed_singles()] if any(isinstance(v, (str, CellError))
                                                                           for v in cells[n])]
        if fix:
            doc.model.enableAutomaticCalculation(False)
            places.put_many({name: self._fallback(name, len(cells[name]), c.by_data) for name in fix})
            doc.model.calculateAll()
            cells = places.read()
        blank_formula = {name: places.is_formula(name) for name in self.blank}
        one = self._inputs(cells)
        blank1 = {name: cells[name] for name in self.blank}
        want1 = verdict.expected(S, one, {n: _numbers(v) for n, v in blank1.items()}, self.blank)
        blank2, want2, replaced = dict(blank1), dict(want1), set()
        # A blank cell holding a typed number (not a formula) is `constant` as it stands:
        # nothing it shows can follow the inputs. Only formulas need the second reading.
        if any(f for flags in blank_formula.values() for f in flags):
            two = self._second(one, len(cells[S.targets[0]]))
            replaced = _roots(self.blank, blank1, want1)  # graded on the first reading alone
            doc.model.enableAutomaticCalculation(False)  # one recalculation after all the changes
            typing = dict(two)
            if layout.classifier and self.classes:
                y2 = np.argmax(np.column_stack([two[t] for t in S.targets]), axis=1) if self.model == "softmax" \
                    else np.asarray(two["y"], dtype=int)
                typing["label"] = [self.classes[int(v)] for v in y2]
            places.put_many(typing)
            # Numbers over a blank broken at the root, so the cells built on it show numbers. A
            # root may show only once the one before it holds numbers (h's error hid Loss's own):
            # then one more round, until no blank shows an error of its own.
            model, chain = S.model_values(two), S.chain(two)
            typed, new = set(), set(replaced)
            for _ in range(len(self.blank) + 1):
                places.put_many({name: np.broadcast_to(model.get(name, chain[name].v), (len(blank1[name]),))
                                 for name in new})
                typed |= new
                doc.model.calculateAll()
                cells2 = places.read()
                now = {name: cells2[name] for name in self.blank}
                wants = verdict.expected(S, self._inputs(cells2), {n: _numbers(v) for n, v in now.items()},
                                         self.blank)
                for name in self.blank:
                    if name not in typed:  # its second reading: the last round it was not typed over
                        blank2[name], want2[name] = now[name], wants[name]
                new = _roots([n for n in self.blank if n not in typed], now, wants)
                if not new:
                    break
        c.marks, c.notes = self._mark(blank1, blank2, want1, want2, blank_formula, replaced, layout)
        if places.lost:
            lost_blank = [n for n in dict.fromkeys(places.lost) if n in self.blank]
            c.findings.append(Message("grade.lost_names", names=", ".join(lost_blank or dict.fromkeys(places.lost))))

    def _inputs(self, cells: dict) -> dict:
        """The verdict's inputs from a reading's cells: columns as arrays, single cells as numbers."""
        S = self.sheet
        out = {name: _numbers(cells[name]) for name in S.column_inputs}
        for name in S.scalar_inputs:
            out[name] = float(_numbers(cells[name])[0])
        return out

    def _fallback(self, name: str, count: int, owner: str | None) -> list:
        """Numbers for an input that holds none (text, an error): the exercise's own where the
        key knows them, else 0."""
        s = self.students.get(owner) or self.key["students"][0]
        S = self.sheet
        if name in S.features and count == len(s["y"]):
            return list(np.asarray(s["X"], dtype=float)[:, S.features.index(name)])
        if name.startswith("raw_") and count == len(s["y"]):
            return list(np.asarray(s["X"], dtype=float)[:, int(name[4:]) - 1])
        if name in S.targets and count == len(s["y"]):
            y = np.asarray(s["y"], dtype=float)
            return list(y if self.model != "softmax" else (y == S.targets.index(name)).astype(float))
        single = {"lr": float(s.get("lr", self.settings.get("lr", 0.001))), "eps": float(self.settings.get("eps", 1e-4)),
                  **{h: float(self.settings.get(h, HYPER_DEFAULTS[h])) for h in HYPER_NAMES}}
        return [single.get(name, 0.0)] * count

    def _second(self, one: dict, rows: int) -> dict:
        """The second reading's inputs: new numbers for every input, of sane size whatever the
        student put in the first (a formula cannot know them: they are drawn afresh every run)."""
        S, rng = self.sheet, self.rng
        u = lambda: float(rng.uniform())  # noqa: E731
        sign = lambda: 1.0 if rng.uniform() < 0.5 else -1.0  # noqa: E731
        base = next((s for s in self.key["students"] if len(s["y"]) == rows), None)
        out: dict = {}
        for j, f in enumerate(S.features):
            col = one[f]
            if not (np.all(np.isfinite(col)) and np.max(np.abs(col), initial=0) < 1e9):
                col = np.asarray(base["X"], dtype=float)[:, j] if base else np.arange(rows, dtype=float)
            spread = float(np.std(col)) or max(0.1 * float(np.mean(np.abs(col))), 1.0)
            out[f] = col + spread * (0.4 + 0.4 * u())
        if self.model == "linear":
            y = one["y"]
            if not (np.all(np.isfinite(y)) and np.max(np.abs(y), initial=0) < 1e12):
                y = np.asarray(base["y"], dtype=float) if base else np.zeros(rows)
            out["y"] = y + (float(np.std(y)) or 1.0) * (0.4 + 0.4 * u())
        else:
            y = self._classes_of(one, base, rows)
            C = max(len(self.classes), 2)
            y2 = (1 - y) if self.model == "logistic" else (y + 1) % C  # every row another class
            if self.model == "logistic":
                out["y"] = y2.astype(float)
            else:
                for c, t in enumerate(S.targets):
                    out[t] = (y2 == c).astype(float)
        # the parameters: each input's term of a size near 1 (so a classifier's p is neither 0
        # nor 1); a classifier's biases centre its z on 0, so z (and z − max z) takes both signs
        X2 = np.column_stack([out[f] for f in S.features])
        theta = np.zeros(len(S.params))
        for p, name in enumerate(S.params):
            j = S._feature(p)
            if j is not None:
                theta[p] = sign() * (0.3 + 0.5 * u()) * (2.0 if self.model != "linear" else 1.0) / \
                    (S.k * (float(np.std(X2[:, j])) or 1.0))
        for p, name in enumerate(S.params):
            if S._feature(p) is None:
                c = S._class(p)
                terms = sum(X2[:, S._feature(q)] * theta[q] for q in range(len(S.params))
                            if S._feature(q) is not None and S._class(q) == c)
                theta[p] = (sign() * (0.3 + 0.5 * u()) if self.model == "linear" else
                            -float(np.mean(terms)) + (u() - 0.5) * 0.5)
        for p, name in enumerate(S.params):
            if abs(theta[p] - one[name]) <= 1e-9 * (abs(one[name]) + 1):
                theta[p] += 0.1
            out[name] = float(theta[p])
        out["lr"] = self._changed(one["lr"], float(self.settings.get("lr", 0.001)), 1.3 + 0.4 * u(), 1e6)
        out["eps"] = self._changed(one["eps"], float(self.settings.get("eps", 1e-4)), 1.5 + u(), 1.0)
        for p, name in enumerate(S.params):
            g = sign() * (0.05 + 0.1 * u()) * (abs(theta[p]) + 1) / out["lr"]
            out[f"dLoss_d{name}"] = g
            for slot in S.opt.slots:
                out[f"{slot}_{name}"] = {"vel": sign() * (0.05 + 0.1 * u()) * (abs(theta[p]) + 1),
                                         "sq": g * g * (0.5 + u()),
                                         "m": sign() * g * (0.3 + 0.4 * u())}[slot]
        if S.opt.counts_updates:
            out["t"] = float(next(t for t in rng.permutation(np.arange(2, 8)) if t != one.get("t")))
        decays = iter(sorted(rng.uniform(0.6, 0.88, 3)))
        for h in HYPER_NAMES:
            if h == "beta2":
                out[h] = 0.99 + 0.005 * u()
            elif h == "delta":  # large enough that leaving it out shows
                sq = [out[f"sq_{p}"] for p in S.params] if "sq" in S.opt.slots else [1.0]
                out[h] = (0.02 + 0.03 * u()) * float(np.sqrt(np.mean(sq)))
            else:
                out[h] = next(decays)
        out["prevLoss"] = 1.0 + 100.0 * u()
        return out

    @staticmethod
    def _changed(value: float, default: float, factor: float, top: float) -> float:
        """A positive setting changed by `factor`: from the student's value when it is sane, else
        from the exercise's."""
        start = value if np.isfinite(value) and 0 < value < top else default
        return start * factor

    def _classes_of(self, one: dict, base, rows: int) -> np.ndarray:
        """Each row's class (0-based) as the first reading holds it, or the exercise's."""
        S = self.sheet
        if self.model == "logistic":
            y = one["y"]
            if np.all((y == 0) | (y == 1)):
                return y.astype(int)
        else:
            Y = np.column_stack([one[t] for t in S.targets])
            if np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1):
                return np.argmax(Y, axis=1)
        if base is not None:
            return np.asarray(base["y"], dtype=int)
        return np.arange(rows) % max(len(self.classes), 2)

    def _mark(self, blank1, blank2, want1, want2, formula, replaced, layout: Layout):
        marks, notes, verdicts = {}, {}, {}
        for name in self.blank:
            c1, c2 = blank1[name], blank2[name]
            flags = formula.get(name) or [True] * len(c1)
            per_row = []
            for i, a in enumerate(c1):
                if name in replaced:  # its second reading is the numbers typed over it
                    per_row.append(verdict.mark_first_only(a, want1[name].at(i)))
                else:
                    b = c2[i] if i < len(c2) else None
                    per_row.append(verdict.mark_cell(a, b, want1[name].at(i), want2[name].at(i),
                                                     flags[i] if i < len(flags) else True))
            first = layout.first_row if name in self.sheet.columns else 0
            verdicts[name] = verdict.combine(per_row, first)
            marks[name] = verdicts[name].mark
        broken = {name for name in self.blank if marks[name] != "ok"}
        for name, v in verdicts.items():
            source = None
            if v.kind == "knock_on":
                ups = self.sheet.upstream(name, self.blank)
                source = next((u for u in ups if u in replaced), None) or next((u for u in ups if u in broken), None)
            notes[name] = feedback.sentence(name, v, layout, self.lang, source)
            if v.mark != "ok":
                hint = feedback.hint(name, layout, self.lang, self.sheet.params)
                if hint:
                    notes[f"hint:{name}"] = hint
        return marks, notes

    def _owner(self, cells: dict, layout: Layout) -> str | None:
        """Whose numbers the workbook holds (the rows of one student's data, at least half of
        them, more than any other's); None when everyone has the same data."""
        if self.key.get("same_data"):
            return None
        S = self.sheet
        cols = [f"raw_{j + 1}" for j in range(self.k)] if layout.scaled else S.features
        X = np.column_stack([_numbers(cells[c]) for c in cols])
        if self.model == "softmax":
            Y = np.column_stack([_numbers(cells[t]) for t in S.targets])
            y = np.where(np.all(np.isfinite(Y), axis=1), np.argmax(np.nan_to_num(Y), axis=1), np.nan)
        else:
            y = _numbers(cells["y"])
        best, share, runner = None, 0.0, 0.0
        for s in self.key["students"]:
            Xs, ys = np.asarray(s["X"], dtype=float), np.asarray(s["y"], dtype=float)
            if Xs.shape != X.shape:
                continue
            same = np.all(np.isclose(X, Xs, rtol=1e-9, atol=0), axis=1) & np.isclose(y, ys, rtol=1e-9, atol=0)
            part = float(np.mean(same))
            if part > share:
                best, share, runner = s["id"], part, share
            elif part > runner:
                runner = part
        return best if share >= 0.5 and share > runner else None


# --- the run ----------------------------------------------------------------------------------

def engines_for(count: int) -> int:
    """How many LibreOffices to run side by side: one per core, at most MAX_ENGINES, and a
    second only when there are enough files to repay its start (a few seconds)."""
    if count < SECOND_ENGINE_FROM:
        return 1
    return max(1, min(MAX_ENGINES, os.cpu_count() or 1))


def grade(paths, key_dir, report, feedback_dir=None, timeout: float = TIMEOUT,
          lo: LibreOffice | list[LibreOffice] | None = None, progress=None, engines: int | None = None,
          seed: int | None = None) -> Run:
    """Grade every submission and write the report and the feedback. `lo`: running engine(s) to
    use (left running); else `engines` of its own (default: engines_for the number of files),
    started here and stopped at the end. Each engine grades one file at a time, with its own
    time limit and restart. `seed`: the second reading's numbers (default: fresh each run)."""
    key = read_key(key_dir)
    lang = key["settings"].get("lang", "ko")
    lang = lang if lang in LANGS else "ko"
    use(lang)  # the class's language, for every message from here on
    Grader(key, None)  # a key this grader cannot grade: one line, before any engine starts
    report = Path(report)
    feedback_dir = Path(feedback_dir) if feedback_dir else report.with_name(report.stem + "-feedback")
    scratch = Path(tempfile.mkdtemp(prefix="gradsheet-submissions-"))
    try:
        handed = collect(paths, scratch)
        opened = [h for h in handed if h.refused is None and h.path is not None
                  and h.path.suffix.lower() in WORKBOOK_SUFFIXES]
        given = [lo] if isinstance(lo, LibreOffice) else list(lo or [])
        own = [] if given or not opened else [LibreOffice() for _ in range(engines or engines_for(len(opened)))]
        try:
            _in_parallel(lambda engine: engine.start(), own)
            checked = _grade_files(key, handed, given or own or [None], timeout, progress, seed)
        finally:
            _in_parallel(lambda engine: engine.stop(), own)
    finally:
        cleanup(scratch)
    rows = assign(key["students"], checked, list(key["blank"]), lang)
    blank = list(key["blank"])
    texts_ = feedback.texts_for(rows, blank)  # every text first: nothing can fail after a file is written
    written = write_report(report, rows, blank)
    notes = feedback.write_all(feedback_dir, rows, texts_)
    return Run(rows, written, notes, len(blank))


def _grade_files(key: dict, files: list[Handed], engines: list, timeout: float, progress, seed) -> list[Checked]:
    """Results in the files' order; each engine's thread takes the next file when it is free
    (UNO calls wait on the engine, not on Python, so the threads overlap)."""
    todo = iter(enumerate(files))
    out: list[Checked | None] = [None] * len(files)
    lock = threading.Lock()

    def work(engine) -> None:
        grader = Grader(key, engine, timeout, None if seed is None else seed + len(out))
        while True:
            with lock:
                i, handed = next(todo, (None, None))
            if handed is None:
                return
            out[i] = grader.check(handed)
            if progress:
                with lock:
                    progress(1)
    _in_parallel(work, engines)
    return out


def _in_parallel(job, engines: list) -> None:
    """Run job(engine) for every engine, each in its own thread; re-raise the first failure."""
    if len(engines) <= 1:
        for engine in engines:
            job(engine)
        return
    failures = []

    def run(engine):
        try:
            job(engine)
        except BaseException as e:  # handed to the caller below
            failures.append(e)
    # each thread in a copy of this context: the language in use goes along
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(run, engine), daemon=True)
               for engine in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def write_report(path: Path, rows: list[Graded], blank: list[str]) -> Path:
    """UTF-8 with a byte-order mark, so Korean Excel opens it as it is; written atomically.
    Every text cell is neutral()."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".csv", dir=folder)
    except OSError as e:
        raise GradsheetError("grade.cannot_write", path=path, reason=os_reason(e)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "name", "file", "score", "max", "status", *blank])
            for r in rows:
                w.writerow([neutral(r.id), neutral(r.name), neutral(r.file), r.score, len(blank), neutral(r.status),
                            *[r.marks.get(name, "") for name in blank]])
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise GradsheetError("grade.cannot_write", path=path, reason=os_reason(e)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
