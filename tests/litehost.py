"""Run a workbook's main.py script the way xlwings Lite does, on CPython, and count what
Office.js would carry.

Lite calls `custom_scripts_call(module, name, typehint_to_value={xw.Book: book})` with a
book built by `xw.Book(json=...)` from what Office.js sent:
- a sync script (`book: xw.Book`) gets every value of the sheets it loads (all sheets unless
  `@script(include=/exclude=)`; the others come with their structure but no values);
- an async script (`book: xw.BookAsync`, `__xlscript__["lazy"]`) gets the structure only
  (names, tables, sheet names) and reads values on demand through `js.xlwings.getRangeValues`.

Outside Pyodide xlwings refuses on-demand reads (they go through the `js` bridge), so
`lite_session` stands in for that bridge, the way xlwings' own tests/test_async_load.py does:
sys.platform reads "emscripten" and a fake `js` / `pyodide.ffi` answer from the book json.
Its runActions refuses: a gradsheet press must never flush writes before it has read.

Tests and benchmarks only: the remote engine is xlwings PRO code, licensed noncommercially here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace

from jsonbook import xw  # noqa: F401  (sets the test licence before xlwings loads)
from openpyxl.utils import range_boundaries
from xlwings.pro.udfs_officejs import custom_scripts_call


@dataclass
class Press:
    """One script run: bytes each way (JSON as Office.js carries it), Python seconds, actions."""
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    actions: list = field(default_factory=list)
    reads: list = field(default_factory=list)  # (sheet, address, cells) of each on-demand read
    excel_seconds: float = 0.0  # spent in the stand-in for Excel, left out of `seconds`


def nbytes(obj) -> int:
    return len(json.dumps(obj, default=str, separators=(",", ":")).encode("utf-8"))


def payload(data: dict, meta: dict) -> dict:
    """What Office.js sends for a script with this metadata: all values, those of the
    included sheets only, or none at all (async)."""
    out = copy.copy(data)
    sheets = []
    include, exclude = _names(meta.get("include")), _names(meta.get("exclude"))
    for sheet in data["sheets"]:
        loaded = not meta.get("lazy") and (include is None or sheet["name"] in include) \
            and (exclude is None or sheet["name"] not in exclude)
        sheets.append(sheet if loaded else {**sheet, "values": [[]]})
    out["sheets"] = sheets
    return out


def _names(value):
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class _FakeJs:
    """js.xlwings as Lite provides it, answering from the book json's values."""

    def __init__(self, data: dict, press: Press):
        self.data, self.press = data, press

    async def getRangeValues(self, sheet_name, address):  # noqa: N802 (Lite's name)
        start = time.perf_counter()  # Excel's side (and the byte count): not Python's seconds
        values = next(s for s in self.data["sheets"] if s["name"] == sheet_name)["values"]
        c1, r1, c2, r2 = range_boundaries(address.replace("$", ""))
        width = max(len(values[0]), c2) if values else c2
        rows = []
        for r in range(r1 - 1, r2):
            row = values[r] if r < len(values) else []
            row = list(row) + [""] * (width - len(row))
            rows.append(row[c1 - 1:c2])
        self.press.bytes_in += nbytes(rows)
        self.press.reads.append((sheet_name, address, (r2 - r1 + 1) * (c2 - c1 + 1)))
        # Pyodide's to_py() (JS array -> Python lists) is left out, as the payload's is
        self.press.excel_seconds += time.perf_counter() - start
        return SimpleNamespace(to_py=lambda: rows)

    async def runActions(self, actions):  # noqa: N802
        raise AssertionError("the script flushed its writes before returning (a read after a write)")


@contextlib.contextmanager
def lite_session(data: dict, press: Press):
    """sys.platform, js and pyodide.ffi as inside Pyodide, for on-demand reads."""
    js = ModuleType("js")
    js.xlwings = _FakeJs(data, press)
    js.Object = SimpleNamespace(fromEntries=lambda x: x)
    pyodide, ffi = ModuleType("pyodide"), ModuleType("pyodide.ffi")
    ffi.to_js = lambda obj, dict_converter=None: obj
    pyodide.ffi = ffi
    saved_platform = sys.platform
    saved = {name: sys.modules.get(name) for name in ("js", "pyodide", "pyodide.ffi")}
    sys.platform = "emscripten"
    sys.modules.update({"js": js, "pyodide": pyodide, "pyodide.ffi": ffi})
    try:
        yield
    finally:
        sys.platform = saved_platform
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load_main(source: str, name: str = "main") -> ModuleType:
    """A workbook's main.py as a module (it brings its own gradsheet engine)."""
    import xlwings
    from xlwings.server import script  # what `from xlwings import script` gives inside Lite
    module = ModuleType(name)
    saved, xlwings.script = xlwings.script, script
    try:
        exec(compile(source, "main.py", "exec"), module.__dict__)
    finally:
        xlwings.script = saved
    return module


def run_script(main: ModuleType, script: str, data: dict, args=None) -> Press:
    """One press as Lite runs it: the payload for the script's metadata, xw.Book(json=...),
    custom_scripts_call awaited, book.json()'s actions. Seconds cover Python only (from the
    book's construction to the actions): not the JSON encoding on either side, nor Pyodide's
    conversion of the JS values into Python lists (for the payload as for on-demand reads),
    nor the stand-in's own slicing of the values."""
    import xlwings as xw
    meta = getattr(main, script).__xlscript__
    sent = payload(data, meta)
    press = Press(bytes_in=nbytes(sent))
    sent = copy.deepcopy(sent)  # as Pyodide's to_py() would hand over a fresh structure
    with lite_session(data, press):
        start = time.perf_counter()
        book = xw.Book(json=sent)
        asyncio.run(custom_scripts_call(main, script, typehint_to_value={xw.Book: book}, args=args or []))
        actions = book.json()["actions"]
        press.seconds = time.perf_counter() - start - press.excel_seconds
    press.actions = actions
    press.bytes_out = nbytes(actions)
    return press
