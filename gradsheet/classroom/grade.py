"""`gradsheet grade`: recalculate every submission in LibreOffice and grade each blank cell
against what the correct formula gives on the student's **own** cells.

For each submission: check the file before any engine sees it (size, zip parts: zip bombs),
load it without macros, recalculate, read the inputs and the blank cells; then change the
inputs (W, B, x, y, lr, eps, the pasted slopes) in the engine, recalculate and read again. A
cell is
  ok        its value equals the correct maths on the student's own cells, in both readings
            (a right Loss over a wrong h column is ok: the wrong h is the only mistake);
  constant  its value did not follow the changed inputs (a typed number);
  wrong     a formula with another result (or right only for the workbook's own numbers);
  missing   empty;
  error     the cell shows #VALUE!, #NAME? or the like.
The correct maths is the model's (core/models.py, core/optimizers.py): the same code that wrote
the workbook's stored values, never a formula kept in the key.
"""

from __future__ import annotations

import contextvars
import csv
import json
import os
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import models
from ..core.errors import GradsheetError
from ..core.messages import Message, os_reason, say, use
from ..core.layout import Layout, param_names
from ..core.optimizers import DECAY_RATES, OPTIMIZERS
from ..core.texts import texts
# Limits on an untrusted file, checked before LibreOffice opens it: the same as on an .xlsx data
# file or roster (data/limits.py says why these sizes).
from ..data.limits import MAX_FILE, MAX_PART, MAX_PARTS, MAX_UNPACKED
from .engine import CellError, LibreOffice, _read
from .exercise import KEY_FILE, read_key
from . import feedback

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
TIMEOUT = 60.0  # seconds per submission before the engine is restarted
MAX_ENGINES = 2  # LibreOffices side by side (one per core; the machines we grade on have 2-4)
SECOND_ENGINE_FROM = 20  # submissions: below this a second engine's start costs more than it saves
META_SHEET = "gradsheet"
STATUS_OK = "ok"
RTOL = 1e-9  # relative to the size of the numbers the cell is made of


@dataclass
class Graded:
    id: str
    name: str
    file: str
    status: str
    marks: dict[str, str] = field(default_factory=dict)  # blank name -> ok/wrong/constant/missing/error
    notes: dict[str, str] = field(default_factory=dict)  # blank name -> what is wrong, in words
    lang: str = "ko"

    @property
    def score(self) -> int:
        return sum(1 for m in self.marks.values() if m == "ok")

    def add_status(self, text: str, first: bool = False) -> None:
        """One more thing to flag: the statuses joined by "; " (ok only while there is none)."""
        if self.status == STATUS_OK:
            self.status = text
        else:
            self.status = f"{text}; {self.status}" if first else f"{self.status}; {text}"


@dataclass
class Run:
    rows: list[Graded]
    report: Path
    feedback: list[Path]
    max: int


class Refused(GradsheetError):
    """A submission that is not graded, with the reason (its status, in the answer key's
    language: Grader renders it)."""


# --- before the engine: is it a workbook, of a sane size? --------------------------------------

