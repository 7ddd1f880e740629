"""Writes a gradsheet workbook: dataset + settings + state -> .xlsx, atomically.

The same writer makes a new workbook (`gradsheet build`) and rewrites one after steps
(`gradsheet step/run/reset`), so nothing of a gradsheet workbook is lost on the way.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xlsxwriter

from .. import __version__
from . import class_map, guide
from .blanks import Kept
from . import train as train_sheet
from ..data.dataset import Dataset
from ..core.errors import GradsheetError
from ..core.messages import os_reason
from ..core.texts import texts
from ..core.layout import Layout
from ..core.optimizers import HYPER_NAMES
from ..excel.lite import file_mode
from .looks import NUMBER, signless_zeros
from ..core.settings import RACE_LR_NAMES, Settings, State
from .values import evaluate, model_X  # noqa: F401  (model_X: the callers' import)

META_SHEET = "gradsheet"  # very hidden sheet: what the workbook was built with
# Settings that live in cells a student may change (read back from there, not from META_SHEET).
CELL_SETTINGS = ("lr", "eps", *HYPER_NAMES, *RACE_LR_NAMES)
FORMAT_VERSION = 1
# A fixed document date keeps the same inputs byte-identical (XlsxWriter stamps it in docProps).
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Formats:
    """The cell styles, named for what the student does with the cell; `num(style, kind)`
    gives a style with one of the number formats of looks.NUMBER."""

    STYLES = {
        "plain": {},
        "formula": {"bg_color": "#F2F2F2", "font_color": "#7F3F00"},
        # Excel's own "Input" style: cells a student types into.
        "input": {"bg_color": "#FFCC99", "font_color": "#3F3F76", "border": 1, "border_color": "#7F7F7F"},
        # Cells a student pastes values into (course steps 3, 4-2, 5-2).
        "paste": {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"},
        "result": {"bold": True, "bg_color": "#F2F2F2", "font_color": "#7F3F00", "border": 1},
        # An exercise's blank cell: "write the formula here" (empty, dashed, light blue).
        "blank": {"bg_color": "#DDEBF7", "border": 3, "border_color": "#2F75B5"},
    }

    def __init__(self, wb: xlsxwriter.Workbook):
        add = wb.add_format
        self._add = add
        self._numbered: dict[tuple[str, str], object] = {}
        self.title = add({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.note = add({"italic": True, "font_color": "#595959"})
        # the lines above the data (the subtitle, the line by the buttons): wrapped when long
        self.note_wrap = add({"italic": True, "font_color": "#595959", "valign": "vcenter", "text_wrap": True})
        self.scale_label = add({"italic": True, "font_color": "#595959", "align": "right"})
        self.name = add({"font_name": "Consolas", "font_color": "#7F7F7F", "align": "center"})
        self.heading = add({"bold": True, "bottom": 1, "align": "center", "valign": "bottom",
                            "text_wrap": True})
        # The course's words above the parameter table's names: wrapped, one column each.
        self.words = add({"bold": True, "align": "center", "valign": "bottom", "text_wrap": True})
        self.section = add({"bold": True, "font_color": "#1F4E79", "font_size": 12, "valign": "bottom"})
        self.label = add({"bold": True})
        self.data = add({})
        for style, props in self.STYLES.items():
            if style != "plain":
                setattr(self, style, add(props))
        self.status = add({"bold": True, "font_color": "#375623", "bg_color": "#E2EFDA"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.button_font = {"bold": True, "color": "white", "size": 11}
        # --batch: this step's rows in the data block (a conditional format), and the chart
        # helper's #N/A outside the batch, shown faintly
        self.batch_row = add({"bg_color": "#FFF2CC", "bold": True})
        self.faint = add({"font_color": "#BFBFBF"})

    def num(self, style: str, kind: str):
        """`style` (a key of STYLES) with the number format looks.NUMBER[kind]."""
        key = (style, kind)
        if key not in self._numbered:
            self._numbered[key] = self._add({**self.STYLES[style], "num_format": NUMBER[kind]})
        return self._numbered[key]


def layout_for(dataset: Dataset, settings: Settings, state: State) -> Layout:
    return Layout(dataset.n, dataset.k, texts(settings.lang)["sheet_train"], settings.diff,
                  len(state.history), settings.scale != "none", settings.optimizer, settings.model,
                  settings.classes, settings.hidden, settings.activation, settings.batch, settings.shuffle)


def write(path: str | os.PathLike, dataset: Dataset, settings: Settings, state: State,
          kept: Kept | None = None) -> Path:
    """Write the workbook to `path` atomically (a temporary file in the same folder, then
    a rename): a failure never leaves half a workbook or damages an existing file. `kept`: an
    exercise rewritten, with the student's blank cells and its hidden record as they were."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GradsheetError("build.no_folder", folder=folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=folder)
        os.close(fd)
    except OSError as e:
        raise GradsheetError("build.cannot_write_folder", folder=folder, reason=os_reason(e)) from None
    try:
        layout = _write_xlsx(tmp, dataset, settings, state, kept)
        if settings.buttons == "lite":
            from ..excel.buttons import embed_lite
            embed_lite(tmp, layout, settings.lang)
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_xlsx(filename: str, dataset: Dataset, settings: Settings, state: State, kept: Kept | None) -> Layout:
    layout = layout_for(dataset, settings, state)
    X = model_X(dataset, settings)
    values = evaluate(X, dataset.y, settings, state, kept.filled if kept else frozenset())
    # Text from a data file must never turn into a formula, number or link. XlsxWriter's part
    # files go to a folder of our own, removed however the write ends.
    with tempfile.TemporaryDirectory(prefix="gradsheet-") as scratch:
        wb = xlsxwriter.Workbook(filename, {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False, "tmpdir": scratch})
        wb.set_properties({"title": settings.title or texts(settings.lang)["title"],
                           "created": FIXED_DATE, "comments": f"gradsheet {__version__}"})
        fmt = Formats(wb)
        train = train_sheet.write(wb, fmt, layout, dataset, settings, state, values, kept)
        guide.write(wb, fmt, layout, dataset, settings, state, X)
        _write_derived(wb, fmt, layout, dataset, settings, state, X)
        class_map.write(wb, fmt, layout, dataset, settings, state, X)  # the class chart's helper sheet
        if layout.hidden:  # a network's curve or prediction map, live
            from . import network_map
            network_map.write(wb, fmt, layout, settings, state, X, dataset.y)
        for name, ref in layout.defined_names().items():
            wb.define_name(name, "=" + ref)
        _write_meta(wb, dataset, settings, kept.record if kept else None)
        signless_zeros(wb)  # last: it reads every sheet's cells
        train.activate()
        wb.close()
    return layout


