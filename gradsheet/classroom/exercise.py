"""`gradsheet exercise`: one workbook per student of a roster, with the formula cells a student
must write left blank, and the answer key the grader needs (which stays with the instructor).

Every student gets the same lesson (the same table shape, numbers of a similar scale, the same
classes, a learning rate that converges) on numbers of their own, derived from the exercise's
seed and the student's id alone: not from the roster's order or size, so a late student's
workbook can be added without changing anyone else's.

The exercise folder holds
  <id>.xlsx               one per student (hand these out);
  gradsheet-key.json      the answer key: the exercise itself (options, blank names, the lesson's
                          data, the seed), and nothing about the roster, so it never changes
                          while students are added; its `exercise` id is in every workbook;
  gradsheet-students.json who got a workbook, with each one's own numbers and lr (what the
                          grader compares a submission with); new students are appended.
`read_key` gives the grader both in one dict.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..build import fresh_state, sized_defaults, warn_if_unstable
from ..core import models
from ..core.errors import GradsheetError
from ..core.messages import Message, os_reason, use
from ..core.layout import Layout
from ..core.scaling import scale_columns
from ..core.settings import DEFAULT_SEED, Settings
from ..core.texts import texts
from ..data import dataset as data
from ..data.dataset import Dataset
from .roster import Student, check_collisions, read_roster

KEY_FILE = "gradsheet-key.json"  # the answer key, beside the students' files in DIR
STUDENTS_FILE = "gradsheet-students.json"  # who got a workbook, with their own numbers
KEY_FILES = (KEY_FILE, STUDENTS_FILE)  # the instructor's files in an exercise folder (not submissions)
KEY_FORMAT = 2  # 1: the students inside the key (gradsheet before issue 17; still read)
# How a student's numbers follow from the seed, the id and the lesson's data (variant(),
# class_variant()): part of the exercise's identity, so a later rule never silently gives a
# late student numbers another rule would have given.
VARIANT_RULE = 2
DEFAULT_BLANKS = {  # per model; _P: every parameter, _c: every class
    "linear": ("h", "Loss", "Loss_P", "grad_P", "next_P"),
    "logistic": ("z", "p", "ce", "Loss", "Loss_P", "grad_P", "next_P"),
    "softmax": ("z_c", "p_c", "ce", "Loss", "Loss_P", "grad_P", "next_P"),
}
DEFAULT_BLANK = DEFAULT_BLANKS["linear"]
# The formula cells an exercise may leave blank, per model: the data block's columns (all rows)
# and the cells of Loss and the parameter table (Lossm_P only with --diff central).
COLUMN_KINDS = {"linear": ("h",), "logistic": ("z", "p", "p_true", "ce", "pred"),
                "softmax": ("z_c", "lse", "p_c", "p_true", "ce", "pred")}
CELL_KINDS = ("Loss", "Loss_P", "Lossm_P", "grad_P", "next_P")
# A cell that computes a blank's answer another way is blank too: logistic's p_true is p itself
# on the rows of class 1, from z (softmax's p_true reads the p_c cells, computing nothing anew).
FOLLOWERS = {"logistic": (("p", "p_true"),)}
# What an exercise always leaves out: sheets whose numbers would give the answers away (the
# 'All steps' table shows Loss and next W, B; the race and the landscape likewise, and the
# 'Sums' sheet and a softmax's 'Logits' sheet come only with them). The training sheet itself
# leaves out exact_grad_P and fd_error_P in an exercise (sheets/train.py).
NO_ANSWERS = {"unrolled": 0, "compare": 0, "landscape": ("none",)}
SHAPE_TRIES = 20  # draws of a student's data before taking the last one
DISTINCT_TRIES = 50  # redraws of repeated rows before one more decimal is allowed
MORE_DECIMALS = 3  # at most this many more decimals than the data has, to keep rows distinct
# A classification lesson keeps its classes apart about as well as the lesson's data does, but
# never perfectly (then Loss has no minimum: W grows without end): the best Loss, as a share of
# the Loss of knowing nothing (the classes' entropy), stays below this.
MIXED = 0.9
STUDENT_FIELDS = ("student", "student_name", "exercise")  # Settings fields of one student's workbook


# --- the blank cells ----------------------------------------------------------------------------

def blank_choices(layout: Layout) -> tuple[tuple[str, ...], list[str]]:
    """(kinds, names): the kinds an exercise of this layout may leave blank (z_c, Loss_P …) and
    every cell name they stand for, in the sheet's order."""
    model = layout.model
    kinds = COLUMN_KINDS[model] + tuple(k for k in CELL_KINDS if k != "Lossm_P" or "Lossm" in layout.param_columns)
    names = [name for kind in kinds for name in expand_kind(kind, layout)]
    return kinds, names


