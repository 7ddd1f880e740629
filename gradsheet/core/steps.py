"""The steps engine: the course's steps 1–6 on a State, with every number from the model.

Front-ends (the headless CLI on files, xlwings, LibreOffice in the tests) read a State
from their book, call these functions, and write the new State back. Nothing here reads a
cell: values come from the model on the data, never from cells a step just wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import batches
from . import descent
from . import models
from . import coach
from . import procedure
from .errors import GradsheetError
from .messages import Message, say
from .layout import param_names
from .optimizers import HYPER_DEFAULTS, OPTIMIZERS, Optimizer
from .settings import State, initial_theta

# The book's Loss and the model's may differ only by floating-point summation order.
LOSS_AGREEMENT = 1e-7


@dataclass(frozen=True)
class Problem:
    """What the engine learns from: the data (as the model sees it) and the book's settings."""
    X: np.ndarray
    y: np.ndarray
    lr: float
    eps: float
    diff: str = models.FORWARD
    optimizer: str = "gd"
    hyper: dict = field(default_factory=lambda: dict(HYPER_DEFAULTS))
    model: str = "linear"
    classes: int = 0  # a classifier's number of classes (y holds the class index)
    # an exercise workbook (gradsheet exercise): Loss, grad_P, next_P are the student's cells,
    # so a step pastes only what they show (check_shown) and step 1 pastes nothing
    exercise: bool = False
    hidden: int = 0  # a network's hidden units (0: none)
    activation: str = "tanh"
    batches: object = None  # --batch: core/batches.Batches (None: every step uses all rows)

    @property
    def k(self) -> int:
        return self.X.shape[1]

    @property
    def spec(self) -> models.Model:
        return models.model_spec(self.model, self.classes, self.hidden, self.activation)

    @property
    def params(self) -> list[str]:
        return param_names(self.k, self.model, self.classes, self.hidden)

    @property
    def rule(self) -> Optimizer:
        return OPTIMIZERS[self.optimizer]

    def actions(self) -> list:
        return procedure.actions(self.params, self.optimizer)

    def update(self, state: State) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
        """next_P and the next optimizer state from the pasted dLoss_dP (the sheet's cells)."""
        return self.rule.update(state.theta, state.dloss, state.slots, state.t, self.lr, self.hyper)

    def loss(self, theta: np.ndarray) -> float:
        return self.spec.loss(self.X, self.y, theta)

    def step_of(self, state: State) -> int:
        """Updates done (the sheet's `step`): the history rows, less one while a step is under way."""
        return batches.step_of(state.theta, state.history, self.eps)

    def batch_data(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) of step `step`'s batch (every row without --batch)."""
        if self.batches is None:
            return self.X, self.y
        idx = self.batches.rows(step)
        return self.X[idx], self.y[idx]

    def base_loss(self, state: State) -> float:
        """The Loss action 3 copies and the slopes start from: Loss, or with --batch Loss_batch
        (the step under way's batch)."""
        return self.spec.loss(*self.batch_data(self.step_of(state)), state.theta)


@dataclass(frozen=True)
class Divergence:
    """A descent stopped before a step that would take Loss past the blow-up limit. The front-end
    words it (in the workbook's language, naming the lr cell and, on the command line, the
    command): what was kept is the last step written, with its Loss, never called good."""
    lr: float
    done: int  # whole steps kept before it
    suggestion: float  # a learning rate below the stable limit
    limit: float = np.inf  # the blow-up limit (models.loss_limit)
    loss: float = np.nan  # the Loss of the parameters kept
    start: float = np.nan  # the Loss before the descent
    stable: float | None = None  # the largest stable lr (None: RMSprop, Adam)
    optimizer: str = "gd"
    already_past: bool = False  # the Loss it started from was past the limit already

    def message(self, lang: str | None = None, cell: str | None = None, command_file: str | None = None) -> str:
        """In `lang` (default: the language in use), naming the lr `cell` (as a student types
        it: 학습!G4) and, given the workbook's file, the command that changes it."""
        rendered = lambda key, **v: say(key, lang, **v)  # noqa: E731
        if self.already_past:
            first = rendered("run.already_past", limit=self.limit, loss=self.loss)
            if command_file:
                advice = rendered("run.advice_reset_command", file=command_file, suggestion=self.suggestion)
            elif cell:
                advice = rendered("run.advice_reset", cell=cell, suggestion=self.suggestion)
            else:
                advice = rendered("run.advice_reset_no_cell", suggestion=self.suggestion)
            return f"{first} {advice}"
        if self.done == 0:
            parts = [rendered("run.blew_up_first", limit=self.limit, loss=self.loss)]
        else:
            kept = "run.kept_worse" if self.loss > self.start else "run.kept"
            parts = [rendered("run.blew_up", done=self.done, limit=self.limit) if self.done > 1 else
                     rendered("run.blew_up_one", limit=self.limit),
                     rendered(kept, loss=self.loss, start=self.start)]
        parts += _lr_advice(self.lr, self.stable, self.optimizer, self.suggestion, lang, cell, command_file)
        return " ".join(parts)


