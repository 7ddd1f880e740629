"""Steps on workbook files, without Excel: what `gradsheet step/run/next/reset/set` do.

Read the file, check its Loss against the model, step with the engine, rewrite it through
the writer (atomically). A refused step writes nothing, so the file stays byte-identical.

An exercise workbook (`gradsheet exercise`) is the student's work: the rewrite keeps every
blank cell as they wrote it and the hidden record as it was, and a command pastes only
values the student's own cells show (it is refused, in one line, while they are empty or
show something else), so no answer of the tool's ever lands in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .excel import files
from .core import steps
from .core.errors import GradsheetError
from .core.messages import Message
from .core.settings import State, initial_theta
from .sheets.values import evaluate
from .sheets.workbook import model_X, write as _write_book

CHUNK = 1000  # steps between progress updates
# An exercise's cell agrees with the model when they differ by less than this share of the
# size of the numbers the cell is made of: a spreadsheet and numpy differ by ~1e-16 of that (a
# file stores 15 to 17 digits); a real mistake by far more (the exact slope written for the
# numerical one differs by eps·L''/2: 1e-4 in grad_B on lemonade, ~1e-11 of its size).
SHOWN_RTOL = 1e-13


@dataclass(frozen=True)
class Rewritten:
    """What a command did to a workbook file: enough for the CLI to say it."""
    book: files.WorkbookFile  # the workbook as it was read
    state: State  # as it was written
    path: Path  # where it was written
    loss_before: float
    loss_after: float
    divergence: steps.Divergence | None = None
    action: int | None = None  # the hand action done (`next`)
    rise: steps.Rise | None = None  # steps written although Loss went up
    # Loss not to be printed: `reset` on an exercise, whose new Loss is an answer the student's
    # own Loss cell is there to compute
    loss_unsaid: bool = False


def problem_of(book: files.WorkbookFile) -> steps.Problem:
    s = book.settings
    return steps.Problem(model_X(book.dataset, s), book.dataset.y, s.lr, s.eps, s.diff, s.optimizer, s.hyper,
                         s.model, len(s.classes))


def _open(path, out, check: bool = True, needs: Callable | None = None
          ) -> tuple[files.WorkbookFile, steps.Problem, Path]:
    """Read the workbook and check it: its Loss against the model; on an exercise, instead, the
    cells `needs(problem, state)` names (the ones the command pastes from) against it."""
    book = files.read(path)  # first: its language is the one every message below speaks
    if out is not None:
        from .build import check_xlsx_name
        check_xlsx_name(Path(out))
    problem = problem_of(book)
    if book.exercise is not None:
        if needs is not None:
            check_shown(book, problem, needs(problem, book.state))
    elif check:
        steps.check_book(problem, book.state, book.book_loss)
    return book, problem, Path(out or path)


def write(target: Path, book: files.WorkbookFile, settings, state: State) -> Path:
    """The writer, keeping an exercise's blank cells and record as the file had them."""
    return _write_book(target, book.dataset, settings, state, book.exercise.kept if book.exercise else None)


# --- exercises: a command pastes only what the student's own cells show -------------------------

def whole_steps_need(problem: steps.Problem, state: State) -> list[str]:
    """A whole step pastes Loss (history, prevLoss), grad_P (dLoss_dP) and next_P (P)."""
    return ["Loss", *[f"grad_{p}" for p in problem.params], *[f"next_{p}" for p in problem.params]]


def action_needs(problem: steps.Problem, state: State) -> list[str]:
    """One hand action: 2 and 3 copy Loss, 4-2 pastes dLoss_dt (Loss − prevLoss over eps), 6
    pastes next_P; the others read only the cells a step writes."""
    kind = problem.actions()[state.action][1]
    if kind in ("copy_history", "copy_loss", "paste_slope"):
        return ["Loss"]
    return [f"next_{p}" for p in problem.params] if kind == "update" else []


def check_shown(book: files.WorkbookFile, problem: steps.Problem, names: list[str]) -> None:
    """Refuse, in one line naming each cell, a command that would paste a value the student's
    cells do not show: a blank cell still empty, one showing an error or text, or a number other
    than the model's for the file's data and inputs (within SHOWN_RTOL of its size). A formula
    with no stored value (the file was last written by gradsheet, which stores none in the
    student's cells) cannot be checked: it is taken as it is."""
    ex, layout = book.exercise, book.layout
    expected = _expected(book, problem)
    problems = []
    for name in names:
        at = book.address(name)
        written = ex.kept.cells.get(layout.cell(name))
        shown = ex.shown.get(name)
        if written is not None and written.empty:
            problems.append(Message("book.exercise_cell_empty", name=name, at=at))
        elif shown is None:
            continue
        elif isinstance(shown, bool) or not isinstance(shown, (int, float)):
            problems.append(Message("book.exercise_cell_shows", name=name, at=at, value=str(shown)))
        else:
            want, size = expected[name]
            if not abs(float(shown) - want) <= SHOWN_RTOL * size:
                problems.append(Message("book.exercise_cell_differs", name=name, at=at))
    if problems:
        raise GradsheetError("book.exercise_not_ready", cells=Joined(problems))


class Joined:
    """Messages joined by "; ", rendered in the language the whole line is."""

    def __init__(self, parts: list[Message]):
        self.parts = parts

    def render(self, lang: str | None = None) -> str:
        return "; ".join(part.render(lang) for part in self.parts)