def expand_kind(kind: str, layout: Layout) -> list[str]:
    if kind.endswith("_P"):
        return [f"{kind[:-2]}_{p}" for p in layout.params]
    if kind.endswith("_c"):
        return layout.per_class(kind[:-2])
    return [kind]


def expand_blank(spec: str | tuple[str, ...] | None, layout: Layout) -> tuple[str, ...]:
    """--blank as cell names: P expands to every parameter (Loss_P -> Loss_W, Loss_B), c to every
    class (z_c -> z_1, z_2, z_3)."""
    kinds, allowed = blank_choices(layout)
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else \
        list(spec or DEFAULT_BLANKS[layout.model])
    out: list[str] = []
    for name in names:
        if not name:
            continue
        chosen = expand_kind(name, layout) if name in kinds else [name]
        for cell in chosen:
            if cell not in allowed:
                raise GradsheetError("classroom.blank_unknown", name=name, kinds=", ".join(kinds),
                                     allowed=", ".join(allowed))
            if cell not in out:
                out.append(cell)
    if not out:
        raise GradsheetError("classroom.blank_none")
    for name, follower in FOLLOWERS.get(layout.model, ()):
        if name in out and follower not in out:
            out.append(follower)
    return tuple(sorted(out, key=allowed.index))


# --- a student's numbers ------------------------------------------------------------------------

def student_seed(seed: int, sid: str) -> int:
    """A student's own seed: the exercise's seed and the id, hashed (stable across runs and
    machines, unlike Python's hash(); the roster's order and size play no part)."""
    return int.from_bytes(hashlib.sha256(f"gradsheet:{seed}:{sid}".encode()).digest()[:8], "big") >> 1


def decimals(values: np.ndarray, most: int = 6) -> int:
    """The fewest decimals that write every value as the data did (at most `most`)."""
    for d in range(most + 1):
        if np.allclose(values, np.round(values, d), rtol=0, atol=1e-9 * max(1.0, float(np.max(np.abs(values))))):
            return d
    return most


def distinct_rows(draw, n: int, places: list[int]) -> np.ndarray:
    """n rows from `draw(rows)` (unrounded values for those row indices), rounded to `places` per
    column, every repeated row drawn again; after DISTINCT_TRIES draws at one rounding, one more
    decimal, up to MORE_DECIMALS more. No two rows of the result are equal."""
    rows = np.arange(n)
    X = draw(rows)
    X = np.column_stack([np.round(X[:, j], places[j]) for j in range(X.shape[1])])
    for extra in range(MORE_DECIMALS + 1):
        for _ in range(DISTINCT_TRIES):
            _, first = np.unique(X, axis=0, return_index=True)
            repeated = np.setdiff1d(rows, first)
            if not repeated.size:
                return X
            new = draw(repeated)
            X[repeated] = np.column_stack([np.round(new[:, j], places[j] + extra) for j in range(X.shape[1])])
    raise GradsheetError("exercise.rows_repeat", rows=n)


