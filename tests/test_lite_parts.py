"""gradsheet.excel.lite: the xlwings Lite parts, compared with the golden reference.

XlsxWriter's own test style: unzip, blank the volatile bits (the web-extension
GUID), compare element by element. What the golden files are and where their
facts come from: tests/golden/lite/NOTICE.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from gradsheet.excel import lite

GOLDEN = Path(__file__).parent / "golden" / "lite"
GOLDEN_PARTS = (lite.TASKPANES, lite.TASKPANES_RELS, lite.WEBEXTENSION)
# The exact texts encoded in golden/lite/xl/webextensions/webextension1.xml: quotes,
# markup characters, "/", backslashes, a tab, Korean and an emoji.
SAMPLE_MAIN = (
    "import xlwings as xw\nfrom xlwings import script\n\n\n"
    '@script(button="[run]Sheet1!J2")\ndef hello(book: xw.Book):\n'
    "    book.sheets[0][\"A1\"].value = \"한 스텝 <&> 'a/b\\\\c'\\t🎯\"\n"
)
SAMPLE_REQUIREMENTS = (
    "xlwings==0.33.15  # required\npython-dotenv==1.1.1  # required\n"
    "pyodide-http  # required\nblack  # required\nnumpy\n"
)
WE_ID = f"{{{lite.NS_WE}}}webextension"


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture
def tiny_xlsx(tmp_path) -> Path:
    """A small XlsxWriter workbook with fixed metadata, so its bytes are stable."""
    path = tmp_path / "tiny.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2024, 1, 1)})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["x", "y"])
    ws.write_column(1, 0, [1, 2, 3])
    ws.write_column(1, 1, [2.5, 4.5, 6.5])
    ws.write_formula("C2", "=SUM(B2:B4)", None, 13.5)
    wb.close()
    return path


@pytest.fixture
def lite_xlsx(tiny_xlsx, tmp_path) -> Path:
    return lite.add_lite_parts(tiny_xlsx, SAMPLE_MAIN, SAMPLE_REQUIREMENTS, tmp_path / "lite.xlsx")


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def tree(xml: bytes, volatile=()):
    """Element-by-element form of an XML part; attributes named in ``volatile``
    (as (element tag, attribute) pairs) are blanked."""

    def walk(el):
        attrs = sorted((k, "" if (el.tag, k) in volatile else v) for k, v in el.attrib.items())
        return (el.tag, attrs, (el.text or "").strip(), [walk(c) for c in el])

    return walk(ET.fromstring(xml))


@pytest.mark.parametrize("part", GOLDEN_PARTS)
def test_parts_match_golden(lite_xlsx, part):
    got = parts_of(lite_xlsx)[part]
    want = (GOLDEN / part).read_bytes()
    volatile = {(WE_ID, "id")}
    assert tree(got, volatile) == tree(want, volatile)
    # Same declaration line as Excel writes (CRLF after it), so the parts also
    # look like Excel's to tools that compare text.
    assert got.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<')


def task_panes(path) -> list[ET.Element]:
    root = ET.fromstring(parts_of(path)[lite.TASKPANES])
    return root.findall(f"{{{lite.NS_WETP}}}taskpane")


def test_the_task_pane_opens_with_the_workbook(lite_xlsx):
    """The one Lite pane is persisted visible: Office opens it with the workbook (asking the
    user to trust, or to install, the add-in first), so the sheet buttons work at once.
    Excel itself saved the panes of the reference workbooks with visibility "0" (NOTICE)."""
    (pane,) = task_panes(lite_xlsx)
    assert pane.get("visibility") in ("1", "true")  # xsd:boolean, as [MS-OWEXML] types it
    assert pane.get("dockstate") == "right"
    (ref,) = pane
    rid = ref.get(f"{{{lite.NS_R}}}id")
    rels = ET.fromstring(parts_of(lite_xlsx)[lite.TASKPANES_RELS])
    assert [r.get("Target") for r in rels if r.get("Id") == rid] == ["webextension1.xml"]
    # The manifest-dependent lever is not used (see lite.TASKPANE_VISIBLE's comment).
    assert "Office.AutoShowTaskpaneWithDocument" not in lite.read_lite_parts(lite_xlsx)


def test_a_gradsheet_workbook_opens_with_the_lite_pane(tmp_path):
    from gradsheet.build import make
    (pane,) = task_panes(make(None, tmp_path / "l.xlsx").path)
    assert pane.get("visibility") == "1"


def test_webextension_guid_is_a_braced_uppercase_uuid(lite_xlsx):
    guid = ET.fromstring(parts_of(lite_xlsx)[lite.WEBEXTENSION]).get("id")
    assert re.fullmatch(r"\{[0-9A-F]{8}-([0-9A-F]{4}-){3}[0-9A-F]{12}\}", guid)


def test_guid_depends_on_content(tiny_xlsx, tmp_path):
    a = lite.add_lite_parts(tiny_xlsx, "a = 1\n", "", tmp_path / "a.xlsx")
    b = lite.add_lite_parts(tiny_xlsx, "a = 2\n", "", tmp_path / "b.xlsx")
    ids = [ET.fromstring(parts_of(p)[lite.WEBEXTENSION]).get("id") for p in (a, b)]
    assert ids[0] != ids[1]


def test_package_relationship_added_and_nothing_else(tiny_xlsx, lite_xlsx):
    def rels(path):
        root = ET.fromstring(parts_of(path)[lite.PKG_RELS])
        return [(r.get("Id"), r.get("Type"), r.get("Target")) for r in root]

    before, after = rels(tiny_xlsx), rels(lite_xlsx)
    assert after[: len(before)] == before
    added = after[len(before):]
    assert [(t, target) for _, t, target in added] == [(lite.REL_TASKPANES, lite.TASKPANES)]
    assert len({rid for rid, _, _ in after}) == len(after)  # ids stay unique


def test_content_types_overrides(tiny_xlsx, lite_xlsx):
    def entries(path):
        root = ET.fromstring(parts_of(path)[lite.CONTENT_TYPES])
        return [(el.tag.split("}")[1], sorted(el.attrib.items())) for el in root]

    before, after = entries(tiny_xlsx), entries(lite_xlsx)
    assert after[: len(before)] == before
    assert after[len(before):] == [
        ("Override", [("ContentType", lite.CT_TASKPANES), ("PartName", "/" + lite.TASKPANES)]),
        ("Override", [("ContentType", lite.CT_WEBEXTENSION), ("PartName", "/" + lite.WEBEXTENSION)]),
    ]


def test_every_other_part_is_untouched(tiny_xlsx, lite_xlsx):
    before, after = parts_of(tiny_xlsx), parts_of(lite_xlsx)
    changed = {lite.PKG_RELS, lite.CONTENT_TYPES}
    for name, data in before.items():
        if name not in changed:
            assert after[name] == data, name
    assert list(after)[: len(before)] == list(before)  # order kept, new parts last
    assert set(after) - set(before) == set(GOLDEN_PARTS)


def test_package_is_consistent(lite_xlsx):
    """Every relationship target exists and every part has a content type."""
    parts = parts_of(lite_xlsx)
    types = ET.fromstring(parts[lite.CONTENT_TYPES])
    overrides = {el.get("PartName") for el in types if el.tag.endswith("Override")}
    defaults = {el.get("Extension") for el in types if el.tag.endswith("Default")}
    for name in parts:
        assert "/" + name in overrides or name.rsplit(".", 1)[-1] in defaults, name
    for name in (lite.PKG_RELS, lite.TASKPANES_RELS):
        base = "" if name == lite.PKG_RELS else "xl/webextensions/"
        for rel in ET.fromstring(parts[name]):
            assert base + rel.get("Target") in parts


def test_read_lite_parts_returns_the_texts(lite_xlsx):
    assert lite.read_lite_parts(lite_xlsx) == {
        "main.py": SAMPLE_MAIN,
        "pyodideVersion": lite.PYODIDE_VERSION,
        "addinVersion": lite.ADDIN_VERSION,
        "requirements.txt": SAMPLE_REQUIREMENTS,
    }


def test_read_lite_parts_of_a_plain_workbook_is_empty(tiny_xlsx):
    assert lite.read_lite_parts(tiny_xlsx) == {}


def test_encoding_is_offices(lite_xlsx):
    """The raw attribute text, as Excel would store it (see NOTICE)."""
    raw = parts_of(lite_xlsx)[lite.WEBEXTENSION].decode("utf-8")
    assert "a\\/b" in raw  # "/" escaped like Office, not like json.dumps
    assert "한 스텝 &lt;&amp;&gt; 'a" in raw  # non-ASCII literal, XML entities, ' literal
    assert "🎯" in raw and "\\u" not in raw
    assert "\n" not in raw.split("\r\n", 1)[1]  # newlines live only as JSON \n


def test_extra_properties_round_trip(tiny_xlsx, tmp_path):
    extra = {"xlwingsSettingsWorkbook": {"startupBehavior": "taskpane"}}
    out = lite.add_lite_parts(tiny_xlsx, "x = 1\n", "", tmp_path / "e.xlsx", extra_properties=extra)
    props = lite.read_lite_parts(out)
    assert props["xlwingsSettingsWorkbook"] == extra["xlwingsSettingsWorkbook"]
    assert list(props)[-1] == "xlwingsSettingsWorkbook"
    raw = parts_of(out)[lite.WEBEXTENSION].decode()
    assert 'value="{&quot;startupBehavior&quot;:&quot;taskpane&quot;}"' in raw  # JSON.stringify spacing


def test_reserved_names_cannot_be_extras(tiny_xlsx, tmp_path):
    with pytest.raises(ValueError):
        lite.add_lite_parts(tiny_xlsx, "", "", tmp_path / "r.xlsx", extra_properties={"main.py": "x"})


def test_non_text_is_rejected(tiny_xlsx, tmp_path):
    with pytest.raises(TypeError):
        lite.add_lite_parts(tiny_xlsx, b"x = 1", "", tmp_path / "t.xlsx")
    with pytest.raises(ValueError):  # a lone surrogate cannot live in an XML file
        lite.add_lite_parts(tiny_xlsx, "x = '\ud800'", "", tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_deterministic_and_idempotent(tiny_xlsx, tmp_path):
    one = lite.add_lite_parts(tiny_xlsx, SAMPLE_MAIN, SAMPLE_REQUIREMENTS, tmp_path / "1.xlsx")
    two = lite.add_lite_parts(tiny_xlsx, SAMPLE_MAIN, SAMPLE_REQUIREMENTS, tmp_path / "2.xlsx")
    assert one.read_bytes() == two.read_bytes()
    # In place, and again on its own output: still the same bytes.
    inplace = tmp_path / "inplace.xlsx"
    shutil.copy(tiny_xlsx, inplace)
    assert lite.add_lite_parts(inplace, SAMPLE_MAIN, SAMPLE_REQUIREMENTS) == inplace
    assert inplace.read_bytes() == one.read_bytes()
    lite.add_lite_parts(inplace, SAMPLE_MAIN, SAMPLE_REQUIREMENTS)
    assert inplace.read_bytes() == one.read_bytes()
    # Fixed entry times: no trace of "now" in the zip.
    with zipfile.ZipFile(one) as zf:
        assert {i.date_time for i in zf.infolist()} == {lite.ZIP_EPOCH}


def test_failed_write_leaves_the_old_file(tiny_xlsx, tmp_path, monkeypatch):
    target = tmp_path / "keep.xlsx"
    shutil.copy(tiny_xlsx, target)
    original = target.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError):
        lite.add_lite_parts(target, "x = 1\n", "")
    assert target.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["keep.xlsx", "tiny.xlsx"])


def test_zip_integrity_and_openpyxl(lite_xlsx):
    with zipfile.ZipFile(lite_xlsx) as zf:
        assert zf.testzip() is None
    wb = openpyxl.load_workbook(lite_xlsx)
    ws = wb["Sheet1"]
    assert [c.value for c in ws[1]][:2] == ["x", "y"]
    assert ws["C2"].value == "=SUM(B2:B4)"
    assert openpyxl.load_workbook(lite_xlsx, data_only=True)["Sheet1"]["C2"].value == 13.5


def test_libreoffice_converts_the_lite_workbook(lite_xlsx, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        if ci():
            pytest.fail("soffice is required when CI=true", pytrace=False)
        pytest.skip("LibreOffice (soffice) not installed")
    outdir = tmp_path / "csv"
    # A private profile: never touches (or waits for) a user's running LibreOffice.
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless",
         "--convert-to", "csv", "--outdir", str(outdir), str(lite_xlsx)],
        capture_output=True, text=True, timeout=180,
    )
    # soffice exits 0 even when it cannot load a file, so the CSV is the proof.
    assert proc.returncode == 0, proc.stderr
    assert "Error" not in proc.stdout + proc.stderr
    rows = list(csv.reader((outdir / "lite.csv").open(encoding="utf-8")))
    assert rows[0][:2] == ["x", "y"]
    assert [r[:2] for r in rows[1:4]] == [["1", "2.5"], ["2", "4.5"], ["3", "6.5"]]
    assert rows[1][2] == "13.5"


# --- what a gradsheet workbook carries for Lite ----------------------------------------------
def test_requirements_are_lites_own_lines_and_numpy(tmp_path):
    """Lite keeps its own pinned "# required" lines first; the engine adds numpy only."""
    from gradsheet.build import make
    parts = lite.read_lite_parts(make(None, tmp_path / "l.xlsx").path)
    assert parts["addinVersion"] == lite.ADDIN_VERSION == "1.0.0.0-18"
    assert parts["requirements.txt"] == lite.LITE_REQUIREMENTS + "numpy\n"
    # the same "# required" lines as the Excel-saved workbook behind the golden parts, but for
    # xlwings' version: the buttons need xw.BookAsync (xlwings >= 0.36.9, issue 12)
    required = [line for line in SAMPLE_REQUIREMENTS.splitlines() if line.endswith("# required")]
    required[0] = required[0].replace("0.33.15", lite.LITE_XLWINGS)
    assert lite.LITE_REQUIREMENTS.splitlines() == required
    assert tuple(map(int, lite.LITE_XLWINGS.split("."))) >= (0, 36, 9)
    assert not re.search(r"xlsxwriter|openpyxl", parts["requirements.txt"], re.I)


def test_the_a1_helpers_equal_xlsxwriters():
    from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

    from gradsheet.core import a1
    for col in [*range(0, 1000), 16383]:
        for absolute in (False, True):
            assert a1.xl_col_to_name(col, absolute) == xl_col_to_name(col, absolute)
    for row, col in ((0, 0), (9, 27), (1048575, 16383)):
        for flags in ((False, False), (True, False), (False, True), (True, True)):
            assert a1.xl_rowcol_to_cell(row, col, *flags) == xl_rowcol_to_cell(row, col, *flags)


# Inside xlwings Lite only requirements.txt is installed: neither XlsxWriter nor openpyxl.
WITHOUT_WRITERS = r"""
import importlib.abc, sys
class _NoWriters(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("xlsxwriter", "openpyxl"):
            raise ImportError(f"{name} is not installed in xlwings Lite")
sys.meta_path.insert(0, _NoWriters())
for writer in ("xlsxwriter", "openpyxl"):
    try:
        __import__(writer)
    except ImportError:
        continue
    raise SystemExit(f"{writer} could still be imported")
"""


def test_the_embedded_engine_needs_neither_xlsxwriter_nor_openpyxl(built, tmp_path):
    """main.py as the workbook carries it, run where importing either library fails: one
    button press gives the same actions as gradsheet's own engine."""
    from jsonbook import book_json, open_book
    from test_addin import EMBEDDED_RUN

    from gradsheet.core import addin
    main_py, book = tmp_path / "main.py", tmp_path / "book.json"
    main_py.write_text(lite.read_lite_parts(built.path)["main.py"], encoding="utf-8")
    data = book_json(built.path)
    book.write_text(json.dumps(data, default=str), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", WITHOUT_WRITERS + EMBEDDED_RUN, str(main_py), str(book),
                          "one_step"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    reference = open_book(data)
    addin.one_step(reference)
    assert json.loads(out.stdout) == json.loads(json.dumps(reference.json()["actions"]))
