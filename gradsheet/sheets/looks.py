"""How the sheets look on screen and on paper: number formats, how much room a text needs
(for wrapped rows' heights), and the print setup every sheet shares.

Row heights matter because neither XlsxWriter nor LibreOffice grows a row for wrapped
text that was written with a fixed height, and rows left at the default 15 pt print
their extra lines over the next row. So every row holding wrapped text gets a height
from `wrapped_lines`, which measures generously (a row a little too tall is harmless).
"""

from __future__ import annotations

import math
import unicodedata

# --- number formats ---------------------------------------------------------------------
# Excel allows two conditions per format, and Excel and LibreOffice put a minus sign on a
# conditional section's number by different rules. These formats send positive numbers and
# negative numbers each to a section where both agree: a first section for positives only,
# a "less than a negative number" section that writes its own minus sign, and a last section
# without digits for what is zero but for rounding (a least-squares B of -5.6E-15 reads 0).
NUMBER = {
    # parameters: W, B, their next values, the answer, the history's W, B
    "param": '[>=0.0000005]0.000000;[<=-0.0000005]-0.000000;"0"',
    # losses are never negative: thousands get a separator, small ones six decimals
    "loss": '[>=1000]#,##0.0;[>=0.0000005]0.000000;"0"',
    # slopes: from thousands down to a ten-thousandth, either sign
    "slope": "#,##0.0000",
    # tiny differences (the numerical derivative's error)
    "small": "0.0E+00",
    # computed data columns (h, (h − y)², scaled x): General shows as many digits as the
    # narrow column holds, and switches to 1E+06 before it would show ###
    "data": "General",
    # a step counter, a count of rows
    "count": "0",
    # a share (accuracy)
    "share": "0.0%",
}

# --- no "-0" in Excel ---------------------------------------------------------------------------
# Excel writes a minus before a negative number that its section shows as zero: -0.0000 for
# -0.00001 under #,##0.0000, and -0 where the formats above reach their last, digitless section
# ("0") with a tiny negative (Excel's rule: a section chosen by a condition keeps the number's
# sign unless its condition can only hold for negative numbers). LibreOffice shows 0 in both
# cases. No single format code shows both a tiny negative as 0 and a larger one with its minus in
# both programs: the only sections where both drop the sign are the second one under a negative
# condition (there the larger negatives must go, with a literal minus) and, for Excel, the first
# one under a negative condition, where LibreOffice still writes its own minus (--1.5). So the
# tiny negatives get their own format from a conditional format (a dxf with a numFmt, ECMA-376
# Part 1 §18.8.14, applied by a cfRule's dxfId, §18.3.1.10; Excel 2007 and later and LibreOffice
# apply it): three sections without conditions, whose negative one has no minus of its own.
# Format code -> (half the last place it shows: the largest |x| it rounds to zero, the sign-free
# format). tests/test_signless_zero.py has the sources for Excel's behaviour.
SIGNLESS = {
    NUMBER["param"]: (0.0000005, '"0";"0";"0"'),
    NUMBER["loss"]: (0.0000005, '"0";"0";"0"'),
    NUMBER["slope"]: (0.00005, "#,##0.0000;#,##0.0000;#,##0.0000"),
    "0.0": (0.05, "0.0;0.0;0.0"),  # the landscape's log10 grid
}


def signless_zeros(wb) -> int:
    """Give every cell whose number format is one of SIGNLESS a conditional format that shows
    a tiny negative (-half the last place < x < 0) as zero; returns the ranges it formatted.
    Reads the cells each worksheet holds (XlsxWriter's Worksheet.table), so it runs last,
    before the workbook is closed. The cells' values stay as they are."""
    from xlsxwriter.utility import xl_rowcol_to_cell
    styles: dict[str, object] = {}
    count = 0
    for ws in wb.worksheets():
        cells: dict[str, dict[int, list[int]]] = {}
        for r, row in ws.table.items():
            for c, cell in row.items():
                style = getattr(cell, "format", None)
                code = getattr(style, "num_format", None) if style is not None else None
                if code in SIGNLESS:
                    cells.setdefault(code, {}).setdefault(c, []).append(r)
        for code, columns in cells.items():
            limit, plain = SIGNLESS[code]
            if plain not in styles:
                styles[plain] = wb.add_format({"num_format": plain})
            for (r0, r1), (c0, c1) in _rectangles(columns):
                top = xl_rowcol_to_cell(r0, c0)
                ws.conditional_format(r0, c0, r1, c1, {"type": "formula", "format": styles[plain],
                                                       "criteria": f"=AND({top}<0,{top}>-{limit:.10f}".rstrip("0") + ")"})
                count += 1
    return count


