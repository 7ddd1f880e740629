#!/usr/bin/env python3
"""Render the classification pictures for the README: the training sheet as LibreOffice shows
it (render_picture.py's export, at 100 %), after some steps of descent:
    docs/iris.png      iris, four inputs (softmax): the first screen of the training sheet (what a
                       laptop shows without scrolling, as docs/workbook.png for lemonade)
    docs/iris-2d.png   iris, petal length and width (softmax): the class chart with its boundaries,
                       between the last data columns and the parameters
    docs/exam.png      the exam preset (logistic): the same with its boundary line

Needs LibreOffice with python3-uno, and poppler (pdftoppm). Run from the repository:
    python3 scripts/render_classes.py [--out DIR] [--steps N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from render_picture import LibreOffice, export_range, first_screen, to_png  # noqa: E402

from gradsheet.build import make  # noqa: E402
from gradsheet.core.layout import TOP  # noqa: E402
from gradsheet.data import presets  # noqa: E402
from gradsheet.headless import run_file  # noqa: E402
from gradsheet.sheets.workbook import layout_for  # noqa: E402

IRIS = ROOT / "gradsheet" / "templates" / "iris.csv"
BOOKS = {  # picture -> (data, make()'s options)
    "iris.png": (IRIS, {"scale": "standard", "lr": 0.1}),
    "iris-2d.png": (IRIS, {"features": "petal_length,petal_width", "scale": "standard", "lr": 0.1}),
    "exam.png": ("exam", {}),
}


def chart_screen(layout) -> tuple[int, int, int, int]:
    """The class chart with what it shows beside it: the last data columns on its left (p of
    the true class, cross-entropy, predicted class), lr, eps, Loss, W and B and the accuracy on
    its right, from the single cells down to the chart's bottom edge."""
    return TOP, layout.chart_col - 3, layout.first_row + 16, layout.c0 + 1


def build(name: str, data, options: dict, folder: Path):
    if data == "exam":  # the preset, as `gradsheet build --preset exam` reads it
        options = presets.read(presets.find("exam"))
        data = options.pop("data")
    return make(data, folder / name.replace(".png", ".xlsx"), **options)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        tmp = Path(tmp)
        for name, (data, options) in BOOKS.items():
            built = build(name, data, dict(options), tmp)
            if args.steps:
                run_file(built.path, args.steps)
            layout = layout_for(built.dataset, built.settings, built.state)
            pdf = tmp / name.replace(".png", ".pdf")
            area = first_screen(built.path, layout) if name == "iris.png" else chart_screen(layout)
            export_range(lo, built.path, layout.sheet, area, pdf)
            to_png(pdf, args.out / name)


if __name__ == "__main__":
    main()
