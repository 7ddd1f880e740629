"""`gradsheet exercise`: one workbook per student of a roster, with the formula cells a student
must write left blank, and the answer key the grader needs (which stays with the instructor).

Every student gets the same lesson (the same shape of table, numbers of a similar scale, a
learning rate that converges) on numbers of their own, derived from the exercise's seed and
the student's id: the same inputs always give the same files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..build import fresh_state, sized_defaults, warn_if_unstable
from ..core import models
from ..core.errors import GradsheetError
from ..core.messages import Message, os_reason, use
from ..core.layout import param_names
from ..core.scaling import scale_columns
from ..core.settings import DEFAULT_SEED, Settings
from ..data import dataset as data
from ..data.dataset import Dataset

KEY_FILE = "gradsheet-key.json"  # the answer key, beside the students' files in DIR
KEY_FORMAT = 1
DEFAULT_BLANK = ("h", "Loss", "Loss_P", "grad_P", "next_P")
# The blank cells an exercise may ask for: h, Loss, and per parameter P (Lossm_P: --diff central).
KINDS = ("h", "Loss", "Loss_P", "Lossm_P", "grad_P", "next_P")
# What an exercise always leaves out: sheets whose numbers would give the answers away (the
# 'All steps' table shows Loss and next W, B; the race and the landscape likewise).
NO_ANSWERS = {"unrolled": 0, "compare": 0, "landscape": ("none",)}
_UNSAFE_ID = re.compile(r'[\\/:*?"<>|\x00-\x1f]|^\.|^$|\s$|^\s')
SHAPE_TRIES = 20  # draws of a student's data before giving up on a unique least-squares answer


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""


def read_roster(path: str | os.PathLike) -> list[Student]:
    """The roster as the LMS exports it: a CSV (UTF-8 or CP949; , ; or tab) with an `id` column
    and optionally `name` (headings in any case). Ids name the files, so they must be unique and
    usable as file names."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GradsheetError("classroom.roster_not_found", path=where) from None
    except OSError as e:
        raise GradsheetError("classroom.roster_unreadable", path=where, reason=os_reason(e)) from None
    text = data._decode(where, raw)
    lines = text.splitlines(keepends=True)
    if not any(line.strip() for line in lines):
        raise GradsheetError("classroom.roster_empty", path=where)
    delimiter = data._sniff_delimiter([line for line in lines if line.strip()][:30])
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in row)]
    heads = [h.strip().lower() for h in rows[0]]
    if "id" not in heads:
        heads = ", ".join(h for h in rows[0] if h.strip())
        raise GradsheetError("classroom.roster_no_id", path=where, heads=heads or Message("classroom.none"))
    i, n = heads.index("id"), heads.index("name") if "name" in heads else None
    students, seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        sid = row[i].strip() if i < len(row) else ""
        name = row[n].strip() if n is not None and n < len(row) else ""
        if not sid:
            raise GradsheetError("classroom.roster_row_no_id", path=where, row=line)
        if _UNSAFE_ID.search(sid):
            raise GradsheetError("classroom.roster_bad_id", path=where, row=line, id=repr(sid))
        if sid in seen:
            raise GradsheetError("classroom.roster_twice", path=where, id=repr(sid), first=seen[sid], row=line)
        seen[sid] = line
        students.append(Student(sid, name))
    if not students:
        raise GradsheetError("classroom.roster_no_students", path=where)
    return students


