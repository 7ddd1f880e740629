"""The classroom end to end: exercise workbooks for a roster, submissions filled in a real
LibreOffice the ways students hand them in, and the grade report a teacher expects."""
from __future__ import annotations

import csv
import os
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from classroom_fill import cells_of, correct_formulas, fill, layout_of
from gradsheet.classroom import exercise as ex
from gradsheet.classroom.grade import check_file, grade, Refused
from gradsheet.cli import main
from gradsheet.core import models

ROSTER = "id,name\ns001,김철수\ns002,이영희\ns003,박민수\ns004,최지우\ns005,정하늘\ns006,강바다\ns007,윤가람\ns008,임솔\ns009,한결\n"
BLANK8 = ["h", "Loss", "Loss_W", "Loss_B", "grad_W", "grad_B", "next_W", "next_B"]


@pytest.fixture
def made(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(ROSTER.encode("cp949"))  # as a Korean LMS exports it
    return ex.make_exercise(None, roster, tmp_path / "week3"), tmp_path


def start_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for name in ("W", "B", "lr", "eps"):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        out[name] = wb[sheet][ref.replace("$", "")].value
    return out


def test_exercise_workbooks_hold_no_answers_and_say_whose_they_are(made):
    e, tmp = made
    assert [p.name for p in e.files] == [f"s00{i}.xlsx" for i in range(1, 10)]
    assert e.blank == tuple(BLANK8)
    key = ex.read_key(e.folder)
    assert [s["id"] for s in key["students"]][:2] == ["s001", "s002"]
    assert key["students"][0]["X"] != key["students"][1]["X"]  # numbers of their own
    wb = openpyxl.load_workbook(e.files[0])
    cached = openpyxl.load_workbook(e.files[0], data_only=True)
    L = layout_of(6, 1)
    sheet = wb[L.sheet]
    for name in BLANK8:
        assert name in wb.defined_names  # the name stays
        for r, c in cells_of(L, name):
            cell = sheet.cell(r + 1, c + 1)
            assert cell.value is None and cached[L.sheet].cell(r + 1, c + 1).value is None
            assert cell.fill.fgColor.rgb.endswith("DDEBF7")  # styled "write the formula here"
    meta = {r[0].value: r[1].value for r in wb["gradsheet"].iter_rows()}
    assert meta["student"] == '"s001"' and meta["student_name"] == '"김철수"'
    # No stored number gives the starting Loss away (prevLoss is 0; the guide quotes no Loss).
    v = start_values(e.files[0])
    X, y = np.array(key["students"][0]["X"]), np.array(key["students"][0]["y"])
    loss = models.LINEAR.loss(X, y, np.array([v["W"], v["B"]]))
    numbers = [c.value for ws in cached.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float))]
    assert not any(np.isclose(n, loss, rtol=1e-6) for n in numbers)
    texts = " ".join(str(c.value) for row in wb["설명"].iter_rows() for c in row)
    assert "s001 김철수" in texts
    for answer in ("Loss_W-Loss", "Loss_W − Loss", "P − lr", "lr × dLoss", "SUM(sqerr)", "h+eps", "W*"):
        assert answer not in texts


def test_same_inputs_give_the_same_files_and_same_data_gives_one_table(made):
    e, tmp = made
    again = ex.make_exercise(None, tmp / "roster.csv", tmp / "again")
    assert [p.read_bytes() for p in e.files] == [p.read_bytes() for p in again.files]
    same = ex.make_exercise(None, tmp / "roster.csv", tmp / "same", same_data=True)
    key = ex.read_key(same.folder)
    assert all(s["X"] == key["students"][0]["X"] for s in key["students"])


