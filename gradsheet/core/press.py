"""One button press that moves what it needs, not the whole workbook (issue 12).

`live.load` asks its grid for four things: the settings sheet, the block of single cells and
the parameter table, the data columns, and the history table. A press fetches exactly those,
each once, before it writes anything:

- the settings sheet, the block and the history table's first and last rows: O(parameters)
  cells however many data rows there are (the table's extent is in the book's metadata);
- the data columns: read once per session and kept here. A later press uses the kept copy
  only if the model on it gives the very Loss the book shows (its Loss cell, which Excel
  computed from the book's own data and W, B before the press), to CACHE_AGREEMENT: an
  edited data cell changes that Loss, and the press reads the data again. Nothing is ever
  read from cells a step writes: every number still comes from the model on the data.

All reads come first, all writes after them, and the writes go out together when the script
returns: so the press never needs to see its own writes, nor a recalculation inside the script
(xlwings Lite gives neither to a sync script). Reads are awaitables: in xlwings Lite
(`book: xw.BookAsync`) they are `await rng.get_value()` on demand; for a book whose values are
already at hand (classic xlwings' `Book.caller()`, xlwings' Book(json=...)) they are the grid's
plain reads, and `run_now` drives the press without an event loop.
"""

from __future__ import annotations

import sys

import numpy as np

from . import live as live_book

# The kept data is used when the model on it gives the book's own Loss this closely. Excel's and
# numpy's sums of the same squares differ by ~1e-14 relative (n·2⁻⁵³ ≈ 1e-11 at worst for 100k
# rows); a miss only costs one read of the data, an edit of a data cell shows far above this.
CACHE_AGREEMENT = 1e-12
# Reads at least this big are the data columns (the other reads are a few dozen cells).
DATA_CELLS = 1_000
# Cells per on-demand request: ~20 bytes of JSON each keeps a request far below the 5 MB
# Excel on the web allows.
CHUNK_CELLS = 100_000

_kept: dict[tuple, np.ndarray] = {}  # (book, sheet, row, col, nrows, ncols) -> the data read


def forget() -> None:
    """Drop the kept data (a fresh session)."""
    _kept.clear()


class _Missing(Exception):
    """live.load asked for something not fetched yet."""

    def __init__(self, key):
        super().__init__(key)
        self.key = key


class Fetched:
    """A live.Grid that answers live.load's reads from what the press fetched beforehand;
    metadata (sheet names, defined names) and writes go to the book's own grid."""

    def __init__(self, grid, book_name: str):
        self.grid, self.book_name = grid, book_name
        self.values: dict[tuple, object] = {}
        self.trust_kept = True
        self.used_kept: tuple | None = None
        self.history: tuple[int, int, int, int] | None = None  # body (row, col, nrows, ncols)
        self.history_whole = True  # False: only its first and last rows were read

    def sheet_names(self):
        return self.grid.sheet_names()

    def name_range(self, name):
        return self.grid.name_range(name)

    def write(self, sheet, row, col, values):
        self.grid.write(sheet, row, col, values)

    def resize_table(self, sheet, name, row, col, nrows, ncols):
        self.grid.resize_table(sheet, name, row, col, nrows, ncols)

    def read(self, sheet, row, col, nrows, ncols):
        key = ("read", sheet, row, col, nrows, ncols)
        if key in self.values:
            return self.values[key]
        kept = (self.book_name, sheet, row, col, nrows, ncols)
        if self.trust_kept and kept in _kept:
            self.used_kept = kept
            return _kept[kept]
        raise _Missing(key)

    def table_body(self, sheet, name):
        key = ("table", sheet, name)
        if key in self.values:
            return self.values[key]
        raise _Missing(key)