def _expected(book: files.WorkbookFile, problem: steps.Problem) -> dict[str, tuple[float, float]]:
    """name -> (the model's value for the file's data and inputs, the size of the numbers it is
    made of: what its rounding error is relative to)."""
    s = book.settings
    v = evaluate(problem.X, problem.y, replace(s, blank=()), book.state)
    theta = np.asarray(book.state.theta, dtype=float)
    loss_size, nudged_size = _sizes(problem, theta, v)
    out = {"Loss": (v.loss, loss_size)}
    for i, p in enumerate(problem.params):
        if v.nudged_minus is not None:
            size = (nudged_size(i, s.eps) + nudged_size(i, -s.eps)) / (2 * s.eps)
        else:
            size = (nudged_size(i, s.eps) + loss_size) / s.eps
        out[f"grad_{p}"] = (float(v.grad[i]), size)
        out[f"next_{p}"] = (float(v.next[i]), abs(theta[i]) + abs(float(v.next[i]) - theta[i]))
    return out


def _sizes(problem: steps.Problem, theta: np.ndarray, v) -> tuple[float, Callable[[int, float], float]]:
    """The sizes of Loss and of Loss_P. The linear model's: each (h − y)² is made of h (whose
    size is |x|·|W| + |B|) and y, so its rounding error is about 2·|h − y|·(|h| + |y|) ulps — far
    more than Loss itself when the line fits the data closely. Another model's: the values."""
    if problem.model != "linear":
        return abs(v.loss), lambda i, eps: abs(float(v.nudged[i] if eps > 0 else v.nudged_minus[i]))
    X, y = problem.X, problem.y
    h_size = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1])
    r = problem.spec.predict(X, theta) - y

    def size(r, h_size) -> float:
        return float(np.mean(r * r + 2 * np.abs(r) * (h_size + np.abs(y))))

    def nudged(i: int, eps: float) -> float:
        moved = X[:, i] * eps if i < X.shape[1] else np.full_like(y, eps)
        return size(r + moved, h_size + np.abs(moved))
    return size(r, h_size), nudged


def _localised(book: files.WorkbookFile, run: Callable):
    """A refused first step names the workbook's lr cell and the command that changes it."""
    try:
        return run()
    except steps.Diverged as e:
        raise steps.Diverged(e.divergence, book.address("lr"), str(book.path)) from None


def run_file(path, steps_count: int = 1, out=None,
             progress: Callable[[int], None] | None = None) -> Rewritten:
    """Run `steps_count` whole steps on the workbook at `path`; write to `out` (default: in place)."""
    book, problem, target = _open(path, out, needs=whole_steps_need)
    state, done, divergence = book.state, 0, None
    while done < steps_count and divergence is None:
        try:
            outcome = steps.run(problem, state, min(CHUNK, steps_count - done))
        except steps.Diverged as e:
            if not done:  # nothing written: refused, naming the lr cell and the command
                raise steps.Diverged(e.divergence, book.address("lr"), str(book.path)) from None
            divergence = e.divergence  # a later chunk's first step: the steps before it are kept
            break
        state, done, divergence = outcome.state, done + outcome.steps, outcome.divergence
        if progress:
            progress(outcome.steps)
    if divergence is not None:  # in the words of the whole run, not of its last chunk
        divergence = steps.divergence(problem, book.state, state, done)
    write(target, book, book.settings, state)
    return Rewritten(book, state, target, problem.loss(book.state.theta), problem.loss(state.theta),
                     divergence, rise=steps.rise(problem, book.state, state))


def act_file(path, out=None) -> Rewritten:
    """One hand action (the 'next action' button)."""
    book, problem, target = _open(path, out, needs=action_needs)
    state = _localised(book, lambda: steps.act(problem, book.state))
    write(target, book, book.settings, state)
    return Rewritten(book, state, target, problem.loss(book.state.theta), problem.loss(state.theta),
                     action=book.state.action, rise=steps.rise(problem, book.state, state, whole_steps=False))


def reset_file(path, seed: int | None = None, out=None) -> Rewritten:
    """Step 1: fresh random W, B (seedable), history emptied. On an exercise prevLoss stays 0
    (as `gradsheet exercise` made it: the new Loss is the student's to compute) and `--seed`
    is refused (the seed belongs to the exercise's record)."""
    # Step 1 starts afresh from the data, so a damaged Loss cell needs no check.
    book, problem, target = _open(path, out, check=False)
    settings = book.settings
    if book.exercise is not None and seed is not None:
        raise GradsheetError("book.exercise_seed", path=book.path)
    state = steps.reset(problem, seed)
    if book.exercise is not None:
        state = replace(state, prev_loss=0.0)
    elif seed is not None:
        settings = replace(book.settings, seed=seed)
    write(target, book, settings, state)
    return Rewritten(book, state, target, problem.loss(book.state.theta), problem.loss(state.theta),
                     loss_unsaid=book.exercise is not None)


def set_file(path, out=None, *, lr: float | None = None, eps: float | None = None,
             seed: int | None = None) -> Rewritten:
    """Change settings in place, as a student would type them into the lr and eps cells.
    `seed` gives the initial value generator that seed's values (what step 1 copies into
    W, B; `reset` does that step); W, B and the history stay as they are. On an exercise
    `seed` is refused (it belongs to the exercise's record)."""
    book, problem, target = _open(path, out, needs=lambda problem, state: [])
    changes = {k: v for k, v in (("lr", lr), ("eps", eps), ("seed", seed)) if v is not None}
    if not changes:
        raise GradsheetError("book.nothing_set")
    if book.exercise is not None and seed is not None:
        raise GradsheetError("book.exercise_seed", path=book.path)
    settings = replace(book.settings, **changes)
    state = book.state
    if seed is not None:
        state = replace(state, init=initial_theta(book.dataset.k, seed, len(book.layout.params)))
    write(target, book, settings, state)
    new_problem = problem_of(replace(book, settings=settings))
    return Rewritten(replace(book, settings=settings), state, target,
                     problem.loss(state.theta), new_problem.loss(np.asarray(state.theta)))