@dataclass(frozen=True)
class Rise:
    """Steps that were written although Loss went up: the student sees it happen (that is the
    lesson), and the front-end says why, in the workbook's language."""
    before: float  # Loss before the first of the steps
    after: float  # Loss after the last
    ups: int  # steps whose Loss went up
    steps: int  # steps taken
    at: int  # the first that went up, as the history table numbers it
    rise_from: float  # its Loss before and after
    rise_to: float
    lr: float
    stable: float | None  # the largest stable lr (None: RMSprop, Adam)
    optimizer: str
    suggestion: float
    batch: int = 0  # --batch B: each step follows its batch's slope, not the whole table's

    @property
    def warns(self) -> bool:
        """lr at or above the stable limit: Loss goes up because lr is too large for the data,
        a warning. Below it plain gradient descent only goes down (but for the numerical
        slope's error where the slope is small) and momentum comes back down after an
        overshoot; RMSprop and Adam have no such limit (their steps of about lr overshoot near
        the lowest point and come back): notes, each saying why."""
        return self.stable is not None and self.lr >= self.stable

    def message(self, lang: str | None = None, cell: str | None = None, command_file: str | None = None) -> str:
        """In `lang` (default: the language in use), naming the lr `cell` and, given the
        workbook's file, the command that changes it."""
        values = {"before": self.before, "after": self.after}
        if self.steps == 1:
            parts = [say("run.loss_up", lang, **values)]
        elif self.ups == self.steps:
            parts = [say("run.loss_up_all", lang, steps=self.steps, **values)]
        else:
            parts = [say("run.loss_up_some", lang, ups=self.ups, steps=self.steps, at=self.at,
                         rise_from=self.rise_from, rise_to=self.rise_to)]
        if self.batch and not self.warns:  # the lesson of mini-batches, not a fault of lr
            parts.append(say("run.batch_noise", lang, batch=self.batch))
        elif self.stable is None:
            parts += _lr_advice(self.lr, self.stable, self.optimizer, self.suggestion, lang, cell, command_file,
                                closer=True)
        elif self.warns:
            parts += _lr_advice(self.lr, self.stable, self.optimizer, self.suggestion, lang, cell, command_file)
        elif self.optimizer == "momentum":
            parts.append(say("run.overshoot", lang, lr=self.lr, limit=self.stable))
        else:
            parts.append(say("run.slope_error", lang, lr=self.lr, limit=self.stable))
        return " ".join(parts)


def _lr_advice(lr: float, stable: float | None, optimizer: str, suggestion: float, lang: str | None,
               cell: str | None, command_file: str | None, closer: bool = False) -> list[str]:
    """Why lr is too large, and what to type: the lr cell, or on the command line the command.
    `closer`: RMSprop's or Adam's overshoot, where a smaller lr gets closer but takes longer."""
    if stable is None:
        why = [say("run.lr_too_large_here", lang, lr=lr, optimizer=OPTIMIZER_NAMES.get(optimizer, optimizer))]
    else:
        why = [say("run.lr_too_large", lang, lr=lr, limit=stable)] if lr >= stable else []
    advice = "run.advice_closer" if closer else "run.advice"
    if command_file:
        return why + [say(f"{advice}_command", lang, cell=cell or "lr", suggestion=suggestion, file=command_file)]
    if cell:
        return why + [say(advice, lang, cell=cell, suggestion=suggestion)]
    return why + [say(f"{advice}_no_cell", lang, suggestion=suggestion)]


OPTIMIZER_NAMES = {"rmsprop": "RMSprop", "adam": "Adam"}  # the optimizers without a stable limit


class Diverged(GradsheetError):
    """Raised when not even one step could be taken without passing the blow-up limit.
    Printed whole (what happened, why, what to type) in the language in use."""
    exit_code = 1

    def __init__(self, divergence: Divergence, cell: str | None = None, command_file: str | None = None):
        super().__init__("run.already_past" if divergence.already_past else "run.blew_up_first",
                         limit=divergence.limit, loss=divergence.loss)
        self.divergence, self.cell, self.command_file = divergence, cell, command_file

    def render(self, lang: str | None = None) -> str:
        return self.divergence.message(lang, self.cell, self.command_file)


