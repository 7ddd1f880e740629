"""The data reader: every accepted format parses to the numbers written; every refusal is a
GradsheetError with one line naming the culprit. Test files are written here, in tmp_path."""

from __future__ import annotations

import datetime
import io
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradsheet.data.dataset import (MAX_FEATURES, MAX_HEADING, MAX_ROWS, Dataset, as_cell_numbers, lemonade,
                               load)
from gradsheet.core import messages
from gradsheet.core.errors import GradsheetError
from budget import examples

LEMON = [(20, 40), (21, 42), (22, 44), (23, 46), (24, 48), (25, 50)]


@pytest.fixture(autouse=True)
def english():
    """The messages below are asserted in English (`--lang en`); Korean ones where said so.
    The language in use is put back after each test."""
    before = messages.current()
    messages.use("en")
    yield
    messages.use(before)


def said(ds: Dataset) -> tuple[str, ...]:
    """The dataset's warnings as the lines the user reads (in the language in use)."""
    return tuple(str(w) for w in ds.warnings)


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def write_xlsx(tmp_path: Path, name: str, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def refused(path, *culprits: str, **kwargs) -> str:
    """load() refuses with one line that names every culprit; the message is returned."""
    with pytest.raises(GradsheetError) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert len(message.splitlines()) == 1 and "\n" not in message and "\r" not in message, message
    for culprit in culprits:
        assert culprit in message, (culprit, message)
    return message


def check(ds: Dataset, features: tuple[str, ...], target: str, rows: list[tuple]) -> None:
    assert ds.feature_names == features
    assert ds.target_name == target
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.float64
    assert ds.X.shape == (len(rows), len(features)) and ds.y.shape == (len(rows),)
    assert ds.X.tolist() == [[float(v) for v in row[:-1]] for row in rows]
    assert ds.y.tolist() == [float(row[-1]) for row in rows]


# ---------------------------------------------------------------------------------------------
# Accepted


def test_embedded_lemonade_and_load_none():
    for ds in (lemonade(), load()):
        check(ds, ("온도",), "판매량", LEMON)
        assert ds.name == "lemonade" and said(ds) == () and (ds.n, ds.k) == (6, 1)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_course_file_crlf_and_space_after_comma(tmp_path, bom):
    text = "온도, 판매량\r\n" + "".join(f"{x}, {y}\r\n" for x, y in LEMON)
    ds = load(write(tmp_path, "lemonade_course.csv", bom + text.encode("utf-8")))
    check(ds, ("온도",), "판매량", LEMON)
    assert ds.name == "lemonade_course"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(tmp_path, delimiter):
    rows = [(1.5, -2, 3e-7, 40), (0, 0.25, -1e10, -7.125), (100, 2, 3, 4)]
    text = delimiter.join(["a", "b b", "c", "y"]) + "\n"
    text += "".join(delimiter.join(repr(v) for v in row) + "\n" for row in rows)
    check(load(write(tmp_path, "t.csv", text)), ("a", "b b", "c"), "y", rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quoted_numbers_and_spaces(tmp_path, delimiter):
    d = delimiter
    text = (f'"x 1"{d} "x,2;"{d}"y"\r\n'
            f'"0"{d} "1.5" {d}  -2  \r\n'
            f'  3 {d}"4"{d}" 5 "\r\n'
            f'"-0.5"{d}  "6e2"{d}7\r\n')
    ds = load(write(tmp_path, "q.csv", text))
    check(ds, ("x 1", "x,2;"), "y", [(0, 1.5, -2), (3, 4, 5), (-0.5, 600, 7)])


@pytest.mark.parametrize("tail", ["\n\n\n", "\r\n\r\n", "  \n\t\n", ",,\r\n,,\r\n", ""])
def test_blank_trailing_lines(tmp_path, tail):
    text = "a,b,y\r\n1,2,3\r\n4,5,6" + ("\r\n" if tail else "") + tail
    check(load(write(tmp_path, "t.csv", text)), ("a", "b"), "y", [(1, 2, 3), (4, 5, 6)])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "온도,습도 (%),판매량\r\n20,55.5,40\r\n21,60,42\r\n"
    ds = load(write(tmp_path, "t.csv", text, encoding))
    check(ds, ("온도", "습도 (%)"), "판매량", [(20, 55.5, 40), (21, 60, 42)])


def test_cp949_only_hangul(tmp_path):
    # 똠 and 햏 are outside EUC-KR's 2,350 syllables: only CP949 (Korean Windows) has them
    text = "똠방각하,햏\n1,2\n"
    check(load(write(tmp_path, "t.csv", text, "cp949")), ("똠방각하",), "햏", [(1, 2)])


def test_headings_kept_exactly_but_stripped(tmp_path):
    text = '  판매 량 (개)  ,  "  Temp °C "  , "a""b"\u3000\n1,2,3\n'
    ds = load(write(tmp_path, "t.csv", text))
    assert ds.feature_names == ("판매 량 (개)", "Temp °C") and ds.target_name == 'a"b'


def test_number_spellings(tmp_path):
    text = "a,b,y\n+5,.5,5.\n1E3,-0,00012\n1e-300,1e100,-12\n"
    rows = [(5, 0.5, 5), (1000, -0.0, 12), (1e-300, 1e100, -12)]
    check(load(write(tmp_path, "t.csv", text)), ("a", "b"), "y", rows)
    # beyond 1e100 the squared errors overflow (1.7976931348623157e308 even rounds to inf)
    refused(write(tmp_path, "u.csv", "a,y\n1,2\n1.7976931348623157e308,3\n"), "row 3", "'a'", "too large")


def test_excel_sep_line(tmp_path):
    # Excel's "sep=;" first line fixes the delimiter; the line is not part of the table
    ds = load(write(tmp_path, "t.csv", "sep=;\r\na,b;c\r\n1;2\r\n3;4\r\n"))
    check(ds, ("a,b",), "c", [(1, 2), (3, 4)])
    # rows keep their file numbers: the refusal names file row 3
    refused(write(tmp_path, "u.csv", "sep=;\r\na;b\r\n1,5;2\r\n2.5;3\r\n"), "row 3", "'a'", "'1,5'")


def test_empty_trailing_column_is_ignored(tmp_path):
    text = "a,b,\r\n1,2,\r\n3,4,\r\n"
    check(load(write(tmp_path, "t.csv", text)), ("a",), "b", [(1, 2), (3, 4)])


def test_xlsx_first_sheet_and_text_numbers(tmp_path):
    path = write_xlsx(tmp_path, "book.xlsx", {
        "first": [["온도", " 판매량 "], [20, 40], ["21", " 42.5 "], [22.25, "-1e3"]],
        "second": [["p", "q", "r"], [1, 2, 3]]})
    ds = load(path)
    check(ds, ("온도",), "판매량", [(20, 40), (21, 42.5), (22.25, -1000)])
    assert ds.name == "book"


def test_xlsx_named_sheet(tmp_path):
    path = write_xlsx(tmp_path, "book.xlsx", {
        "first": [["a", "b"], [1, 2]], "두번째": [["p", "q", "r"], [1, 2, 3], [4, 5, 6.5]]})
    check(load(path, sheet="두번째"), ("p", "q"), "r", [(1, 2, 3), (4, 5, 6.5)])


def test_xlsx_table_not_at_a1_and_trailing_formatting(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws["B3"], ws["C3"] = "x", "y"
    ws["B4"], ws["C4"] = 1, 2
    ws["B5"], ws["C5"] = 3, 4
    ws["F20"].number_format = "0.00"  # a formatted empty cell stretches the sheet's dimension
    ws["F20"] = None
    book.save(tmp_path / "b.xlsx")
    check(load(tmp_path / "b.xlsx"), ("x",), "y", [(1, 2), (3, 4)])


def test_xlsx_with_a_csv_name_is_read_as_xlsx(tmp_path):
    path = write_xlsx(tmp_path, "book.xlsx", {"s": [["a", "b"], [1, 2]]})
    renamed = path.rename(tmp_path / "book.csv")
    check(load(renamed), ("a",), "b", [(1, 2)])


def test_column_choice(tmp_path):
    path = write(tmp_path, "t.csv", "a,b,c,d\n1,2,3,4\n5,6,7,8\n")
    check(load(path, target="b"), ("a", "c", "d"), "b", [(1, 3, 4, 2), (5, 7, 8, 6)])
    check(load(path, target="1", features="4, 2"), ("d", "b"), "a", [(4, 2, 1), (8, 6, 5)])
    check(load(path, target="c", features=["a"]), ("a",), "c", [(1, 3), (5, 7)])
    ds = load(path, features="a,b")
    assert (ds.feature_names, ds.target_name) == (("a", "b"), "d")


def test_overlong_heading_is_cut_with_a_warning(tmp_path):
    long1, long2 = "온" * 300, "x" * 40_000  # the second is past Excel's 32,767 per cell
    path = write(tmp_path, "t.csv", f"{long1},{long2},y\n1,2,3\n")
    ds = load(path)
    assert ds.feature_names == (long1[:MAX_HEADING], long2[:MAX_HEADING])
    assert len(said(ds)) == 2
    assert "온" * 20 in said(ds)[0] and "300" in said(ds)[0] and "255" in said(ds)[0]
    assert "x" * 20 in said(ds)[1] and "40,000" in said(ds)[1]
    assert all(len(w.splitlines()) == 1 for w in said(ds))
    assert load(path, target=long1).target_name == long1[:MAX_HEADING]


def test_exactly_max_rows_and_max_features(tmp_path):
    path = write(tmp_path, "rows.csv", "x,y\n" + "1,2\n" * MAX_ROWS)
    assert load(path).n == MAX_ROWS
    headings = [f"f{i}" for i in range(MAX_FEATURES)] + ["y"]
    path = write(tmp_path, "cols.csv", ",".join(headings) + "\n" + ",".join(
        str(i) for i in range(MAX_FEATURES + 1)) + "\n")
    ds = load(path)
    assert ds.k == MAX_FEATURES and ds.X.tolist() == [list(map(float, range(MAX_FEATURES)))]


# ---------------------------------------------------------------------------------------------
# Refused


def test_non_numeric_cell(tmp_path):
    text = "온도,판매량\n20,40\n21,42\n22,44\n abc ,46\n"
    message = refused(write(tmp_path, "t.csv", text), "t.csv", "row 5", "'온도'", "'abc'")
    assert message.endswith("row 5, column '온도': 'abc' is not a number")


# ("12%" was refused here before Excel's formatting was read: it is now 0.12, see below)
# ("1,5" is a decimal comma and "$3" a currency sign now: see "Data a teacher really has" below)
@pytest.mark.parametrize("cell", ["1_000", "0x10", "--1", "1e", "TRUE", "12%%", "%",
                                  "1_0%", "$3%", "12 % 3", "3$", "약 3", "3 시간 반"])
def test_other_non_numbers(tmp_path, cell):
    path = write(tmp_path, "t.csv", f'a;b\n1;2\n3;"{cell}"\n')
    refused(path, "row 3", "'b'", f"'{cell}'", "not a number")


@pytest.mark.parametrize("text, row, column", [
    ("a,b\n1,2\n,4\n", 3, "a"),
    ("a,b\n1,2\n3,   \n", 3, "b"),
    ('a,b\n1,""\n', 2, "b"),
])
def test_missing_value(tmp_path, text, row, column):
    refused(write(tmp_path, "t.csv", text), f"row {row}", f"'{column}'", "missing")


@pytest.mark.parametrize("cell", ["nan", "NaN", "NAN", "-nan", "inf", "-inf", "INF", "-Inf",
                                  "+inf", "Infinity", "-INFINITY", "1e400", "-1e999"])
def test_non_finite(tmp_path, cell):
    path = write(tmp_path, "t.csv", f"a,b\n1,2\n3,4\n{cell},5\n")
    refused(path, "row 4", "'a'", f"'{cell}'", "not a finite number")


def test_first_bad_cell_in_reading_order(tmp_path):
    # column b fails first in the file (row 2), though column a's failure (row 3) is further left
    path = write(tmp_path, "t.csv", "a,b,c\n1,x,3\nz,5,6\n")
    refused(path, "row 2", "'b'", "'x'")


@pytest.mark.parametrize("content", [b"", b"   \r\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n",
                                     b",,\n,,\n"])
def test_empty_file(tmp_path, content):
    refused(write(tmp_path, "empty.csv", content), "empty.csv", "empty")


@pytest.mark.parametrize("content", ["a,b\n", "a,b\r\n\r\n\r\n", "a;b"])
def test_header_without_rows(tmp_path, content):
    refused(write(tmp_path, "h.csv", content), "h.csv", "no data rows")


def test_duplicate_headings(tmp_path):
    refused(write(tmp_path, "t.csv", "x,y, x\n1,2,3\n"), "duplicate heading 'x'",
            "columns 1 and 3")


def test_headings_differing_only_in_case(tmp_path):
    refused(write(tmp_path, "t.csv", "Temp,y,temp\n1,2,3\n"), "'Temp'", "'temp'",
            "columns 1 and 3", "letter case")


@pytest.mark.parametrize("text, column", [("a,,b\n1,2,3\n", 2), ("a, ,b\n1,2,3\n", 2),
                                          ('"",a,b\n1,2,3\n', 1), ("a,b,\n1,2,3\n", 3)])
def test_empty_heading(tmp_path, text, column):
    refused(write(tmp_path, "t.csv", text), f"column {column}", "empty heading")


@pytest.mark.parametrize("text", ["y\n1\n2\n", "y,\n1,\n2,\n", "  판매량  \r\n40\r\n"])
def test_single_column(tmp_path, text):
    heading = text.split("\n")[0].strip().strip(",")
    refused(write(tmp_path, "t.csv", text), "only one column", f"'{heading}'", "feature")


@pytest.mark.parametrize("text, row, fields", [
    ("a,b,c\n1,2,3\n4,5\n7,8,9\n", 3, 2),
    ("a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3,4\n", 5, 4),
    ("a\tb\n1\t2\n3\t4\t\n", 3, 3),
    ("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n13,14\n15,16\n17,18\n19\n", 11, 1),
])
def test_wrong_number_of_fields(tmp_path, text, row, fields):
    refused(write(tmp_path, "t.csv", text), f"row {row} has {fields} field")


def test_blank_row_inside_the_table(tmp_path):
    refused(write(tmp_path, "t.csv", "a,b\r\n1,2\r\n\r\n3,4\r\n"), "row 3 is empty")
    refused(write(tmp_path, "u.csv", "a,b\r\n1,2\r\n,\r\n3,4\r\n"), "row 3 is empty")


def test_too_many_rows(tmp_path):
    path = write(tmp_path, "big.csv", "x,y\n" + "1,2\n" * (MAX_ROWS + 1))
    refused(path, "big.csv", "1,048,001", "1,048,000")


def test_too_many_features(tmp_path):
    headings = [f"f{i}" for i in range(MAX_FEATURES + 1)] + ["y"]
    path = write(tmp_path, "wide.csv", ",".join(headings) + "\n" + ",".join(
        "1" for _ in headings) + "\n")
    refused(path, "wide", "251 feature columns", "250")
    assert load(path, features=headings[:3]).k == 3  # choosing fewer is fine


def test_missing_path_and_directory(tmp_path):
    refused(tmp_path / "nope.csv", "not found", "nope.csv")
    refused(tmp_path, "directory", str(tmp_path))


PNG = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0,
       0, 0) + struct.pack(">I", zlib.crc32(b"IHDR")) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name.replace("__", "/"), data)
    return out.getvalue()


@pytest.mark.parametrize("name, content, words", [
    ("junk.csv", bytes(range(256)) * 4, ["not a text table"]),
    ("random.csv", np.random.default_rng(1).bytes(5000), ["not a text table"]),
    ("image.png", PNG, ["not a text table"]),
    ("nul.csv", b"a,b\n1,\x002\n", ["binary", "line 2"]),
    ("bad.csv", b"a,b\n1,2\n\xff\xfe\xfd,3\n", ["neither UTF-8 nor CP949"]),
    ("archive.zip", _zip(readme__txt=b"hello"), ["not a readable Excel .xlsx"]),
    ("fake.xlsx", _zip(**{"[Content_Types].xml": b"<Types/>"}), ["not a readable Excel .xlsx"]),
    ("cut.xlsx", None, ["xlsx"]),
    ("text.xlsx", b"a,b\n1,2\n", ["not an Excel .xlsx workbook"]),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), [".xls", "save it as .xlsx"]),
])
def test_not_a_table(tmp_path, name, content, words):
    if content is None:  # a real workbook cut in half
        book = write_xlsx(tmp_path, "whole.xlsx", {"s": [["a", "b"], [1, 2]]}).read_bytes()
        content = book[: len(book) // 2]
    refused(write(tmp_path, name, content), name, *words)


def test_wrong_sheet_lists_the_sheets(tmp_path):
    path = write_xlsx(tmp_path, "b.xlsx", {"데이터": [["a", "b"], [1, 2]], "notes": [["x"]]})
    refused(path, "b.xlsx", "'Sheet9'", "데이터, notes", sheet="Sheet9")


def test_sheet_for_a_text_file(tmp_path):
    refused(write(tmp_path, "t.csv", "a,b\n1,2\n"), "t.csv", "'data'", sheet="data")


def test_xlsx_refusals_name_row_and_column(tmp_path):
    rows = [["x", "y"], [1, 2], [3, "abc"], [5, None], [True, 1],
            [datetime.datetime(2020, 1, 2), 3], ["#DIV/0!", 3]]
    for bad in range(2, len(rows)):
        path = write_xlsx(tmp_path, f"b{bad}.xlsx", {"data": rows[:2] + [rows[bad]]})
        column = "'y'" if rows[bad][1] in ("abc", None) else "'x'"
        message = refused(path, f"b{bad}.xlsx", "sheet 'data'", "row 3", column)
        assert ("missing" if rows[bad][1] is None else "number") in message


def test_xlsx_structure_refusals(tmp_path):
    refused(write_xlsx(tmp_path, "e.xlsx", {"s": []}), "e.xlsx", "empty")
    refused(write_xlsx(tmp_path, "h.xlsx", {"s": [["a", "b"]]}), "no data rows")
    refused(write_xlsx(tmp_path, "one.xlsx", {"s": [["y"], [1]]}), "only one column", "'y'")
    refused(write_xlsx(tmp_path, "d.xlsx", {"s": [["a", "a"], [1, 2]]}), "duplicate", "'a'")
    refused(write_xlsx(tmp_path, "g.xlsx", {"s": [["a", None, "b"], [1, 2, 3]]}),
            "column 2", "empty heading")
    refused(write_xlsx(tmp_path, "r.xlsx", {"s": [["a", "b"], [1, 2], [], [3, 4]]}),
            "row 3 is empty")


def test_wrong_column_lists_the_headings(tmp_path):
    path = write(tmp_path, "t.csv", "온도,습도,판매량\n1,2,3\n")
    refused(path, "'기온'", "온도, 습도, 판매량", target="기온")
    refused(path, "'9'", "온도, 습도, 판매량", features="1,9")
    refused(path, "'온도'", "both", target="온도", features=["온도"])
    refused(path, "'습도'", "twice", features="습도,2")


def test_messages_stay_on_one_line_with_odd_headings(tmp_path):
    path = write(tmp_path, "t.csv", '"a\nb",c\u2028d,y\n1,x,3\n2,4,5\n')
    message = refused(path, "row 2", "not a number")  # rows as Excel shows them: records
    assert "'c\\u2028d'" in message
    # a column without numbers is left out, and the warning naming it stays on one line too
    ds = load(write(tmp_path, "u.csv", '"a\nb",c\u2028d,y\n1,"x\ny",3\n'))
    assert ds.feature_names == ("a\nb",) and len(said(ds)) == 1
    assert "\n" not in said(ds)[0] and "'c\\u2028d' ('x\\ny' in row 2)" in said(ds)[0]


# ---------------------------------------------------------------------------------------------
# Data as instructors have it: Excel exports (formatted numbers, titles, units, other columns)


def test_thousands_separators_quoted_with_comma_delimiter(tmp_path):
    text = '면적,가격\r\n84.9,"45,000"\r\n59.5," 1,234,567.25 "\r\n114,"-2,500"\r\n33,  "+1,000."\r\n'
    ds = load(write(tmp_path, "t.csv", text))
    check(ds, ("면적",), "가격", [(84.9, 45000), (59.5, 1234567.25), (114, -2500), (33, 1000)])
    assert said(ds) == ("column '가격': 4 numbers with thousands separators read as plain numbers "
                           "(e.g. '45,000' → 45000)",)


def test_thousands_separators_unquoted_with_semicolon_and_tab(tmp_path):
    for name, d in (("semi.csv", ";"), ("tab.tsv", "\t")):
        text = f"면적{d}가격\n84{d}45,000\n60{d}999\n"
        ds = load(write(tmp_path, name, text))
        check(ds, ("면적",), "가격", [(84, 45000), (60, 999)])
        assert said(ds) == ("column '가격': 1 number with thousands separators read as a plain "
                               "number (e.g. '45,000' → 45000)",)


def test_unquoted_thousands_with_comma_delimiter_are_two_fields(tmp_path):
    # "45,000" unquoted in a comma-separated file is two fields, as Excel itself would read it
    refused(write(tmp_path, "t.csv", "면적,가격\n84,45,000\n"), "row 2 has 3 fields", "has 2")


@pytest.mark.parametrize("cell, value", [("1,5", 1.5), ("1,00", 1.0), ("1,0000", 1.0), ("0,500", 0.5),
                                         ("-0,25", -0.25), (" 2,5 ", 2.5)])
def test_a_decimal_comma_is_read_when_no_comma_could_group_thousands(tmp_path, cell, value):
    # (these were refused before decimal commas were read: "1,5" cannot be a thousands group)
    ds = load(write(tmp_path, "t.csv", f'a;b\n1;2\n3;{cell}\n'))
    check(ds, ("a",), "b", [(1, 2), (3, value)])
    assert said(ds) == (f"column 'b': 1 decimal comma read as a decimal point (e.g. '{cell.strip()}' → "
                        f"{value:g})",)


@pytest.mark.parametrize("cell", ["12,34,567", ",000", "1,,000", "1,000,00", "1.000,5", "1,000e3", "-,5"])
def test_commas_that_are_neither_groups_of_three_nor_decimal_are_refused(tmp_path, cell):
    # an odd grouping could mean another number: never guessed
    path = write(tmp_path, "t.csv", f'a;b\n1;2\n3;{cell}\n')
    message = refused(path, "row 3", "'b'", f"'{cell}'", "not a number")
    assert "groups of three digits" in message and "3,9" in message


def test_percentages_are_fractions_as_excel_stores_them(tmp_path):
    text = "할인율;판매량\n12%;10\n12.3 %;20\n-3%;30\n 0.5% ;40\n1,000%;50\n1e2%;60\n"
    ds = load(write(tmp_path, "t.csv", text))
    # decimal shifting, not division: 12.3% is the double nearest 0.123 (12.3/100 is not)
    assert 12.3 / 100 != 0.123
    check(ds, ("할인율",), "판매량", [(0.12, 10), (0.123, 20), (-0.03, 30), (0.005, 40),
                                  (10, 50), (1, 60)])
    assert said(ds) == (
        "column '할인율': 1 number with thousands separators read as a plain number "
        "(e.g. '1,000%' → 10); 6 percentages read as fractions, as Excel stores them "
        "(e.g. '12%' → 0.12)",)


def test_one_warning_line_per_converted_column(tmp_path):
    text = 'a,b,c,y\n"1,000",5%,1,"2,000"\n"3,000",7%,2,4\n'
    ds = load(write(tmp_path, "t.csv", text))
    check(ds, ("a", "b", "c"), "y", [(1000, 0.05, 1, 2000), (3000, 0.07, 2, 4)])
    assert said(ds) == (
        "column 'a': 2 numbers with thousands separators read as plain numbers (e.g. '1,000' → 1000)",
        "column 'b': 2 percentages read as fractions, as Excel stores them (e.g. '5%' → 0.05)",
        "column 'y': 1 number with thousands separators read as a plain number (e.g. '2,000' → 2000)")
    assert said(load(write(tmp_path, "plain.csv", "a,y\n 1 , 2 \n3,4\n"))) == ()  # spaces: silent


@pytest.mark.parametrize("cell, why", [("1e400%", "not a finite number"), ("nan%", "not a finite number"),
                                       ("1e103%", "too large")])
def test_percentages_keep_the_finite_checks(tmp_path, cell, why):
    refused(write(tmp_path, "t.csv", f"a,y\n1,2\n{cell},3\n"), "row 3", "'a'", f"'{cell}'", why)


def test_cp949_excel_export_with_title_units_and_formatted_numbers(tmp_path):
    # what Excel's "CSV (쉼표로 분리)" writes on Korean Windows: CP949, every row as wide as the
    # sheet, a title line, a units row, thousands separators (quoted) and a date column
    text = ("2024년 아파트 시세,,,\r\n"
            "단지,면적,거래일,매매가(만원)\r\n"
            ",(㎡),,(만원)\r\n"
            '래미안,84.9,2024-01-05,"45,000"\r\n'
            '자이,59.5,2024-02-11,"31,500"\r\n'
            '힐스테이트,114.2,2024-03-02,"102,000"\r\n')
    ds = load(write(tmp_path, "시세.csv", text, "cp949"))
    check(ds, ("면적",), "매매가(만원)", [(84.9, 45000), (59.5, 31500), (114.2, 102000)])
    assert said(ds) == (
        "row 1 ('2024년 아파트 시세') looks like a title above the headings: skipped",
        "row 3 ('(㎡)', '(만원)') looks like units under the headings: skipped",
        "left out 2 columns without numbers: '단지' ('래미안' in row 4), '거래일' ('2024-01-05' in row 4)",
        "column '매매가(만원)': 3 numbers with thousands separators read as plain numbers "
        "(e.g. '45,000' → 45000)")
    # file rows keep their numbers after the skipped rows
    bad = text.replace('"31,500"', '"31,5OO"')
    refused(write(tmp_path, "bad.csv", bad, "cp949"), "row 5", "'매매가(만원)'", "'31,5OO'")


@pytest.mark.parametrize("title", ["2024년 아파트 시세\n", "2024년 아파트 시세\n\n", '"Prices, 2024"\n',
                                   "  Prices 2024 ;;\n"])
def test_title_line_without_delimiters_or_followed_by_a_blank_line(tmp_path, title):
    d = ";" if ";;" in title else ","
    text = title + f"x{d}y\n1{d}2\n3{d}4\n5{d}6\n"
    ds = load(write(tmp_path, "t.csv", text))
    check(ds, ("x",), "y", [(1, 2), (3, 4), (5, 6)])
    assert len(said(ds)) == 1 and said(ds)[0].startswith("row 1 (") and "title" in said(ds)[0]
    header_row = 3 if title.endswith("\n\n") else 2
    refused(write(tmp_path, "bad.csv", text.replace(f"3{d}4", f"3{d}z")), f"row {header_row + 2}", "'y'")


@pytest.mark.parametrize("units", ["(kg),(원)", "[kg],", ",（개）", "(), [m²]"])
def test_units_row_forms(tmp_path, units):
    ds = load(write(tmp_path, "t.csv", f"x,y\n{units}\n1,2\n3,4\n"))
    check(ds, ("x",), "y", [(1, 2), (3, 4)])
    assert said(ds)[0].startswith("row 2 (") and "units" in said(ds)[0]


@pytest.mark.parametrize("text, words", [
    ("x,\n1,2\n", ["column 2", "empty heading"]),  # one filled cell over numbers: not a title
    ("title\n1,2\n3,4\n", ["row 2 has 2 fields"]),  # nor over a row of numbers
    ("x,y\n(kg),5\n1,2\n", ["row 2", "'x'", "'(kg)'"]),  # a units row has no numbers
    ("x,y\n(kg),note\n1,2\n", ["row 2", "'x'", "'(kg)'"]),  # and only units
])
def test_what_is_not_a_title_or_units_row(tmp_path, text, words):
    refused(write(tmp_path, "t.csv", text), *words)


def test_xlsx_title_units_and_numbers_stored_as_text(tmp_path):
    path = write_xlsx(tmp_path, "시세.xlsx", {"data": [
        ["2024년 아파트 시세"], [], ["단지", "면적", "할인율", "거래일", "매매가"],
        [None, "(㎡)", None, None, "[만원]"],
        ["래미안", 84.9, "12%", datetime.datetime(2024, 1, 5), "45,000"],
        ["자이", "59.5", 0.05, datetime.datetime(2024, 2, 11), 31500],
        ["힐스", 114.2, " 3.5% ", datetime.datetime(2024, 3, 2), " 1,020,000 "]]})
    ds = load(path)
    check(ds, ("면적", "할인율"), "매매가",
          [(84.9, 0.12, 45000), (59.5, 0.05, 31500), (114.2, 0.035, 1020000)])
    assert said(ds) == (
        "row 1 ('2024년 아파트 시세') looks like a title above the headings: skipped",
        "row 4 ('(㎡)', '[만원]') looks like units under the headings: skipped",
        "left out 2 columns without numbers: '단지' ('래미안' in row 5), "
        "'거래일' ('2024-01-05 00:00:00' in row 5)",
        "column '할인율': 2 percentages read as fractions, as Excel stores them (e.g. '12%' → 0.12)",
        "column '매매가': 2 numbers with thousands separators read as plain numbers "
        "(e.g. '45,000' → 45000)")
    refused(path, "sheet 'data'", "row 5", "'거래일'", "not a number", features="면적,거래일")


def test_columns_not_chosen_are_never_checked(tmp_path):
    text = "번호,이름,키,메모,몸무게\n1,홍길동,170,N/A,65\n2,,abc,,70\n3,김철수,180,1e999,80\n"
    path = write(tmp_path, "t.csv", text)
    ds = load(path, target="몸무게", features="번호")
    check(ds, ("번호",), "몸무게", [(1, 65), (2, 70), (3, 80)])
    assert said(ds) == ()
    # by default, a column with some numbers is a feature, so its bad cell is refused
    refused(path, "row 3", "'키'", "'abc'", "not a number")
    refused(path, "row 2", "'메모'", "'N/A'", target="몸무게", features="메모")


def test_default_features_leave_out_text_and_empty_columns(tmp_path):
    text = "이름,키,비고,빈칸,몸무게,메모\n홍길동,170,좋음,,65,가\n김철수,180,,,80,\n"
    ds = load(write(tmp_path, "t.csv", text))
    # the target is the last column with numbers; the text and empty columns are left out
    check(ds, ("키",), "몸무게", [(170, 65), (180, 80)])
    assert said(ds) == ("left out 4 columns without numbers: '이름' ('홍길동' in row 2), "
                           "'비고' ('좋음' in row 2), '빈칸' (empty), '메모' ('가' in row 2)",)


def test_nothing_numeric_besides_the_target_is_refused_by_its_first_cell(tmp_path):
    refused(write(tmp_path, "t.csv", "이름,점수\n홍길동,90\n"), "row 2", "'이름'", "'홍길동'")
    refused(write(tmp_path, "u.csv", "이름,성\n홍,길동\n"), "row 2", "'이름'", "'홍'")


def test_default_target_with_features_given(tmp_path):
    path = write(tmp_path, "t.csv", "a,b,y,메모\n1,2,3,x\n4,5,6,y\n")
    ds = load(path, features="a")
    assert (ds.feature_names, ds.target_name) == (("a",), "y") and said(ds) == ()


@pytest.mark.parametrize("wanted, suggestion", [
    ("매매가", "did you mean '매매가(만원)' (column 2)?"),
    ("매매", "did you mean '매매가(만원)' (column 2)?"),
    ("면적(㎡)", "did you mean '면적' (column 1)?"),
    ("AREA", "did you mean 'area_m2' (column 4)?"),
    ("매매가(만 원)", "did you mean '매매가(만원)' (column 2)?"),
    ("floors", "did you mean 'floor' (column 3)?"),
])
def test_a_wrong_column_suggests_the_closest(tmp_path, wanted, suggestion):
    path = write(tmp_path, "t.csv", "면적,매매가(만원),floor,area_m2\n1,2,3,4\n")
    message = refused(path, f"no column '{wanted}'", target=wanted)
    assert message.endswith(suggestion) and "the columns are" not in message
    assert refused(path, features=f"면적, {wanted}").endswith(suggestion)


def test_a_wrong_column_can_suggest_several(tmp_path):
    path = write(tmp_path, "t.csv", "가격(만원),가격(원),면적\n1,2,3\n")
    assert refused(path, target="가격").endswith(
        "did you mean '가격(만원)' (column 1) or '가격(원)' (column 2)?")


def test_lemonade_headings_follow_the_language():
    ko, en = load(), load(lang="en")
    check(ko, ("온도",), "판매량", LEMON)
    check(en, ("temperature",), "sales", LEMON)
    assert lemonade("en").feature_names == ("temperature",) and en.name == ko.name == "lemonade"
    # either language's names pick the same columns
    for lang in ("ko", "en"):
        for target in ("온도", "temperature", "1"):
            ds = load(target=target, lang=lang)
            assert ds.X[:, 0].tolist() == [float(y) for _, y in LEMON]
            assert ds.target_name == ("온도" if lang == "ko" else "temperature")
    assert load(target="sales", features="온도").feature_names == ("온도",)
    assert refused(None, "'temp'", lang="en", target="temp").endswith(
        "did you mean 'temperature' (column 1)?")


# ---------------------------------------------------------------------------------------------
# Speed


@pytest.mark.parametrize("n, k", [(100_000, 1), (10_000, 13)])
def test_big_tables_read_exactly(tmp_path, n, k):
    """(Parse speed is measured in benchmarks/build.py, not asserted here.)"""
    values = np.random.default_rng(0).normal(size=(n, k + 1)) * 100
    text = ",".join([f"f{j}" for j in range(k)] + ["y"]) + "\r\n"
    text += "".join(",".join(map(repr, row)) + "\r\n" for row in values.tolist())
    path = write(tmp_path, "big.csv", text)
    ds = load(path)
    # 17-digit reprs come back as the 16 digits a workbook cell holds
    assert np.array_equal(ds.X, as_cell_numbers(values[:, :k]))
    assert np.array_equal(ds.y, as_cell_numbers(values[:, k]))


# ---------------------------------------------------------------------------------------------
# Properties

HEADING_CHARS = "abcxyzABC온도판매량습기 _-.()%'" + "0123456789"
headings_st = st.text(HEADING_CHARS, min_size=1, max_size=12).filter(lambda h: h.strip())


@st.composite
def tables(draw):
    k = draw(st.integers(2, 6))
    n = draw(st.integers(1, 25))
    headings = draw(st.lists(headings_st, min_size=k, max_size=k,
                             unique_by=lambda h: h.strip().casefold()))
    number = st.one_of(st.floats(min_value=-1e100, max_value=1e100),  # larger: refused
                       st.integers(-10**6, 10**6).map(float))
    values = draw(st.lists(st.lists(number, min_size=k, max_size=k), min_size=n, max_size=n))
    return headings, values


def spell(draw, x: float) -> str:
    forms = [repr(x), format(x, ".17g"), format(x, ".17e")]
    if x.is_integer() and abs(x) < 1e15:
        forms.append(str(int(x)))
    return draw(st.sampled_from(forms))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), data=st.data(),
       delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp949"]),
       newline=st.sampled_from(["\n", "\r\n"]),
       space=st.sampled_from(["", " "]),
       trailing=st.sampled_from(["", "\n", "\r\n\r\n", "\n\n\n"]))
