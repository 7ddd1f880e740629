"""The command line a teacher and a student use: the input file is never touched, output
names and modes are what a user expects, and step/run/next/set say what they did in the
workbook's language."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from gradsheet.core import descent
from gradsheet.core import models as model
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.excel.files import read
from gradsheet.core.messages import say
from gradsheet.core.settings import initial_theta


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def data_xlsx(tmp_path, monkeypatch):
    """An instructor's own .xlsx data file, in the current folder."""
    monkeypatch.chdir(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["면적", "가격"])
    for x in range(10, 20):
        ws.append([x, 3 * x + 1])
    wb.save(tmp_path / "시세.xlsx")
    return tmp_path / "시세.xlsx"


# --- 1. never the input --------------------------------------------------------------------
def test_an_xlsx_input_gets_its_own_default_output_and_stays_untouched(data_xlsx):
    before = data_xlsx.read_bytes()
    result = cli("build", data_xlsx.name, "--lr", "0.001")
    assert result.exit_code == 0, result.output
    assert data_xlsx.read_bytes() == before
    out = data_xlsx.parent / "시세-gradsheet.xlsx"
    assert "시세-gradsheet.xlsx" in result.output
    assert read(out).dataset.target_name == "가격"


@pytest.mark.parametrize("spelling", ["plain", "dot", "absolute", "symlink", "hardlink"])
def test_output_that_is_the_input_itself_is_refused(data_xlsx, spelling):
    folder = data_xlsx.parent
    other = {"plain": "시세.xlsx", "dot": "./sub/../시세.xlsx", "absolute": str(data_xlsx)}.get(spelling)
    (folder / "sub").mkdir()
    if spelling == "symlink":
        os.symlink(data_xlsx, folder / "link.xlsx")
        other = "link.xlsx"
    if spelling == "hardlink":
        os.link(data_xlsx, folder / "hard.xlsx")
        other = "hard.xlsx"
    listing, before = sorted(os.listdir(folder)), data_xlsx.read_bytes()
    result = cli("build", data_xlsx.name, "-o", other)
    assert result.exit_code == 2
    assert result.output == say("cli.error", "ko", text=say("build.same_as_input", "ko", out=Path(other))) + "\n"
    assert data_xlsx.read_bytes() == before and sorted(os.listdir(folder)) == listing


@pytest.mark.parametrize("command", [["build"], ["step", "w.xlsx"], ["run", "w.xlsx", "-n", "2"],
                                     ["next", "w.xlsx"], ["reset", "w.xlsx"], ["set", "w.xlsx", "--lr", "0.002"]])
@pytest.mark.parametrize("out", ["out.csv", "out", "out.xlsm"])
def test_an_output_that_is_not_xlsx_is_refused(tmp_path, monkeypatch, command, out):
    monkeypatch.chdir(tmp_path)
    make(None, "w.xlsx")
    listing, before = sorted(os.listdir(tmp_path)), (tmp_path / "w.xlsx").read_bytes()
    result = cli(*command, "-o", out)
    # in the language of the workbook the command is on (Korean for build without --lang)
    assert result.exit_code == 2 and say("build.not_xlsx", "ko", out=out) in result.output
    assert sorted(os.listdir(tmp_path)) == listing and (tmp_path / "w.xlsx").read_bytes() == before


def test_new_files_get_the_umask_mode_and_rewrites_keep_theirs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        assert cli("build", "--buttons", "none", "-o", "plain.xlsx").exit_code == 0
        assert cli("build").exit_code == 0
        assert mode("plain.xlsx") == 0o644 and mode("lemonade.xlsx") == 0o644
        os.umask(0o027)
        assert cli("build", "-o", "group.xlsx").exit_code == 0
        assert mode("group.xlsx") == 0o640
    finally:
        os.umask(old)
    os.chmod("lemonade.xlsx", 0o604)
    for command in (["step"], ["run", "-n", "3"], ["next"], ["reset"], ["set", "--lr", "0.0009"]):
        assert cli(command[0], "lemonade.xlsx", *command[1:]).exit_code == 0
        assert mode("lemonade.xlsx") == 0o604, command
    assert cli("build", "-o", "lemonade.xlsx").exit_code == 0  # a build over it keeps it too
    assert mode("lemonade.xlsx") == 0o604


# --- 5. commands that teach --------------------------------------------------------------
def test_step_says_loss_before_and_after_in_the_workbooks_language(tmp_path):
    ko = make(None, tmp_path / "ko.xlsx")
    en = make(None, tmp_path / "en.xlsx", lang="en")
    d = ko.dataset
    after = model.loss(d.X, d.y, descent.descend(d.X, d.y, ko.state.theta, 0.001, 0.0001, 1).theta)
    arrow = f"Loss {ko.loss:.6g} → {after:.6g} ↓"
    assert arrow == "Loss 1916.76 → 0.7951 ↓"
    result = cli("step", ko.path)
    assert result.output.splitlines()[:2] == [f"{ko.path}에 저장했습니다: history 1행", arrow]
    result = cli("step", en.path)
    assert result.output.splitlines()[:2] == [f"wrote {en.path}: 1 history row", arrow]
    result = cli("run", en.path, "-n", 2)
    assert result.output.splitlines()[0] == f"wrote {en.path}: 3 history rows"
    assert result.output.splitlines()[1].endswith("↓")


