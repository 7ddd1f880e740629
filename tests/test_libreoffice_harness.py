"""Tests of the LibreOffice harness itself, on a tiny workbook whose stored
(cached) formula results are deliberately wrong."""
import os
import sys

import openpyxl
import pytest
import xlsxwriter

from libreoffice import (UNO_PATHS, CellError, FormulaErrors, LibreOffice, TableRef, import_uno,
                         recalculated_names)


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory):
    path = tmp_path_factory.mktemp("harness") / "lies.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_column("A1", [1, 2, 3])
    ws.write_column("B1", [4, 5, 6])
    wb.define_name("x", "=Data!$A$1:$A$3")
    wb.define_name("y", "=Data!$B$1:$B$3")
    wb.define_name("grid", "=Data!$A$1:$B$3")
    # Each formula is given a wrong cached value: only a real recalc fixes it.
    ws.write_formula("C1", "=A1*2", None, 999)          # really 2
    ws.write_formula("C2", "=SUMPRODUCT(x,y)", None, 1)  # really 1*4+2*5+3*6 = 32
    ws.write_formula("C3", "=NOSUCHFUNC(1)", None, 5)    # really #NAME?
    ws.write_formula("C4", "=C1/0", None, 7)             # really #DIV/0!
    wb.define_name("doubled", "=Data!$C$1")
    wb.define_name("dot", "=Data!$C$2")
    wb.define_name("bad", "=Data!$C$3")
    wb.define_name("results", "=Data!$C$1:$C$4")
    ws.add_table("E1:F4", {"name": "Prices", "columns": [{"header": "qty"}, {"header": "price"}],
                           "data": [[1, 2], [3, 4], [5, 6]]})
    ws.write_formula("H1", "=SUMPRODUCT(Prices[qty],Prices[price])", None, 0)  # really 44
    wb.define_name("revenue", "=Data!$H$1")
    wb.close()
    return path


@pytest.fixture
def doc(libreoffice, xlsx):
    with libreoffice.open(xlsx) as d:
        d.recalc()
        yield d


def test_stored_values_are_wrong(xlsx):
    # What a reader that trusts the file sees: proves the tests below can fail.
    ws = openpyxl.load_workbook(xlsx, data_only=True)["Data"]
    assert [ws["C1"].value, ws["C2"].value, ws["C3"].value, ws["H1"].value] == [999, 1, 5, 0]


def test_recalc_gives_real_values(doc):
    assert doc.named("doubled") == 2.0
    assert doc.named("dot") == 32.0  # SUMPRODUCT over named ranges
    assert doc.named("revenue") == 44.0  # structured references into the table


def test_value_shapes(doc):
    assert doc.named("x") == [1.0, 2.0, 3.0]
    assert doc.named("grid") == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert doc.cell("Data", "A1:A5") == [1.0, 2.0, 3.0, None, None]
    assert doc.cell("Data", "F2") == 2.0


def test_structure(doc):
    assert doc.sheet_names() == ["Data"]
    assert {"x", "y", "grid", "doubled", "dot", "bad", "results", "revenue"} <= set(doc.names())
    assert doc.formula("Data", "C2") == "=SUMPRODUCT(x;y)"  # Calc's API syntax: ';'
    assert doc.formula("Data", "A1") == ""


def test_table_is_a_database_range(doc):
    assert doc.table("Prices") == TableRef("Data", 0, 4, 3, 5)  # == add_table("E1:F4")
    assert doc.table_values("Prices") == (["qty", "price"], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with pytest.raises(KeyError, match="Prices"):
        doc.table("Nope")


def test_recalc_itself_recomputes(doc):
    # With automatic calculation off, only recalc() can bring "dot" up to date.
    doc.model.enableAutomaticCalculation(False)
    doc.set_named("x", [10, 20, 30])
    assert doc.named("dot") == 32.0  # stale
    doc.recalc()
    assert doc.named("dot") == 10 * 4 + 20 * 5 + 30 * 6
    doc.set_cell("Data", "A1", 0.5)
    doc.recalc()
    assert doc.named("doubled") == 1.0


def test_errors_are_visible(doc):
    with pytest.raises(FormulaErrors, match=r"#NAME\?") as info:
        doc.named("bad")
    assert [(e.where, e.code) for e in info.value.errors] == [("$Data.$C$3", 525)]
    values = doc.named("results", strict=False)
    assert values[:2] == [2.0, 32.0]
    assert values[2:] == [CellError("$Data.$C$3", 525, "#NAME?"),
                          CellError("$Data.$C$4", 532, "#DIV/0!")]
    with pytest.raises(FormulaErrors):
        doc.named("results")


def test_save_xlsx_writes_recalculated_values(doc, tmp_path):
    out = tmp_path / "saved.xlsx"
    doc.save_xlsx(out)
    ws = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert (ws["C1"].value, ws["C2"].value, ws["H1"].value) == (2, 32, 44)


def test_time_recalc(doc):
    times = doc.time_recalc(repeat=3)
    assert len(times) == 3 and all(0 < t < 5 for t in times)


def test_recalculated_names(libreoffice, xlsx):
    assert recalculated_names(xlsx, ["doubled", "x"], libreoffice) == {
        "doubled": 2.0, "x": [1.0, 2.0, 3.0]}


def test_profile_recalcs_on_load(libreoffice, xlsx):
    assert libreoffice.ooxml_recalc_mode_in_effect() == 0
    with libreoffice.open(xlsx) as d:  # no recalc(): the load itself recalculated
        assert d.named("doubled") == 2.0


def test_default_load_trusts_stored_values_and_cleanup(libreoffice, xlsx):  # fixture: skip/fail policy
    # A second soffice with LibreOffice's shipped setting (1 = never recalc on
    # load): shows why the profile setting matters, and checks start/stop.
    with LibreOffice(ooxml_recalc_mode=1) as lo:
        assert lo.ooxml_recalc_mode_in_effect() == 1
        pgid, tmpdir = lo.proc.pid, lo.tmpdir
        doc = lo.open(xlsx)
        assert doc.named("doubled") == 999.0  # the lie, unless recalculated
        assert doc.named("bad") == 5.0  # even the error hides behind its cache
        doc.recalc()
        assert doc.named("doubled") == 2.0
    with pytest.raises(ProcessLookupError):  # no soffice/oosplash left, not even zombies
        os.killpg(pgid, 0)
    assert not os.path.exists(tmpdir)


def test_uno_paths_are_appended():
    import numpy
    import_uno()
    assert all(p in sys.path for p in UNO_PATHS)
    first_uno = min(sys.path.index(p) for p in UNO_PATHS)
    assert sys.path.index(os.path.dirname(os.path.dirname(numpy.__file__))) < first_uno