@dataclass(frozen=True)
class Outcome:
    state: State
    steps: int  # whole steps completed (a finished half-done step counts as one)
    divergence: Divergence | None = None  # set when the descent diverged and stopped early


def check_book(problem: Problem, state: State, book_loss) -> None:
    """Refuse to step a book whose own Loss disagrees with the model: its formulas or
    data were damaged, and stepping it would write nonsense."""
    expected = problem.loss(state.theta)
    try:
        got = float(book_loss)
    except (TypeError, ValueError):
        raise GradsheetError("book.loss_not_number", value=repr(book_loss)) from None
    if not np.isclose(got, expected, rtol=LOSS_AGREEMENT, atol=1e-12):
        raise GradsheetError("book.loss_disagrees", got=got, expected=expected)


def _stable_and_suggestion(problem: Problem) -> tuple[float | None, float]:
    """The largest stable lr (gd: 2 / curvature; momentum 2(1+beta) / curvature; None for RMSprop
    and Adam, which step by about lr whatever the slope) and a round lr to suggest: below the
    limit, or a tenth of lr where there is none."""
    stable = models.stable_lr_for(problem.X, problem.optimizer, problem.hyper["beta"], problem.model)
    suggestion = models.round_below(problem.lr / 10) if stable is None else models.suggest_lr(problem.X, stable)
    return stable, suggestion


def _loss_before(problem: Problem, state: State) -> float:
    """The Loss before the step `state` is in: its history row when the step was begun by hand
    (W may hold W + eps then), else the Loss of its parameters."""
    if state.action and len(state.history):
        return float(state.history[-1, -1])
    return problem.loss(state.theta)


def divergence(problem: Problem, before: State, kept: State, done: int) -> Divergence:
    """The descent from `before` stopped at `kept` after `done` whole steps: the next step would
    pass the blow-up limit (or the Loss it started from already had)."""
    stable, suggestion = _stable_and_suggestion(problem)
    limit = _limit(problem, before)
    loss = problem.loss(kept.theta)
    return Divergence(problem.lr, done, suggestion, limit, loss, _loss_before(problem, before), stable,
                      problem.optimizer, already_past=bool(done == 0 and models.diverged(loss, kept.theta, limit)))


def rise(problem: Problem, before: State, after: State, whole_steps: bool = True) -> Rise | None:
    """The steps from `before` to `after` in which Loss went up, or None. `whole_steps`: a run
    (the history holds the Loss before each step it took); else one hand action, of which only
    the update (6: next values into W, B) moves the parameters."""
    if whole_steps:
        first = len(before.history) - (1 if before.action and len(before.history) else 0)
        losses = np.append(after.history[first:, -1], problem.loss(after.theta))
    elif problem.actions()[before.action][1] == "update":
        first = len(before.history) - 1  # the step's row, written by action 2
        losses = np.array([problem.loss(before.theta), problem.loss(after.theta)])
    else:
        return None
    up = np.diff(losses) > 0
    if not up.any():
        return None
    i = int(np.argmax(up))
    stable, suggestion = _stable_and_suggestion(problem)
    return Rise(float(losses[0]), float(losses[-1]), int(np.count_nonzero(up)), len(losses) - 1, first + i + 1,
                float(losses[i]), float(losses[i + 1]), problem.lr, stable, problem.optimizer, suggestion,
                problem.batches.size if problem.batches is not None else 0)


def _limit(problem: Problem, state: State) -> float:
    first = state.history[0, -1] if len(state.history) else problem.loss(state.theta)
    return models.loss_limit(problem.y, float(first))


# --- the course's hand actions, one at a time ------------------------------------------
def position(problem: Problem, state: State) -> int:
    """The next hand action, as the sheet's live coach reads it from the state (core/coach.py)."""
    return coach.advise(problem, state).index