def test_next_says_what_it_did_and_what_comes_next(tmp_path):
    ko = make(None, tmp_path / "ko.xlsx")
    lines = cli("next", ko.path).output.splitlines()
    assert lines[0].startswith("방금 한 동작: 2") and lines[1] == "다음 동작: 3: Loss를 prevLoss에 값으로 복사"
    assert lines[3] == "Loss 1916.76 → 1916.76 ="
    en = make(None, tmp_path / "en.xlsx", lang="en")
    for _ in range(2):
        lines = cli("next", en.path).output.splitlines()
    assert lines[:2] == ["just done: 3 copy Loss into prevLoss as a value", "next: 4-1: add eps to W"]


def test_divergence_names_the_lr_cell_and_a_command_that_fixes_it(tmp_path):
    built = make(None, tmp_path / "d.xlsx", lr=0.01)
    layout_cell = read(built.path).address("lr")
    assert layout_cell.startswith("학습!") and "$" not in layout_cell
    result = cli("run", built.path, "-n", 50)
    assert result.exit_code == 1
    command = f"gradsheet set {built.path} --lr 0.001"
    assert f"{layout_cell}의 lr을 더 작게" in result.output and command in result.output
    assert "좋은 값이 아닙니다" in result.output  # what it kept is said, never called good
    # the printed command works, and then the descent converges
    assert cli(*command.split()[1:]).exit_code == 0
    assert read(built.path).settings.lr == 0.001
    result = cli("run", built.path, "-n", 50)
    assert result.exit_code == 0 and "↓" in result.output
    # a refused first step says the same, in English for an English workbook
    en = make(None, tmp_path / "e.xlsx", lr=0.05, lang="en")
    cli("run", en.path, "-n", 50)
    before = en.path.read_bytes()
    result = cli("step", en.path)
    assert result.exit_code == 1 and "Make lr in Train!" in result.output and "Nothing was written" in result.output
    assert f"gradsheet set {en.path} --lr 0.001" in result.output and en.path.read_bytes() == before


def test_set_changes_only_the_settings(tmp_path):
    built = make(None, tmp_path / "s.xlsx")
    assert cli("run", built.path, "-n", 3).exit_code == 0
    before = read(built.path)
    result = cli("set", built.path, "--lr", "0.0005", "--eps", "0.00001")
    assert result.exit_code == 0 and "lr = 0.0005, eps = 1e-05" in result.output
    after = read(built.path)
    assert (after.settings.lr, after.settings.eps) == (0.0005, 0.00001)
    for field in ("theta", "init", "dloss", "history"):
        assert np.array_equal(getattr(after.state, field), getattr(before.state, field)), field
    assert after.state.prev_loss == before.state.prev_loss
    # next_W follows the new lr (stored value, as a preview shows it)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    sheet, ref = next(iter(wb.defined_names["next_W"].destinations))
    want = after.state.theta[0] - 0.0005 * after.state.dloss[0]
    assert wb[sheet][ref.replace("$", "")].value == pytest.approx(want, rel=1e-15)


def test_set_seed_refreshes_the_generator_only(tmp_path):
    built = make(None, tmp_path / "s.xlsx")
    assert cli("set", built.path, "--seed", 7).exit_code == 0
    book = read(built.path)
    assert np.array_equal(book.state.init, initial_theta(1, 7))
    assert np.array_equal(book.state.theta, built.state.theta) and book.settings.seed == 7


@pytest.mark.parametrize("args, culprit", [([], say("book.nothing_set", "ko")),
                                           (["--lr", "-1"], say("settings.positive", "ko", name="lr", value="-1.0")),
                                           (["--eps", "0"], say("settings.positive", "ko", name="eps", value="0.0")),
                                           (["--lr", "nan"], say("settings.positive", "ko", name="lr", value="nan"))])
def test_set_refuses_nonsense_and_leaves_the_file(tmp_path, args, culprit):
    built = make(None, tmp_path / "s.xlsx")
    before = built.path.read_bytes()
    result = cli("set", built.path, *args)
    assert result.exit_code == 2 and culprit in result.output
    assert built.path.read_bytes() == before


def test_set_gives_learning_rate_advice(tmp_path):
    built = make(None, tmp_path / "s.xlsx")
    result = cli("set", built.path, "--lr", "0.01")
    assert result.exit_code == 0 and "Loss가 발산합니다. 예: --lr 0.001" in result.output


def test_build_says_what_it_wrote_in_the_workbooks_language(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("build").output.splitlines()[0] == \
        "lemonade.xlsx에 저장했습니다: 6행, 온도 → 판매량; lr = 0.001, eps = 0.0001"
    assert cli("build", "--lang", "en", "-o", "e.xlsx").output.splitlines()[0] == \
        "wrote e.xlsx: 6 rows, temperature -> sales; lr = 0.001, eps = 0.0001"


@pytest.mark.parametrize("preset, model", [("iris", "softmax"), ("exam", "logistic")])
def test_classification_presets_build(tmp_path, monkeypatch, preset, model):
    monkeypatch.chdir(tmp_path)
    result = cli("build", "--preset", preset)
    assert result.exit_code == 0, result.output
    from gradsheet.excel import files
    book = files.read(tmp_path / f"{preset}.xlsx")
    assert book.settings.model == model and len(book.settings.classes) == (3 if preset == "iris" else 2)
