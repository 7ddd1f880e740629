"""The steps engine: the course's steps 1–6 on a State, with every number from the model.

Front-ends (the headless CLI on files, xlwings, LibreOffice in the tests) read a State
from their book, call these functions, and write the new State back. Nothing here reads a
cell: values come from the model on the data, never from cells a step just wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import descent
from . import models
from . import procedure
from .errors import GradsheetError
from .texts import MESSAGES
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

    @property
    def k(self) -> int:
        return self.X.shape[1]

    @property
    def spec(self) -> models.Model:
        return models.model_spec(self.model, self.classes)

    @property
    def params(self) -> list[str]:
        return param_names(self.k, self.model, self.classes)

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


@dataclass(frozen=True)
class Divergence:
    """A descent stopped before a step that would diverge: the front-end words it (in the
    workbook's language, naming the lr cell and, on the command line, the command)."""
    lr: float
    done: int  # whole steps kept before it
    suggestion: float  # a learning rate below the stable limit

    def message(self, lang: str = "en", cell: str = "lr", command_file: str | None = None) -> str:
        texts = MESSAGES.get(lang, MESSAGES["en"])
        fields = {"lr": self.lr, "done": self.done, "suggestion": self.suggestion,
                  "cell": cell, "file": command_file}
        text = texts["diverged"].format(**fields)
        return text + (texts["diverged_command"].format(**fields) if command_file else "")


class Diverged(GradsheetError):
    """Raised when not even one step could be taken without diverging."""
    exit_code = 1

    def __init__(self, divergence: Divergence, text: str | None = None):
        super().__init__(text or divergence.message())
        self.divergence = divergence


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
        raise GradsheetError(f"the workbook's Loss cell holds {book_loss!r}, not a number; "
                             "its formulas may be damaged or not calculated") from None
    if not np.isclose(got, expected, rtol=LOSS_AGREEMENT, atol=1e-12):
        raise GradsheetError(f"the workbook's Loss ({got:.12g}) disagrees with the model "
                             f"({expected:.12g}) for its data and W, B: its formulas or data were damaged")


def divergence(problem: Problem, done: int) -> Divergence:
    """What to suggest instead: below the curvature's limit for gd (momentum's is 2(1+beta)/
    curvature); RMSprop and Adam step by about lr whatever the slope, so a tenth of it."""
    limit = models.stable_lr_for(problem.X, problem.optimizer, problem.hyper["beta"], problem.model)
    suggestion = models.round_below(problem.lr / 10) if limit is None else models.suggest_lr(problem.X, limit)
    return Divergence(problem.lr, done, suggestion)


def _limit(problem: Problem, state: State) -> float:
    first = state.history[0, -1] if len(state.history) else problem.loss(state.theta)
    return models.loss_limit(problem.y, float(first))


# --- the course's hand actions, one at a time ------------------------------------------
def act(problem: Problem, state: State) -> State:
    """Do the single next hand action (2, 3, 4-1, …, 6) and point to the one after."""
    code, kind, p = problem.actions()[state.action]
    theta, history = state.theta.copy(), state.history
    prev, dloss, slots, t = state.prev_loss, state.dloss.copy(), state.slots, state.t
    if kind == "copy_history":  # 2: W, B, Loss into history
        row = np.append(theta, problem.loss(theta))
        history = np.vstack([history.reshape(-1, theta.size + 1), row])
    elif kind == "copy_loss":  # 3: Loss into prevLoss
        prev = problem.loss(theta)
    elif kind == "nudge":  # 4-1: P + eps, so the sheet's dLoss_dt shows the slope
        theta[p] += problem.eps
    elif kind == "paste_slope":  # 4-2: the value of dLoss_dt into dLoss_dP
        dloss[p] = (problem.loss(theta) - prev) / problem.eps
    elif kind == "restore":  # 4-3: P exactly as saved in history by action 2
        if not len(history):
            name = problem.params[p]
            raise GradsheetError(f"action {code}: history is empty, so there is no saved value "
                                 f"of {name} to restore (start the step with action 2)")
        theta[p] = history[-1, p]
    elif kind == "update":  # 6: next values into W, B
        theta = problem.update(state)[0]
        if models.diverged(problem.loss(theta), theta, _limit(problem, state)):
            raise Diverged(divergence(problem, 0))
    else:  # 7 (momentum, RMSprop, Adam): the next state into vel / sq / m (and t + 1)
        _, slots, t = problem.update(state)
    nxt = (state.action + 1) % len(problem.actions())
    return replace(state, theta=theta, history=history, prev_loss=prev, dloss=dloss, action=nxt,
                   slots=slots, t=t)


# --- whole steps ---------------------------------------------------------------------
def run(problem: Problem, state: State, steps: int = 1) -> Outcome:
    """`steps` whole steps (2–6). A step half-done by hand is finished first, action by
    action, and counts as the first. Stops before a diverging step is written."""
    if steps < 1:
        raise GradsheetError(f"the number of steps must be at least 1, got {steps}")
    done = 0
    if state.action:
        while state.action:
            state = act(problem, state)
        done = 1
    if done == steps:
        return Outcome(state, done)
    with np.errstate(over="ignore", invalid="ignore"):
        d = descent.descend(problem.X, problem.y, state.theta, problem.lr, problem.eps,
                            steps - done, problem.diff, limit=_limit(problem, state),
                            optimizer=problem.rule, hyper=problem.hyper, slots=state.slots, t=state.t,
                            model=problem.spec)
    done += len(d.history)
    if len(d.history):
        state = replace(state, theta=d.theta, dloss=d.gradients, prev_loss=float(d.history[-1, -1]),
                        slots=d.slots, t=d.t,
                        history=np.vstack([state.history.reshape(-1, d.history.shape[1]), d.history]))
    if d.stopped:
        if done == 0:
            raise Diverged(divergence(problem, 0))
        return Outcome(state, done, divergence(problem, done))
    return Outcome(state, done)


def reset(problem: Problem, seed: int | None = None, theta: np.ndarray | None = None) -> State:
    """Step 1: fresh random parameters (seedable; or the generator's values `theta`),
    history emptied, prevLoss = the new Loss, nothing pasted."""
    start = (initial_theta(problem.k, seed, len(problem.params)) if theta is None
             else np.asarray(theta, dtype=float))
    return State.fresh(start, problem.loss(start), problem.optimizer)
