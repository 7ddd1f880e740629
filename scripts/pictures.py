#!/usr/bin/env python3
"""Make every picture that README.md and docs/ show, from real builds, as LibreOffice shows them.

Each picture is one range of one sheet of a workbook that gradsheet builds (and steps) here,
recalculated by LibreOffice, exported alone to PDF at 100 % on a page cut to its size (grid lines
and row and column headings printed, like a screen), and turned into a PNG by pdftoppm at 1.5
times the screen's resolution. PICTURES below is the one list of them; tests/test_docs.py checks
that every picture the README and the docs show is in it.

The initial value generator's cells (init_P, =ROUND(RAND()*2-1,2)) are the only volatile ones:
after the recalculation they are given back the values the file stores (the seed's), so the same
build gives the same picture every time.

Needs LibreOffice with python3-uno, and poppler-utils (pdftoppm). From the repository:
    python3 scripts/pictures.py                  # every picture, into docs/img/
    python3 scripts/pictures.py workbook.png     # only these
    python3 scripts/pictures.py --out /tmp/pics  # somewhere else (the tests' check)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"

SCREEN_PX = (950, 400)  # a 1366×768 laptop at 100 % with the xlwings Lite pane open (the race's screen)
FIRST_SCREEN_PX = (1300, 500)  # the same laptop without the pane, under Excel's ribbon: steps 1–7 fit
DPI = 144  # one and a half image pixels per screen pixel: sharp, and not too heavy
PRINT_DPI = 100  # a printed A4 page: readable, and not too heavy


@dataclass(frozen=True)
class Picture:
    """One picture: which workbook (data and make()'s options, or a preset), how many steps
    before the picture, which sheet, and which cells (a function of the built workbook)."""
    what: str
    preset: str | None = None
    options: dict = field(default_factory=dict)
    steps: int = 0
    sheet: str = "train"  # a key: train, unrolled, compare, landscape (the sheet's name in its language)
    area: str = "first_screen"  # a function below: first_screen, chart_screen, unrolled_top, race_screen, landscape_map
    page: int = 0  # a printed page (1, 2, …) of the sheet as its own print setup lays it out on A4, not an area
    actions: int = 0  # hand actions (`gradsheet next`) after the steps
    edits: tuple = ()  # (name, value): cells a student then types into, in LibreOffice


PICTURES: dict[str, Picture] = {
    "workbook.png": Picture("the first screen of 학습 after 8 steps (what a 1366×768 laptop shows under Excel's "
                            "ribbon without scrolling: buttons, data, chart, lr, eps, Loss, the next action, the "
                            "parameter table through next_P, the history's first rows)", steps=8),
    "print.png": Picture("the second printed page of 학습 after 8 steps: the hand-work cells on A4 at the "
                         "sheet's own readable scale", steps=8, page=2),
    "workbook-en.png": Picture("the same, freshly built with --lang en", options={"lang": "en"}),
    "unrolled.png": Picture("the top of 전체 과정 from the start: the first steps and the Loss chart",
                            sheet="unrolled", area="unrolled_top"),
    "race.png": Picture("최적화 비교 from the start: the learning rates, the four Loss columns and their chart",
                        sheet="compare", area="race_screen"),
    "landscape.png": Picture("손실 지형 after 8 steps: the colour map with the path taken and the race's paths",
                             steps=8, sheet="landscape", area="landscape_map"),
    "iris.png": Picture("the iris preset (softmax, four inputs) after 200 steps: the first screen",
                        preset="iris", steps=200),
    "iris-2d.png": Picture("the iris preset with --features petal_length,petal_width after 200 steps: the class "
                           "chart and its boundaries", preset="iris",
                           options={"features": "petal_length,petal_width"}, steps=200, area="chart_screen"),
    "exam.png": Picture("the exam preset (logistic) after 200 steps: the class chart and its boundary line",
                        preset="exam", steps=200, area="chart_screen"),
    "circles-start.png": Picture("the circles preset (two rings, 3 tanh units) as built: the prediction map",
                                 preset="circles", area="network_screen"),
    "circles.png": Picture("the circles preset after 300 steps: the prediction map, Loss and the hidden units",
                           preset="circles", steps=300, area="network_screen"),
    "bend-start.png": Picture("the bend preset (one input, 3 tanh units) as built: the data and the network's curve",
                              preset="bend", area="network_screen"),
    "bend.png": Picture("the bend preset after 300 steps: the data and the network's curve, Loss and the units",
                        preset="bend", steps=300, area="network_screen"),
    "exercise.png": Picture("a classroom exercise workbook: the blank cells a student fills in",
                            area="first_screen"),
    "batch.png": Picture("mini-batches (--batch 2) after 7 steps and actions 2 and 3 of the 8th: this step's rows "
                         "marked in the data and the chart, batch, step, epoch, Loss and Loss_batch, and the Loss "
                         "chart's noisy Loss_batch beside the whole table's Loss", options={"batch": 2}, steps=7,
                         actions=2, area="batch_screen"),
    "coach.png": Picture("the live coach after actions 2 and 3, when W was given 0.0202 instead of W + eps "
                         "= 0.0201: it names 4-1 again and the number to type", actions=2,
                         edits=(("W", 0.0202),), area="coach_area"),
}


# -- the cells of each picture: (first row, first column, last row, last column), 0-based -----
# Each takes the workbook as gradsheet reads it back (gradsheet.excel.files.WorkbookFile).

def coach_area(book) -> tuple[int, int, int, int]:
    """lr … the coach's two lines and the parameter table through next_P."""
    lay = book.layout
    return 3, lay.c0, lay.param_row(len(lay.params) - 1), lay.param_columns["next"]


def first_screen(book) -> tuple[int, int, int, int]:
    """The cells inside the first screen, as Excel sizes its rows and columns."""
    import openpyxl
    col, _ = book.layout.col_at_px(FIRST_SCREEN_PX[0])
    ws = openpyxl.load_workbook(book.path)[book.layout.sheet]
    y, row = 0.0, 0
    while True:
        y += (ws.row_dimensions[row + 1].height or 15) * 4 / 3
        if y > FIRST_SCREEN_PX[1]:
            return 0, 0, row - 1, col - 1  # the last row and column shown whole
        row += 1


def chart_screen(book) -> tuple[int, int, int, int]:
    """The class chart with what it shows beside it: the last data columns on its left (p of
    the true class, cross-entropy, predicted class), lr, eps, Loss, W and B and the accuracy on
    its right, from the single cells down to the chart's bottom edge."""
    from gradsheet.core.layout import TOP
    layout = book.layout
    return TOP, layout.chart_col - 3, layout.first_row + 16, layout.c0 + 1


def batch_screen(book) -> tuple[int, int, int, int]:
    """--batch: the data with its batch columns, both charts (the batch's points, Loss beside
    Loss_batch), and the single cells with the coach and the parameter table through grad_P."""
    layout = book.layout
    return 0, 0, layout.first_row + 26, layout.param_columns["grad"]


def network_screen(book) -> tuple[int, int, int, int]:
    """A network's charts (its curve or prediction map, Loss, the hidden units) with the data's
    last columns on their left and the single cells on their right."""
    from gradsheet.core.layout import TOP
    layout = book.layout
    return TOP, max(layout.chart_col - 3, 0), layout.first_row + 40, layout.c0 + 2


def unrolled_top(book) -> tuple[int, int, int, int]:
    from gradsheet.sheets import unrolled
    return 0, 0, unrolled.HEAD_ROW + 16, len(unrolled.column_index(book.layout)) + 8


def race_screen(book) -> tuple[int, int, int, int]:
    """The race's first screen: the settings, the table's first rows and the whole chart."""
    import openpyxl

    from gradsheet.sheets import compare
    ws = openpyxl.load_workbook(book.path)[sheet_of(book, "compare")]
    y, row = 0.0, 0
    while y <= SCREEN_PX[1] + 40:  # a little past the laptop's rows: the chart's bottom edge
        y += (ws.row_dimensions[row + 1].height or 15) * 4 / 3
        row += 1
    return 0, 0, row, compare.LANE_COL - 2


def landscape_map(book) -> tuple[int, int, int, int]:
    from gradsheet.sheets import landscape
    return 0, 0, landscape.LOSS_AXIS - 3, landscape.GRID


AREAS: dict[str, Callable] = {f.__name__: f for f in (first_screen, chart_screen, unrolled_top, race_screen,
                                                       landscape_map, coach_area, network_screen, batch_screen)}


def sheet_of(book, key: str) -> str:
    """The sheet's name in the workbook's language."""
    from gradsheet.core.texts import texts
    if key == "train":
        return book.layout.sheet
    return texts(book.settings.lang)[f"sheet_{key}"]


# -- building, exporting ---------------------------------------------------------------------

def build(name: str, pic: Picture, folder: Path) -> Path:
    """The workbook of one picture, stepped as the picture says (the exercise: a real one, made
    by the classroom code for one student of a roster)."""
    from gradsheet.build import make
    from gradsheet.classroom.exercise import make_exercise
    from gradsheet.data import presets
    from gradsheet.headless import run_file
    if name == "exercise.png":
        roster = folder / "roster.csv"
        roster.write_text("id,name\n20240001,김민준\n", encoding="utf-8")
        return make_exercise(None, roster, folder / "week3").files[0]
    options, data = dict(pic.options), None
    if pic.preset:  # as `gradsheet build --preset NAME` reads it
        options = {**presets.read(presets.find(pic.preset)), **options}
        data = options.pop("data")
    path = make(data, folder / name.replace(".png", ".xlsx"), **options).path
    if pic.steps:
        run_file(path, pic.steps)
    if pic.actions:
        from gradsheet.headless import act_file
        for _ in range(pic.actions):
            act_file(path)
    return path


def export(lo, path: Path, sheet: str, area: tuple[int, int, int, int], pdf: Path, edits: tuple = ()) -> None:
    """Sheet `sheet`, cells `area`, alone on one page of exactly its size at 100 %, after a full
    recalculation (the init_P cells given back their stored values) and the `edits` typed in."""
    import openpyxl
    import uno

    from gradsheet.classroom.engine import _props
    stored = openpyxl.load_workbook(path, data_only=True)
    with lo.open(path) as doc:
        doc.recalc()
        for name in doc.names():
            if name.startswith("init_"):
                sheet_name, ref = stored.defined_names[name].attr_text.replace("$", "").split("!")
                doc.set_named(name, stored[sheet_name.strip("'")][ref].value)
        for name, value in edits:
            doc.set_named(name, value)
        doc.recalc()
        ws = doc.model.Sheets.getByName(sheet)
        ws.removeAllManualPageBreaks()  # a screen, not the printout: one page of exactly the area
        r1, c1, r2, c2 = area
        cells = ws.getCellRangeByPosition(c1, r1, c2, r2)
        size = cells.Size  # 1/100 mm
        style = doc.model.StyleFamilies.getByName("PageStyles").getByName(ws.PageStyle)
        margin = 300
        for key, value in {"ScaleToPagesX": 0, "ScaleToPagesY": 0, "ScaleToPages": 0, "PageScale": 100,
                           "HeaderIsOn": False, "FooterIsOn": False, "PrintGrid": True, "PrintHeaders": True,
                           "LeftMargin": margin, "RightMargin": margin, "TopMargin": margin,
                           "BottomMargin": margin, "IsLandscape": False}.items():
            style.setPropertyValue(key, value)
        headers = 1200  # room for the row numbers and column letters
        style.setPropertyValue("Width", size.Width + 2 * margin + headers)
        style.setPropertyValue("Height", size.Height + 2 * margin + headers)
        options = uno.Any("[]com.sun.star.beans.PropertyValue", _props(Selection=cells))
        doc.model.storeToURL(pdf.resolve().as_uri(), _props(FilterName="calc_pdf_Export", FilterData=options))


def export_printed(lo, path: Path, sheet: str, pdf: Path) -> None:
    """Sheet `sheet` alone, printed to PDF with its own print setup (scale, page breaks), after a full
    recalculation (classroom.engine.Doc.sheet_pdf)."""
    with lo.open(path) as doc:
        doc.recalc()
        doc.sheet_pdf(sheet, pdf)


def to_png(pdf: Path, out: Path, page: int = 1, dpi: int = DPI) -> None:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(out.with_suffix(""))], check=True)


def make_pictures(names: list[str], out: Path) -> list[Path]:
    import warnings
    warnings.simplefilter("ignore")  # the builds' notes (derived sheets shortened) are not news here
    from gradsheet.classroom.engine import LibreOffice
    from gradsheet.excel import files
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        for name in names:
            pic = PICTURES[name]
            book = files.read(build(name, pic, Path(tmp)))
            pdf = Path(tmp) / name.replace(".png", ".pdf")
            if pic.page:
                export_printed(lo, book.path, sheet_of(book, pic.sheet), pdf)
                to_png(pdf, out / name, pic.page, PRINT_DPI)
            else:
                export(lo, book.path, sheet_of(book, pic.sheet), AREAS[pic.area](book), pdf, pic.edits)
                to_png(pdf, out / name)
            written.append(out / name)
            print(f"wrote {out / name}: {pic.what}")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"pictures to make (default: all): {', '.join(PICTURES)}")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/img)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in PICTURES]
    if unknown:
        parser.error(f"no such picture: {', '.join(unknown)}; the pictures are: {', '.join(PICTURES)}")
    make_pictures(args.names or list(PICTURES), args.out)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the checkout's gradsheet, as the other scripts use it
    main()