def check_file(path: Path) -> None:
    """Refuse what is not a workbook or would unpack past the limits. Every part is unpacked
    (to nowhere) with a running count, so a zip whose directory lies about sizes is caught too."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise Refused("grade.not_workbook", suffix=path.suffix or Message("grade.no_suffix"))
    size = path.stat().st_size
    if size > MAX_FILE:
        raise Refused("grade.too_big", mb=size / 2 ** 20, limit=MAX_FILE // 2 ** 20)
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > MAX_PARTS:
                raise Refused("grade.too_many_parts", parts=len(parts), limit=MAX_PARTS)
            total = 0
            for part in parts:
                if part.file_size > MAX_PART:
                    raise Refused("grade.part_too_big", part=part.filename, mb=part.file_size / 2 ** 20,
                                  limit=MAX_PART // 2 ** 20)
                seen = 0
                with z.open(part) as f:
                    while chunk := f.read(2 ** 20):
                        seen += len(chunk)
                        if seen > MAX_PART or total + seen > MAX_UNPACKED:
                            raise Refused("grade.zip_bomb", part=part.filename,
                                          limit=min(MAX_PART, MAX_UNPACKED) // 2 ** 20)
                total += seen
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
        raise Refused("grade.damaged_zip") from None
    except OSError as e:
        raise Refused("grade.unreadable", reason=os_reason(e)) from None


# --- in the engine ----------------------------------------------------------------------------

class Places:
    """Where a submission's cells are: its defined names, or (for a name the student deleted)
    the place the exercise put it, from the layout. UNO calls cross a pipe (about a
    millisecond each on a busy machine), so the work is done in blocks: every name is resolved
    by one array of probe formulas (SHEET, ROW, COLUMN, ROWS, COLUMNS of the name) written onto
    the settings sheet in the engine, and a reading takes each sheet's cells in one block."""

    PROBE_COL = 3  # the settings sheet uses A:B; the probe goes right of it (never saved)

    def __init__(self, doc, meta_sheet, layout: Layout, names: list[str]):
        self.model, self.layout = doc.model, layout
        self.lost: list[str] = []
        self.at: dict[str, tuple | None] = {}  # name -> (sheet index, first row, first col, last row, last col)
        self._sheets: dict[int, object] = {}
        self._blocks: dict[int, object] = {}
        self.formulas: set[tuple[int, int, int]] = set()  # (sheet, row, col) of formula cells, first reading
        c0 = self.PROBE_COL
        probe = meta_sheet.getCellRangeByPosition(c0, 0, c0 + 4, len(names) - 1)
        probe.setFormulaArray(tuple(tuple(f"={f}({name})" for f in ("SHEET", "ROW", "COLUMN", "ROWS", "COLUMNS"))
                                    for name in names))
        found = probe.getDataArray()
        train = None
        for name, spot in zip(names, found):
            if all(isinstance(v, float) for v in spot):  # a name that refers to cells
                sheet, row, col, rows, cols = (int(v) for v in spot)
                self.at[name] = (sheet - 1, row - 1, col - 1, row + rows - 2, col + cols - 2)
                continue
            self.lost.append(name)  # deleted, or no longer a reference: the exercise's place
            if train is None:
                sheets = self.model.Sheets
                train = list(sheets.ElementNames).index(layout.sheet) if sheets.hasByName(layout.sheet) else -1
            if train < 0:
                self.at[name] = None
            elif name in layout.columns:
                c = layout.columns[name]
                self.at[name] = (train, layout.first_row, c, layout.last_row, c)
            else:
                r, c = layout.cell(name)
                self.at[name] = (train, r, c, r, c)

    def _sheet(self, index: int):
        if index not in self._sheets:
            self._sheets[index] = self.model.Sheets.getByIndex(index)
        return self._sheets[index]

    def read(self, formulas: bool = False) -> dict[str, list]:
        """name -> its cells in order (float, str, None for empty, CellError). With `formulas`,
        also note which cells hold a formula (self.formulas)."""
        from com.sun.star.sheet.CellFlags import FORMULA
        blocks = {}
        for sheet in {a[0] for a in self.at.values() if a}:
            if sheet not in self._blocks:
                spots = [a for a in self.at.values() if a and a[0] == sheet]
                r1, c1 = max(a[3] for a in spots), max(a[4] for a in spots)
                self._blocks[sheet] = self._sheet(sheet).getCellRangeByPosition(0, 0, c1, r1)
            blocks[sheet] = _read(self._blocks[sheet], strict=False)
            if formulas:
                for a in self._blocks[sheet].queryContentCells(FORMULA).getRangeAddresses():
                    self.formulas.update((sheet, r, c) for r in range(a.StartRow, a.EndRow + 1)
                                         for c in range(a.StartColumn, a.EndColumn + 1))
        return {name: [None] if a is None else
                [blocks[a[0]][r][c] for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]
                for name, a in self.at.items()}

    def is_formula(self, name: str) -> list[bool]:
        """Per cell of `name` (in read() order): does it hold a formula (as first read)?"""
        a = self.at.get(name)
        if a is None:
            return [False]
        return [(a[0], r, c) in self.formulas for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]

    def put(self, name: str, values, over_formulas: bool = False) -> None:
        """Type numbers into a name's cells, in the engine only. An input the student made a
        formula is left alone (it is computed, not an input), unless `over_formulas`."""
        a = self.at.get(name)
        if a is None or (not over_formulas and any(self.is_formula(name))):
            return
        flat = [float(v) for v in np.nan_to_num(np.atleast_1d(np.asarray(values, dtype=float)))]
        rows, cols = a[3] - a[1] + 1, a[4] - a[2] + 1
        if len(flat) != rows * cols:
            return
        rng = self._sheet(a[0]).getCellRangeByPosition(a[2], a[1], a[4], a[3])
        rng.setDataArray(tuple(tuple(flat[r * cols:(r + 1) * cols]) for r in range(rows)))


