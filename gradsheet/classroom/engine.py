"""Recalculate workbooks in a real LibreOffice Calc, driven over UNO: the tests' proofs and
`gradsheet grade` use this one driver (tests/libreoffice.py re-exports it).

Neither a test nor the grader may believe the values a writer (XlsxWriter, or a student's
spreadsheet) stored next to its formulas. So:

* the private profile sets ``OOXMLRecalcMode`` (Tools > Options > Calc >
  Formula > "Recalculation on file load", Excel 2007 and newer) to 0 = always.
  LibreOffice's shipped default is 1 = never: on load it keeps each formula's
  cached ``<v>`` and only recalculates cells whose cached value is missing (or,
  in recent versions, a document whose every result is 0). XlsxWriter stores
  0 by default, or whatever ``value=`` it was given, so a wrong cached value
  would otherwise survive a plain load;
* ``Doc.recalc()`` calls ``XCalculatable.calculateAll()``, which is
  ``ScDocShell::DoHardRecalc()`` (Ctrl+Shift+F9): every formula cell is marked
  dirty and recalculated, whatever the load setting was.

Tests should still call ``recalc()`` before reading; the load setting is the
second belt. ``tests/test_libreoffice_harness.py`` proves both.

Importing ``uno`` needs Debian's ``python3-uno``: ``uno.py`` lives in
``/usr/lib/python3/dist-packages`` and ``pyuno.so`` in the LibreOffice program
dir. Both are *appended* to ``sys.path`` so pip-installed packages (numpy ...)
keep precedence over Debian's copies; pyuno is ABI-compatible because
Debian's python3 and ours are both 3.11.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..core.messages import Message

UNO_PATHS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")
XLSX_FILTER = "Calc Office Open XML"
# The import filter by file suffix: a submission is opened as what its name says, never guessed
# by LibreOffice's type detection (which would import any text as a CSV table).
FILTERS = {".xlsx": XLSX_FILTER, ".xlsm": XLSX_FILTER, ".ods": "calc8"}
XCU_PATH = "/org.openoffice.Office.Calc/Formula/Load"
_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="{path}"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


class LibreOfficeUnavailable(RuntimeError):
    """soffice or the python uno bridge is not installed (tests skip, CI fails)."""


@dataclass(frozen=True)
class CellError:
    """Marker for a cell whose formula evaluated to an error. Never equals a number."""

    where: str  # "$Sheet1.$B$2"
    code: int  # FormulaError code, e.g. 525
    text: str  # as Calc shows it: "#NAME?", "Err:508", "#DIV/0!"


class FormulaErrors(AssertionError):
    """Raised when a read touches error cells, so errors can't pass as values."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        super().__init__(", ".join(f"{e.where}={e.text} ({e.code})" for e in errors))


