"""The buttons: xlwings front-end of the steps engine.

    reset(book, seed=None)      course step 1
    one_step(book)              steps 2–6 (finishes a step begun by hand)
    run_steps(book, steps=10)   that N times, written back in one batch
    next_action(book)           one hand action: 2, 3, 4-1, 4-2, 4-3, 5-1, 5-2, 5-3, 6

    await one_step_async(book)  and the same for the others: xlwings Lite's scripts

`book` is an xlwings Book: `xw.Book.caller()` in classic xlwings (the GradSheet ribbon
add-in), or the Book that xlwings Lite / Server pass to a script. Inside xlwings Lite the
workbook carries this module and the engine it needs as its own main.py (see lite_main),
so no gradsheet package is installed there; its scripts take `book: xw.BookAsync` and await
the *_async twins, which read only the cells they need (core/press.py). A call reads and
writes a constant number of ranges, however many steps it runs.
"""

from __future__ import annotations

from . import live as live_book
from . import press
from . import steps
from .errors import GradsheetError
from .messages import say


class XlwingsGrid:
    """book.Grid over an xlwings Book; counts its range reads and writes."""

    def __init__(self, xw_book):
        self.book = xw_book
        self.reads = 0
        self.writes = 0

    def _sheet(self, name):
        return self.book.sheets[name]

    def sheet_names(self):
        return [sheet.name for sheet in self.book.sheets]

    def read(self, sheet, row, col, nrows, ncols):
        self.reads += 1
        rng = self._sheet(sheet).range((row + 1, col + 1), (row + nrows, col + ncols))
        return rng.options(ndim=2).value

    def write(self, sheet, row, col, values):
        self.writes += 1
        self._sheet(sheet).range((row + 1, col + 1)).value = values

    def table_body(self, sheet, name):
        self.reads += 1
        body = self._sheet(sheet).tables[name].data_body_range
        return body.options(ndim=2).value if body is not None else []

    def resize_table(self, sheet, name, row, col, nrows, ncols):
        # One setValues below the body plus resizeTable is what Excel (Office.js) applies
        # reliably; table.rows.add is not (see the issue 3 note).
        self.writes += 1
        ws = self._sheet(sheet)
        ws.tables[name].resize(ws.range((row + 1, col + 1), (row + nrows, col + ncols)))

    def clear(self, sheet, row, col, nrows, ncols):
        self.writes += 1
        self._sheet(sheet).range((row + 1, col + 1), (row + nrows, col + ncols)).clear_contents()

    def name_range(self, name):
        try:
            rng = self.book.names[name].refers_to_range
        except Exception:  # xlwings raises different errors per engine for a missing name
            return None
        return rng.sheet.name, rng.row - 1, rng.column - 1, rng.shape[0], rng.shape[1]


def _drive(xw_book, change, check=steps.whole_steps_read) -> str:
    """A press on a book whose values are at hand (classic xlwings, a Lite book with its values
    loaded): the same press, its reads never waiting."""
    return press.run_now(_press(xw_book, change, check, on_demand=False))


async def _press(xw_book, change, check, on_demand: bool) -> str:
    """Load the live state, check it, apply `change(problem, state)`, write back.
    `check`: None (step 1 starts afresh from the data), or what the change pastes from,
    `check(problem, state)` -> cell names: on an exercise those cells are the student's and
    must show the model's values (steps.check_shown); on another book its Loss must.
    Returns the line a front-end shows; problems go to the status cell, not a traceback.
    Everything it says is in the workbook's language, as the command line says it, with the
    lr cell where the command line names the command."""
    grid = XlwingsGrid(xw_book)
    live, fetched = await press.load(grid, press.Reads(grid, xw_book, on_demand), xw_book)
    lay = live.layout
    lr_cell = f"{lay.sheet}!{lay.a1('lr').replace('$', '')}"
    try:
        if check and live.problem.exercise:
            steps.check_shown(live.problem, live.state, live.shown, check(live.problem, live.state),
                              lambda name: f"{lay.sheet}!{lay.a1(name).replace('$', '')}")
        elif check:
            steps.check_book(live.problem, live.state, live.book_loss)
        new, divergence, rise = change(live.problem, live.state)
    except GradsheetError as e:
        if isinstance(e, steps.Diverged):
            e = steps.Diverged(e.divergence, lr_cell)
        text = e.render(live.lang)
        r, c = live.layout.button_note
        grid.write(live.layout.sheet, r, c, [[say("addin.status", live.lang, text=text)]])
        return text
    said = divergence or rise
    note = said.message(live.lang, lr_cell) if said else None
    press.save(grid, live, new, note, fetched)
    return note or "ok"


def _run(steps_wanted):
    def change(problem, state):
        outcome = steps_run(problem, state, int(steps_wanted))
        return outcome.state, outcome.divergence, steps.rise(problem, state, outcome.state)
    return change


def _act(problem, state):
    new = steps.act(problem, state)
    return new, None, steps.rise(problem, state, new, whole_steps=False)


def _reset(seed):
    return lambda problem, state: (steps.reset(problem, seed), None, None)


def one_step(book) -> str:
    return run_steps(book, 1)


def run_steps(book, steps: int = 10) -> str:
    return _drive(book, _run(steps))


def next_action(book) -> str:
    return _drive(book, _act, steps.action_reads)


def reset(book, seed: int | None = None) -> str:
    # Step 1 starts afresh from the data, so a damaged Loss cell needs no check.
    return _drive(book, _reset(seed), check=None)


async def one_step_async(book) -> str:
    return await run_steps_async(book, 1)


async def run_steps_async(book, steps: int = 10) -> str:
    return await _press(book, _run(steps), steps_module.whole_steps_read, press.on_demand(book))


async def next_action_async(book) -> str:
    return await _press(book, _act, steps_module.action_reads, press.on_demand(book))


async def reset_async(book, seed: int | None = None) -> str:
    return await _press(book, _reset(seed), None, press.on_demand(book))


steps_run = steps.run  # run_steps' parameter is named like the task pane field "steps"
steps_module = steps  # likewise: `steps` is a parameter's name in run_steps_async