def _numbers(cells: list) -> np.ndarray:
    """As a spreadsheet's arithmetic sees them: empty is 0; text or an error is NaN."""
    return np.array([0.0 if v is None else v if isinstance(v, float) else np.nan for v in cells])


def _meta(doc):
    """(the settings sheet, its records) or (None, {}) when the workbook has none."""
    sheets = doc.model.Sheets
    if not sheets.hasByName(META_SHEET):
        return None, {}
    sheet = sheets.getByName(META_SHEET)
    out = {}
    for key, value in sheet.getCellRangeByName("A1:B60").getDataArray():
        if key:
            try:
                out[key] = json.loads(value)
            except (TypeError, ValueError):
                out[key] = value
    return sheet, out


@dataclass
class Reading:
    """One recalculation's numbers: the inputs and every blank name's cells."""
    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    lr: float
    eps: float
    dloss: np.ndarray
    slots: dict
    t: float
    hyper: dict
    cells: dict  # blank name -> list of raw cells
    formula: dict = field(default_factory=dict)  # blank name -> per cell: holds a formula (first reading)
    replaced: set = field(default_factory=set)  # blank names with numbers typed over them (second reading)


class Grader:
    def __init__(self, key: dict, lo: LibreOffice, timeout: float = TIMEOUT):
        self.key, self.lo, self.timeout = key, lo, timeout
        self.settings = key["settings"]
        self.lang = self.settings.get("lang", "ko")  # of the statuses (report.csv and feedback)
        self.blank = list(key["blank"])
        self.students = {s["id"]: s for s in key["students"]}
        k = len(key["students"][0]["X"][0])
        self.params = param_names(k)
        self.k = k

    # one submission, never raising
    def grade(self, path: Path) -> Graded:
        sid = path.stem
        student = self.students.get(sid)
        row = Graded(sid, student["name"] if student else "", path.name, STATUS_OK, lang=self.lang)
        try:
            check_file(path)
            self._in_engine(path, row)
        except Refused as e:
            row.status, row.marks = e.render(self.lang), {}
        if student is None:
            row.add_status(say("grade.not_on_roster", self.lang), first=True)
        return row

    def _in_engine(self, path: Path, row: Graded) -> None:
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
            self._grade_loaded(copy, row)
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
            if any(c.__name__.startswith("com.sun.star.") for c in type(e).__mro__):  # the engine refused it
                raise Refused("grade.engine_refused", error=type(e).__name__) from None
            raise Refused("grade.grader_failed", error=f"{type(e).__name__}: {e}") from None
        finally:
            timer.cancel()
            shutil.rmtree(scratch, ignore_errors=True)
        if killed.is_set():  # the kill came just after the last call: the engine still needs a restart
            self._restart()

    def _restart(self) -> None:
        self.lo.stop()
        self.lo.start()

    def _grade_loaded(self, path: Path, row: Graded) -> None:
        try:
            doc = self.lo.open(path)
        except RuntimeError:
            raise Refused("grade.cannot_open") from None
        with doc:
            doc.recalc()
            meta_sheet, meta = _meta(doc)
            if meta.get("generator") != "gradsheet":
                raise Refused("grade.not_exercise")
            if meta.get("exercise") != self.key["exercise"]:
                raise Refused("grade.other_exercise")
            row.lang = meta.get("lang", row.lang)
            n = len(self.students.get(meta.get("student"), self.key["students"][0])["y"])
            layout = Layout(n, self.k, texts(row.lang)["sheet_train"], self.settings["diff"], 0,
                            self.settings["scale"] != "none", self.settings["optimizer"], "linear")
            places = Places(doc, meta_sheet, layout, self._names(layout))
            first = self._read(places, formulas=True)
            lost = [name for name in dict.fromkeys(places.lost)]
            second = None
            # A blank cell holding a typed number (not a formula) is `constant` as it stands:
            # nothing it shows can follow the inputs. Only formulas need the second reading.
            if any(f for name in self.blank for f in first.formula[name]):
                expected = self._expected(first)
                replaced = self._broken_at_the_root(first, expected)
                doc.model.enableAutomaticCalculation(False)  # one recalculation after all the changes
                self._perturb(places, first, replaced, expected)
                doc.model.calculateAll()
                second = self._read(places)
                second.replaced = replaced
        row.marks, row.notes = self._mark(first, second or first, layout, row.lang)
        owner = self._owner(meta, first)
        if owner and owner != row.id:
            row.add_status(say("grade.other_student", self.lang, owner=owner))
        if lost:
            lost_blank = [n for n in lost if n in self.blank]
            row.add_status(say("grade.lost_names", self.lang, names=", ".join(lost_blank or lost)))

    def _names(self, layout: Layout) -> list[str]:
        opt = OPTIMIZERS[self.settings["optimizer"]]
        return list(dict.fromkeys([*layout.features, "y", *self.params, "lr", "eps",
                                   *[f"dLoss_d{p}" for p in self.params],
                                   *[f"{s}_{p}" for s in opt.slots for p in self.params],
                                   *(["t"] if opt.counts_updates else []), *opt.hyper, *self.blank]))

    def _read(self, places: Places, formulas: bool = False) -> Reading:
        cells = places.read(formulas)
        num = lambda name: _numbers(cells[name])  # noqa: E731
        one = lambda name: float(num(name)[0])  # noqa: E731
        opt = OPTIMIZERS[self.settings["optimizer"]]
        return Reading(np.column_stack([num(f) for f in places.layout.features]), num("y"),
                       np.array([one(p) for p in self.params]), one("lr"), one("eps"),
                       np.array([one(f"dLoss_d{p}") for p in self.params]),
                       {s: np.array([one(f"{s}_{p}") for p in self.params]) for s in opt.slots},
                       one("t") if opt.counts_updates else 0,
                       {h: one(h) for h in opt.hyper},
                       {name: cells[name] for name in self.blank},
                       {name: places.is_formula(name) for name in self.blank} if formulas else {})

    def _broken_at_the_root(self, r: Reading, expected: dict) -> set[str]:
        """Blank names with a cell that shows an error or text where the correct formula on the
        student's own cells gives a number: the student's own mistakes. (An error the correct
        formula would give too, because a cell it uses shows one, is a knock-on error.)"""
        return {name for name in self.blank
                if any(isinstance(v, (CellError, str)) and np.isfinite(_own(expected[name][0][0], i))
                       for i, v in enumerate(r.cells[name]))}

    def _perturb(self, places: Places, r: Reading, replaced: set[str], expected: dict) -> None:
        """Change every input the blank cells should follow, in the engine only (never saved).
        A blank name broken at the root gets numbers typed over it (the correct ones for the
        first reading), so the cells built on it can be graded on numbers in this reading."""
        for p, name in enumerate(self.params):
            places.put(name, r.theta[p] * 1.1 + 0.25)
            places.put(f"dLoss_d{name}", r.dloss[p] * 1.5 + 1.0)
        places.put("lr", r.lr * 1.5)
        places.put("eps", r.eps * 2)
        for slot, values in r.slots.items():  # optimizer state: kept non-negative (Adam's sq)
            for p, name in enumerate(self.params):
                places.put(f"{slot}_{name}", abs(values[p]) * 1.5 + 0.1)
        if OPTIMIZERS[self.settings["optimizer"]].counts_updates:
            places.put("t", r.t + 1)
        for h, value in r.hyper.items():  # decay rates stay in [0, 1); delta stays positive
            places.put(h, (value + 1) / 2 if h in DECAY_RATES else value * 2)
        places.put("y", r.y + 0.5)
        for j, f in enumerate(places.layout.features):
            places.put(f, r.X[:, j] + 1.0)
        for name in replaced:
            n = len(r.cells[name])
            places.put(name, [_own(expected[name][0][0], i) for i in range(n)], over_formulas=True)

    # --- the comparison ---
    def _expected(self, r: Reading) -> dict:
        """name -> (candidates, scale): what the correct formula gives on this reading's cells."""
        lin = models.LINEAR
        params = self.params
        out = {}
        with np.errstate(all="ignore"):
            h_model = lin.predict(r.X, r.theta)
            out["h"] = ([h_model], np.abs(r.X) @ np.abs(r.theta[:-1]) + abs(r.theta[-1]))
            h_own = _numbers(r.cells["h"]) if "h" in r.cells else h_model
            loss_own = lin.loss_of(h_own, r.y)
            loss_model = lin.loss(r.X, r.y, r.theta)
            out["Loss"] = ([loss_own, loss_model], abs(loss_model))
            cell = lambda name, default: (_numbers(r.cells[name])[0] if name in r.cells else default)  # noqa: E731
            loss_cell = cell("Loss", loss_own)
            for sign, kind in ((1, "Loss"), (-1, "Lossm")):
                own = models.nudged_from_residuals(r.X, h_own - r.y, sign * r.eps)
                model = lin.nudged_losses(r.X, r.y, r.theta, sign * r.eps)
                for p, name in enumerate(params):
                    out[f"{kind}_{name}"] = ([own[p], model[p]], abs(model[p]))
            central = self.settings["diff"] == models.CENTRAL
            model_grad = lin.gradient(r.X, r.y, r.theta, r.eps, self.settings["diff"])
            for p, name in enumerate(params):
                lp = cell(f"Loss_{name}", out[f"Loss_{name}"][0][0])
                if central:
                    lm = cell(f"Lossm_{name}", out[f"Lossm_{name}"][0][0])
                    own, scale = (lp - lm) / (2 * r.eps), (abs(lp) + abs(lm)) / r.eps
                else:
                    own, scale = (lp - loss_cell) / r.eps, (abs(lp) + abs(loss_cell)) / r.eps
                out[f"grad_{name}"] = ([own, model_grad[p]], scale)
            opt = OPTIMIZERS[self.settings["optimizer"]]
            nxt, _, _ = opt.update(r.theta, r.dloss, r.slots, r.t, r.lr, r.hyper)
            for p, name in enumerate(params):
                out[f"next_{name}"] = ([nxt[p]], abs(r.theta[p]) + abs(r.lr * r.dloss[p]))
        return out

    def _mark(self, first: Reading, second: Reading, layout: Layout, lang: str):
        e1, e2 = self._expected(first), self._expected(second)
        marks, notes = {}, {}
        for name in self.blank:
            c1, c2 = first.cells[name], second.cells[name]
            formula = first.formula.get(name) or [True] * len(c1)
            want1, scale1 = e1[name]
            want2, scale2 = e2[name]
            per_row = []
            for i, (a, b) in enumerate(zip(c1, c2)):
                w1, w2 = [_own(w, i) for w in want1], [_own(w, i) for w in want2]
                s1, s2 = _own(scale1, i), _own(scale2, i)
                if name in second.replaced:  # its second reading is the numbers typed over it
                    per_row.append(_mark_first_only(a, w1, s1))
                else:
                    per_row.append(_mark_cell(a, b, w1, w2, s1, s2, formula[i]))
            marks[name], notes[name] = feedback.combine(name, per_row, c1, layout, lang, self.blank)
        words = feedback.params_words(self.params, lang)
        broken = {name for name in self.blank if marks[name] != "ok"}
        for name, mark in marks.items():
            if mark != "ok":
                notes[f"hint:{name}"] = feedback.hint(name, layout, lang, words)
            elif notes[name]:  # ok, but it shows an error that comes from another cell
                notes[name] = feedback.knock_on(name, layout, lang, notes[name],
                                                feedback.upstream(name, self.params, broken, second.replaced))
        return marks, notes

    def _owner(self, meta: dict, r: Reading) -> str | None:
        """Whose workbook this is: the numbers it holds (a student's own data), else its record."""
        if not self.key.get("same_data"):
            for s in self.key["students"]:
                X, y = np.array(s["X"]), np.array(s["y"])
                if X.shape == r.X.shape and np.array_equal(X, r.X) and np.array_equal(y, r.y):
                    return s["id"]
        return meta.get("student") or None


