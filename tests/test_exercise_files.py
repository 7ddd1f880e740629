"""`gradsheet step / run / next / reset / set` on exercise workbooks: the student's cells and the
exercise's hidden record come back as they were, no answer of the tool's lands in the file, and
a command that would paste a value the student's cells do not show is refused in one line.

The filled workbooks are typed and saved by a real LibreOffice (tests/classroom_fill.py), as a
student hands them in; the rewritten ones are graded by `gradsheet grade`'s LibreOffice."""
from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from classroom_fill import cells_of, correct_formulas, fill, layout_of
from gradsheet.classroom import exercise as ex
from gradsheet.classroom.grade import grade
from gradsheet.cli import main
from gradsheet.core import models
from gradsheet.excel.files import read

ROSTER = "id,name\ns001,김철수\ns002,이영희\ns003,박민수\n"
BLANK8 = ["h", "Loss", "Loss_W", "Loss_B", "grad_W", "grad_B", "next_W", "next_B"]
L = layout_of(6, 1)
COMMANDS = {  # what a student runs on their file: each must keep their cells and the record
    "step": [["step"]],
    "run": [["run", "-n", "5"]],
    "next": [["next"], ["next"], ["next"]],  # 2, 3, 4-1: W holds W + eps afterwards
    "next_then_step": [["next"], ["next"], ["next"], ["step"]],  # a step begun by hand, finished
    "set": [["set", "--lr", "0.0005"], ["set", "--eps", "0.001"]],
    "reset": [["reset"]],
}


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def contents(path: Path, layout=L) -> dict:
    """Every blank cell's content as the file stores it (formula text, array range, typed value)."""
    sheet = openpyxl.load_workbook(path)[layout.sheet]
    out = {}
    for name in BLANK8:
        for r, c in cells_of(layout, name):
            v = sheet.cell(r + 1, c + 1).value
            out[(r, c)] = ("array", v.ref, v.text) if isinstance(v, openpyxl.worksheet.formula.ArrayFormula) else v
    for v in list(out.values()):  # the other cells of an array formula hold its results, not content
        if isinstance(v, tuple):
            c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(v[1])
            out.update({(r - 1, c - 1): ("in", v[1]) for r in range(r1 + 1, r2 + 1) for c in range(c1, c2 + 1)})
    return out


def record(path: Path) -> list[tuple]:
    """The hidden settings sheet, every row and cell."""
    return [tuple(c.value for c in row) for row in openpyxl.load_workbook(path)["gradsheet"].iter_rows()]


def student(e, sid: str) -> dict:
    return next(s for s in ex.read_key(e.folder)["students"] if s["id"] == sid)


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory, libreoffice):
    """An exercise for three students and their workbooks as LibreOffice saved them:
    s001 every formula right; s002 grad_W divided by lr and grad_B the exact slope (a formula
    of the derivative, not the numerical slope the step pastes: 1e-4 apart); s003 h as one
    array formula over the column and Loss_B typed as the number (the right one)."""
    tmp = tmp_path_factory.mktemp("handed_in")
    (tmp / "roster.csv").write_text(ROSTER, encoding="utf-8")
    e = ex.make_exercise(None, tmp / "roster.csv", tmp / "week3")
    right = correct_formulas(L)
    sub = tmp / "filled"
    sub.mkdir()
    fill(libreoffice, e.folder / "s001.xlsx", sub / "s001.xlsx", right, L)
    fill(libreoffice, e.folder / "s002.xlsx", sub / "s002.xlsx",
         dict(right, grad_W=["=(Loss_W-Loss)/lr"], grad_B=["=2/ROWS(y)*SUMPRODUCT(h-y)"]), L)
    s3 = student(e, "s003")
    book = read(e.folder / "s003.xlsx")
    loss_b = models.LINEAR.nudged_losses(np.array(s3["X"]), np.array(s3["y"]), book.state.theta,
                                         book.settings.eps)[1]
    c = L.columns["h"]

    def h_as_array(doc):
        sheet = doc.model.Sheets.getByName(L.sheet)
        sheet.getCellRangeByPosition(c, L.first_row, c, L.last_row).setArrayFormula(
            f"W*A{L.first_row + 1}:A{L.last_row + 1}+B")
    others = {name: f for name, f in right.items() if name != "h"}
    fill(libreoffice, e.folder / "s003.xlsx", sub / "s003.xlsx", dict(others, Loss_B=[float(loss_b)]), L,
         before_save=h_as_array)
    return e, tmp