def _runs(values):
    """(first, last) of each run of consecutive integers in `values`."""
    values = sorted(values)
    first = last = values[0]
    for v in values[1:] + [None]:
        if v is not None and v == last + 1:
            last = v
            continue
        yield first, last
        if v is not None:
            first = last = v


def _rectangles(columns: dict[int, list[int]]):
    """Runs of rows per column, joined across neighbouring columns with the same run."""
    runs: dict[tuple[int, int], list[int]] = {}
    for c, rows in columns.items():
        for span in _runs(rows):
            runs.setdefault(span, []).append(c)
    for span, cols in runs.items():
        for first, last in _runs(cols):
            yield span, (first, last)


# --- text sizes -----------------------------------------------------------------------------
# Widths are measured in Excel's pixels at 100 %, where a column w characters wide is 7·w + 5
# pixels and a digit of Calibri 11 is 7 pixels. Latin letters are taken from DejaVu Sans
# (what LibreOffice shows for Calibri where Carlito is missing) relative to its digit, which
# is a little wider than Calibri's own letters; LibreOffice scales its columns by the same
# digit, so a text that fits in Excel fits there too. Hangul keeps its width whatever the
# Latin font, so its width relative to a column is largest in Excel: 0.94 em.
_WIDTHS = {  # DejaVu Sans, in em
    0.28: "ijl'", 0.30: "IJ", 0.32: ",.· ", 0.34: "/:;\\|", 0.39: "()[]ft", 0.41: "!²r",
    0.46: '"', 0.50: "*_`", 0.53: "csz?", 0.56: "L", 0.58: "Fk", 0.60: "vxy", 0.62: "aeoTY",
    0.64: "bdghnpqu0123456789$S{}EΣ", 0.66: "K", 0.69: "ABRVXZ", 0.70: "CP", 0.74: "U",
    0.76: "HN", 0.78: "DG◆&", 0.79: "OQ", 0.82: "w", 0.84: "#+−<>^~→=", 0.87: "M", 0.90: "★",
    0.95: "%", 0.98: "m", 1.0: "W@—",
}
_EM = {ch: em for em, chars in _WIDTHS.items() for ch in chars}
_DIGIT_EM = 0.636  # DejaVu Sans's digit
_WIDE_EM = 0.94  # Hangul and other wide letters (NanumGothic; Malgun Gothic is a little narrower)
_OTHER_EM = 0.84  # anything else


def char_px(ch: str, size: float = 11, bold: bool = False) -> float:
    """Excel pixels of one character at `size` points. Bold widens Latin letters by about a
    tenth; Hangul keeps its fixed width."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return _WIDE_EM * size * 4 / 3
    return _EM.get(ch, _OTHER_EM) / _DIGIT_EM * 7 * size / 11 * (1.1 if bold else 1.0)


def text_px(text: str, size: float = 11, bold: bool = False) -> float:
    """How many pixels `text` takes on one line at `size` points (a little generously)."""
    return sum(char_px(ch, size, bold) for ch in text)


def wrapped_lines(text: str, width_px: float, size: float = 11, bold: bool = False) -> int:
    """Lines a cell `width_px` wide needs for `text` when it wraps at spaces (a word longer
    than the line is broken, as the spreadsheets do)."""
    room = max(width_px - 8, 10)  # the cell's own margins
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            w = text_px(word, size, bold)
            gap = text_px(" ", size, bold) if used else 0.0
            if used and used + gap + w > room:
                lines += 1
                used = 0.0
                gap = 0.0
            if w > room:  # broken across lines
                extra = math.ceil(w / room) - 1
                lines += extra
                used = w - extra * room
            else:
                used += gap + w
    return lines


def line_height_pt(size: float = 11) -> float:
    """One line of text: Korean fonts need more than Excel's 15 pt for Calibri 11."""
    return size * 1.5


