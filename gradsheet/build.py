"""`gradsheet build` as a function: data in, course workbook out."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from .core import messages, models
from .data.dataset import Dataset, load
from .data.scales import scale_advice
from .core.errors import GradsheetError
from .core.messages import Message, current, use
from .core.texts import texts
from .core.layout import param_names
from .core.settings import Settings, State, initial_theta
from .sheets.workbook import model_X, write


def fresh_state(dataset: Dataset, settings: Settings, seed: int | None) -> State:
    """Course step 1 done: parameters from the (seeded) initial value generator,
    prevLoss = the starting Loss, nothing pasted yet, history empty."""
    count = len(param_names(dataset.k, settings.model, len(settings.classes), settings.hidden))
    theta = initial_theta(dataset.k, seed, count, settings.hidden)
    return State.fresh(theta, settings.optimizer)


@dataclass(frozen=True)
class Built:
    path: Path
    dataset: Dataset
    settings: Settings
    state: State

    @property
    def loss(self) -> float:
        """The Loss of the parameters it starts from, as the model computes it."""
        return self.settings.spec.loss(model_X(self.dataset, self.settings), self.dataset.y, self.state.theta)


# Array operations one full recalculation may cost before editing W feels sluggish: about
# 1 s in LibreOffice 7.4 (benchmarks/recalc.py measured ~32 ns per operation).
RECALC_BUDGET = 3e7
UNROLLED_ROWS = 100  # the 'All steps' and 'Optimizers' sheets' rows (steps) by default
LANDSCAPE_CELLS = 21 * 21
DERIVED = ("unrolled", "compare", "landscape")
HIDDEN_LR = 0.1  # a network's default lr (the course's 0.001 barely moves one in hundreds of steps)


def _sheet_name(key: str) -> str:
    """A derived sheet's name as the workbook being made shows it (its language is in use)."""
    return texts(current())[f"sheet_{key}"]


def sums_cost(n: int, k: int) -> int:
    """The 'Sums' sheet, which every derived sheet reads: each centred cross product of the
    k + 1 data columns is one pass over the n rows (a subtraction per factor, a product)."""
    return 3 * n * (k + 1) * (k + 2) // 2


def row_cost(k: int) -> int:
    """One step row of the 'All steps' table or of a race lane: S·w (k² products) and a few
    short formulas per parameter; independent of the number of data rows."""
    return (k + 1) ** 2 + 20 * (k + 1)