def _marks(run) -> dict:
    return {row.id: (row.status, row.marks) for row in run.rows if row.file}


def test_commands_keep_the_students_cells_and_record_and_the_grade(handed_in, libreoffice, tmp_path):
    e, tmp = handed_in
    before = grade([tmp / "filled"], e.folder, tmp_path / "before.csv", lo=libreoffice)
    assert _marks(before)["s001"] == ("ok", {name: "ok" for name in BLANK8})
    assert _marks(before)["s003"] == ("ok", {name: "constant" if name == "Loss_B" else "ok" for name in BLANK8})
    assert isinstance(contents(tmp / "filled" / "s003.xlsx")[(L.first_row, L.columns["h"])], tuple)
    for command, calls in COMMANDS.items():
        folder = tmp_path / command
        folder.mkdir()
        for sid in ("s001", "s003"):
            path = shutil.copy(tmp / "filled" / f"{sid}.xlsx", folder / f"{sid}.xlsx")
            for args in calls:
                result = cli(args[0], path, *args[1:])
                assert result.exit_code == 0, (command, sid, result.output)
            assert contents(path) == contents(tmp / "filled" / f"{sid}.xlsx"), (command, sid)
            assert record(path) == record(tmp / "filled" / f"{sid}.xlsx"), (command, sid)
        after = grade([folder], e.folder, tmp_path / f"{command}.csv", lo=libreoffice)
        assert _marks(after) == {sid: _marks(before)[sid] for sid in ("s001", "s003")}, command
    # the commands did what they say on the numbers (the cells a step writes)
    stepped = read(tmp_path / "run" / "s001.xlsx")
    assert len(stepped.state.history) == 5
    s1 = student(e, "s001")
    start = read(tmp / "filled" / "s001.xlsx")
    from gradsheet.core import descent
    want = descent.descend(np.array(s1["X"]), np.array(s1["y"]), start.state.theta, start.settings.lr,
                           start.settings.eps, 5)
    assert np.allclose(stepped.state.theta, want.theta, rtol=1e-12)
    assert read(tmp_path / "set" / "s001.xlsx").settings.lr == 0.0005


def test_a_rewritten_exercise_opens_right_in_a_default_libreoffice(handed_in, tmp_path):
    """A student opens the stepped file in LibreOffice as shipped (no recalculation on load):
    their own cells, and the cells that read them, show what their formulas give on the new
    numbers (the file stores no value for them, so LibreOffice computes them), and a wrong
    formula shows its own wrong value, never the tool's right one."""
    from gradsheet.classroom.engine import LibreOffice
    e, tmp = handed_in
    right = shutil.copy(tmp / "filled" / "s001.xlsx", tmp_path / "s001.xlsx")
    wrong = shutil.copy(tmp / "filled" / "s002.xlsx", tmp_path / "s002.xlsx")
    assert cli("run", right, "-n", "3").exit_code == 0
    assert cli("reset", wrong).exit_code == 0
    array = shutil.copy(tmp / "filled" / "s003.xlsx", tmp_path / "s003.xlsx")  # h as one array formula
    assert cli("step", array).exit_code == 0
    with LibreOffice(ooxml_recalc_mode=1) as shipped:  # LibreOffice's own default: never recalculate
        assert shipped.ooxml_recalc_mode_in_effect() == 1
        for path, sid in ((right, "s001"), (wrong, "s002"), (array, "s003")):
            s = student(e, sid)
            X, y = np.array(s["X"]), np.array(s["y"])
            book = read(path)
            theta, eps, lr = book.state.theta, book.settings.eps, book.settings.lr
            doc = shipped.open(path)
            try:
                h = np.array(doc.named("h"), dtype=float)
                assert np.allclose(h, models.LINEAR.predict(X, theta), rtol=1e-12)
                assert np.allclose(doc.named("sqerr"), (h - y) ** 2, rtol=1e-12)
                loss = models.LINEAR.loss(X, y, theta)
                assert np.isclose(doc.named("Loss"), loss, rtol=1e-12)
                nudged = models.LINEAR.nudged_losses(X, y, theta, eps)
                if sid == "s003":  # Loss_B typed as a number: it stays what was typed
                    nudged[1] = contents(path)[L.cell("Loss_B")]
                slope_b = (nudged[1] - loss) / eps
                if sid == "s002":  # the exact slope
                    slope_b = models.LINEAR.exact_gradient(X, y, theta)[1]
                assert np.isclose(doc.named("grad_B"), slope_b, rtol=1e-6)
                slope_w = (nudged[0] - loss) / eps
                own = (nudged[0] - loss) / lr if sid == "s002" else slope_w  # s002 divides by lr
                assert np.isclose(doc.named("grad_W"), own, rtol=1e-6)
            finally:
                doc.close()


