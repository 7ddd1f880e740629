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
from .core.settings import State, initial_theta
from .sheets.workbook import model_X, write as _write_book

CHUNK = 1000  # steps between progress updates


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
                         s.model, len(s.classes), book.exercise is not None, s.hidden, s.activation,
                         s.batches(book.dataset.n))


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
            _check_exercise(book, problem, needs(problem, book.state))
    elif check:
        steps.check_book(problem, book.state, book.book_loss)
    return book, problem, Path(out or path)


def write(target: Path, book: files.WorkbookFile, settings, state: State) -> Path:
    """The writer, keeping an exercise's blank cells and record as the file had them."""
    return _write_book(target, book.dataset, settings, state, book.exercise.kept if book.exercise else None)


def _check_exercise(book: files.WorkbookFile, problem: steps.Problem, names: list[str]) -> None:
    """steps.check_shown on the file. A formula with no stored value, the student's or the
    tool's (the file was last written by gradsheet, which stores none where a value reads the
    student's cells), cannot be checked and is taken as it is; an empty blank cell is refused."""
    ex, layout = book.exercise, book.layout

    def has_formula(name: str) -> bool:
        written = ex.kept.cells.get(layout.cell(name))
        return written is None or not written.empty  # None: not a blank, the tool's formula
    unknown = frozenset(name for name in names if ex.shown.get(name) is None and has_formula(name))
    steps.check_shown(problem, book.state, ex.shown, names, book.address, unknown)


def _localised(book: files.WorkbookFile, run: Callable):
    """A refused first step names the workbook's lr cell and the command that changes it."""
    try:
        return run()
    except steps.Diverged as e:
        raise steps.Diverged(e.divergence, book.address("lr"), str(book.path)) from None


def run_file(path, steps_count: int = 1, out=None,
             progress: Callable[[int], None] | None = None) -> Rewritten:
    """Run `steps_count` whole steps on the workbook at `path`; write to `out` (default: in place)."""
    book, problem, target = _open(path, out, needs=steps.whole_steps_read)
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
    book, problem, target = _open(path, out, needs=steps.action_reads)
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
    state = steps.reset(problem, seed)  # an exercise's prevLoss stays 0
    if seed is not None:
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
