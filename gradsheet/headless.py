"""Steps on workbook files, without Excel: what `gradsheet step/run/reset` do.

Read the file, check its Loss against the model, step with the engine, rewrite it through
the writer (atomically). A refused step writes nothing, so the file stays byte-identical.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from . import files, steps
from .settings import State
from .writer import model_X, write

CHUNK = 1000  # steps between progress updates


def problem_of(book: files.WorkbookFile) -> steps.Problem:
    s = book.settings
    return steps.Problem(model_X(book.dataset, s), book.dataset.y, s.lr, s.eps, s.diff)


def run_file(path, steps_count: int = 1, out=None,
             progress: Callable[[int], None] | None = None) -> tuple[files.WorkbookFile, steps.Outcome]:
    """Run `steps_count` whole steps on the workbook at `path`; write to `out` (default: in place)."""
    book = files.read(path)
    problem = problem_of(book)
    steps.check_book(problem, book.state, book.book_loss)
    state, done, warning = book.state, 0, None
    while done < steps_count and warning is None:
        outcome = steps.run(problem, state, min(CHUNK, steps_count - done))
        state, done, warning = outcome.state, done + outcome.steps, outcome.warning
        if progress:
            progress(outcome.steps)
    write(out or path, book.dataset, book.settings, state)
    return book, steps.Outcome(state, done, warning)


def act_file(path, out=None) -> tuple[files.WorkbookFile, State, int]:
    """One hand action (the 'next action' button); returns the index of the action done."""
    book = files.read(path)
    problem = problem_of(book)
    steps.check_book(problem, book.state, book.book_loss)
    state = steps.act(problem, book.state)
    write(out or path, book.dataset, book.settings, state)
    return book, state, book.state.action


def reset_file(path, seed: int | None = None, out=None) -> tuple[files.WorkbookFile, State]:
    """Step 1: fresh random W, B (seedable), history emptied."""
    book = files.read(path)
    state = steps.reset(problem_of(book), seed)
    settings = book.settings if seed is None else replace(book.settings, seed=seed)
    write(out or path, book.dataset, settings, state)
    return book, state