def _own(values, i: int):
    """Row i of a per-row value (h's column), or the value itself for a single cell."""
    return np.atleast_1d(values)[i] if np.ndim(values) else values


def _close(v: float, wants: list, scale: float) -> bool:
    tol = RTOL * max(float(scale), 1e-300) + 1e-12
    return any(np.isfinite(w) and abs(v - w) <= max(tol, RTOL * abs(w)) for w in wants)


def _mark_first_only(a, want, scale) -> tuple[str, str]:
    """A cell of a name broken at the root (an error or text of its own somewhere), from its
    first reading: the name is error or wrong whatever its other cells say."""
    if a is None:
        return "missing", ""
    if isinstance(a, CellError):
        return "error", a.text
    if isinstance(a, str):
        return "wrong", "text"
    return ("ok", "") if _close(a, want, scale) else ("wrong", "")


def _mark_cell(a, b, want1, want2, scale1, scale2, formula: bool = True) -> tuple[str, str]:
    """(mark, detail) of one cell from its two readings; want1[0], want2[0] are what the correct
    formula gives on the student's own cells (NaN: an error, as a spreadsheet's would be)."""
    if a is None and b is None:
        return "missing", ""
    if isinstance(a, str) or isinstance(b, str):
        return "wrong", "text"
    if not formula and not isinstance(a, CellError):  # a typed number: it follows nothing
        return "constant", ""
    knock_on = ""
    for v, want in ((a, want1), (b, want2)):
        if isinstance(v, CellError):
            if np.isfinite(want[0]):  # the correct formula gives a number here: its own error
                return "error", v.text
            knock_on = knock_on or v.text  # the correct formula on these cells errs too
    if knock_on:
        fine = all(isinstance(v, CellError) or _close(v, w, s)
                   for v, w, s in ((a, want1, scale1), (b, want2, scale2)))
        return ("ok", f"knock_on:{knock_on}") if fine else ("wrong", "")
    ok1, ok2 = _close(a, want1, scale1), _close(b, want2, scale2)
    if ok1 and ok2:
        return "ok", ""
    if a == b and not any(_close(a, [w], scale2) for w in want2):
        return "constant", ""
    if ok1:
        return "wrong", "only_these_numbers"
    return "wrong", ""


