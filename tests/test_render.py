"""Every sheet prints readably: LibreOffice recalculates the workbook and exports it to PDF,
and poppler's `pdftotext -bbox-layout` says where each printed line of text landed.

A sheet fails when
- two lines of text print over each other (wrapped rows too short for their text, headings
  wider than their columns, a chart or button over cell text),
- a cell's text is not printed whole (clipped by the next cell, cut at the page edge, or a
  wrapped cell whose row is too short to hold all its lines),
- a number does not fit its column (LibreOffice prints ###),
- a page is not A4 landscape.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from gradsheet.build import make
from gradsheet.headless import run_file
from gradsheet.sheets.workbook import META_SHEET
from libreoffice import _props
from reference import three_feature_csv

XHTML = "{http://www.w3.org/1999/xhtml}"
A4_LANDSCAPE = (841.9, 595.3)  # points
# Lines of one wrapped paragraph overlap by their leading (~10 % of a line's height); lines
# printed over each other overlap by far more.
OVERLAP_SHARE = 0.3
OVERLAP_X = 0.5  # points


@dataclass(frozen=True)
class Line:
    page: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in points
    text: str


def _needs(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"{tool} (poppler-utils) is required when CI=true", pytrace=False)
        pytest.skip(f"{tool} not installed")


def korean_font_installed() -> bool:
    out = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def export_pdf(libreoffice, xlsx: Path) -> Path:
    """The workbook recalculated (the printed numbers are the engine's, not the stored ones)
    and printed to PDF the way File > Export as PDF does, with each sheet's print setup."""
    pdf = xlsx.with_suffix(".pdf")
    with libreoffice.open(xlsx) as doc:
        doc.recalc()
        doc.model.storeToURL(pdf.resolve().as_uri(), _props(FilterName="calc_pdf_Export"))
    return pdf


def printed_lines(pdf: Path) -> tuple[list[Line], list[tuple[float, float]]]:
    """Every printed line of text with its box, and each page's size."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    root = ElementTree.fromstring(xml)
    lines, sizes = [], []
    for p, page in enumerate(root.iter(XHTML + "page")):
        sizes.append((float(page.get("width")), float(page.get("height"))))
        for line in page.iter(XHTML + "line"):
            text = " ".join(w.text or "" for w in line.iter(XHTML + "word"))
            box = tuple(float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            lines.append(Line(p + 1, box, text))
    return lines, sizes


def overprinted(lines: list[Line]) -> list[str]:
    """Pairs of lines on one page whose boxes intersect by more than the leading of a
    paragraph: text printed over text."""
    bad = []
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    for page, group in by_page.items():
        group.sort(key=lambda ln: ln.box[1])
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if b.box[1] >= a.box[3]:
                    break  # sorted by top: no later line reaches up into a
                dx = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
                dy = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
                if dx > OVERLAP_X and dy > OVERLAP_SHARE * min(a.box[3] - a.box[1], b.box[3] - b.box[1]):
                    bad.append(f"page {page}: {a.text!r} over {b.text!r}")
    return bad


def squeeze(text: str) -> str:
    """Text without white space: pdftotext puts spaces where the font changes (Korean and
    Latin letters come from different fonts) and breaks wrapped lines inside words."""
    return re.sub(r"\s+", "", text)


def cell_texts(xlsx: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every text cell of the printed sheets (inside a sheet's print
    area, when it has one)."""
    wb = openpyxl.load_workbook(xlsx)
    out = []
    for ws in wb.worksheets:
        if ws.title == META_SHEET or ws.sheet_state != "visible":
            continue
        area = None
        if ws.print_area:
            c1, r1, c2, r2 = range_boundaries(ws.print_area.split(",")[0].split("!")[-1].replace("$", ""))
            area = (r1, c1, r2, c2)
        for row in ws.iter_rows():
            for c in row:
                if area and not (area[0] <= c.row <= area[2] and area[1] <= c.column <= area[3]):
                    continue
                if c.data_type == "s" and c.value and c.value.strip():
                    out.append((ws.title, c.coordinate, c.value))
    return out


SHORT = 30  # characters: a heading, short enough to check word by word


def missing_texts(xlsx: Path, lines: list[Line]) -> list[str]:
    """Text cells whose text is not printed whole. A text must be one run of the printed
    text: within a line, or across the lines of a wrapped paragraph (pdftotext keeps them
    together, in order). A short wrapped heading beside other wrapped headings prints as
    pieces of several lines, so for short texts each word must be printed whole instead."""
    printed = "".join(squeeze(line.text) for line in lines)
    per_line = [squeeze(line.text) for line in lines]
    bad = []
    for sheet, where, text in cell_texts(xlsx):
        want = squeeze(text)
        if want in printed or any(want in ln for ln in per_line):
            continue
        if len(text) <= SHORT and all(any(word in ln for ln in per_line) for word in text.split()):
            continue
        bad.append(f"{sheet}!{where}: {text[:60]!r}")
    return bad


def hashes(lines: list[Line]) -> list[str]:
    return [f"page {ln.page}: {ln.text!r}" for ln in lines
            if any(re.fullmatch(r"#{2,}", w) for w in ln.text.split())]


def check_print(libreoffice, xlsx: Path) -> list[Line]:
    _needs("pdftotext")
    lines, sizes = printed_lines(export_pdf(libreoffice, xlsx))
    problems = []
    problems += [f"page {i + 1} is {w:.0f}x{h:.0f} pt, not A4 landscape" for i, (w, h) in enumerate(sizes)
                 if abs(w - A4_LANDSCAPE[0]) > 2 or abs(h - A4_LANDSCAPE[1]) > 2]
    problems += ["printed over each other: " + s for s in overprinted(lines)]
    problems += ["not printed whole: " + s for s in missing_texts(xlsx, lines)]
    problems += ["number too wide for its column: " + s for s in hashes(lines)]
    assert not problems, f"{xlsx.name}:\n" + "\n".join(problems[:40])
    return lines


@pytest.fixture(scope="module")
def korean_fonts():
    if not korean_font_installed():
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("a Korean font (fonts-nanum) is required when CI=true", pytrace=False)
        pytest.skip("no Korean font installed (fonts-nanum)")


def test_lemonade_prints_readably(libreoffice, korean_fonts, tmp_path):
    path = make(None, tmp_path / "lemonade.xlsx").path
    run_file(path, 8)  # with history rows, as a class has it after a few steps
    check_print(libreoffice, path)


@pytest.mark.parametrize("optimizer", ["adam"])
def test_every_derived_sheet_prints_readably(libreoffice, korean_fonts, tmp_path, optimizer):
    """The 'All steps' table with the optimizer's state columns, the race (its settings, table
    and chart; the lanes stay on screen), the landscape with the race's paths and its helper
    cells, and the sums: each printed, nothing over anything."""
    path = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.05,
                optimizer=optimizer, scale="standard").path
    run_file(path, 5)
    printed = "".join(squeeze(line.text) for line in check_print(libreoffice, path))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[2:6] == ["전체 과정", "최적화 비교", "손실 지형", "합계"]
    for sheet in wb.sheetnames[2:6]:
        assert squeeze(wb[sheet]["A1"].value) in printed, sheet


