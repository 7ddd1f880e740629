#!/usr/bin/env python3
"""Render the README's picture: the lemonade workbook after a few steps, as LibreOffice
prints it (xlsx -> PDF -> PNG), cropped to what is drawn.

Needs LibreOffice (soffice) and poppler (pdftoppm). Run from the repository:
    python3 scripts/render_picture.py            # writes docs/workbook.png (and docs/workbook-en.png)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradsheet.build import build  # noqa: E402
from gradsheet.headless import run_file  # noqa: E402

DPI = 150


def drawn_height(pgm: bytes) -> int:
    """Pixel rows down to the last one that is not white, from a binary PGM (P5) image."""
    parts = pgm.split(maxsplit=4)
    width, height = int(parts[1]), int(parts[2])
    pixels = parts[4]
    for row in range(height - 1, -1, -1):
        if min(pixels[row * width:(row + 1) * width]) < 250:
            return row + 1
    return height


def page_with(pdf: Path, marker: str) -> int:
    """The first PDF page whose text holds `marker` (each sheet prints on its own pages)."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    return next(i + 1 for i, text in enumerate(pages) if marker in text)


def render(lang: str, pictures: dict[str, Path], steps: int = 8) -> None:
    """Render the pages holding each marker text to its PNG."""
    with tempfile.TemporaryDirectory() as tmp:
        book = build(None, Path(tmp) / "lemonade.xlsx", lang=lang)
        if steps:
            run_file(book, steps)
        profile = Path(tmp, "profile").as_uri()
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", tmp, str(book)],
                       check=True, capture_output=True)
        pdf = Path(tmp) / "lemonade.pdf"
        for marker, out in pictures.items():
            page = str(page_with(pdf, marker))
            gray = subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", page, "-l", page, str(pdf)],
                                  check=True, capture_output=True).stdout
            height = drawn_height(gray) + 20
            subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", page, "-l", page, "-singlefile",
                            "-H", str(height), str(pdf), str(out.with_suffix(""))], check=True)
            print(f"wrote {out}")


if __name__ == "__main__":
    docs = ROOT / "docs"
    render("ko", {"학습의 실제": docs / "workbook.png", "손실 지형:": docs / "landscape.png"})
    render("ko", {"전체 과정:": docs / "unrolled.png"}, steps=0)  # from the start: Loss falls
    render("en", {"How learning really works": docs / "workbook-en.png"})