def sized_defaults(dataset: Dataset, options: dict) -> dict:
    """The derived sheets ('All steps', 'Optimizers', 'Landscape') compute their losses from
    sums formed once (sheets/stats.py), so their rows cost the same for any number of data
    rows; only the sums grow with the table, by n·k². Unless asked for explicitly, they are
    left out when those sums alone would make each edit of W recalculate for seconds (a
    million rows × 5 features, 100,000 × 13), and get fewer rows when the features are so
    many that the rows themselves would (hundreds of features), with a warning."""
    options = dict(options)
    n, k = dataset.n, dataset.k
    open_ = [key for key in DERIVED if key not in options]
    if options.get("batch") and ("unrolled" in open_ or "compare" in open_):
        return _batch_defaults(dataset, options)
    if options.get("hidden"):
        return _hidden_defaults(dataset, options)
    if not open_:
        return options
    if dataset.classes:
        return _classifier_defaults(dataset, options, open_)
    if sums_cost(n, k) > RECALC_BUDGET:
        first_w = param_names(k)[0]  # W for one input, W_1 for several
        asks = {"unrolled": f"--unrolled {UNROLLED_ROWS}", "compare": f"--compare {UNROLLED_ROWS}",
                "landscape": f"--landscape {first_w},B"}
        names = ", ".join(f"'{_sheet_name(key)}'" for key in open_)
        asks = ", ".join(asks[key] for key in open_)
        warnings.warn(Message("build.left_out_many" if len(open_) > 1 else "build.left_out",
                              sheets=names, n=n, k=k, asks=asks), stacklevel=3)
        return {**options, **{key: (("none",) if key == "landscape" else 0) for key in open_}}
    # the rows of both sheets (the race has four lanes) share what the sums leave of the budget
    rows = int((RECALC_BUDGET - sums_cost(n, k)) // (5 * row_cost(k)))
    rows = UNROLLED_ROWS if rows >= UNROLLED_ROWS else max(10, rows)
    for key in ("unrolled", "compare"):
        if key in open_:
            if rows < UNROLLED_ROWS:
                warnings.warn(Message("build.fewer_rows", sheet=_sheet_name(key), rows=rows, full=UNROLLED_ROWS,
                                      k=k, option=key), stacklevel=3)
            options[key] = rows
    return options


# A classifier's derived sheets compute cross-entropy row by row (sheets/logits.py): every
# step costs passes over the data, one per parameter, and so does every landscape cell. The
# costs below are in RECALC_BUDGET's units (~32 ns), fitted to LibreOffice 7.4 on a shared
# 2-core machine (benchmarks/recalc.py): a step of the iris table (150 rows, 15 parameters,
# softmax) 2.2–2.8 ms, of the exam preset (60 rows, 3 parameters, logistic) 0.35–0.6 ms; the
# landscape ~40 ms for either. CE_BUDGET (~50 ms) is what those sheets may cost together, so
# that the iris workbook recalculates in about the 50 ms.
CE_BUDGET = 1.5e6
CE_LANDSCAPE_SHARE = 0.8  # the landscape is kept when it leaves a fifth of the budget for the steps


def ce_step_cost(n: int, params: int, model: str, classes: int) -> int:
    """One step of a cross-entropy chain: per data row, logistic ~90 per parameter (each Loss_P
    recomputes the logits inline) and 60 for the Loss; softmax ~40 per parameter and 20 per
    cell of the 'Logits' sheet (C logits and their lse)."""
    if model == "softmax":
        return n * (40 * params + 20 * (classes + 1))
    return n * (90 * params + 60)


def ce_landscape_cost(n: int, model: str) -> int:
    """The landscape's 441 cells, each a pass over the rows (logistic's stable form needs the
    moved logits four times: ~45 per row; softmax's closed form ~20)."""
    return LANDSCAPE_CELLS * n * (20 if model == "softmax" else 45)


def _classifier_defaults(dataset: Dataset, options: dict, open_: list[str]) -> dict:
    """sized_defaults for a classifier: the landscape if it fits the budget's larger part, then
    the 'All steps' rows that fit what is left (at least 10, at most 100); the race's four
    lanes only if 100 steps each still fit, which a classifier's row-by-row losses rarely
    allow. What is left out or shortened gets a warning saying how to ask for it."""
    n, C, model = dataset.n, len(dataset.classes), dataset.model
    names = param_names(dataset.k, model, C)
    step = ce_step_cost(n, len(names), model, C)
    left = CE_BUDGET
    if "landscape" in open_:
        grid = ce_landscape_cost(n, model)
        if grid > CE_LANDSCAPE_SHARE * left:
            options["landscape"] = ("none",)
            pair = f"{names[0]},{names[dataset.k * (C if model == 'softmax' else 1)]}"
            warnings.warn(Message("build.ce_landscape_left_out", sheet=_sheet_name("landscape"),
                                  cells=LANDSCAPE_CELLS, n=n, pair=pair), stacklevel=4)
        else:
            left -= grid
    if "unrolled" in open_:
        rows = int(min(UNROLLED_ROWS, max(10, left // step)))
        if rows < UNROLLED_ROWS:
            warnings.warn(Message("build.ce_fewer_rows", sheet=_sheet_name("unrolled"), rows=rows,
                                  full=UNROLLED_ROWS, n=n, params=len(names)), stacklevel=4)
        options["unrolled"] = rows
        left -= rows * step
    if "compare" in open_:
        if 4 * UNROLLED_ROWS * step > left:
            options["compare"] = 0
            warnings.warn(Message("build.ce_compare_left_out", sheet=_sheet_name("compare"), full=UNROLLED_ROWS,
                                  n=n), stacklevel=4)
        else:
            options["compare"] = UNROLLED_ROWS
    return options


def hidden_step_cost(n: int, k: int, hidden: int, params: int) -> int:
    """One step of a network's 'All steps' chain (sheets/network_steps.py), in RECALC_BUDGET's
    units: params + 1 array formulas, each a whole forward pass over the n rows. Measured on
    LibreOffice 7.4 (benchmarks/recalc.py, a shared 2-core machine, noisy): ~0.2–0.5 ms a cell
    for xor's 4 rows, ~0.8 ms for circles' 100 rows (3 units, 2 inputs): ~6000 a cell and ~25
    per row, unit and input (+2)."""
    return (params + 1) * (6000 + 25 * n * hidden * (k + 2))


def _hidden_defaults(dataset: Dataset, options: dict) -> dict:
    """A network's derived sheets. 'All steps' (not for softmax: its rows would need each data
    row's largest logit) gets the rows that fit CE_BUDGET, at least 10, with the classifiers'
    one-line warning when fewer than 100; the race and the landscape are not made for a network
    yet: said in one line when they would have been there by default, refused when asked for."""
    softmax = dataset.model == "softmax"
    asked = []
    if softmax:  # its losses need each row's largest logit, which one cell cannot take
        asked = [key for key in DERIVED if options.get(key) not in (None, 0, ("none",), "none")]
    if asked:
        key = asked[0]
        raise GradsheetError("build.hidden_sheet_refused", sheet=f"'{_sheet_name(key)}'", option=key)
    H = options["hidden"]
    params = len(param_names(dataset.k, dataset.model, len(dataset.classes), H))
    rows = int(min(UNROLLED_ROWS, CE_BUDGET // hidden_step_cost(dataset.n, dataset.k, H, params)))
    fits = "unrolled" not in options and not softmax and rows >= 10
    left_out = [key for key in DERIVED if key not in options
                and (key != "unrolled" or not fits)]
    if left_out:
        names = ", ".join(f"'{_sheet_name(key)}'" for key in left_out)
        warnings.warn(Message("build.hidden_sheets_left_out", sheets=names), stacklevel=4)
    # asked for: the landscape over any two parameters, the race's four lanes of N steps
    out = {**options, "compare": options.get("compare", 0), "landscape": options.get("landscape", ("none",))}
    if "unrolled" not in options:
        out["unrolled"] = rows if fits else 0
        if fits and rows < UNROLLED_ROWS:
            warnings.warn(Message("build.hidden_fewer_rows", sheet=_sheet_name("unrolled"), rows=rows,
                                  full=UNROLLED_ROWS, n=dataset.n, params=params), stacklevel=4)
    return out


# --batch: a chain's step picks its batch out of every data row in each of its batch cells
# (Loss_batch, Loss_P, Lossm_P: sheets/unrolled.py), an array formula that weighs each row by
# INT(MOD(a*key+b,n)/B) = batch_no − 1. Measured on LibreOffice 7.4 (a shared 2-core machine,
# a block of such cells): ~10 µs a cell whatever its rows (BATCH_CELL), and per data row ~12
# for the mask (BATCH_MASK) plus the model's own arithmetic: the linear model's (z + d − y)²
# ~4 per input and 4 more (0.6 µs a row for 1 input, 1.0 µs for 5); and ~30 µs a chain row for
# its other cells (which batch, the slopes, the update: benchmarks/recalc_batch.py measured
# 0.074 ms a row on the course's 6 rows, 74 ms on 10,000 rows × 5 against 81 predicted).
BATCH_CELL = 300
BATCH_MASK = 12
BATCH_ROW = 1000
BATCH_MIN_ROWS = 10  # fewer steps than this teach nothing: the sheet is left out instead


def batch_step_cost(n: int, k: int, params: int, model: str, classes: int = 0, hidden: int = 0,
                    diff: str = models.FORWARD) -> int:
    """One step of an 'All steps' or race chain under --batch, in RECALC_BUDGET's units: the
    whole table's Loss as without batches (the sums' quadratic; a classifier's or network's pass
    over the data), and the batch cells, each a pass over all n rows with the mask."""
    cells = params * (2 if diff == models.CENTRAL else 1) + 1  # Loss_batch, Loss_P (, Lossm_P)
    mask = BATCH_ROW + cells * (BATCH_CELL + n * BATCH_MASK)
    if hidden:
        return (cells + 1) * (6000 + 25 * n * hidden * (k + 2)) + mask
    if model == "linear":
        return row_cost(k) + cells * n * (4 * k + 4) + mask
    return ce_step_cost(n, params, model, classes) + n * 60 + mask


def _batch_defaults(dataset: Dataset, options: dict) -> dict:
    """sized_defaults under --batch. The landscape (the whole table's Loss, which batches do not
    change) is decided as the model decides it without batches; the 'All steps' rows then get
    what CE_BUDGET leaves (at most 100; left out below BATCH_MIN_ROWS, which would be slower than
    it teaches), and the race's four lanes of 100 steps only if they fit what is left after that.
    Each shortening or leaving out says so in one line, naming the option that asks for it.
    A softmax network has no 'All steps' sheet with or without batches (as _hidden_defaults)."""
    n, k, model, H = dataset.n, dataset.k, dataset.model, options.get("hidden", 0)
    C = len(dataset.classes)
    if H and model == "softmax":
        return _hidden_defaults(dataset, options)
    names = param_names(k, model, C, H)
    step = batch_step_cost(n, k, len(names), model, C, H, options.get("diff", models.FORWARD))
    # a network's race stays out unless asked for, said as without batches (_hidden_defaults)
    open_ = [key for key in ("unrolled",) + (() if H else ("compare",)) if key not in options]
    # the landscape (and a table too large for the sums), as without batches
    out = sized_defaults(dataset, {**{key: 0 for key in open_}, **{key: v for key, v in options.items()
                                                                    if key != "batch"}})
    out = {**out, "batch": options["batch"]}
    for key in open_:
        out.pop(key)
    left = CE_BUDGET
    if dataset.classes and not H and out.get("landscape") not in (("none",), "none"):
        left -= ce_landscape_cost(n, model)
    left -= sum(out.get(key, 0) * (4 if key == "compare" else 1) * step for key in ("unrolled", "compare")
                if key not in open_)
    dropped = []
    if "unrolled" in open_:
        rows = int(min(UNROLLED_ROWS, max(0, left) // step))
        if rows < BATCH_MIN_ROWS:
            rows = 0
            dropped.append("unrolled")
        elif rows < UNROLLED_ROWS:
            warnings.warn(Message("build.batch_fewer_rows", sheet=_sheet_name("unrolled"), rows=rows,
                                  full=UNROLLED_ROWS, n=n, params=len(names), option="unrolled"), stacklevel=4)
        out["unrolled"] = rows
        left -= rows * step
    if "compare" in open_:
        fits = 4 * UNROLLED_ROWS * step <= left
        out["compare"] = UNROLLED_ROWS if fits else 0
        if not fits:
            dropped.append("compare")
    if dropped:
        sheets = ", ".join(f"'{_sheet_name(key)}'" for key in dropped)
        asks = ", ".join(f"--{key} N" for key in dropped)
        warnings.warn(Message("build.batch_left_out_many" if len(dropped) > 1 else "build.batch_left_out",
                              sheets=sheets, n=n, params=len(names), asks=asks), stacklevel=4)
    return out


# A learning rate is "far too small" when this many steps (the 'All steps' sheet's length)
# cannot bring Loss even this share of the way down to its minimum, though a learning rate
# near the stable limit would. The bound is set by the loss's steepest direction, the one a
# larger lr speeds up, so this means lr below about 1/175 of the limit. A badly conditioned
# table like the course's lemonade (lr 0.001 is 2x below its limit; its flat B direction is
# slow whatever the lr) gets no warning: a larger lr would not help it.
SLOW_STEPS = UNROLLED_ROWS
SLOW_PROGRESS = 0.9


def warn_if_unstable(dataset: Dataset, settings: Settings) -> None:
    """Gradient descent on this loss converges only for lr below 2 / (its largest
    curvature); above that the workbook would only show Loss exploding. Far below it
    (e.g. the course's 0.001 on standardised inputs, ~1000x below) Loss barely moves.
    Momentum (Keras's heavy ball) converges for lr below 2·(1 + beta) / curvature; RMSprop
    and Adam divide each step by the slope's own size, so no curvature limits their lr."""
    if settings.hidden:  # not a quadratic: no curvature limit to compare lr with
        return
    X = model_X(dataset, settings)
    limit = models.stable_lr_for(X, settings.optimizer, settings.beta, settings.model)
    if limit is None:
        return
    lr = settings.lr
    if lr >= limit:
        scale = settings.scale == "none" and dataset.k > 1  # rescaling would help too
        warnings.warn(Message("build.lr_unstable_scale" if scale else "build.lr_unstable", lr=lr, limit=limit,
                              suggestion=_suggestion(X, settings)), stacklevel=3)
        return
    # the progress bound below is plain gradient descent's on the squared error
    if settings.optimizer != "gd" or settings.model != "linear":
        return
    progress = models.most_progress(X, lr, SLOW_STEPS)
    if progress < SLOW_PROGRESS:
        share = Message("build.share_at_most", share=progress) if progress >= 0.01 else Message("build.share_below_1")
        warnings.warn(Message("build.lr_slow", lr=lr, times=limit / lr, limit=limit, steps=SLOW_STEPS, share=share,
                              suggestion=models.suggest_lr(X)), stacklevel=3)


def _suggestion(X, settings: Settings) -> float:
    """A round lr below plain gradient descent's stable limit for this model."""
    return models.suggest_lr(X, models.stable_lr_for(X, "gd", model=settings.model))


# Suffix of the default output for an .xlsx input: the instructor's own file keeps its name.
XLSX_INPUT_SUFFIX = "-gradsheet"


def output_path(data: str | Path | None, out: str | Path | None, default_stem: str | None = None) -> Path:
    """Where the workbook goes. The input is never touched: by default `<stem>.xlsx` (the data
    file's stem, or `default_stem`, a preset's name), but `<stem>-gradsheet.xlsx` when that
    would be an .xlsx input's own name. An `-o` that is the input file itself (the same file,
    however it is spelled or linked) or not an .xlsx is refused."""
    if out is not None:
        out = Path(out)
        check_xlsx_name(out)
    else:
        stem = default_stem or (Path(data).stem if data is not None else "lemonade")
        clash = data is not None and Path(data).suffix.lower() == ".xlsx" and Path(data).stem == stem
        out = Path(f"{stem}{XLSX_INPUT_SUFFIX if clash else ''}.xlsx")
    if data is not None and _same_file(Path(data), out):
        raise GradsheetError("build.same_as_input", out=out)
    return out


def check_xlsx_name(out: Path) -> None:
    if out.suffix.lower() != ".xlsx":
        raise GradsheetError("build.not_xlsx", out=out)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def build(data: str | Path | None = None, out: str | Path | None = None, **kwargs) -> Path:
    """Write the course workbook for `data` (None: the lemonade table); see make()."""
    return make(data, out, **kwargs).path


def make(data: str | Path | None = None, out: str | Path | None = None, *,
         target: str | None = None, features: str | list[str] | None = None,
         sheet: str | None = None, default_stem: str | None = None,
         classes: str | list[str] | None = None, **options) -> Built:
    """Write the course workbook for `data` (None: the lemonade table) and return its path.

    `options` are Settings fields: lr, eps, seed, lang, diff, title, buttons, unrolled,
    landscape, scale. Without `out` the workbook is `<data stem>.xlsx` in the current folder
    (`<data stem>-gradsheet.xlsx` for an .xlsx input); see output_path().
    """
    use(options.get("lang"))  # the workbook's language, for every message from here on
    if options.get("activation") is not None and not options.get("hidden"):
        raise GradsheetError("build.activation_needs_hidden", activation=options["activation"])
    out = output_path(data, out, default_stem)
    messages.use(options.get("lang", Settings.lang))  # what reading the data says speaks the workbook's language
    dataset = load(data, target=target, features=features, sheet=sheet,
                   lang=options.get("lang", Settings.lang), model=options.get("model"), classes=classes)
    # what reading the data said, and the scale advice (every model alike)
    for message in (*dataset.warnings, *scale_advice(dataset, options.get("scale", Settings.scale))):
        warnings.warn(message, stacklevel=2)
    options["model"], options["classes"] = dataset.model, tuple(dataset.classes)
    if options.get("batch"):
        if options["batch"] > dataset.n:
            raise GradsheetError("build.batch_too_large", batch=options["batch"], n=dataset.n)
        options.setdefault("batch_seed", options.get("seed", Settings.seed))
    elif options.get("shuffle") is not None:
        raise GradsheetError("build.shuffle_needs_batch", option="--shuffle" if options["shuffle"] else "--no-shuffle")
    else:
        options.pop("shuffle", None)
    if options.get("hidden") and "lr" not in options:
        options["lr"] = HIDDEN_LR
        warnings.warn(Message("build.hidden_lr", lr=options["lr"]), stacklevel=2)
    elif dataset.classes and "lr" not in options:
        # The course's 0.001 is the lemonade regression's; cross-entropy's slopes are bounded
        # (|p − y| ≤ 1), so a classifier crawls with it. Take a round lr below the stable limit.
        X = model_X(dataset, Settings(scale=options.get("scale", Settings.scale)))
        options["lr"] = models.suggest_lr(X, models.stable_lr_for(X, "gd", model=dataset.model))
        warnings.warn(Message("build.classifier_lr", lr=options["lr"]), stacklevel=2)
    settings = Settings(**sized_defaults(dataset, options))
    warn_if_unstable(dataset, settings)
    state = fresh_state(dataset, settings, settings.seed)
    return Built(write(out, dataset, settings, state), dataset, settings, state)