def variant(base: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A regression lesson on other numbers: each input column shifted and jittered by a share of
    its own spread (no two rows alike), a line near the base data's least-squares line, the
    base's residual noise, all rounded as the data was written. Drawn again (a few times) when
    the draw lost the unique least-squares answer the base has."""
    rng = np.random.default_rng(seed)
    X0, y0 = base.X, base.y
    A = np.column_stack([X0, np.ones(base.n)])
    theta, *_ = np.linalg.lstsq(A, y0, rcond=None)
    noise = float(np.std(y0 - A @ theta))
    dx = [decimals(X0[:, j]) for j in range(base.k)]
    dy = decimals(y0)
    spread = np.array([max(float(np.std(X0[:, j])), 0.2 * abs(float(np.mean(X0[:, j]))), 10.0 ** -dx[j])
                       for j in range(base.k)])
    for _ in range(SHAPE_TRIES):
        shift = rng.uniform(-1, 1, base.k) * spread
        draw = lambda rows: X0[rows] + shift + rng.normal(0, 0.3, (len(rows), base.k)) * spread  # noqa: E731
        X = distinct_rows(draw, base.n, dx)
        if base.k == 1 and np.all(np.diff(X0[:, 0]) >= 0):  # a table sorted by its input stays sorted
            X = np.sort(X, axis=0)
        w = theta[:-1] * rng.uniform(0.75, 1.25, base.k)
        b = theta[-1] + rng.uniform(-1, 1) * 0.1 * float(np.std(y0))
        y = np.round(X @ w + b + rng.normal(0, noise, base.n), dy)
        if not models.unique_answer(X0) or models.unique_answer(X):
            return X, y
    return X, y


def class_variant(base: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A classification lesson on other points: the same classes, row for row (so as many of
    each as the lesson has), each class's points drawn around its own centre (the lesson's,
    moved a little) with the lesson's spread, rounded as the data was written, no two rows alike.
    The classes overlap about as much as the lesson's do, but never so little that lines part
    them perfectly (Loss then has no minimum: W grows without end). Where a draw is parted
    perfectly, a few rows of each class stray among the nearest other class's points (one more
    each draw); where it is so mixed that little tells the classes apart, the spread narrows."""
    rng = np.random.default_rng(seed)
    X0, y0 = base.X, np.asarray(base.y, dtype=int)
    C, k = len(base.classes), base.k
    dx = [decimals(X0[:, j]) for j in range(k)]
    spread = np.array([max(float(np.std(X0[:, j])), 10.0 ** -dx[j]) for j in range(k)])
    centres = np.array([X0[y0 == c].mean(axis=0) for c in range(C)])
    within = np.array([X0[y0 == c].std(axis=0) if np.sum(y0 == c) > 1 else np.zeros(k) for c in range(C)])
    pooled = np.sqrt(np.mean(np.square(X0 - centres[y0]), axis=0))
    within = np.where(within > 0, within, np.where(pooled > 0, pooled, 0.2 * spread))
    share = _class_shares(y0, C)
    nothing = float(-(share * np.log(share)).sum())  # the Loss of p = each class's share, for every row
    lesson = models.best_classifier_loss(X0, y0, C)
    most = min(MIXED, max(0.25, 1.5 * lesson / nothing)) if lesson is not None else 0.35
    moved = centres + rng.uniform(-1, 1, k) * 0.2 * spread + rng.normal(0, 0.15, (C, k)) * within
    gaps = np.linalg.norm((moved[:, None, :] - moved[None, :, :]) / spread, axis=2) + np.diag(np.full(C, np.inf))
    nearest = np.argmin(gaps, axis=1)
    members = [rng.permutation(np.flatnonzero(y0 == c)) for c in range(C)]
    widen, strays, last = 1.0, 0, None
    for _ in range(SHAPE_TRIES):
        home = y0.copy()  # the class whose points a row is drawn among
        for c in range(C):
            home[members[c][:min(strays, len(members[c]) // 5)]] = nearest[c]
        draw = lambda rows: moved[home[rows]] + rng.normal(0, 1, (len(rows), k)) * within[home[rows]] * widen  # noqa: E731
        X = distinct_rows(draw, base.n, dx)
        best = models.best_classifier_loss(X, y0, C)
        if best is None:  # lines part the classes perfectly: one more stray each (or a wider spread)
            if strays < max(len(m) for m in members) // 5:
                strays += 1
            else:
                widen *= 1.3
            continue
        last = X
        if best <= most * nothing:
            return X, y0.astype(float)
        widen *= 0.85  # so mixed that little tells them apart: closer together
    if last is None:
        raise GradsheetError("exercise.separable", name=base.name)
    return last, y0.astype(float)


def _class_shares(y: np.ndarray, C: int) -> np.ndarray:
    counts = np.bincount(y, minlength=C).astype(float)
    counts = counts[counts > 0]
    return counts / counts.sum()


def student_numbers(base: Dataset, seed: int, sid: str, same_data: bool) -> tuple[np.ndarray, np.ndarray]:
    """A student's own X and y (the lesson's own with `same_data`)."""
    if same_data:
        return base.X, base.y
    own = student_seed(seed, sid)
    return class_variant(base, own) if base.classes else variant(base, own)


def sensible_lr(X_model: np.ndarray, settings: Settings) -> float:
    """The instructor's lr, unless it would not converge on this student's numbers: then the
    round one the build's advice gives (models.suggest_lr), below the stable limit."""
    limit = models.stable_lr_for(X_model, settings.optimizer, settings.beta, settings.model)
    if limit is None or settings.lr < 0.9 * limit:
        return settings.lr
    return models.suggest_lr(X_model, limit)


# --- the exercise -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exercise:
    folder: Path
    key: Path
    files: list[Path]  # the workbooks written by this run
    blank: tuple[str, ...]
    lr_changed: list[tuple[str, float]]  # (id, lr) of the students written whose lr was lowered
    lr: float = 0.0  # the exercise's lr (the instructor's)
    new_key: bool = True  # False: the folder's key was this exercise's already, and is unchanged
    kept: int = 0  # students already in the exercise whose workbooks were left as they were
    replaced: bool = False  # --force replaced another exercise's key


@dataclass(frozen=True)
class Plan:
    """One student's workbook, before anything is written."""
    student: Student
    X: np.ndarray
    y: np.ndarray
    lr: float


def make_exercise(data_path, roster: str | os.PathLike, out_dir: str | os.PathLike, *,
                  blank: str | None = None, same_data: bool = False, target=None, features=None,
                  sheet=None, classes=None, id_column: str | None = None, name_column: str | None = None,
                  force: bool = False, **options) -> Exercise:
    """Write the workbooks of the roster's students that the folder does not have yet, and the
    answer key. Everything is read, checked and computed before the first file is written."""
    use(options.get("lang"))  # the exercise's language, for every message from here on
    lang = options.get("lang", Settings.lang)
    listed = read_roster(roster, id_column, name_column)
    for message in listed.warnings:
        warnings.warn(message, stacklevel=2)
    base = data.load(data_path, target=target, features=features, sheet=sheet, lang=lang,
                     model=options.get("model"), classes=classes)
    for message in base.warnings:
        warnings.warn(message, stacklevel=2)
    seed = options.pop("seed", None)
    seed = DEFAULT_SEED if seed is None else seed
    options = {"buttons": "none", **options, **NO_ANSWERS, "model": base.model, "classes": tuple(base.classes),
               "seed": seed}
    if base.classes and "lr" not in options:  # as `gradsheet build` chooses a classifier's lr
        X = _model_X(base.X, options.get("scale", Settings.scale))
        options["lr"] = models.suggest_lr(X, models.stable_lr_for(X, "gd", model=base.model))
        warnings.warn(Message("build.classifier_lr", lr=options["lr"]), stacklevel=2)
    common = Settings(**sized_defaults(base, options))
    layout = Layout(base.n, base.k, texts(lang)["sheet_train"], common.diff, 0, common.scale != "none",
                    common.optimizer, common.model, common.classes)
    names = expand_blank(blank, layout)
    common = replace(common, blank=names)
    key = key_of(seed, names, common, base, same_data)
    folder = Path(out_dir)
    old_key, recorded = _existing(folder, key, force)
    warn_if_unstable(base, common)
    replacing = old_key is not None and old_key.get("exercise") != key["exercise"]
    check_collisions(listed.students, listed.path, [replace(s, row=0) for s in recorded])
    known = {s.id: s for s in recorded}
    if replacing:  # --force: every student the replaced exercise had, and the roster's (by its names)
        everyone = {s.id: s for s in recorded} | {s.id: s for s in listed.students}
        todo, kept = list(everyone.values()), []
    else:
        for s in listed.students:
            if s.id in known and s.name != known[s.id].name:
                warnings.warn(Message("exercise.name_kept", id=s.id, name=known[s.id].name, new=s.name),
                              stacklevel=2)
        todo = [s for s in listed.students if s.id not in known]
        # a student of the roster and the record whose workbook is gone gets it again, from the
        # record's numbers (the same file as before)
        todo += [known[s.id] for s in listed.students if s.id in known and not (folder / s.file).exists()]
        kept = [s for s in recorded if (folder / s.file).exists()]
    numbers = {} if replacing else _recorded_numbers(folder, key)
    plans = [_plan(s, base, common, seed, same_data, numbers.get(s.id)) for s in todo]

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GradsheetError("classroom.cannot_make_folder", folder=folder, reason=os_reason(e)) from None
    files = [_write_workbook(folder, plan, base, common, key["exercise"], lang) for plan in plans]
    key_path = folder / KEY_FILE
    if old_key is None or replacing:
        _write_json(key_path, key)
    students = [] if replacing else _record_students(folder, key) if old_key else []
    have = {s["id"] for s in students}
    new = [_record_entry(p) for p in plans if p.student.id not in have]
    if new or not (folder / STUDENTS_FILE).exists():  # an unchanged record is left untouched
        _write_json(folder / STUDENTS_FILE, {"generator": "gradsheet", "exercise": key["exercise"],
                                             "students": students + new})
    changed = [(p.student.id, p.lr) for p in plans if p.lr != common.lr]
    return Exercise(folder, key_path, files, names, changed, common.lr, old_key is None or replacing,
                    len(kept), replacing)


def _model_X(X: np.ndarray, scale: str) -> np.ndarray:
    return scale_columns(X, scale)[0] if scale != "none" else X


def _plan(student: Student, base: Dataset, common: Settings, seed: int, same_data: bool, recorded) -> Plan:
    if recorded is not None:  # the numbers the record holds: the same workbook as before
        X, y, lr = recorded
        return Plan(student, X, y, lr)
    X, y = student_numbers(base, seed, student.id, same_data)
    return Plan(student, X, y, sensible_lr(_model_X(X, common.scale), common))


def _write_workbook(folder: Path, plan: Plan, base: Dataset, common: Settings, exercise: str, lang: str) -> Path:
    from ..sheets.workbook import write
    s = plan.student
    ds = Dataset(base.name, base.feature_names, base.target_name, plan.X, plan.y, classes=base.classes,
                 model=base.model)
    kind = f"_{common.model}" if common.classes else ""
    title = (common.title or texts(lang)["title" + kind]) + f" — {s.id} {s.name}".rstrip()
    own = student_seed(common.seed, s.id) % 2 ** 31
    settings = replace(common, lr=plan.lr, seed=own, student=s.id, student_name=s.name, exercise=exercise,
                       title=title)
    # Nothing pasted yet, prevLoss included: the starting Loss is one of the answers.
    state = replace(fresh_state(ds, settings, settings.seed), prev_loss=0.0)
    return write(folder / s.file, ds, settings, state)


def _record_entry(plan: Plan) -> dict:
    s = plan.student
    return {"id": s.id, "name": s.name, "file": s.file, "lr": plan.lr, "X": plan.X.tolist(), "y": plan.y.tolist()}


# --- the key ------------------------------------------------------------------------------------

def key_of(seed: int, names, settings: Settings, base: Dataset, same_data: bool) -> dict:
    """The answer key: everything the exercise is, nothing about who is in it. Its `exercise` id
    is a hash of the rest, so the same options give the same key, byte for byte."""
    content = {"generator": "gradsheet", "key_format": KEY_FORMAT, "variant_rule": VARIANT_RULE,
               "seed": seed, "blank": list(names), "same_data": same_data,
               "settings": settings_record(settings),
               "data": {"name": base.name, "features": list(base.feature_names), "target": base.target_name,
                        "classes": list(base.classes), "X": base.X.tolist(), "y": base.y.tolist()}}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return {**content, "exercise": digest}


def settings_record(settings: Settings) -> dict:
    """The exercise's settings as JSON keeps them (tuples as lists), without one student's."""
    record = {k: v for k, v in asdict(settings).items() if k not in STUDENT_FIELDS}
    return json.loads(json.dumps(record, ensure_ascii=False))


def _existing(folder: Path, key: dict, force: bool) -> tuple[dict | None, list[Student]]:
    """(the key already in the folder or None, the students it recorded). A key of another
    exercise (other options, an older format, or not a key at all) is refused unless --force."""
    path = folder / KEY_FILE
    if not path.exists():
        return None, []
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(old, dict) or old.get("generator") != "gradsheet":
            raise ValueError
    except (OSError, ValueError):
        if not force:
            raise GradsheetError("exercise.key_in_the_way", path=path) from None
        return {}, []
    if old.get("key_format") != KEY_FORMAT:
        if not force:
            raise GradsheetError("exercise.older_key", folder=folder, format=old.get("key_format"))
        return old, _students_of(old.get("students"))
    if old.get("exercise") != key["exercise"]:
        if not force:
            raise GradsheetError("exercise.other_exercise", folder=folder, changes=differences(old, key))
        return old, _students_of(_record_students(folder, old))
    return old, _students_of(_record_students(folder, old))


def _record_students(folder: Path, key: dict | None = None) -> list[dict]:
    """The students' record of the exercise in `folder` ([] when there is none, or it is of
    another exercise than `key`, or damaged)."""
    try:
        record = json.loads((folder / STUDENTS_FILE).read_text(encoding="utf-8"))
        students = record["students"]
        if key is not None and record.get("exercise") != key.get("exercise"):
            return []
        if isinstance(students, list) and all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in students):
            return students
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return []


def _students_of(entries) -> list[Student]:
    if not isinstance(entries, list):
        return []
    return [Student(s["id"], str(s.get("name") or "")) for s in entries
            if isinstance(s, dict) and isinstance(s.get("id"), str)]


def _recorded_numbers(folder: Path, key: dict) -> dict:
    """id -> (X, y, lr) of every student the record holds (readable ones)."""
    out = {}
    for s in _record_students(folder, key):
        try:
            out[s["id"]] = np.array(s["X"], dtype=float), np.array(s["y"], dtype=float), float(s["lr"])
        except (KeyError, TypeError, ValueError):
            continue
    return out


def differences(old: dict, new: dict) -> str:
    """What makes the folder's exercise another one, for the refusal: 'seed 1 → 7, lr 0.001 → 0.002'."""
    out = []
    for name in ("seed", "same_data", "blank"):
        if old.get(name) != new.get(name):
            out.append(f"{name} {_shown(old.get(name))} → {_shown(new.get(name))}")
    a, b = old.get("settings") or {}, new["settings"]
    for name in b:
        if name not in ("seed", "blank") and a.get(name) != b[name]:
            out.append(f"{name} {_shown(a.get(name))} → {_shown(b[name])}")
    before, now = old.get("data") or {}, new["data"]
    if before.get("X") != now["X"] or before.get("y") != now["y"]:
        out.append(str(Message("exercise.diff_data")))
    elif before != now:
        out.append(str(Message("exercise.diff_headings")))
    if old.get("variant_rule") != new["variant_rule"]:
        out.append(str(Message("exercise.diff_rule")))
    return ", ".join(out[:4]) + (", …" if len(out) > 4 else "")


def _shown(value) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return "-" if value in (None, "") else str(value)


def _write_json(path: Path, content: dict) -> Path:
    """Atomically: a temporary file in the same folder, then a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_key(folder: str | os.PathLike) -> dict:
    """The grader's key: the answer key with the students' record merged in as "students" (each
    {id, name, file, lr, X, y}), the shape gradsheet's first key format had."""
    path = Path(folder) / KEY_FILE
    key = _read_json(path, GradsheetError("classroom.no_key", folder=folder, file=KEY_FILE))
    if not isinstance(key, dict) or key.get("generator") != "gradsheet" or key.get("key_format") not in (1, KEY_FORMAT):
        raise GradsheetError("classroom.key_format", path=path, format=KEY_FORMAT)
    if key["key_format"] == 1:
        return key
    record_path = Path(folder) / STUDENTS_FILE
    record = _read_json(record_path, GradsheetError("exercise.no_students_file", folder=folder, file=STUDENTS_FILE))
    if not isinstance(record, dict) or record.get("exercise") != key.get("exercise") or \
            not isinstance(record.get("students"), list) or not record["students"]:
        raise GradsheetError("exercise.students_file_other", path=record_path)
    return {**key, "students": record["students"]}


def _read_json(path: Path, missing: GradsheetError):
    """A JSON file of the exercise folder; `missing` when it is not there, one line when it is
    not readable JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing from None
    except (OSError, ValueError):
        raise GradsheetError("classroom.key_unreadable", path=path) from None