def test_steps_are_refused_while_the_cells_they_paste_are_not_ready(handed_in, tmp_path):
    e, tmp = handed_in
    blank = shutil.copy(e.folder / "s001.xlsx", tmp_path / "blank.xlsx")
    digest = sha(blank)
    for args in (["step"], ["run", "-n", "10"], ["next"]):
        result = cli(args[0], blank, *args[1:], "--out", tmp_path / "out.xlsx")
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert "아직 그럴 수 없는 칸이 있습니다: Loss (학습!G6): 비어 있음" in result.output
        if args[0] != "next":  # 2 (copy W, B, Loss into history) reads Loss only
            assert "grad_W (학습!J13): 비어 있음" in result.output and "next_B (학습!L14): 비어 있음" in result.output
        else:
            assert "grad_W" not in result.output
        assert sha(blank) == digest and not (tmp_path / "out.xlsx").exists()
    wrong = shutil.copy(tmp / "filled" / "s002.xlsx", tmp_path / "s002.xlsx")
    digest = sha(wrong)
    result = cli("step", wrong)
    assert result.exit_code == 2 and sha(wrong) == digest
    assert "grad_W (학습!J13): 데이터와 지금 입력으로 계산한 값과 다름" in result.output
    assert "grad_B (학습!J14): 데이터와 지금 입력으로 계산한 값과 다름" in result.output
    assert "Loss (" not in result.output and "next_" not in result.output
    # no value of the model's in the message: the student's cell is to compute it
    assert not re.search(r"\d\.\d", result.output.split(":", 2)[-1])
    assert cli("next", wrong).exit_code == 0  # action 2 copies Loss only, which is right
    assert read(wrong).state.action == 1


def test_reset_and_set_on_a_blank_exercise_leave_the_blanks_empty(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "roster.csv", tmp_path / "week3", lang="en")
    path = e.folder / "s001.xlsx"
    EN = layout_of(6, 1, "en")
    made_record, made = record(path), openpyxl.load_workbook(path)[EN.sheet]
    result = cli("reset", path)
    assert result.exit_code == 0, result.output
    book = read(path)
    s = student(e, "s001")
    X, y = np.array(s["X"]), np.array(s["y"])
    loss = models.LINEAR.loss(X, y, book.state.theta)
    # W, B new; Loss is not printed (the student's Loss cell computes it)
    assert result.output.splitlines()[1:] == [f"W = {book.state.theta[0]:.6g}, B = {book.state.theta[1]:.6g}",
                                              "an exercise workbook: Loss is not shown here; your own Loss cell "
                                              "computes it"]
    assert record(path) == made_record
    assert all(v is None for v in contents(path, EN).values())
    cached = openpyxl.load_workbook(path, data_only=True)
    assert all(cached[EN.sheet].cell(r + 1, c + 1).value is None for r, c in contents(path, EN))
    assert book.state.prev_loss == 0 and not len(book.state.history)
    numbers = [c.value for ws in cached.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float))]
    assert not any(np.isclose(n, loss, rtol=1e-6) for n in numbers)  # no number gives Loss away
    # set: the lr cell and nothing else of the training sheet; the record as it was
    sheet = lambda: openpyxl.load_workbook(path)[EN.sheet]  # noqa: E731
    before = {(c.row, c.column): c.value for row in sheet().iter_rows() for c in row}
    assert cli("set", path, "--lr", "0.0005").exit_code == 0
    after = {(c.row, c.column): c.value for row in sheet().iter_rows() for c in row}
    r, c = EN.cell("lr")
    assert {k for k in before if before[k] != after.get(k)} == {(r + 1, c + 1)} and after[(r + 1, c + 1)] == 0.0005
    assert record(path) == made_record and all(v is None for v in contents(path, EN).values())
    assert made.cell(r + 1, c + 1).value != 0.0005
    # --seed belongs to the record: refused in one line, the file as it was
    digest = sha(path)
    for args in (["reset", "--seed", "3"], ["set", "--seed", "3"]):
        result = cli(args[0], path, *args[1:])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
        assert "is an exercise workbook: its seed was set when the exercise was made" in result.output
        assert sha(path) == digest


