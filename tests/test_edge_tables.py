"""Tables at the edges (one row, repeated or constant columns, zeros, huge and tiny numbers)
build into workbooks with no error cell anywhere once LibreOffice recalculates them, and
their named cells still equal the model."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gradsheet.build import make
from gradsheet.cli import main
from libreoffice import CellError, _read
from reference import assert_matches, expected_names
from test_workbook import names_from_libreoffice

TABLES = {
    "one row": "a,y\n1,3\n",
    "constant column": "a,c,y\n1,5,3\n2,5,5\n3,5,7\n4,5,9\n",
    "repeated column": "a,b,y\n1,1,2\n2,2,4\n3,3,7\n",
    "fewer rows than parameters": "a,b,c,y\n1,2,3,4\n2,1,0,5\n0,4,1,1\n",
    "all-zero target": "x,y\n1,0\n2,0\n3,0\n",
    "huge numbers": "x,y\n1e6,2e6\n2e6,4.1e6\n3e6,5.9e6\n",
    "tiny numbers": "x,y\n1e-6,2e-6\n2e-6,4.1e-6\n3e-6,5.9e-6\n",
}


def error_cells(doc) -> list[str]:
    found = []
    for name in doc.sheet_names():
        sheet = doc.model.Sheets.getByName(name)
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        end = cursor.getRangeAddress()
        rng = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
        found += [f"{v.where} {v.text}" for row in _read(rng, False) for v in row if isinstance(v, CellError)]
    return found


@pytest.mark.parametrize("name", TABLES)
def test_edge_tables_have_no_error_cells(libreoffice, tmp_path, name):
    data = tmp_path / "t.csv"
    data.write_text(TABLES[name], encoding="utf-8")
    built = make(data, tmp_path / "t.xlsx")
    d, s, st = built.dataset, built.settings, built.state
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert error_cells(doc) == []
        expected = expected_names(d.X, d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps)
        assert_matches(names_from_libreoffice(doc, expected), expected)
        if "best_B" not in expected:  # no unique least-squares answer: said in words
            assert "no unique answer" in doc.named("best_B") or "정답이" in doc.named("best_B")
    result = CliRunner().invoke(main, ["run", str(built.path), "-n", "20"])
    assert result.exit_code in (0, 1), result.output  # 1: stopped on divergence, with the message
    assert "Traceback" not in result.output