def expand_blank(spec: str | tuple[str, ...] | None, k: int, diff: str) -> tuple[str, ...]:
    """--blank as cell names: P expands to every parameter (Loss_P -> Loss_W, Loss_B)."""
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec or DEFAULT_BLANK)
    params = param_names(k)
    kinds = [kind for kind in KINDS if kind != "Lossm_P" or diff == models.CENTRAL]
    allowed = [name for kind in kinds for name in
               ([f"{kind[:-2]}_{p}" for p in params] if kind.endswith("_P") else [kind])]
    out: list[str] = []
    for name in names:
        if not name:
            continue
        chosen = [f"{name[:-2]}_{p}" for p in params] if name in kinds and name.endswith("_P") else [name]
        for cell in chosen:
            if cell not in allowed:
                raise GradsheetError("classroom.blank_unknown", name=name, kinds=", ".join(kinds),
                                     allowed=", ".join(allowed))
            if cell not in out:
                out.append(cell)
    if not out:
        raise GradsheetError("classroom.blank_none")
    return tuple(sorted(out, key=allowed.index))


def student_seed(seed: int, sid: str) -> int:
    """A student's own seed: the exercise's seed and the id, hashed (stable across runs and
    machines, unlike Python's hash())."""
    return int.from_bytes(hashlib.sha256(f"gradsheet:{seed}:{sid}".encode()).digest()[:8], "big") >> 1


def decimals(values: np.ndarray, most: int = 6) -> int:
    """The fewest decimals that write every value as the data did (at most `most`)."""
    for d in range(most + 1):
        if np.allclose(values, np.round(values, d), rtol=0, atol=1e-9 * max(1.0, float(np.max(np.abs(values))))):
            return d
    return most


