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
from ..core.layout import Layout, param_names
from ..core.optimizers import OPTIMIZERS
from ..core.texts import texts
from .engine import CellError, LibreOffice, _read
from .exercise import KEY_FILE, read_key
from . import feedback

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
# Limits on an untrusted file, checked before LibreOffice opens it. A lemonade exercise is
# ~30 KB and unpacks to ~200 KB; a class's largest honest workbook is far below these.
MAX_FILE = 50 * 2 ** 20
MAX_PART = 100 * 2 ** 20  # one zip part, unpacked
MAX_UNPACKED = 200 * 2 ** 20  # all parts together
MAX_PARTS = 5000
TIMEOUT = 60.0  # seconds per submission before the engine is restarted
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


@dataclass
class Run:
    rows: list[Graded]
    report: Path
    feedback: list[Path]
    max: int


class Refused(Exception):
    """A submission that is not graded, with the reason (its status)."""


# --- before the engine: is it a workbook, of a sane size? --------------------------------------

def check_file(path: Path) -> None:
    """Refuse what is not a workbook or would unpack past the limits. Every part is unpacked
    (to nowhere) with a running count, so a zip whose directory lies about sizes is caught too."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise Refused(f"not a workbook (.xlsx or .ods expected, got '{path.suffix or 'no suffix'}')")
    size = path.stat().st_size
    if size > MAX_FILE:
        raise Refused(f"refused: the file is {size / 2 ** 20:.0f} MB (limit {MAX_FILE // 2 ** 20} MB)")
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > MAX_PARTS:
                raise Refused(f"refused: {len(parts)} parts in the file (limit {MAX_PARTS})")
            total = 0
            for part in parts:
                if part.file_size > MAX_PART:
                    raise Refused(f"refused: part {part.filename} unpacks to {part.file_size / 2 ** 20:.0f} MB "
                                  f"(limit {MAX_PART // 2 ** 20} MB): a zip bomb?")
                seen = 0
                with z.open(part) as f:
                    while chunk := f.read(2 ** 20):
                        seen += len(chunk)
                        if seen > MAX_PART or total + seen > MAX_UNPACKED:
                            raise Refused(f"refused: part {part.filename} unpacks past "
                                          f"{min(MAX_PART, MAX_UNPACKED) // 2 ** 20} MB: a zip bomb?")
                total += seen
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as e:
        raise Refused(f"not a readable workbook (damaged zip: {e})") from None
    except OSError as e:
        raise Refused(f"not a readable workbook ({e.strerror or e})") from None


# --- in the engine ----------------------------------------------------------------------------

class Places:
    """Where a submission's cells are: its defined names, or (for a name the student deleted)
    the place the exercise put it, from the layout. Each name is looked up once; a reading then
    takes every sheet's cells in one block (a few UNO calls, not a few per name)."""

    def __init__(self, doc, layout: Layout, names: list[str]):
        self.model, self.layout = doc.model, layout
        sheets = self.model.Sheets
        train = list(sheets.ElementNames).index(layout.sheet) if sheets.hasByName(layout.sheet) else None
        self.lost: list[str] = []
        self.at: dict[str, tuple | None] = {}  # name -> (sheet index, first row, first col, last row, last col)
        named = self.model.NamedRanges
        for name in names:
            cells = named.getByName(name).getReferredCells() if named.hasByName(name) else None
            if cells is not None:
                a = cells.getRangeAddress()
                self.at[name] = (a.Sheet, a.StartRow, a.StartColumn, a.EndRow, a.EndColumn)
                continue
            self.lost.append(name)
            if train is None:
                self.at[name] = None
            elif name in layout.columns:
                c = layout.columns[name]
                self.at[name] = (train, layout.first_row, c, layout.last_row, c)
            else:
                r, c = layout.cell(name)
                self.at[name] = (train, r, c, r, c)

    def read(self) -> dict[str, list]:
        """name -> its cells in order (float, str, None for empty, CellError)."""
        blocks = {}
        for sheet in {a[0] for a in self.at.values() if a}:
            spots = [a for a in self.at.values() if a and a[0] == sheet]
            r1, c1 = max(a[3] for a in spots), max(a[4] for a in spots)
            rng = self.model.Sheets.getByIndex(sheet).getCellRangeByPosition(0, 0, c1, r1)
            blocks[sheet] = _read(rng, strict=False)
        return {name: [None] if a is None else
                [blocks[a[0]][r][c] for r in range(a[1], a[3] + 1) for c in range(a[2], a[4] + 1)]
                for name, a in self.at.items()}

    def put(self, name: str, values) -> None:
        """Type numbers into an input's cells (not where the student made it a formula)."""
        a = self.at.get(name)
        if a is None:
            return
        rng = self.model.Sheets.getByIndex(a[0]).getCellRangeByPosition(a[2], a[1], a[4], a[3])
        if rng.queryContentCells(16).getCount():  # CellFlags.FORMULA: computed, not an input
            return
        flat = [float(v) for v in np.atleast_1d(values)]
        rows = a[3] - a[1] + 1
        rng.setDataArray(tuple((v,) for v in flat) if rows == len(flat) else (tuple(flat),))


