"""No "-0" in Excel (issue 18): Excel writes a minus before a negative number that its format
shows as zero (-0.0000 for -0.00001 under #,##0.0000; -0 where the bounded formats' last,
digitless section "0" gets a tiny negative), where LibreOffice shows 0. No format code alone
can show a tiny negative as 0 and -1.5 as -1.5 in both programs (sheets/looks.py says why), so
every cell with a bounded format carries a conditional format for -half its last place < x < 0
whose number format (a dxf numFmt, ECMA-376 Part 1 §18.8.14, §18.3.1.10 cfRule/@dxfId) has three
sections without conditions: a negative number takes the second, which shows its size and no
minus of its own.

What Excel does is taken from its documented behaviour, since no Excel runs here: a digit format
shows -0.00 for -0.000001325 (Microsoft MVP Allen Wyatt, "Getting Rid of Negative Zero Amounts",
ExcelRibbon.tips.net T009901); a section picked by a condition keeps the sign unless the
condition holds only for negatives ([<=-25] shows -25 as 25, Excel 2019; SheetJS issues 2573
and 2594/ssf#78); the second of sections without conditions shows the number's size. LibreOffice
renders every format here.
"""

from __future__ import annotations

import re
import warnings

import openpyxl
import pytest

import classify_reference as ref
from gradsheet.build import make
from gradsheet.sheets.looks import NUMBER, SIGNLESS
from shared_builds import built_copy

BOUNDED = {NUMBER["param"], NUMBER["loss"], NUMBER["slope"], "0.0"}


def cells_and_rules(path):
    """sheet -> (cells with a bounded format: {address: format code}, the signless rules:
    [(ranges, formula, dxf format code)])"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: c.number_format for row in ws.iter_rows() for c in row
                 if c.number_format in BOUNDED and c.value is not None}
        rules = []
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                code = rule.dxf.numFmt.formatCode if rule.dxf is not None and rule.dxf.numFmt is not None else None
                if code in {plain for _, plain in SIGNLESS.values()}:
                    rules.append((cf.sqref, rule.formula[0], code))
        out[ws.title] = (cells, rules)
    return out


def covered(address: str, sqref) -> str | None:
    """The top-left cell of the range of `sqref` that holds `address`, or None."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
    col, row = coordinate_from_string(address)
    c = column_index_from_string(col)
    for rng in sqref.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= c <= rng.max_col:
            return rng.coord.split(":")[0]
    return None


@pytest.mark.parametrize("kind", ["lemonade", "softmax2"])
def test_every_bounded_cell_shows_a_tiny_negative_as_zero(tmp_path, kind):
    """Every cell with a bounded format (training sheet, 'All steps', the race, the landscape)
    lies in exactly one signless rule, for its own format's half last place, whose formula
    starts from the top-left cell of its range; no rule reaches a cell of another format."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = built_copy("lemonade", tmp_path, lambda d: make(None, d / "lemonade.xlsx")) if kind == "lemonade" \
            else ref.build(kind, tmp_path, unrolled=5, compare=4, landscape=("W_1_1", "B_1"))
    sheets = cells_and_rules(built.path)
    counted = 0
    for sheet, (cells, rules) in sheets.items():
        for address, code in cells.items():
            limit, plain = SIGNLESS[code]
            hits = [(covered(address, sqref), formula, rule_code) for sqref, formula, rule_code in rules
                    if covered(address, sqref)]
            assert len(hits) == 1, (sheet, address, hits)
            top, formula, rule_code = hits[0]
            assert rule_code == plain, (sheet, address)
            assert formula == f"AND({top}<0,{top}>-{limit:.10f}".rstrip("0") + ")", (sheet, address, formula)
            counted += 1
        for sqref, _, _ in rules:  # the rules cover bounded cells only
            for rng in sqref.ranges:
                for row in range(rng.min_row, rng.max_row + 1):
                    for col in range(rng.min_col, rng.max_col + 1):
                        from openpyxl.utils import get_column_letter
                        assert f"{get_column_letter(col)}{row}" in cells, (sheet, rng.coord)
    assert counted > (5000 if kind == "lemonade" else 400)


def test_the_signless_formats_have_no_condition_and_no_minus():
    """Three sections, no [condition], and no minus outside quotes: a negative number takes the
    second section, which shows its size only; the limit is half the last place each shows."""
    for code, (limit, plain) in SIGNLESS.items():
        sections = plain.split(";")
        assert len(sections) == 3 and not re.search(r"\[[<>=]", plain)
        assert "-" not in re.sub(r'"[^"]*"', "", plain)
        # the section a tiny number takes: the last, or before a last that is a quoted "0"
        sections_of = code.split(";")
        tiny = sections_of[-2] if sections_of[-1].startswith('"') else sections_of[-1]
        decimals = re.search(r"\.(0+)", tiny)
        shown = len(decimals.group(1)) if decimals else 0
        assert limit == pytest.approx(0.5 * 10.0 ** -shown)


def test_libreoffice_reads_the_rules_and_shows_zero(libreoffice, tmp_path):
    """LibreOffice imports each rule with its number format, and both a bounded cell and the
    rule's own format show a tiny negative as zero there; -1.5 keeps its minus."""
    import xlsxwriter
    from gradsheet.sheets.looks import signless_zeros
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("s")
    codes = sorted(BOUNDED)
    values = [-1.5, -1e-9, 0.0]
    for r, code in enumerate(codes):
        style = wb.add_format({"num_format": code})
        plain = wb.add_format({"num_format": SIGNLESS[code][1]})
        for c, v in enumerate(values):
            ws.write_formula(r, c, f"={v!r}", style, v)
            ws.write_number(r, 4 + c, v, plain)  # the rule's format itself, on a cell of its own
    assert signless_zeros(wb) == len(codes)  # one range per format (E:G hold the rules' own formats)
    wb.close()
    with libreoffice.open(path) as doc:
        doc.recalc()
        sheet = doc.model.Sheets.getByName("s")
        imported = {}
        for cf in sheet.ConditionalFormats.getConditionalFormats():
            for i in range(cf.getCount()):
                entry = cf.getByIndex(i)
                style = doc.model.StyleFamilies.getByName("CellStyles").getByName(entry.StyleName)
                imported[entry.Formula1] = doc.model.NumberFormats.getByKey(style.NumberFormat).FormatString
        for r, code in enumerate(codes):
            limit, plain = SIGNLESS[code]
            assert imported[f"AND(A{r + 1}<0,A{r + 1}>-{limit:.10f}".rstrip("0") + ")"] == plain
            shown = [sheet.getCellByPosition(c, r).getString() for c in range(7)]
            assert shown[0].startswith("-1.5") or code == NUMBER["loss"], (code, shown)
            assert not shown[1].startswith("-") and not shown[5].startswith("-"), (code, shown)
            assert float(shown[5].replace(",", "")) == 0.0 and not shown[4].startswith("-")