class Reads:
    """A press's reads: on demand (`await rng.get_value()`, xlwings Lite) or the grid's own."""

    def __init__(self, grid, book, on_demand: bool):
        self.grid, self.book, self.on_demand = grid, book, on_demand

    async def read(self, sheet, row, col, nrows, ncols):
        if not self.on_demand:
            return self.grid.read(sheet, row, col, nrows, ncols)
        rng = self.book.sheets[sheet].range((row + 1, col + 1), (row + nrows, col + ncols))
        if nrows * ncols < DATA_CELLS:
            return await rng.options(ndim=2).get_value()
        # The data columns: Excel's values as they come ("raw": a blank stays "", which the
        # numbers refuse like None), without xlwings' cleaning of every cell; in requests of
        # CHUNK_CELLS cells at most.
        return await rng.options("raw", chunksize=max(1, CHUNK_CELLS // ncols)).get_value()


def on_demand(book) -> bool:
    """Inside xlwings Lite (Pyodide) with an xlwings that reads on demand (>= 0.35)."""
    return sys.platform == "emscripten" and hasattr(book.sheets[0].range("A1"), "get_value")


async def load(grid, reads: Reads, book) -> tuple[live_book.Live, Fetched]:
    """live.load on the fetched reads: each fetched once, the data kept between presses."""
    got = Fetched(grid, book.name)
    while True:
        try:
            live = live_book.load(got)
        except _Missing as missing:
            await _fetch(got, reads, book, missing.key)
            continue
        if got.used_kept and not _agrees(live):
            _kept.pop(got.used_kept, None)  # the data changed (or the Loss cell): read it again
            got.trust_kept, got.used_kept = False, None
            continue
        return live, got


def _agrees(live: live_book.Live) -> bool:
    try:
        shown = float(live.book_loss)
    except (TypeError, ValueError):
        return False
    model = live.problem.loss(live.state.theta)
    return bool(np.isfinite(shown)) and abs(shown - model) <= CACHE_AGREEMENT * max(abs(model), 1e-300)


async def _fetch(got: Fetched, reads: Reads, book, key) -> None:
    if key[0] == "table":
        got.values[key] = await _history_ends(got, reads, book, key[1], key[2])
        return
    _, sheet, row, col, nrows, ncols = key
    values = await reads.read(sheet, row, col, nrows, ncols)
    if nrows * ncols >= DATA_CELLS:
        values = np.array(values, dtype=object)  # live.load indexes it like the rows it reads
        _kept.clear()  # one workbook's data at a time
        _kept[(got.book_name, sheet, row, col, nrows, ncols)] = values
    got.values[key] = values


async def _history_ends(got: Fetched, reads: Reads, book, sheet: str, name: str) -> list[list]:
    """The history table's first and last rows (what the steps use of it), from its extent in
    the book's metadata; the whole body when a row in between might be blank."""
    body = book.sheets[sheet].tables[name].data_body_range
    if body is None:
        return []
    row, col = body.row - 1, body.column - 1
    nrows, ncols = body.shape
    got.history = (row, col, nrows, ncols)
    first = await reads.read(sheet, row, col, 1, ncols)
    if nrows == 1:
        return first
    last = await reads.read(sheet, row + nrows - 1, col, 1, ncols)
    if _blank(first[0]) or _blank(last[0]):  # not the table gradsheet keeps: read it all
        return await reads.read(sheet, row, col, nrows, ncols)
    got.history_whole = False
    # the steps use the first row, the last and the count (the coach's: Adam's t against it)
    return first + first * (nrows - 2) + last


def _blank(row) -> bool:
    return all(v is None or v == "" for v in row[1:])


def save(grid, live: live_book.Live, new, note: str | None, got: Fetched) -> None:
    """live.save, writing the history from the table's end: the rows the steps added after
    the ones it holds, or, on reset, its rows cleared."""
    if got.history_whole:
        live_book.save(grid, live, new, note)
        return
    live_book.save_cells(grid, live, new, note)
    # rows pasted by hand under the table came with the load: the table holds them from now on
    _save_history(grid, live, live.state.history, new.history, max(got.history[2], len(live.state.history)))


def _save_history(grid, live: live_book.Live, old: np.ndarray, new: np.ndarray, held: int) -> None:
    """`old` is the table's first and last rows of the `held` it holds; the steps only ever
    append to it, or empty it (reset)."""
    lay = live.layout
    head, c0, _, c_last = lay.history_span
    ncols = c_last - c0 + 1
    if not len(new):
        grid.clear(lay.sheet, head + 1, c0, held, ncols)
        grid.resize_table(lay.sheet, "history", head, c0, 2, ncols)
        return
    if len(new) < len(old) or not np.array_equal(new[:len(old)], old):
        raise AssertionError("the steps changed history rows instead of appending to them")
    added = new[len(old):]
    if len(added):
        rows = live_book.history_cells(live, added, held)
        grid.write(lay.sheet, head + 1 + held, c0, rows)
        grid.resize_table(lay.sheet, "history", head, c0, held + len(added) + 1, ncols)


def run_now(coroutine):
    """Run a press whose reads never suspend (a book with its values at hand) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a read suspended: this book reads on demand, await the press instead")