def act(problem: Problem, state: State) -> State:
    """Do the hand action the coach names next (2, 3, 4-1, …, 6) and point to the one it names
    after. Each action sets its cells to what they should hold, from history's last row (what
    action 2 saved), so an action a student did wrong by hand is done right by the press."""
    code, kind, p = problem.actions()[state.action]
    theta, history = state.theta.copy(), state.history
    prev, dloss, slots, t = state.prev_loss, state.dloss.copy(), state.slots, state.t
    if kind == "copy_history":  # 2: W, B, Loss into history
        row = np.append(theta, problem.loss(theta))
        history = np.vstack([history.reshape(-1, theta.size + 1), row])
    elif kind == "copy_loss":  # 3: Loss (--batch: Loss_batch) into prevLoss
        prev = problem.base_loss(state)
    elif kind == "paste_slope":  # 4-2: the value of dLoss_dt into dLoss_dP
        dloss[p] = (problem.base_loss(state) - prev) / problem.eps
    elif not len(history):  # the others start from history's last row (the coach says 2 first)
        raise GradsheetError("book.restore_empty", code=code, name=problem.params[p or 0])
    elif kind == "nudge":  # 4-1: P + eps, so the sheet's dLoss_dt shows the slope
        theta[p] = history[-1, p] + problem.eps
    elif kind == "restore":  # 4-3: P exactly as saved in history by action 2
        theta[p] = history[-1, p]
    elif kind == "update":  # 6: next values into W, B (from history's, should one be pasted already)
        saved = replace(state, theta=history[-1, :-1].copy())
        theta = problem.update(saved)[0]
        if models.diverged(problem.loss(theta), theta, _limit(problem, state)):
            raise Diverged(divergence(problem, state, state, 0))
    else:  # 7 (momentum, RMSprop, Adam): the next state into vel / sq / m (and t + 1)
        _, slots, t = problem.update(state)
    new = replace(state, theta=theta, history=history, prev_loss=prev, dloss=dloss, slots=slots, t=t)
    return replace(new, action=position(problem, new))


# --- whole steps ---------------------------------------------------------------------
def run(problem: Problem, state: State, steps: int = 1) -> Outcome:
    """`steps` whole steps (2–6). A step half-done by hand is finished first, action by
    action, and counts as the first. Stops before a diverging step is written."""
    if steps < 1:
        raise GradsheetError("book.steps_at_least_one", steps=steps)
    done, before = 0, state
    if state.action:
        for _ in range(len(problem.actions()) + 1):  # a step begun by hand: the rest of it
            state = act(problem, state)
            if not state.action:
                break
        else:
            raise GradsheetError("book.coach_lost")
        done = 1
    if done == steps:
        return Outcome(state, done)
    with np.errstate(over="ignore", invalid="ignore"):
        d = descent.descend(problem.X, problem.y, state.theta, problem.lr, problem.eps,
                            steps - done, problem.diff, limit=_limit(problem, state),
                            optimizer=problem.rule, hyper=problem.hyper, slots=state.slots, t=state.t,
                            model=problem.spec, batches=problem.batches, step=problem.step_of(state))
    first = problem.step_of(state)
    done += len(d.history)
    if len(d.history):
        prev = float(d.history[-1, -1])
        if problem.batches is not None:  # action 3 of the last step copied its batch's Loss
            prev = problem.spec.loss(*problem.batch_data(first + len(d.history) - 1), d.history[-1, :-1])
        state = replace(state, theta=d.theta, dloss=d.gradients, prev_loss=prev,
                        slots=d.slots, t=d.t,
                        history=np.vstack([state.history.reshape(-1, d.history.shape[1]), d.history]))
    if d.stopped:
        if done == 0:
            raise Diverged(divergence(problem, before, state, 0))
        return Outcome(state, done, divergence(problem, before, state, done))
    return Outcome(state, done)


def reset(problem: Problem, seed: int | None = None, theta: np.ndarray | None = None) -> State:
    """Step 1: fresh random parameters (seedable; or the generator's values `theta`),
    history emptied, nothing copied or pasted (prevLoss 0)."""
    if theta is not None:
        start = np.asarray(theta, dtype=float)
    elif problem.hidden:  # units that start equal would stay equal: the draw keeps them apart
        start = initial_theta(problem.k, seed, len(problem.params), problem.hidden)
    else:
        start = initial_theta(problem.k, seed, len(problem.params))
    return State.fresh(start, problem.optimizer)


# --- exercises: a step pastes only what the student's own cells show --------------------
# A cell agrees with the model when they differ by less than this share of the size of the
# numbers it is made of: a spreadsheet and numpy differ by ~1e-16 of that (a file stores 15 to
# 17 digits); a real mistake by far more (the exact slope written for the numerical one differs
# by eps·L''/2: 1e-4 in grad_B on lemonade, ~7e-13 of its size).
SHOWN_RTOL = 1e-13


def shown_names(params: list[str]) -> list[str]:
    """The cells whose values a step pastes: Loss, then grad_P and next_P of every parameter."""
    return ["Loss", *[f"{kind}_{p}" for kind in ("grad", "next") for p in params]]