class TableRef(NamedTuple):
    """Where an Excel table (imported as a database range) sits; 0-based, inclusive,
    header row included, i.e. the same numbers as XlsxWriter's add_table()."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int


def import_uno():
    """Import and return the ``uno`` module, or raise LibreOfficeUnavailable."""
    for p in UNO_PATHS:
        if p not in sys.path:
            sys.path.append(p)  # append: never shadow pip packages
    try:
        import uno  # noqa: F401
        import unohelper  # noqa: F401  (registers the com.sun.star import hook users)
    except ImportError as exc:
        raise LibreOfficeUnavailable(Message("grade.no_uno", error=exc)) from exc
    return uno


def _props(**kw):
    import uno
    return tuple(uno.createUnoStruct("com.sun.star.beans.PropertyValue", k, 0, v, 0)
                 for k, v in kw.items())


class LibreOffice:
    """One headless soffice with a throw-away profile, reachable over a UNO pipe."""

    def __init__(self, soffice: str = "soffice", timeout: float = 60.0, ooxml_recalc_mode: int = 0):
        self.soffice, self.timeout, self.ooxml_recalc_mode = soffice, timeout, ooxml_recalc_mode
        self.proc: subprocess.Popen | None = None
        self.tmpdir: str | None = None
        self.desktop = None
        self._docs: list[Doc] = []

    def __enter__(self) -> "LibreOffice":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        uno = import_uno()
        exe = shutil.which(self.soffice)
        if exe is None:
            raise LibreOfficeUnavailable(Message("grade.no_soffice", program=repr(self.soffice)))
        self.tmpdir = tempfile.mkdtemp(prefix="gradsheet-lo-")
        profile = Path(self.tmpdir, "profile")
        # Pre-seeding the user config is the documented way to set options for a
        # fresh profile; soffice keeps it when it creates the rest of the profile.
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(
            _XCU.format(path=XCU_PATH, mode=int(self.ooxml_recalc_mode)))
        pipe = f"gradsheet_{os.getpid()}_{uuid.uuid4().hex[:8]}"  # pipe: no port clashes
        self._log = open(Path(self.tmpdir, "soffice.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                [exe, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                 "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
                 f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True)  # own process group: soffice -> oosplash -> soffice.bin
            self.ctx = self._connect(uno, pipe)
            self.desktop = self.ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", self.ctx)
        except BaseException:
            self.stop()
            raise

    def _connect(self, uno, pipe: str):
        from com.sun.star.connection import NoConnectException
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + self.timeout
        while True:  # the first start also creates the profile: a few seconds
            try:
                return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            except NoConnectException:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"soffice exited with {self.proc.returncode}: {self._log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no UNO connection after {self.timeout}s: {self._log_tail()}")
                time.sleep(0.1)

    def _log_tail(self) -> str:
        try:
            return Path(self.tmpdir, "soffice.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """End soffice at once (a hung engine): the UNO call waiting on it fails, and stop()
        then cleans up. Safe to call from another thread."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        for doc in list(self._docs):
            doc.close()
        asked = self.desktop is not None
        if asked:
            try:
                self.desktop.terminate()
            except Exception:  # the bridge dies under us as soffice quits: expected
                pass
            self.desktop = None
        if self.proc is not None:
            try:  # never connected (start failed): don't wait for a quit nobody asked for
                self.proc.wait(timeout=20 if asked else 0.5)
            except subprocess.TimeoutExpired:
                # SIGTERM first so oosplash can reap soffice.bin (no zombies), then force.
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(self.proc.pid, sig)
                        self.proc.wait(timeout=10)
                        break
                    except ProcessLookupError:
                        break
                    except subprocess.TimeoutExpired:
                        continue
            self.proc = None
        if self.tmpdir is not None:
            self._log.close()
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def ooxml_recalc_mode_in_effect(self) -> int:
        """Read OOXMLRecalcMode back from the running soffice (proves the .xcu was used)."""
        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx)
        access = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationAccess", _props(nodepath=XCU_PATH))
        return access.getPropertyValue("OOXMLRecalcMode")

    def open(self, path: str | os.PathLike) -> "Doc":
        """Load a workbook without running its macros (MacroExecutionMode NEVER_EXECUTE) or
        updating its links (UpdateDocMode NO_UPDATE): submissions are untrusted."""
        import uno
        url = uno.systemPathToFileUrl(str(Path(path).resolve()))
        filter_name = FILTERS.get(Path(path).suffix.lower(), XLSX_FILTER)
        model = self.desktop.loadComponentFromURL(
            url, "_blank", 0, _props(Hidden=True, FilterName=filter_name,
                                     MacroExecutionMode=0, UpdateDocMode=0))  # never run/update
        if model is None:
            raise RuntimeError(f"LibreOffice could not load {path}")
        doc = Doc(model, self)
        self._docs.append(doc)
        return doc