def _numbers(cells: list) -> np.ndarray:
    """As a spreadsheet's arithmetic sees them: empty is 0; text or an error is NaN."""
    return np.array([0.0 if v is None else v if isinstance(v, float) else np.nan for v in cells])


def _meta(doc) -> dict:
    sheets = doc.model.Sheets
    if not sheets.hasByName(META_SHEET):
        return {}
    out = {}
    for key, value in sheets.getByName(META_SHEET).getCellRangeByName("A1:B60").getDataArray():
        if key:
            try:
                out[key] = json.loads(value)
            except (TypeError, ValueError):
                out[key] = value
    return out


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


class Grader:
    def __init__(self, key: dict, lo: LibreOffice, timeout: float = TIMEOUT):
        self.key, self.lo, self.timeout = key, lo, timeout
        self.settings = key["settings"]
        self.blank = list(key["blank"])
        self.students = {s["id"]: s for s in key["students"]}
        k = len(key["students"][0]["X"][0])
        self.params = param_names(k)
        self.k = k

    # one submission, never raising
    def grade(self, path: Path) -> Graded:
        sid = path.stem
        student = self.students.get(sid)
        row = Graded(sid, student["name"] if student else "", path.name, STATUS_OK,
                     lang=self.settings.get("lang", "ko"))
        try:
            check_file(path)
            self._in_engine(path, row)
        except Refused as e:
            row.status, row.marks = str(e), {}
        if student is None and row.status == STATUS_OK:
            row.status = "not on the roster"
        elif student is None:
            row.status = f"not on the roster; {row.status}"
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
                raise Refused(f"timed out after {self.timeout:g} s (the engine was restarted)") from None
            if self.lo.proc is None or self.lo.proc.poll() is not None:
                self._restart()
                raise Refused("not a readable workbook (it stopped the engine, which was restarted)") from None
            if isinstance(e, Refused):
                raise
            raise Refused(f"not a readable workbook (LibreOffice: {type(e).__name__})") from None
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
            raise Refused("not a readable workbook (LibreOffice could not open it)") from None
        with doc:
            doc.recalc()
            meta = _meta(doc)
            if meta.get("generator") != "gradsheet":
                raise Refused("not a gradsheet exercise workbook (its settings sheet is missing)")
            if meta.get("exercise") != self.key["exercise"]:
                raise Refused("from another exercise (not made with this key)")
            row.lang = meta.get("lang", row.lang)
            n = len(self.students.get(meta.get("student"), self.key["students"][0])["y"])
            layout = Layout(n, self.k, texts(row.lang)["sheet_train"], self.settings["diff"], 0,
                            self.settings["scale"] != "none", self.settings["optimizer"], "linear")
            places = Places(doc, layout, self._names(layout))
            first = self._read(places)
            lost = [name for name in dict.fromkeys(places.lost)]
            self._perturb(places, first)
            doc.model.calculateAll()
            second = self._read(places)
        row.marks, row.notes = self._mark(first, second, layout, row.lang)
        owner = self._owner(meta, first)
        if owner and owner != row.id:
            row.status = f"another student's workbook (made for {owner})"
        if lost:
            lost_blank = [n for n in lost if n in self.blank]
            which = ", ".join(lost_blank or lost)
            row.status = (f"{row.status}; " if row.status != STATUS_OK else "") + \
                f"lost names: {which} (graded at their places)"

    def _names(self, layout: Layout) -> list[str]:
        opt = OPTIMIZERS[self.settings["optimizer"]]
        return list(dict.fromkeys([*layout.features, "y", *self.params, "lr", "eps",
                                   *[f"dLoss_d{p}" for p in self.params],
                                   *[f"{s}_{p}" for s in opt.slots for p in self.params],
                                   *(["t"] if opt.counts_updates else []), *opt.hyper, *self.blank]))

    def _read(self, places: Places) -> Reading:
        cells = places.read()
        num = lambda name: _numbers(cells[name])  # noqa: E731
        one = lambda name: float(num(name)[0])  # noqa: E731
        opt = OPTIMIZERS[self.settings["optimizer"]]
        return Reading(np.column_stack([num(f) for f in places.layout.features]), num("y"),
                       np.array([one(p) for p in self.params]), one("lr"), one("eps"),
                       np.array([one(f"dLoss_d{p}") for p in self.params]),
                       {s: np.array([one(f"{s}_{p}") for p in self.params]) for s in opt.slots},
                       one("t") if opt.counts_updates else 0,
                       {h: one(h) for h in opt.hyper},
                       {name: cells[name] for name in self.blank})

    def _perturb(self, places: Places, r: Reading) -> None:
        """Change every input the blank cells should follow, in the engine only (never saved)."""
        for p, name in enumerate(self.params):
            places.put(name, r.theta[p] * 1.1 + 0.25)
            places.put(f"dLoss_d{name}", r.dloss[p] * 1.5 + 1.0)
        places.put("lr", r.lr * 1.5)
        places.put("eps", r.eps * 2)
        places.put("y", r.y + 0.5)
        for j, f in enumerate(places.layout.features):
            places.put(f, r.X[:, j] + 1.0)

    # --- the comparison ---
    def _expected(self, r: Reading) -> dict:
        """name -> (candidates, scale): what the correct formula gives on this reading's cells."""
        lin = models.LINEAR
        params, k = self.params, self.k
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
            nxt, _, _ = opt.update(r.theta, r.dloss, r.slots, int(r.t), r.lr, r.hyper)
            for p, name in enumerate(params):
                out[f"next_{name}"] = ([nxt[p]], abs(r.theta[p]) + abs(r.lr * r.dloss[p]))
        del k
        return out

    def _mark(self, first: Reading, second: Reading, layout: Layout, lang: str):
        e1, e2 = self._expected(first), self._expected(second)
        marks, notes = {}, {}
        for name in self.blank:
            c1, c2 = first.cells[name], second.cells[name]
            want1, scale1 = e1[name]
            want2, scale2 = e2[name]
            per_row = [_mark_cell(a, b, [np.atleast_1d(w)[i] if np.ndim(w) else w for w in want1],
                                  [np.atleast_1d(w)[i] if np.ndim(w) else w for w in want2],
                                  np.atleast_1d(scale1)[i] if np.ndim(scale1) else scale1,
                                  np.atleast_1d(scale2)[i] if np.ndim(scale2) else scale2)
                       for i, (a, b) in enumerate(zip(c1, c2))]
            marks[name], notes[name] = feedback.combine(name, per_row, c1, layout, lang, self.blank)
        words = feedback.params_words(self.params, lang)
        for name, mark in marks.items():
            if mark == "ok":
                continue
            notes[f"hint:{name}"] = feedback.hint(name, layout, lang, words)
            source = feedback.upstream(name, self.params, marks)
            if mark == "error" and source:
                shown = next(v.text for v in first.cells[name] + second.cells[name] if isinstance(v, CellError))
                notes[name] = feedback.TEXTS[lang]["error_from"].format(
                    name=name, at=feedback.where(name, layout), text=shown, source=source)
        return marks, notes

    def _owner(self, meta: dict, r: Reading) -> str | None:
        """Whose workbook this is: the numbers it holds (a student's own data), else its record."""
        if not self.key.get("same_data"):
            for s in self.key["students"]:
                X, y = np.array(s["X"]), np.array(s["y"])
                if X.shape == r.X.shape and np.array_equal(X, r.X) and np.array_equal(y, r.y):
                    return s["id"]
        return meta.get("student") or None