def test_lemonade_in_english_prints_readably(libreoffice, tmp_path):
    check_print(libreoffice, make(None, tmp_path / "lemonade-en.xlsx", lang="en").path)


def test_scaled_three_feature_table_prints_readably(libreoffice, korean_fonts, tmp_path):
    path = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", scale="standard",
                lr=0.01).path
    run_file(path, 3)
    check_print(libreoffice, path)


def test_the_check_fails_on_text_printed_over_text(libreoffice, tmp_path):
    """The checks can fail: a wrapped paragraph in a row too short for it, a heading
    clipped by its neighbour, a number wider than its column."""
    import xlsxwriter
    path = tmp_path / "bad.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("bad")
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_column(0, 1, 12)
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.write_string(0, 0, "a heading much wider than its column")
    ws.write_string(0, 1, "next")
    ws.write_number(1, 0, 123456789012345.0, wb.add_format({"num_format": "0.000"}))
    ws.set_column(3, 3, 20)
    ws.write_string(3, 3, " ".join(["a long paragraph that wraps over many lines"] * 4), wrap)
    ws.set_row(3, 15)
    ws.write_string(4, 3, "the next row")
    wb.close()
    _needs("pdftotext")
    lines, _ = printed_lines(export_pdf(libreoffice, path))
    assert hashes(lines)
    assert any("the next" in s for s in overprinted(lines))  # the paragraph's lines over row 5
    missing = missing_texts(path, lines)
    assert any("a heading much wider" in s for s in missing) and any("a long paragraph" in s for s in missing)
    with pytest.raises(AssertionError, match="not printed whole"):
        check_print(libreoffice, path)