def variant(base: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Different numbers for the same lesson: each input column shifted and jittered by a share
    of its own spread, a line near the base data's least-squares line, the base's residual
    noise, all rounded as the data was written. Drawn again (a few times) when the draw lost
    the unique least-squares answer the base has."""
    rng = np.random.default_rng(seed)
    X0, y0 = base.X, base.y
    A = np.column_stack([X0, np.ones(base.n)])
    theta, *_ = np.linalg.lstsq(A, y0, rcond=None)
    noise = float(np.std(y0 - A @ theta))
    dx = [decimals(X0[:, j]) for j in range(base.k)]
    dy = decimals(y0)
    for _ in range(SHAPE_TRIES):
        X = np.empty_like(X0)
        for j in range(base.k):
            col = X0[:, j]
            spread = max(float(np.std(col)), 0.2 * abs(float(np.mean(col))), 10.0 ** -dx[j])
            X[:, j] = np.round(col + rng.uniform(-1, 1) * spread + rng.normal(0, 0.3 * spread, base.n), dx[j])
        if base.k == 1 and np.all(np.diff(X0[:, 0]) >= 0):  # a table sorted by its input stays sorted
            X = np.sort(X, axis=0)
        w = theta[:-1] * rng.uniform(0.75, 1.25, base.k)
        b = theta[-1] + rng.uniform(-1, 1) * 0.1 * float(np.std(y0))
        y = np.round(X @ w + b + rng.normal(0, noise, base.n), dy)
        if not models.unique_answer(X0) or models.unique_answer(X):
            return X, y
    return X, y


def sensible_lr(X_model: np.ndarray, settings: Settings) -> float:
    """The instructor's lr, unless it would not converge on this student's numbers: then the
    round one the build's advice gives (models.suggest_lr)."""
    limit = models.stable_lr_for(X_model, settings.optimizer, settings.beta)
    if limit is None or settings.lr < 0.9 * limit:
        return settings.lr
    return models.suggest_lr(X_model, limit)


@dataclass(frozen=True)
class Exercise:
    folder: Path
    key: Path
    files: list[Path]
    blank: tuple[str, ...]
    lr_changed: list[str]  # ids whose lr was lowered to converge on their numbers


def make_exercise(data_path, roster: str | os.PathLike, out_dir: str | os.PathLike, *,
                  blank: str | None = None, same_data: bool = False, target=None, features=None,
                  sheet=None, classes=None, **options) -> Exercise:
    use(options.get("lang"))  # the exercise's language, for every message from here on
    students = read_roster(roster)
    lang = options.get("lang", Settings.lang)
    if options.get("model", "linear") != "linear":
        raise GradsheetError("classroom.linear_only", model=options["model"])
    base = data.load(data_path, target=target, features=features, sheet=sheet, lang=lang,
                     model=options.get("model"), classes=classes)
    if base.model != "linear":
        raise GradsheetError("classroom.target_classes", name=base.name, target=repr(base.target_name))
    for message in base.warnings:
        warnings.warn(message, stacklevel=2)
    seed = options.pop("seed", None)
    seed = DEFAULT_SEED if seed is None else seed
    options = {"buttons": "none", **options, **NO_ANSWERS, "model": "linear"}
    common = Settings(**sized_defaults(base, options))
    names = expand_blank(blank, base.k, common.diff)
    warn_if_unstable(base, common)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GradsheetError("classroom.cannot_make_folder", folder=folder, reason=os_reason(e)) from None
    plans = []
    for student in students:
        own = student_seed(seed, student.id)
        X, y = (base.X, base.y) if same_data else variant(base, own)
        ds = Dataset(base.name, base.feature_names, base.target_name, X, y)
        X_model = scale_columns(X, common.scale)[0] if common.scale != "none" else X
        plans.append((student, own, ds, sensible_lr(X_model, common)))
    fingerprint = _fingerprint(seed, names, common, plans)
    files, changed = [], []
    from ..sheets.workbook import write
    for student, own, ds, lr in plans:
        title = (common.title or _default_title(lang)) + f" — {student.id} {student.name}".rstrip()
        settings = replace(common, lr=lr, seed=own % 2 ** 31, blank=names, student=student.id,
                           student_name=student.name, exercise=fingerprint, title=title)
        # Nothing pasted yet, prevLoss included: the starting Loss is one of the answers.
        state = replace(fresh_state(ds, settings, settings.seed), prev_loss=0.0)
        files.append(write(folder / f"{student.id}.xlsx", ds, settings, state))
        if lr != common.lr:
            changed.append(student.id)
    key = _write_key(folder, fingerprint, seed, names, common, plans, same_data)
    return Exercise(folder, key, files, names, changed)


def _default_title(lang: str) -> str:
    from ..core.texts import texts
    return texts(lang)["title"]


def _fingerprint(seed, names, settings, plans) -> str:
    h = hashlib.sha256(json.dumps([seed, names, asdict(settings)], sort_keys=True, default=str).encode())
    for student, own, ds, lr in plans:
        h.update(json.dumps([student.id, own, lr, ds.X.tolist(), ds.y.tolist()]).encode())
    return h.hexdigest()[:16]


def _write_key(folder: Path, fingerprint: str, seed: int, names, settings: Settings, plans, same_data) -> Path:
    """The grader's key: the exercise, and each student's numbers (to recognise whose a file
    is). It holds no formula: the grader takes the correct maths from the model itself."""
    key = {"generator": "gradsheet", "key_format": KEY_FORMAT, "exercise": fingerprint, "seed": seed,
           "blank": list(names), "same_data": same_data,
           "settings": {k: v for k, v in asdict(settings).items() if k not in ("student", "student_name")},
           "students": [{"id": s.id, "name": s.name, "file": f"{s.id}.xlsx", "lr": lr,
                         "X": ds.X.tolist(), "y": ds.y.tolist()} for s, own, ds, lr in plans]}
    path = folder / KEY_FILE
    fd, tmp = tempfile.mkstemp(prefix=".gradsheet-key-", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(key, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)
    return path


def read_key(folder: str | os.PathLike) -> dict:
    path = Path(folder) / KEY_FILE
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GradsheetError("classroom.no_key", folder=folder, file=KEY_FILE) from None
    except (OSError, ValueError):
        raise GradsheetError("classroom.key_unreadable", path=path) from None
    if not isinstance(key, dict) or key.get("generator") != "gradsheet" or key.get("key_format") != KEY_FORMAT:
        raise GradsheetError("classroom.key_format", path=path, format=KEY_FORMAT)
    return key