def test_roster_and_blank_refusals_are_one_line(tmp_path):
    r = tmp_path / "r.csv"
    r.write_text("student,name\n1,a\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["exercise", "--roster", str(r), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "명단에서 학번(id) 열을 찾지 못했습니다 (제목: 'student', 'name')" in result.output
    r.write_text("id\n1\n1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["exercise", "--roster", str(r), "-o", str(tmp_path / "o"), "--lang", "en"])
    assert result.exit_code == 2 and "id '1' appears twice (rows 2 and 3)" in result.output  # in --lang
    r.write_text("id\n1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["exercise", "--roster", str(r), "-o", str(tmp_path / "o"), "--blank", "sqerr"])
    assert result.exit_code == 2 and "--blank sqerr: 학생이 쓸 수식 칸이 아닙니다" in result.output
    result = CliRunner().invoke(main, ["exercise", "--roster", str(r), "-o", str(tmp_path / "o"), "--blank", "z"])
    assert result.exit_code == 2 and "--blank z: 학생이 쓸 수식 칸이 아닙니다" in result.output  # z: a classifier's
    assert len(result.output.strip().splitlines()) == 1


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b"\0" * 2 ** 20
            for _ in range(ex_limit_mb() + 1):
                f.write(block)
    return path


def ex_limit_mb() -> int:
    from gradsheet.data.limits import MAX_PART
    return MAX_PART // 2 ** 20


def test_zip_bomb_and_non_workbooks_are_refused_before_the_engine(tmp_path):
    with pytest.raises(Refused) as refused:
        check_file(_zip_bomb(tmp_path / "bomb.xlsx"))
    assert refused.value.key in ("grade.part_too_big", "grade.zip_bomb") and "zip 폭탄" in refused.value.render("ko")
    (tmp_path / "notes.xlsx").write_text("hello")
    with pytest.raises(Refused) as refused:
        check_file(tmp_path / "notes.xlsx")
    assert refused.value.render("en") == "not a readable workbook (damaged zip)"
    (tmp_path / "essay.pdf").write_text("x")
    with pytest.raises(Refused) as refused:
        check_file(tmp_path / "essay.pdf")
    assert refused.value.render("ko") == "워크북이 아닙니다 (.xlsx 또는 .ods여야 하는데 '.pdf'입니다)"


def test_grade_a_class(made, libreoffice):
    e, tmp = made
    L = layout_of(6, 1)
    right = correct_formulas(L)
    sub = tmp / "submissions"
    sub.mkdir()
    src = lambda sid: e.folder / f"{sid}.xlsx"  # noqa: E731
    fill(libreoffice, src("s001"), sub / "s001.xlsx", right, L)
    # a wrong h (B subtracted), every other formula right: only h is marked
    fill(libreoffice, src("s002"), sub / "s002.xlsx", dict(right, h=[f.replace("+B", "-B") for f in right["h"]]), L)
    # typed numbers: the right starting Loss typed in, and a typed slope
    v = start_values(src("s003"))
    s3 = next(s for s in ex.read_key(e.folder)["students"] if s["id"] == "s003")
    loss = models.LINEAR.loss(np.array(s3["X"]), np.array(s3["y"]), np.array([v["W"], v["B"]]))
    fill(libreoffice, src("s003"), sub / "s003.xlsx", dict(right, Loss=[loss], grad_W=[12.5]), L)
    shutil.copy(sub / "s001.xlsx", sub / "s004.xlsx")  # another student's file
    (sub / "s005.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")  # a broken file

    def drop_names(doc):
        for name in ("h", "Loss"):
            doc.model.NamedRanges.removeByName(name)
    fill(libreoffice, src("s006"), sub / "s006.xlsx", right, L, before_save=drop_names)
    fill(libreoffice, src("s007"), sub / "s007.ods", right, L)  # saved by LibreOffice as .ods
    _zip_bomb(sub / "s008.xlsx")
    run = grade([sub], e.folder, tmp / "report.csv", lo=libreoffice)
    raw = (tmp / "report.csv").read_bytes()
    from gradsheet.classroom.engine import LibreOffice
    with LibreOffice() as second:  # two engines side by side: the same report, row for row
        grade([sub], e.folder, tmp / "report2.csv", lo=[libreoffice, second])
    assert (tmp / "report2.csv").read_bytes() == raw
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["id", "name", "file", "score", "max", "status", *BLANK8]
    got = {r[0]: r[1:] for r in rows[1:]}
    ok8 = ["ok"] * 8
    # s004 handed in s001's workbook: flagged on both rows, by its numbers
    assert got["s001"] == ["김철수", "s001.xlsx", "8", "8", "이 학생의 워크북을 s004도 냈습니다", *ok8]
    assert got["s002"] == ["이영희", "s002.xlsx", "7", "8", "ok", "wrong", *ok8[1:]]
    assert got["s003"] == ["박민수", "s003.xlsx", "6", "8", "ok", "ok", "constant", "ok", "ok", "constant",
                           "ok", "ok", "ok"]
    # the status column speaks the answer key's language (Korean here); "ok" in both
    assert got["s004"] == ["최지우", "s004.xlsx", "8", "8", "s001의 워크북을 냈습니다 (숫자가 s001의 것입니다)", *ok8]
    assert got["s005"][:4] == ["정하늘", "s005.xlsx", "0", "8"] and \
        got["s005"][4] == "읽을 수 있는 워크북이 아닙니다 (zip이 손상되었습니다)" and got["s005"][5:] == [""] * 8
    # lost names: graded at their places; the formulas that used the names show errors
    assert got["s006"][:5] == ["강바다", "s006.xlsx", "4", "8", "사라진 이름: h, Loss (원래 자리에서 채점했습니다)"]
    assert got["s006"][5:] == ["ok", "ok", "error", "error", "error", "error", "ok", "ok"]
    assert got["s007"] == ["윤가람", "s007.ods", "8", "8", "ok", *ok8]
    assert got["s008"][:4] == ["임솔", "s008.xlsx", "0", "8"] and "zip 폭탄일 수 있습니다" in got["s008"][4]
    assert got["s009"] == ["한결", "", "0", "8", "제출하지 않았습니다", *[""] * 8]
    assert len(rows) == 1 + 9
    notes = {p.stem: p.read_text(encoding="utf-8") for p in run.feedback}
    assert [line for line in notes["s002"].splitlines() if line.startswith("- ")] == [
        "- h (학습!C6:C11): 값이 맞지 않습니다."]  # h is the only mistake named
    assert "숫자를 직접 적었습니다" in notes["s003"]
    assert "잘했습니다" in notes["s001"] and "잘했습니다" not in notes["s004"]  # no praise for a copy
    assert "이 워크북은 s001에게 만들어 준 것입니다" in notes["s004"]
    for text in notes.values():  # never an answer formula
        assert "SUMPRODUCT" not in text and "/eps" not in text and "*x" not in text


@pytest.mark.parametrize("seed", [3, 11])
def test_a_hung_or_failing_engine_is_restarted_and_grading_goes_on(made, libreoffice, seed):
    e, tmp = made
    L = layout_of(6, 1)
    sub = tmp / "sub"
    sub.mkdir()
    fill(libreoffice, e.folder / "s001.xlsx", sub / "s001.xlsx", correct_formulas(L), L)
    from gradsheet.classroom.engine import LibreOffice
    own = LibreOffice()
    own.start()
    try:
        from gradsheet.classroom.grade import Grader
        grader = Grader(ex.read_key(e.folder), own, timeout=0.001 * seed)  # far shorter than a load
        first = grader.grade(sub / "s001.xlsx")
        assert first.status.endswith("초 안에 끝나지 않았습니다 (엔진을 다시 시작했습니다)") and first.marks == {}
        grader.timeout = 60
        assert grader.grade(sub / "s001.xlsx").score == 8  # the restarted engine grades on
    finally:
        own.stop()


FORMS = {  # equivalent ways students write each formula ({r}: the row; {x}: x's column letter)
    "h": ["=W*{x}{r}+B", "=B+{x}{r}*W", "=SUMPRODUCT(W,{x}{r})+B"],
    "Loss": ["=SUM(sqerr)/ROWS(sqerr)", "=AVERAGE(sqerr)", "=SUMXMY2(h,y)/COUNT(y)"],
    "Loss_W": ["=SUMPRODUCT((h+eps*x-y)^2)/ROWS(y)", "=SUMPRODUCT((h+x*eps-y)^2)/COUNT(y)"],
    "Loss_B": ["=SUMPRODUCT((h+eps-y)^2)/ROWS(y)", "=SUMXMY2(h+eps,y)/COUNT(y)"],
    "grad_W": ["=(Loss_W-Loss)/eps", "=(-Loss+Loss_W)/eps"],
    "grad_B": ["=(Loss_B-Loss)/eps", "=(-Loss+Loss_B)/eps"],
    "next_W": ["=W-lr*dLoss_dW", "=W-dLoss_dW*lr"],
    "next_B": ["=B-lr*dLoss_dB", "=B-(lr*dLoss_dB)"],
}


@hsettings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(3, 12), data=st.data())
def test_random_data_and_random_correct_solutions_get_full_marks(tmp_path_factory, libreoffice, n, data):
    tmp = tmp_path_factory.mktemp("prop")
    xs = data.draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n, unique=True))
    ys = data.draw(st.lists(st.integers(-200, 200), min_size=n, max_size=n))
    table = tmp / "t.csv"
    table.write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(xs, ys)), encoding="utf-8")
    (tmp / "r.csv").write_text("id\nA\n", encoding="utf-8")
    with warnings.catch_warnings():  # a random table may draw a slow-lr warning: not the point here
        warnings.simplefilter("ignore")
        e = ex.make_exercise(table, tmp / "r.csv", tmp / "ex", seed=data.draw(st.integers(0, 999)))
    L = layout_of(n, 1)
    from gradsheet.core.a1 import xl_col_to_name
    x = xl_col_to_name(L.columns["x"])
    pick = {name: data.draw(st.sampled_from(forms)) for name, forms in FORMS.items()}
    formulas = {"h": [pick["h"].format(x=x, r=r + 1) for r in range(L.first_row, L.last_row + 1)],
                **{name: [form] for name, form in pick.items() if name != "h"}}
    w, b, dw, db = (data.draw(st.floats(-5, 5, allow_nan=False)) for _ in range(4))

    def student_moves(doc):  # a student mid-way: new W, B and pasted slopes
        for name, value in (("W", w), ("B", b), ("dLoss_dW", dw), ("dLoss_dB", db)):
            doc.set_named(name, value)
    sub = tmp / "sub"
    sub.mkdir()
    fill(libreoffice, e.files[0], sub / "A.xlsx", formulas, L, before_save=student_moves)
    run = grade([sub], e.folder, tmp / "report.csv", lo=libreoffice)
    assert run.rows[0].marks == {name: "ok" for name in BLANK8}, (pick, run.rows[0].notes)