# --- the run ----------------------------------------------------------------------------------

def submissions(paths) -> list[Path]:
    """Files as given; folders: every file in them (sorted), but the answer key and hidden files."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                          and f.name != KEY_FILE)
        else:
            out.append(p)
    return out


def engines_for(count: int) -> int:
    """How many LibreOffices to run side by side: one per core, at most MAX_ENGINES, and a
    second only when there are enough files to repay its start (a few seconds)."""
    if count < SECOND_ENGINE_FROM:
        return 1
    return max(1, min(MAX_ENGINES, os.cpu_count() or 1))


def grade(paths, key_dir, report, feedback_dir=None, timeout: float = TIMEOUT,
          lo: LibreOffice | list[LibreOffice] | None = None, progress=None, engines: int | None = None) -> Run:
    """Grade every submission and write the report and the feedback. `lo`: running engine(s) to
    use (left running); else `engines` of its own (default: engines_for the number of files),
    started here and stopped at the end. Each engine grades one file at a time, with its own
    time limit and restart."""
    key = read_key(key_dir)
    lang = key["settings"].get("lang", "ko")
    use(lang)  # the class's language, for every message from here on
    files = submissions(paths)
    report = Path(report)
    feedback_dir = Path(feedback_dir) if feedback_dir else report.with_name(report.stem + "-feedback")
    given = [lo] if isinstance(lo, LibreOffice) else list(lo or [])
    own = [] if given else [LibreOffice() for _ in range(engines or engines_for(len(files)))]
    try:
        _in_parallel(lambda engine: engine.start(), own)
        rows = _grade_files(key, files, given or own, timeout, progress)
    finally:
        _in_parallel(lambda engine: engine.stop(), own)
    got = {r.id for r in rows}
    for s in key["students"]:
        if s["id"] not in got:
            rows.append(Graded(s["id"], s["name"], "", say("grade.not_submitted", lang), lang=lang))
    written = write_report(report, rows, key["blank"])
    notes = feedback.write_all(feedback_dir, rows, key["blank"])
    return Run(rows, written, notes, len(key["blank"]))


def _grade_files(key: dict, files: list[Path], engines: list[LibreOffice], timeout: float, progress) -> list[Graded]:
    """Rows in the files' order; each engine's thread takes the next file when it is free (UNO
    calls wait on the engine, not on Python, so the threads overlap)."""
    todo = iter(enumerate(files))
    rows: list[Graded | None] = [None] * len(files)
    lock = threading.Lock()

    def work(engine: LibreOffice) -> None:
        grader = Grader(key, engine, timeout)
        while True:
            with lock:
                i, path = next(todo, (None, None))
            if path is None:
                return
            rows[i] = grader.grade(path) if path.exists() else \
                Graded(path.stem, "", path.name, say("grade.file_not_found", grader.lang), lang=grader.lang)
            if progress:
                with lock:
                    progress(1)
    _in_parallel(work, engines)
    return rows


def _in_parallel(job, engines: list[LibreOffice]) -> None:
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
    """UTF-8 with a byte-order mark, so Korean Excel opens it as it is; written atomically."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "name", "file", "score", "max", "status", *blank])
            for r in rows:
                w.writerow([r.id, r.name, r.file, r.score, len(blank), r.status,
                            *[r.marks.get(name, "") for name in blank]])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