def test_numbers_read_bounded_and_rounding_zeros_read_0(libreoffice, tmp_path):
    """The numbers students read, as LibreOffice shows them: a few decimals, never the 15
    digits of General, and what is zero but for rounding shows 0."""
    path = make(None, tmp_path / "lemonade.xlsx").path
    run_file(path, 8)
    with libreoffice.open(path) as doc:
        doc.recalc()

        def shown(name):
            return doc._named_range(name).getCellByPosition(0, 0).getString()

        # what Excel's LINEST leaves of B = 0 on this data (LibreOffice's comes out exactly 0)
        doc.set_named("best_B", -5.6e-15)
        doc.set_named("best_Loss", 1.8e-28)
        assert shown("best_B") == "0" and shown("best_Loss") == "0"
        assert shown("best_W") == "2.000000"
        for name in ("W", "B", "next_W", "next_B", "best_W"):
            assert re.fullmatch(r"-?\d+\.\d{6}", shown(name)), (name, shown(name))
        for name in ("Loss", "prevLoss", "Loss_W", "Loss_B"):
            assert re.fullmatch(r"[\d,]+\.\d{1,6}", shown(name)) and len(shown(name)) <= 10, (name, shown(name))
        for name in ("dLoss_dt", "grad_W", "grad_B", "dLoss_dW", "dLoss_dB"):
            assert re.fullmatch(r"-?[\d,]+\.\d{4}", shown(name)), (name, shown(name))
        doc.set_named("prevLoss", 0)  # before the first action 3: nothing to watch yet
        doc.recalc()
        assert shown("dLoss_dt") == ""
        table = doc.table("history")
        body = doc.model.Sheets.getByName(table.sheet).getCellRangeByPosition(
            table.first_col, table.first_row + 1, table.last_col, table.last_row)
        texts = [body.getCellByPosition(c, r).getString() for r in range(table.last_row - table.first_row)
                 for c in range(table.last_col - table.first_col + 1)]
        assert len(texts) == 8 * 4 and max(len(t) for t in texts) <= 9, texts


@pytest.mark.parametrize("kind", ["logistic2", "iris"])
def test_classification_workbooks_print_readably(libreoffice, korean_fonts, tmp_path, kind):
    import classify_reference
    path = classify_reference.build(kind, tmp_path).path
    assert run_file(path, 5).state.history.shape[0] == 5
    check_print(libreoffice, path)


# --- the training sheet prints at a readable size (issue 18) -------------------------------------
READABLE_PT = 8
ZOOM = 3  # pdftohtml's largest: font sizes come out in whole units of 1/3 point


def training_sheet_pdf(libreoffice, xlsx: Path, sheet: str) -> Path:
    """Only `sheet` printed, recalculated, with its own print setup (Doc.sheet_pdf)."""
    pdf = xlsx.with_suffix(".train.pdf")
    with libreoffice.open(xlsx) as doc:
        doc.recalc()
        doc.sheet_pdf(sheet, pdf)
    return pdf