def _report(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def test_one_mistake_costs_one_point_knock_on_errors_are_ok(made, libreoffice):
    """h shows #VALUE! in one row: the right Loss, Loss_W, Loss_B built on it show the error too
    and are ok (the correct formula on the student's own cells gives it); a wrong Loss or one
    with its own error is still caught, on the second reading where h holds numbers."""
    e, tmp = made
    L = layout_of(6, 1)
    right = correct_formulas(L)
    broken_h = list(right["h"])
    broken_h[2] = broken_h[2] + '+"a"'  # text in arithmetic: #VALUE! in the third row only
    sub = tmp / "sub"
    sub.mkdir()
    src = lambda sid: e.folder / f"{sid}.xlsx"  # noqa: E731
    fill(libreoffice, src("s001"), sub / "s001.xlsx", dict(right, h=broken_h), L)
    fill(libreoffice, src("s002"), sub / "s002.xlsx", dict(right, h=broken_h, Loss=["=SUM(sqerr)/5"]), L)
    fill(libreoffice, src("s003"), sub / "s003.xlsx", dict(right, h=broken_h, Loss=["=SUM(sqerr)/ROWS(sqerrr)"]), L)
    fill(libreoffice, src("s004"), sub / "s004.xlsx", dict(right, h=["W*x"] * 6), L)  # h typed as text
    run = grade([sub], e.folder, tmp / "report.csv", lo=libreoffice)
    head, got = _report(tmp / "report.csv")
    assert head == ["id", "name", "file", "score", "max", "status", *BLANK8]
    ok = ["ok"] * 7
    assert got["s001"][2:] == ["7", "8", "ok", "error", *ok]
    assert got["s002"][2:] == ["6", "8", "ok", "error", "wrong", *ok[1:]]
    # Loss's own #NAME?: error; grad_W, grad_B are right over it (knock-on: ok)
    assert got["s003"][2:] == ["6", "8", "ok", "error", "error", *ok[1:]]
    assert got["s004"][2:] == ["7", "8", "ok", "wrong", *ok]
    notes = {p.stem: p.read_text(encoding="utf-8") for p in run.feedback}
    said = [line for line in notes["s001"].splitlines() if line.startswith("- ")]
    assert said[0] == "- h (학습!C6:C11): #VALUE! 오류가 납니다. 없는 이름이나 칸을 가리키는지, 숫자 대신 글자를 쓰지 않았는지 보세요."
    assert said[1] == ("- Loss (학습!G6): 맞게 썼습니다. #VALUE! 오류는 h에서 이어진 것이라 감점하지 않았습니다. "
                       "h를 고치면 숫자가 나옵니다.")
    assert len(said) == 6 and all("h에서 이어진" in line for line in said[1:])  # Loss_W … grad_B too
    said = [line for line in notes["s002"].splitlines() if line.startswith("- ")]
    assert said[:2] == ["- h (학습!C6:C11): #VALUE! 오류가 납니다. 없는 이름이나 칸을 가리키는지, 숫자 대신 글자를 쓰지 않았는지 보세요.",
                        "- Loss (학습!G6): 값이 맞지 않습니다."]
    assert "grad_W (학습!J13): 맞게 썼습니다. #NUM! 오류는 h에서" in notes["s002"]  # the root, not Loss
    assert "- h (학습!C6:C11): 수식이 아니라 글자입니다." in notes["s004"]
    for text in notes.values():  # never an answer formula
        assert "SUM(" not in text and "/eps" not in text and "W*" not in text


def _csv3(path: Path) -> Path:
    rows = [(1, 4, 2, 14.0), (2, 3, 5, 19.5), (3, 6, 1, 17.0), (4, 1, 3, 15.5),
            (5, 5, 4, 26.0), (6, 2, 6, 25.5), (7, 7, 2, 28.0), (8, 4, 5, 31.5)]
    path.write_text("x1,x2,x3,y\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return path


BLANK14 = ["h", "Loss", *[f"Loss_{p}" for p in ("W_1", "W_2", "W_3", "B")],
           *[f"grad_{p}" for p in ("W_1", "W_2", "W_3", "B")], *[f"next_{p}" for p in ("W_1", "W_2", "W_3", "B")]]


@pytest.mark.parametrize("optimizer, lang", [("gd", "ko"), ("adam", "en")])
def test_three_inputs_end_to_end(tmp_path, libreoffice, optimizer, lang):
    """A 3-input table (W_1 … W_3, B), with the course's step and with Adam: the report's columns
    follow the names, right work gets full marks, a wrong slope for W_2 costs one point."""
    (tmp_path / "r.csv").write_text("id,name\nA,에이\nB,비\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a slow-lr warning on this small table is not the point
        e = ex.make_exercise(_csv3(tmp_path / "t.csv"), tmp_path / "r.csv", tmp_path / "ex", optimizer=optimizer,
                             lang=lang)
    assert e.blank == tuple(BLANK14)
    L = layout_of(8, 3, lang, optimizer)
    right = correct_formulas(L)
    sub = tmp_path / "sub"
    sub.mkdir()
    fill(libreoffice, e.folder / "A.xlsx", sub / "A.xlsx", right, L)
    fill(libreoffice, e.folder / "B.xlsx", sub / "B.ods", dict(right, grad_W_2=["=(Loss_W_2-Loss)/lr"]), L)
    grade([sub], e.folder, tmp_path / "report.csv", lo=libreoffice)
    head, got = _report(tmp_path / "report.csv")
    assert head == ["id", "name", "file", "score", "max", "status", *BLANK14]
    assert got["A"] == ["에이", "A.xlsx", "14", "14", "ok", *["ok"] * 14]
    wrong = ["ok"] * 14
    wrong[BLANK14.index("grad_W_2")] = "wrong"
    assert got["B"] == ["비", "B.ods", "13", "14", "ok", *wrong]
    note = (tmp_path / "report-feedback" / "B.txt").read_text(encoding="utf-8")
    at = f"{L.sheet}!{L.a1('grad_W_2').replace('$', '')}"
    said = {"ko": f"- grad_W_2 ({at}): 값이 맞지 않습니다.", "en": f"- grad_W_2 ({at}): the value is not right."}
    assert said[lang] in note.splitlines()  # in the workbook's language


def test_grade_command_gives_every_file_a_row_and_exits_0(tmp_path, libreoffice):
    """The command line as a teacher runs it: its own engine (the fixture only brings the
    LibreOffice tests' skip rules), a folder with an untouched file, a broken one, one not on
    the roster and one from another exercise; exit 0, a row each, English feedback."""
    (tmp_path / "r.csv").write_text("id,name\nA,Ann\nB,Bo\nC,Cy\n", encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "r.csv", tmp_path / "ex", lang="en")
    other = ex.make_exercise(None, tmp_path / "r.csv", tmp_path / "other", lang="en", seed=7)
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(e.folder / "A.xlsx", sub / "A.xlsx")  # handed in untouched: every blank missing
    (sub / "B.xlsx").write_bytes(b"not a zip")
    shutil.copy(e.folder / "A.xlsx", sub / "Z.xlsx")  # a name nobody has: A's by its record and numbers
    shutil.copy(other.folder / "C.xlsx", sub / "C.xlsx")
    (sub / "notes.pdf").write_text("not mine")
    os.utime(sub / "Z.xlsx", (1e9, 1e9))  # the older of A's two files
    result = CliRunner().invoke(main, ["grade", str(sub), "--key", str(e.folder), "-o", str(tmp_path / "rep.csv")])
    assert result.exit_code == 0, result.output
    head, got = _report(tmp_path / "rep.csv")
    assert [r[:5] for r in got.values()] == [
        ["Ann", "A.xlsx", "0", "8", "2 files handed in; the newest (A.xlsx) is graded; the others: Z.xlsx 0/8"],
        ["Bo", "B.xlsx", "0", "8", "not a readable workbook (damaged zip)"],
        ["Cy", "C.xlsx", "0", "8", "from another exercise (not made with this key)"],
        ["", "notes.pdf", "0", "8", "not on the roster; not a workbook (.xlsx or .ods expected, got '.pdf')"]]
    assert got["A"][5:] == ["missing"] * 8
    assert "graded 4 submissions (0 full marks)" in result.output
    assert sorted(p.name for p in (tmp_path / "rep-feedback").iterdir()) == ["A.txt", "B.txt", "C.txt",
                                                                              "unmatched-1.txt"]
    assert (tmp_path / "rep-feedback" / "A.txt").read_text(encoding="utf-8").startswith("A Ann — A.xlsx: 0/8 points")
