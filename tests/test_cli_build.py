"""`gradsheet build` and its options, through click's CliRunner."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from gradsheet.cli import main


def run(*args, cwd=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def value(path, name):
    wb = openpyxl.load_workbook(path, data_only=True)
    (sheet, ref), = wb.defined_names[name].destinations
    return wb[sheet][ref].value


def test_default_writes_lemonade_xlsx_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lemonade.xlsx").exists()
    assert "W = 0.02, B = 0.9, Loss = 1916.76" in result.output
    wb = openpyxl.load_workbook(tmp_path / "lemonade.xlsx")
    assert wb.sheetnames[:2] == ["학습", "설명"]


def test_options_reach_the_workbook(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,d\n1,2,3,10\n2,1,0,7\n3,5,1,20\n4,4,4,30\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run("build", str(csv), "-o", str(out), "--target", "b", "--features", "d,1",
                 "--lr", "0.01", "--eps", "0.001", "--seed", "9", "--lang", "en")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["Train", "Guide"]
    assert "W_1" in wb.defined_names and "W_2" in wb.defined_names and "W" not in wb.defined_names
    assert value(out, "lr") == 0.01 and value(out, "eps") == 0.001
    (sheet, ref), = wb.defined_names["x_1"].destinations
    assert [c[0].value for c in wb[sheet][ref]] == [10, 7, 20, 30]  # feature d first
    (sheet, ref), = wb.defined_names["y"].destinations
    assert [c[0].value for c in wb[sheet][ref]] == [2, 1, 5, 4]  # target b


def test_seed_changes_the_start(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    run("build", "-o", str(a), "--seed", "3")
    run("build", "-o", str(b), "--seed", "4")
    assert (value(a, "W"), value(a, "B")) != (value(b, "W"), value(b, "B"))


@pytest.mark.parametrize("args, culprit", [
    (["--lr", "0"], "--lr"), (["--lr", "-1"], "--lr"), (["--eps", "nan"], "--eps"),
    (["--lang", "fr"], "--lang"), (["nothere.csv"], "nothere.csv"),
    (["--target", "nope"], "nope"), (["-o", "/no/such/folder/x.xlsx"], "/no/such/folder"),
])
def test_bad_usage_is_one_line_and_exit_2(tmp_path, monkeypatch, args, culprit):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(culprit in line for line in lines), result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("*.xlsx"))


def test_help_and_version():
    assert "Example" in run("build", "--help").output
    assert run("--version").output.startswith("gradsheet")


def test_buttons_none_leaves_out_lite_and_shapes(tmp_path):
    import zipfile
    with_buttons, without = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run("build", "-o", str(with_buttons)).exit_code == 0
    assert run("build", "-o", str(without), "--buttons", "none").exit_code == 0
    names_with = zipfile.ZipFile(with_buttons).namelist()
    names_without = zipfile.ZipFile(without).namelist()
    assert "xl/webextensions/webextension1.xml" in names_with
    assert not any("webextension" in n for n in names_without)
    drawing = zipfile.ZipFile(without).read("xl/drawings/drawing1.xml").decode()
    assert "한 스텝" not in drawing and "TextBox" not in drawing


def test_addin_command_writes_the_ribbon_add_ins(tmp_path):
    import xlwings

    result = run("addin", "-o", str(tmp_path / "addins"), "--lang", "en")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "addins").iterdir())
    assert names == ["gradsheet_next.xlam", "gradsheet_reset.xlam", "gradsheet_run10.xlam",
                     "gradsheet_step.xlam", "myaddin.conf"]  # the modules come with gradsheet
    # One line: made for this xlwings; after an upgrade, make them again.
    warning = [line for line in result.output.splitlines() if line.startswith("gradsheet: warning:")]
    assert warning == [f"gradsheet: warning: these add-ins are made for xlwings {xlwings.__version__}: "
                       "after upgrading xlwings, make them again with `gradsheet addin`."]
    korean = run("addin", "-o", str(tmp_path / "addins"))
    assert f"xlwings {xlwings.__version__}용" in korean.output and "작성함:" in korean.output
    assert "xlwings를 업그레이드한 뒤에는 `gradsheet addin`" in korean.output
    file = tmp_path / "file"
    file.write_text("x")
    bad = CliRunner().invoke(main, ["addin", "-o", str(file), "--lang", "en"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_addin_command_removes_the_modules_it_used_to_write(tmp_path):
    old = '"""Entry point of gradsheet_reset.xlam.\n\nGenerated by gradsheet.excel.xlam.\n"""\n'
    (tmp_path / "gradsheet_reset.py").write_text(old, encoding="utf-8")
    result = run("addin", "-o", str(tmp_path), "--lang", "en")
    assert f"removed {tmp_path / 'gradsheet_reset.py'} (the module is now installed with gradsheet)" in result.output
    assert not (tmp_path / "gradsheet_reset.py").exists()