def printed_sizes(pdf: Path) -> list[tuple[int, float, str]]:
    """(page, font size in points, text) of every run of text pdftohtml finds."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-zoom", str(ZOOM), str(pdf)], check=True,
                         capture_output=True, text=True).stdout
    root = ElementTree.fromstring(xml)
    sizes = {f.get("id"): int(f.get("size")) / ZOOM for f in root.iter("fontspec")}
    return [(int(page.get("number")), sizes[t.get("font")], "".join(t.itertext()))
            for page in root.iter("page") for t in page.iter("text") if "".join(t.itertext()).strip()]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_training_sheet_prints_at_8_points_or_more(libreoffice, korean_fonts, tmp_path, lang):
    """Printed on A4, no text of the training sheet (cells, notes, the charts' axes) is smaller than
    8 points: the sheet takes pages across rather than shrinking to one page wide; every page is A4
    landscape and nothing prints over anything or only in part."""
    _needs("pdftohtml")
    path = make(None, tmp_path / f"lemonade-{lang}.xlsx", lang=lang).path
    run_file(path, 3)
    sheet = "학습" if lang == "ko" else "Train"
    pdf = training_sheet_pdf(libreoffice, path, sheet)
    runs = printed_sizes(pdf)
    assert len(runs) > 50 and any("Loss" in text for _, _, text in runs)
    small = [f"page {p}: {size:.2f} pt {text!r}" for p, size, text in runs if size < READABLE_PT]
    assert not small, "\n".join(small[:20])
    pages = {p for p, _, _ in runs}
    assert 2 <= len(pages) <= 4, pages  # across, not shrunk; and not scattered over many pages
    lines, sizes = printed_lines(pdf)
    assert all(abs(w - A4_LANDSCAPE[0]) <= 2 and abs(h - A4_LANDSCAPE[1]) <= 2 for w, h in sizes)
    assert not overprinted(lines)
    printed = "".join(squeeze(line.text) for line in lines)
    wb = openpyxl.load_workbook(path)
    missing = [c.coordinate for row in wb[sheet].iter_rows() for c in row
               if c.data_type == "s" and c.value and c.value.strip() and squeeze(c.value) not in printed
               and not all(any(w in squeeze(ln.text) for ln in lines) for w in c.value.split())]
    assert not missing, missing


def test_the_size_check_sees_small_print(libreoffice, tmp_path):
    """The check can fail: a sheet shrunk to one page wide (as before) prints below 8 points."""
    _needs("pdftohtml")
    import xlsxwriter
    path = tmp_path / "wide.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("wide")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    for c in range(40):
        ws.write_string(0, c, f"column {c}")
    wb.close()
    runs = printed_sizes(training_sheet_pdf(libreoffice, path, "wide"))
    assert runs and max(size for _, size, _ in runs) < READABLE_PT


# --- the page plan itself (no LibreOffice) ---------------------------------------------------------
def _check_plan(edges, spans, scale, breaks):
    from gradsheet.sheets.looks import page_px
    starts = [0] + breaks
    ends = breaks + [len(edges) - 1]
    for b in breaks:
        assert not any(a < edges[b] < z for a, z in spans), f"a text runs over the break before column {b}"
    for s, e in zip(starts, ends):
        reach = max([edges[e] if e < len(edges) - 1 else max([edges[-1]] + [z for _, z in spans])]
                    + [z for a, z in spans if edges[s] <= a < edges[e]])
        assert reach - edges[s] <= page_px(scale) + 1e-9, (s, e, reach - edges[s], page_px(scale))


def test_pages_break_only_where_no_text_runs_over():
    from gradsheet.sheets.looks import MAX_SCALE, MIN_SCALE, page_px, plan_pages
    edges = [100.0 * c for c in range(31)]  # 30 columns of 100 pixels
    spans = [(0, 450), (1210, 1990), (2500, 2560)]  # a title over columns 0–4, a note over 12–19
    scale, breaks = plan_pages(edges, spans, forced=(3, 12))
    assert MIN_SCALE <= scale <= MAX_SCALE
    assert 3 not in breaks and 12 in breaks  # the title runs over column 3's edge; column 12's is free
    _check_plan(edges, spans, scale, breaks)
    assert scale == MAX_SCALE  # these pages fit at the largest scale
    # a page that only fits smaller: the scale goes down as far as it must, and no further. The note
    # runs from column 12 to 2,059.8 pixels, so its page is columns 12–20 (900 pixels) at least.
    wide = [(1210, 1210 + page_px(MAX_SCALE) + 20)]
    scale, breaks = plan_pages(edges, wide, forced=(12,))
    assert page_px(scale) >= 900 > page_px(scale + 1), scale
    assert 12 in breaks and 21 in breaks
    _check_plan(edges, wide, scale, breaks)
    # no plan can hold a text longer than a page at the smallest scale: planned at that scale
    scale, _ = plan_pages(edges, [(0, page_px(MIN_SCALE) + 50)])
    assert scale == MIN_SCALE