def test_property_random_tables_round_trip(table, data, delimiter, encoding, newline, space,
                                           trailing):
    headings, values = table
    quote_all = data.draw(st.booleans())

    def field(text: str) -> str:
        if quote_all or data.draw(st.booleans()) or delimiter in text or '"' in text:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [headings] + [[spell(data.draw, x) for x in row] for row in values]
    text = newline.join((delimiter + space).join(field(f) for f in line) for line in lines)
    text += data.draw(st.sampled_from(["", newline])) + trailing
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.csv"
        path.write_bytes(text.encode(encoding))
        ds = load(path)
    assert ds.feature_names == tuple(h.strip() for h in headings[:-1])
    assert ds.target_name == headings[-1].strip()
    expected = np.array(values, dtype=np.float64)
    assert ds.X.tolist() == as_cell_numbers(expected[:, :-1]).tolist()
    assert ds.y.tolist() == as_cell_numbers(expected[:, -1]).tolist()


@settings(max_examples=examples(400), deadline=None)
@given(junk=st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=500).map(lambda b: b"\xef\xbb\xbf" + b),
    st.binary(max_size=500).map(lambda b: b"\xff\xfe" + b),
    st.lists(st.sampled_from([b"1", b"a", b",", b";", b"\t", b'"', b"\n", b"\r", b" ", b"\xed",
                              b"\x95", b"nan", b"-", b"."]), max_size=80).map(b"".join)),
       suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_property_junk_only_ever_gradsheet_error(junk, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("junk" + suffix)
        path.write_bytes(junk)
        try:
            ds = load(path)
        except GradsheetError as e:
            assert len(str(e).splitlines()) == 1 and "\n" not in str(e)
        else:  # junk that happens to be a numeric table must still be a proper one
            assert ds.X.dtype == np.float64 and np.isfinite(ds.X).all() and ds.k >= 1


@settings(max_examples=examples(60), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0.0, 1.0), flips=st.integers(0, 8))
def test_property_damaged_xlsx_only_ever_gradsheet_error(seed, cut, flips):
    rng = np.random.default_rng(seed)
    book = openpyxl.Workbook()
    for row in [["x", "y"]] + rng.integers(-9, 9, size=(5, 2)).tolist():
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue()[: max(4, int(len(buffer.getvalue()) * (0.5 + cut / 2)))])
    for _ in range(flips):
        data[int(rng.integers(4, len(data)))] = int(rng.integers(0, 256))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.xlsx"
        path.write_bytes(bytes(data))
        try:
            load(path)
        except GradsheetError as e:
            assert len(str(e).splitlines()) == 1