def _close(v: float, wants: list, scale: float) -> bool:
    tol = RTOL * max(float(scale), 1e-300) + 1e-12
    return any(np.isfinite(w) and abs(v - w) <= max(tol, RTOL * abs(w)) for w in wants)


def _mark_cell(a, b, want1, want2, scale1, scale2) -> tuple[str, str]:
    """(mark, detail) of one cell from its two readings."""
    if a is None and b is None:
        return "missing", ""
    for v in (a, b):
        if isinstance(v, CellError):
            return "error", v.text
    if isinstance(a, str) or isinstance(b, str):
        return "wrong", "text"
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


def grade(paths, key_dir, report, feedback_dir=None, timeout: float = TIMEOUT, lo: LibreOffice | None = None,
          progress=None) -> Run:
    key = read_key(key_dir)
    files = submissions(paths)
    report = Path(report)
    feedback_dir = Path(feedback_dir) if feedback_dir else report.with_name(report.stem + "-feedback")
    own = lo is None
    lo = lo or LibreOffice()
    rows = []
    try:
        if own:
            lo.start()
        grader = Grader(key, lo, timeout)
        for path in files:
            if not path.exists():
                rows.append(Graded(path.stem, "", path.name, "file not found"))
            else:
                rows.append(grader.grade(path))
            if progress:
                progress(1)
    finally:
        if own:
            lo.stop()
    got = {r.id for r in rows}
    for s in key["students"]:
        if s["id"] not in got:
            rows.append(Graded(s["id"], s["name"], "", "not submitted", lang=key["settings"].get("lang", "ko")))
    written = write_report(report, rows, key["blank"])
    notes = feedback.write_all(feedback_dir, rows, key["blank"])
    return Run(rows, written, notes, len(key["blank"]))


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