def _write_derived(wb, fmt, layout: Layout, dataset: Dataset, settings: Settings, state: State,
                   X: np.ndarray) -> None:
    """The sheets derived from the training sheet ('All steps', 'Optimizers', 'Landscape') and
    the sums they all read (one 'Sums' sheet, formed once: see stats.py). A classifier's
    sheets compute cross-entropy row by row instead (logits.py); softmax's read the rows'
    logits from a 'Logits' sheet."""
    from . import compare, landscape, logits, stats, unrolled
    pair = landscape.pair(layout, settings)
    if not (settings.unrolled or settings.compare or pair):
        return
    sums = None if layout.classifier or layout.hidden else stats.sums(X, dataset.y)
    chains = []
    t = texts(settings.lang)
    if settings.unrolled:
        chain, r = unrolled.write(wb, fmt, layout, dataset, settings, state, X, sums)
        chains.append((t["sheet_unrolled"], chain, r, settings.unrolled))
    if settings.compare:
        lanes = compare.write(wb, fmt, layout, dataset, settings, state, X, sums)
        chains += [(f"{t['sheet_compare']} {o}", chain, r, settings.compare) for o, (chain, r) in lanes.items()]
    if pair:
        landscape.write(wb, fmt, layout, dataset, settings, state, X, sums)
    if sums is not None:
        stats.write(wb, fmt, layout, settings, sums)
    if layout.model == "softmax" and chains:
        logits.write(wb, fmt, layout, X, chains, settings.lang)


def _write_meta(wb: xlsxwriter.Workbook, dataset: Dataset, settings: Settings, record: tuple | None = None) -> None:
    """Key/value pairs the headless engine reads back to rewrite the workbook faithfully. An
    exercise's `record` is written back row by row as it was (its identity is the grader's)."""
    ws = wb.add_worksheet(META_SHEET)
    if record is not None:
        for r, row in enumerate(record):
            for c, value in enumerate(row):
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value is not None:
                    ws.write_string(r, c, value)
        ws.very_hidden()
        return
    meta = {"generator": "gradsheet", "version": __version__, "format": FORMAT_VERSION, "dataset": dataset.name,
            **{k: v for k, v in asdict(settings).items() if k not in CELL_SETTINGS}}
    for r, (key, value) in enumerate(meta.items()):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, json.dumps(value, ensure_ascii=False))
    ws.very_hidden()
