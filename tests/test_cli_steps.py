"""`gradsheet step / run / next / reset` on workbook files."""

from __future__ import annotations

import math
import re
import zipfile

import numpy as np
import pytest
import openpyxl
from click.testing import CliRunner

from gradsheet.core import descent
from gradsheet.core import models as model
from gradsheet.core.messages import say
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.excel.files import read
from gradsheet.excel.lite import read_lite_parts


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_step_then_run_equals_the_model(built):
    d, s = built.dataset, built.settings
    assert cli("step", built.path).exit_code == 0
    result = cli("run", built.path, "-n", 30)
    assert result.exit_code == 0, result.output
    book = read(built.path)
    want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, 31)
    # each call reads back what the last one wrote: numbers a cell holds (16 digits)
    assert np.allclose(book.state.theta, want.theta, rtol=1e-12)
    assert np.allclose(book.state.history, want.history, rtol=1e-12)
    assert f"Loss = {model.loss(d.X, d.y, book.state.theta):.6g}" in result.output


def test_in_one_run_history_and_parameters_equal_the_model_exactly(built):
    d, s = built.dataset, built.settings
    assert cli("run", built.path, "-n", 2500).exit_code == 0  # > one progress chunk
    book = read(built.path)
    want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, 2500)
    assert len(book.state.history) == 2500
    assert np.array_equal(book.state.history, np.array([[float(f"{v:.16G}") for v in row] for row in want.history]))
    assert np.array_equal(book.state.theta, [float(f"{v:.16G}") for v in want.theta])


def test_nothing_of_the_workbook_is_lost(built):
    before = zipfile.ZipFile(built.path).namelist()
    assert cli("run", built.path, "-n", 3).exit_code == 0
    after = zipfile.ZipFile(built.path).namelist()
    assert sorted(before) == sorted(after)  # charts, drawings, table, Lite parts, settings sheet
    drawing = zipfile.ZipFile(built.path).read("xl/drawings/drawing1.xml").decode()
    assert 'name="한 스텝"' in drawing and 'name="초기화"' in drawing
    assert "main.py" in read_lite_parts(built.path)
    book = read(built.path)
    assert book.dataset.feature_names == built.dataset.feature_names
    assert np.array_equal(book.dataset.X, built.dataset.X)
    assert book.settings == built.settings


def test_output_elsewhere_leaves_the_original(built, tmp_path):
    original = built.path.read_bytes()
    out = tmp_path / "elsewhere.xlsx"
    assert cli("run", built.path, "-n", 2, "-o", out).exit_code == 0
    assert built.path.read_bytes() == original
    assert len(read(out).state.history) == 2


def test_reset_with_seed(built):
    cli("run", built.path, "-n", 3)
    assert cli("reset", built.path, "--seed", 8).exit_code == 0
    book = read(built.path)
    assert len(book.state.history) == 0
    assert np.array_equal(book.state.theta, np.round(np.random.default_rng(8).uniform(-1, 1, built.dataset.k + 1), 2))
    assert np.array_equal(book.state.init, book.state.theta)  # the generator shows the start


def test_next_action_one_press_at_a_time(built):
    result = cli("next", built.path)
    assert result.exit_code == 0 and "2 " in result.output
    book = read(built.path)
    assert len(book.state.history) == 1 and book.state.action == 1


def test_divergence_stops_with_the_message_and_a_valid_file(tmp_path):
    path = make(None, tmp_path / "d.xlsx", lr=0.05).path
    result = cli("run", path, "-n", 100)
    assert result.exit_code == 1
    assert "lr = 0.05" in result.output and "0.001" in result.output
    wb = openpyxl.load_workbook(path, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, float) and not math.isfinite(v))
                assert not (isinstance(v, str) and v.startswith("#"))
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                text = zf.read(name).decode()
                assert ">inf<" not in text.lower() and ">nan<" not in text.lower()
    before = path.read_bytes()
    again = cli("run", path, "-n", 5)  # the next step would diverge at once: nothing written
    assert again.exit_code == 1 and path.read_bytes() == before


def test_refused_steps_leave_the_file_byte_identical(tmp_path):
    not_ours = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(not_ours)
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    # the workbook's language is not known: Korean, the default
    for path, culprit in ((not_ours, say("book.no_meta", "ko", sheet="gradsheet")),
                          (corrupt, say("book.unreadable", "ko", path=corrupt, kind="BadZipFile")),
                          (tmp_path / "missing.xlsx", say("book.not_found", "ko", path=tmp_path / "missing.xlsx"))):
        before = path.read_bytes() if path.exists() else None
        for command in (["step", path], ["run", path, "-n", 3], ["reset", path], ["next", path]):
            result = cli(*command)
            assert result.exit_code == 2, result.output
            assert culprit in result.output and "Traceback" not in result.output
            assert (path.read_bytes() if path.exists() else None) == before


def test_a_damaged_workbook_is_refused(built, tmp_path):
    # Another program saved a different Loss than the data and W, B give.
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(built.path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                loss = re.search(r"<f>SUM\(sqerr\)/ROWS\(sqerr\)</f><v>([^<]+)</v>", text).group(1)
                assert float(loss) == pytest.approx(built.loss, rel=1e-12)
                assert f"<f>SUM(sqerr)/ROWS(sqerr)</f><v>{loss}</v>" in text
                data = text.replace(f"<f>SUM(sqerr)/ROWS(sqerr)</f><v>{loss}</v>",
                                    "<f>SUM(sqerr)/ROWS(sqerr)</f><v>3.5</v>").encode()
            dst.writestr(item, data)
    before = damaged.read_bytes()
    result = cli("step", damaged)
    assert result.exit_code == 2 and "워크북의 Loss(3.5)가 데이터와 W, B로 계산한 모델의 값" in result.output
    assert damaged.read_bytes() == before