def _tampered(src: Path, dst: Path, old: str, new: str) -> Path:
    """The hidden record with one value changed (a student editing it), every other part as it was."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for item in z.infolist():
            data = z.read(item)
            if item.filename == "xl/sharedStrings.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode(), 1)
            out.writestr(item, data)
    return dst


@pytest.mark.parametrize("old, new, key", [('<t>"ko"</t>', '<t>["en"]</t>', "'lang'"),  # a list: unhashable
                                           ('["h", "Loss",', '["h", "Loss", "W",', "'blank'"),  # W is an input
                                           ('<t>["h",', '<t>{"h":', "'blank'")],  # not JSON
                         ids=["lang_a_list", "an_input_as_a_blank", "blank_not_json"])
def test_a_tampered_record_is_one_line(tmp_path, old, new, key):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "roster.csv", tmp_path / "week3")
    path = _tampered(e.folder / "s001.xlsx", tmp_path / "s001.xlsx", old, new)
    digest = sha(path)
    for args in (["step"], ["reset"], ["set", "--lr", "0.01"]):
        result = cli(args[0], path, *args[1:])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert f"시트가 손상되었습니다 (키 {key})" in result.output and sha(path) == digest


def test_the_record_comes_back_as_it_was_not_as_this_version_would_write_it(tmp_path):
    """The record is the exercise's identity: written back as the file has it (here by an older
    gradsheet), never made again from the settings read out of it."""
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "roster.csv", tmp_path / "week3")
    from gradsheet import __version__
    path = _tampered(e.folder / "s002.xlsx", tmp_path / "s002.xlsx", f'<t>"{__version__}"</t>', '<t>"0.0.1"</t>')
    made = record(path)
    assert ("version", '"0.0.1"') in made
    for args in (["reset"], ["set", "--lr", "0.002"]):
        assert cli(args[0], path, *args[1:]).exit_code == 0
        assert record(path) == made


def _patched_sheet(src: Path, dst: Path, cells: dict[str, str]) -> Path:
    """The training sheet with blank cells' XML replaced (as Excel or a hand-edited file stores
    them), every other part as it was."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for item in z.infolist():
            data = z.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, xml in cells.items():
                    text, n = re.subn(rf'<c r="{ref}" s="(\d+)"/>', lambda m: xml.format(s=m.group(1)), text)
                    assert n == 1, ref
                data = text.encode()
            out.writestr(item, data)
    return dst


@pytest.mark.parametrize("cells, said", [
    ({"G6": '<c r="G6" s="{s}" t="e"><v>#N/A</v></c>'},
     "학습!G6: 직접 적힌 오류 값(#N/A)은 그대로 다시 쓸 수 없습니다. 워크북은 바뀌지 않았습니다"),
    ({"G6": '<c r="G6" s="{s}"><f>[1]Sheet1!A1*2</f><v>4</v></c>'},
     "학습!G6: 다른 워크북을 가리키는 수식은 그대로 다시 쓸 수 없습니다"),
    ({"C6": '<c r="C6" s="{s}"><f t="array" ref="C6:D7">W*A6:A7+B</f><v>1</v></c>'},
     "학습!C6: 배열 수식이 빈칸 밖(C6:D7)까지 걸쳐 있어 그대로 다시 쓸 수 없습니다")],
    ids=["typed_error", "link", "array_beyond_the_blanks"])
