#!/usr/bin/env python3
"""Render the README's pictures: parts of the lemonade workbook at their real size, as
LibreOffice shows them (with grid lines and row and column headings, like a screen).

Each picture is one range of one sheet, exported alone to PDF at 100 % on a page cut to
its size, then turned into a PNG at 1.5 times the screen's resolution:
    docs/workbook.png      the first screen of 학습 after 8 steps (what a laptop shows
                           without scrolling: data, lr, eps, Loss, W, B, buttons, data chart)
    docs/workbook-en.png   the same in English (--lang en), freshly built
    docs/unrolled.png      the top of 전체 과정 from the start: the first steps and the Loss chart
    docs/landscape.png     손실 지형 after 8 steps: the colour map with the path taken (and the
                           race's four paths, g m r a)
    docs/race.png          최적화 비교 from the start: the learning rates, the table of the four
                           Loss columns and their chart (the race sheet's first screen)

Needs LibreOffice with python3-uno, and poppler (pdftoppm). Run from the repository:
    python3 scripts/render_picture.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the LibreOffice harness of the tests

import openpyxl  # noqa: E402

from gradsheet.sheets import compare, landscape  # noqa: E402
from gradsheet.sheets import unrolled  # noqa: E402
from gradsheet.build import make  # noqa: E402
from gradsheet.headless import run_file  # noqa: E402
from gradsheet.core.texts import texts  # noqa: E402
from gradsheet.sheets.workbook import layout_for  # noqa: E402
from libreoffice import LibreOffice, _props  # noqa: E402

SCREEN_PX = (950, 400)  # a 1366×768 laptop at 100 % with the xlwings Lite pane open
DPI = 144  # one and a half image pixels per screen pixel: sharp, and not too heavy
MM100_PER_PX = 2540 / 96  # LibreOffice's lengths are 1/100 mm


def first_screen(path: Path, layout) -> tuple[int, int, int, int]:
    """(last row, last column) of the cells inside the first screen, as Excel sizes them."""
    col, _ = layout.col_at_px(SCREEN_PX[0])
    ws = openpyxl.load_workbook(path)[layout.sheet]
    y, row = 0.0, 0
    while True:
        y += (ws.row_dimensions[row + 1].height or 15) * 4 / 3
        if y > SCREEN_PX[1]:
            return 0, 0, row, col
        row += 1


def race_screen(path: Path, sheet: str) -> tuple[int, int, int, int]:
    """The race's first screen: the settings, the table's first rows and the whole chart
    (the columns up to the chart's right edge)."""
    ws = openpyxl.load_workbook(path)[sheet]
    y, row = 0.0, 0
    while y <= SCREEN_PX[1] + 40:  # a little past the laptop's rows: the chart's bottom edge
        y += (ws.row_dimensions[row + 1].height or 15) * 4 / 3
        row += 1
    return 0, 0, row, compare.LANE_COL - 2


def export_range(lo: LibreOffice, book: Path, sheet: str, area: tuple[int, int, int, int], pdf: Path) -> None:
    """Sheet `sheet`, cells `area` (first row, first col, last row, last col), alone on one
    page of exactly its size at 100 %."""
    import uno
    with lo.open(book) as doc:
        doc.recalc()
        ws = doc.model.Sheets.getByName(sheet)
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


def to_png(pdf: Path, out: Path) -> None:
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(out.with_suffix(""))], check=True)
    print(f"wrote {out}")


def main() -> None:
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        tmp = Path(tmp)
        for lang, steps, out in (("ko", 8, "workbook.png"), ("en", 0, "workbook-en.png")):
            built = make(None, tmp / f"lemonade-{lang}.xlsx", lang=lang)
            if steps:
                run_file(built.path, steps)
            layout = layout_for(built.dataset, built.settings, built.state)
            pdf = tmp / f"{lang}.pdf"
            export_range(lo, built.path, layout.sheet, first_screen(built.path, layout), pdf)
            to_png(pdf, docs / out)

        t = texts("ko")
        fresh = make(None, tmp / "fresh.xlsx")  # from the start, where Loss falls fast
        layout = layout_for(fresh.dataset, fresh.settings, fresh.state)
        table_cols = len(unrolled.column_index(layout))
        export_range(lo, fresh.path, t["sheet_unrolled"], (0, 0, unrolled.HEAD_ROW + 16, table_cols + 8),
                     tmp / "unrolled.pdf")
        to_png(tmp / "unrolled.pdf", docs / "unrolled.png")

        export_range(lo, fresh.path, t["sheet_compare"], race_screen(fresh.path, t["sheet_compare"]),
                     tmp / "race.pdf")
        to_png(tmp / "race.pdf", docs / "race.png")

        stepped = make(None, tmp / "stepped.xlsx")
        run_file(stepped.path, 8)
        export_range(lo, stepped.path, t["sheet_landscape"], (0, 0, landscape.LOSS_AXIS - 3, landscape.GRID),
                     tmp / "landscape.pdf")
        to_png(tmp / "landscape.pdf", docs / "landscape.png")


if __name__ == "__main__":
    main()