def row_height_pt(lines: int, size: float = 11) -> float:
    return lines * line_height_pt(size) + 3


# --- print setup --------------------------------------------------------------------------
A4 = 9  # XlsxWriter's paper code
# The training sheet prints at a readable scale over a few pages across, never shrunk to one page
# wide: at most MAX_SCALE, and never below MIN_SCALE, where its smallest text (10 points: the
# charts' axes) prints at 8 points and its cells' 11 points at 8.8.
MAX_SCALE, MIN_SCALE = 90, 80
SMALLEST_PT = 10
# A4 landscape less the margins below (0.5 inch left and right), in Excel's pixels at 100 %, with a
# little room to spare.
PRINTABLE_PX = (297 / 25.4 - 1.0) * 96 * 0.97
# LibreOffice without Carlito draws Calibri's columns (and the texts in them) in DejaVu Sans, a third
# wider than Excel does: the pages are planned at that width, so they hold in both.
WIDER = 4 / 3


def page_px(scale: int) -> float:
    """How many of Excel's pixels of columns one printed page holds at `scale` per cent (planned at
    LibreOffice's wider columns)."""
    return PRINTABLE_PX * 100 / scale / WIDER


def plan_pages(edges: list[float], spans: list[tuple[float, float]], forced: tuple[int, ...] = ()
               ) -> tuple[int, list[int]]:
    """(scale, page breaks) for printing a sheet readably. `edges[c]`: the left edge of column c in
    pixels (the last entry: the right edge of the last column); `spans`: (left, right) of every text
    that runs on over empty cells. A page breaks only at a column edge that no text runs over (a text
    cut there would print again on the next page) and before each column of `forced` that allows it;
    the largest scale from MAX_SCALE down to MIN_SCALE whose pages all fit wins. When none does, the
    pages are planned at MIN_SCALE and the spreadsheet breaks the widest ones itself."""
    free = [c for c in range(1, len(edges) - 1) if not any(a < edges[c] - 0.5 and edges[c] + 0.5 < b for a, b in spans)]
    right = max([edges[-1]] + [b for _, b in spans])
    best: list[int] = []
    for scale in range(MAX_SCALE, MIN_SCALE - 1, -1):
        room = page_px(scale)
        breaks, start, fits = [], 0, True
        ends = [c for c in free if c in forced] + [len(edges) - 1]
        for end in sorted(set(ends)):
            while True:  # from `start`, as many columns as fit, up to the next forced break (or the end)
                reach = max([edges[end] if end < len(edges) - 1 else right]
                            + [b for a, b in spans if edges[start] <= a < edges[end]])
                if reach - edges[start] <= room:
                    break
                inside = [c for c in free if start < c < end and edges[c] - edges[start] <= room
                          and max([edges[c]] + [b for a, b in spans if edges[start] <= a < edges[c]])
                          - edges[start] <= room]
                if not inside:
                    fits = False
                    break
                breaks.append(inside[-1])
                start = inside[-1]
            if end < len(edges) - 1:
                breaks.append(end)
                start = end
        if fits:
            return scale, breaks
        if scale == MIN_SCALE:
            best = breaks
    return MIN_SCALE, best


def print_setup(ws, repeat_rows: tuple[int, int] | None = None, scale: int | None = None,
                breaks: tuple[int, ...] = ()) -> None:
    """A4 landscape with narrow margins; optionally the rows to repeat at the top of every page.
    Without `scale`: one page wide (as tall as it takes). With it: printed at `scale` per cent over
    as many pages as it takes, a new page before each column of `breaks`."""
    ws.set_paper(A4)
    ws.set_landscape()
    if scale is None:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(scale)
    if breaks:
        ws.set_v_pagebreaks(list(breaks))
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