class Doc:
    """A loaded spreadsheet. Read values only after recalc()."""

    def __init__(self, model, lo: LibreOffice):
        self.model, self._lo = model, lo

    # -- calculation ------------------------------------------------------
    def recalc(self) -> None:
        self.model.calculateAll()  # hard recalc: every formula dirty, recomputed

    def time_recalc(self, repeat: int = 5) -> list[float]:
        """Wall seconds per calculateAll() (includes one UNO round trip, ~0.1 ms)."""
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            self.model.calculateAll()
            times.append(time.perf_counter() - t0)
        return times

    # -- structure --------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self.model.Sheets.ElementNames)

    def names(self) -> list[str]:
        """Workbook-scope defined names (sheet-scope ones live on each sheet)."""
        return list(self.model.NamedRanges.ElementNames)

    def database_ranges(self) -> dict[str, TableRef]:
        """Excel tables (ListObjects) import as named database ranges, keyed by the
        table's name; autofilters without a table show up as __Anonymous_Sheet_DB__N."""
        out = {}
        for name in self.model.DatabaseRanges.ElementNames:
            a = self.model.DatabaseRanges.getByName(name).DataArea
            out[name] = TableRef(self.sheet_names()[a.Sheet], a.StartRow, a.StartColumn,
                                 a.EndRow, a.EndColumn)
        return out

    def table(self, name: str) -> TableRef:
        ranges = self.database_ranges()
        if name not in ranges:
            raise KeyError(f"no table {name!r}; database ranges: {sorted(ranges)}")
        return ranges[name]

    def table_values(self, name: str) -> tuple[list, list[list]]:
        """(header, data rows) of a table, after the usual error check."""
        t = self.table(name)
        rng = self.model.Sheets.getByName(t.sheet).getCellRangeByPosition(
            t.first_col, t.first_row, t.last_col, t.last_row)
        rows = _read(rng, True)
        return rows[0], rows[1:]

    # -- values -----------------------------------------------------------
    def _named_range(self, name: str):
        if not self.model.NamedRanges.hasByName(name):
            raise KeyError(f"no workbook-scope name {name!r}; have {self.names()}")
        rng = self.model.NamedRanges.getByName(name).getReferredCells()
        if rng is None:  # a constant/formula name, not a reference
            raise ValueError(f"name {name!r} does not refer to cells")
        return rng

    def named(self, name: str, strict: bool = True) -> Any:
        """float/str for one cell, flat list for one row/column, else list of rows.
        Empty cells are None. Error cells raise FormulaErrors (strict) or come
        back as CellError markers."""
        return _shape(_read(self._named_range(name), strict))

    def set_named(self, name: str, value: Any) -> None:
        _write(self._named_range(name), value)

    def cell(self, sheet: str, ref: str, strict: bool = True) -> Any:
        """Value of one cell or a range such as "A1:B3" (shaped like named())."""
        return _shape(_read(self.model.Sheets.getByName(sheet).getCellRangeByName(ref), strict))

    def set_cell(self, sheet: str, ref: str, value: Any) -> None:
        _write(self.model.Sheets.getByName(sheet).getCellRangeByName(ref), value)

    def formula(self, sheet: str, ref: str) -> str:
        """Formula as Calc's API gives it: English names, ';' between arguments,
        e.g. '=SUMPRODUCT(x;y)'. '' for a non-formula cell."""
        cell = self.model.Sheets.getByName(sheet).getCellRangeByName(ref)
        return cell.getFormula() if cell.getType().value == "FORMULA" else ""

    # -- output -----------------------------------------------------------
    def save_xlsx(self, path: str | os.PathLike) -> None:
        import uno
        url = uno.systemPathToFileUrl(str(Path(path).resolve()))
        self.model.storeToURL(url, _props(FilterName=XLSX_FILTER, Overwrite=True))

    def sheet_pdf(self, sheet: str, pdf: str | os.PathLike) -> None:
        """Only `sheet` printed to `pdf` with its own print setup (scale, page breaks): its used
        area and a margin of empty cells (notes run on over them, charts reach below the last row)."""
        import uno
        ws = self.model.Sheets.getByName(sheet)
        cursor = ws.createCursor()
        cursor.gotoEndOfUsedArea(False)
        end = cursor.RangeAddress
        cells = ws.getCellRangeByPosition(0, 0, end.EndColumn + 20, end.EndRow + 30)
        options = uno.Any("[]com.sun.star.beans.PropertyValue", _props(Selection=cells))
        self.model.storeToURL(Path(pdf).resolve().as_uri(), _props(FilterName="calc_pdf_Export", FilterData=options))

    def close(self) -> None:
        if self.model is not None:
            try:
                self.model.close(True)
            except Exception:  # CloseVetoException: fall back to a hard dispose
                try:
                    self.model.dispose()
                except Exception:  # the engine is gone (killed): nothing left to close
                    pass
            self.model = None
        if self in self._lo._docs:
            self._lo._docs.remove(self)

    def __enter__(self) -> "Doc":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read(rng, strict: bool) -> list[list]:
    """Rows of values: one getDataArray() plus two cell queries, not a call per cell."""
    from com.sun.star.sheet.CellFlags import VALUE, STRING, FORMULA
    from com.sun.star.sheet.FormulaResult import ERROR
    rows = [list(r) for r in rng.getDataArray()]  # empty cells come back as ""
    a0 = rng.getRangeAddress()

    def cells(ranges):
        for a in ranges.getRangeAddresses():
            for r in range(a.StartRow, a.EndRow + 1):
                for c in range(a.StartColumn, a.EndColumn + 1):
                    yield r - a0.StartRow, c - a0.StartColumn

    filled = set(cells(rng.queryContentCells(VALUE | STRING | FORMULA)))
    for r, row in enumerate(rows):
        for c in range(len(row)):
            if (r, c) not in filled:
                row[c] = None
    errors = []
    for r, c in cells(rng.queryFormulaCells(ERROR)):
        cell = rng.getCellByPosition(c, r)
        rows[r][c] = CellError(cell.AbsoluteName, cell.getError(), cell.getString())
        errors.append(rows[r][c])
    if errors and strict:
        raise FormulaErrors(errors)
    return rows


def _shape(rows: list[list]) -> Any:
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows) == 1:
        return rows[0]
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    return rows


def _write(rng, value: Any) -> None:
    a = rng.getRangeAddress()
    nrows, ncols = a.EndRow - a.StartRow + 1, a.EndColumn - a.StartColumn + 1
    if not isinstance(value, (list, tuple)):
        value = [[value]]
    elif not isinstance(value[0], (list, tuple)):  # 1-D: fit a row or a column
        value = [list(value)] if nrows == 1 else [[v] for v in value]
    if (len(value), len(value[0])) != (nrows, ncols):
        raise ValueError(f"value is {len(value)}x{len(value[0])}, range is {nrows}x{ncols}")
    rng.setDataArray(tuple(tuple(v if isinstance(v, str) else float(v) for v in row)
                           for row in value))


def recalculated_names(path: str | os.PathLike, names, lo: LibreOffice | None = None) -> dict:
    """One shot: open, hard-recalc, read the given defined names, close."""
    if lo is None:
        with LibreOffice() as own:
            return recalculated_names(path, names, own)
    with lo.open(path) as doc:
        doc.recalc()
        return {n: doc.named(n) for n in names}