def test_what_cannot_be_written_back_as_it_is_is_refused_in_one_line(tmp_path, cells, said):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "roster.csv", tmp_path / "week3")
    path = _patched_sheet(e.folder / "s001.xlsx", tmp_path / "s001.xlsx", cells)
    digest = sha(path)
    for args in (["reset"], ["set", "--lr", "0.01"], ["step"]):
        result = cli(args[0], path, *args[1:])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert said in result.output and sha(path) == digest


def test_the_exercise_guide_says_what_the_commands_do_there(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for lang, sheet, said in (("ko", "설명", "여러분의 칸이 보여 주는 값만 붙여넣습니다"),
                              ("en", "Guide", "paste only the values your own cells show")):
        e = ex.make_exercise(None, tmp_path / "roster.csv", tmp_path / lang, lang=lang)
        texts = " ".join(str(c.value) for row in openpyxl.load_workbook(e.files[0])[sheet].iter_rows() for c in row)
        assert said in texts and "gradsheet reset" in texts
        built = tmp_path / f"course-{lang}.xlsx"
        from gradsheet.build import make
        make(None, built, lang=lang)  # the course workbook keeps the plain sentence
        texts = " ".join(str(c.value) for row in openpyxl.load_workbook(built)[sheet].iter_rows() for c in row)
        assert said not in texts and "gradsheet step" in texts


def test_the_buttons_on_an_exercise_paste_only_what_the_cells_show(handed_in, tmp_path):
    """The same rules for a press of the workbook's buttons (xlwings; here xlwings' Book(json=...)
    engine, as Excel sends a book): a step on a blank exercise or on wrong slopes is refused in
    the status cell and writes nothing else; on right formulas it steps; step 1 pastes no Loss."""
    from jsonbook import apply_actions, book_json, cell, open_book
    from gradsheet.core import addin, press
    e, tmp = handed_in
    at = lambda name: L.a1(name)  # noqa: E731
    press.forget()
    try:
        blank = book_json(e.folder / "s001.xlsx")
        book = open_book(blank)
        said = addin.one_step(book)
        assert "Loss (학습!G6): 비어 있음" in said and "next_B (학습!L14): 비어 있음" in said
        actions = book.json()["actions"]
        r, c = L.button_note
        assert [(a["start_row"], a["start_column"]) for a in actions] == [(r, c)]  # the buttons' note only
        book = open_book(blank)
        assert addin.reset(book) == "ok"
        after = apply_actions(blank, book.json()["actions"])
        assert cell(after, L.sheet, at("prevLoss")) == 0 and cell(after, L.sheet, at("W")) != cell(blank, L.sheet, at("W"))
        written = {(a["start_row"] + i, a["start_column"] + j) for a in book.json()["actions"] if a["func"] == "setValues"
                   for i, row in enumerate(a["values"]) for j, _ in enumerate(row)}
        assert not written & {rc for name in BLANK8 for rc in cells_of(L, name)}
        wrong = open_book(book_json(tmp / "filled" / "s002.xlsx"))
        said = addin.one_step(wrong)
        assert "grad_W (학습!J13): 데이터와" in said and "grad_B (학습!J14): 데이터와" in said and "Loss (" not in said
        right = book_json(tmp / "filled" / "s001.xlsx")
        book = open_book(right)
        assert addin.one_step(book) == "ok"
        after = apply_actions(right, book.json()["actions"])
        start = read(tmp / "filled" / "s001.xlsx")
        s1 = student(e, "s001")
        from gradsheet.core import descent
        want = descent.descend(np.array(s1["X"]), np.array(s1["y"]), start.state.theta, start.settings.lr,
                               start.settings.eps, 1)
        assert np.allclose([cell(after, L.sheet, at("W")), cell(after, L.sheet, at("B"))], want.theta, rtol=1e-12)
    finally:
        press.forget()