def whole_steps_read(problem: Problem, state: State) -> list[str]:
    """A whole step pastes Loss (history, prevLoss), grad_P (dLoss_dP) and next_P (P)."""
    return shown_names(problem.params)


def action_reads(problem: Problem, state: State) -> list[str]:
    """One hand action: 2 and 3 copy Loss, 4-2 pastes dLoss_dt (Loss − prevLoss over eps), 6
    pastes next_P; the others read only the cells a step writes."""
    kind = problem.actions()[state.action][1]
    if kind in ("copy_history", "copy_loss", "paste_slope"):
        return ["Loss"]
    return [f"next_{p}" for p in problem.params] if kind == "update" else []


class Joined:
    """Messages joined by "; ", rendered in the language the whole line is."""

    def __init__(self, parts: list):
        self.parts = parts

    def render(self, lang: str | None = None) -> str:
        return "; ".join(part.render(lang) for part in self.parts)


def check_shown(problem: Problem, state: State, shown: dict, names: list[str], where,
                unknown: frozenset[str] = frozenset()) -> None:
    """Refuse, in one line naming each cell (`where(name)`: 학습!G6), a step that would paste a
    value the student's cells do not show: `shown[name]` None or "" (an empty cell), an error
    or text, or a number other than the model's for the book's data and inputs. Names in
    `unknown` hold a formula with no value yet (a file gradsheet wrote: it stores none in the
    student's cells): they cannot be checked, and are taken as they are."""
    expected = _expected(problem, state)
    problems = []
    for name in names:
        value = shown.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):  # "": empty, as Excel sends it
            if name not in unknown:
                problems.append(Message("book.exercise_cell_empty", name=name, at=where(name)))
        elif isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            problems.append(Message("book.exercise_cell_shows", name=name, at=where(name), value=str(value)))
        else:
            want, size = expected[name]
            if not abs(float(value) - want) <= SHOWN_RTOL * size:
                problems.append(Message("book.exercise_cell_differs", name=name, at=where(name)))
    if problems:
        raise GradsheetError("book.exercise_not_ready", cells=Joined(problems))


def _expected(problem: Problem, state: State) -> dict[str, tuple[float, float]]:
    """name -> (the model's value for the book's data and inputs, the size of the numbers it is
    made of: what its rounding error is relative to)."""
    X, y, eps, spec = problem.X, problem.y, problem.eps, problem.spec
    theta = np.asarray(state.theta, dtype=float)
    with np.errstate(all="ignore"):
        loss = problem.loss(theta)
        plus = spec.nudged_losses(X, y, theta, eps)
        minus = spec.nudged_losses(X, y, theta, -eps) if problem.diff == models.CENTRAL else None
        grad = (plus - minus) / (2 * eps) if minus is not None else (plus - loss) / eps
        nxt = problem.update(state)[0]
        loss_size, nudged_size = _sizes(problem, theta, loss, plus, minus)
    out = {"Loss": (loss, loss_size)}
    for i, p in enumerate(problem.params):
        if minus is not None:
            size = (nudged_size(i, eps) + nudged_size(i, -eps)) / (2 * eps)
        else:
            size = (nudged_size(i, eps) + loss_size) / eps
        out[f"grad_{p}"] = (float(grad[i]), size)
        out[f"next_{p}"] = (float(nxt[i]), abs(theta[i]) + abs(float(nxt[i]) - theta[i]))
    return out


def _sizes(problem: Problem, theta: np.ndarray, loss: float, plus: np.ndarray, minus: np.ndarray | None):
    """The sizes of Loss and of Loss_P. The linear model's: each (h − y)² is made of h (whose
    size is |x|·|W| + |B|) and y, so its rounding error is about 2·|h − y|·(|h| + |y|) ulps —
    far more than Loss itself when the line fits the data closely. Another model's: the values."""
    if problem.model != "linear":
        return abs(loss), lambda i, eps: abs(float(plus[i] if eps > 0 else minus[i]))
    X, y = problem.X, problem.y
    h_size = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1])
    r = problem.spec.predict(X, theta) - y

    def size(r, h_size) -> float:
        return float(np.mean(r * r + 2 * np.abs(r) * (h_size + np.abs(y))))

    def nudged(i: int, eps: float) -> float:
        moved = X[:, i] * eps if i < X.shape[1] else np.full_like(y, eps)
        return size(r + moved, h_size + np.abs(moved))
    return size(r, h_size), nudged
