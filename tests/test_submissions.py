"""What was handed in and whose it is, without an engine (gradsheet/classroom/submissions.py, and
the checks grade.py makes before an engine sees a file): zips of downloads and zip bombs within
their limits (one part's and all parts' together, each named when passed), file names as LMSs
write them, copies and second files, rows for files matched to nobody, and report cells that
never open as formulas."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gradsheet.classroom import feedback, grade as G, submissions as S
from gradsheet.classroom.grade import Refused, check_file
from gradsheet.classroom.submissions import Checked, Handed, assign, by_name, neutral, unzip

STUDENTS = [{"id": "20241012", "name": "송하준"}, {"id": "20241013", "name": "김철수"},
            {"id": "s1", "name": "Ann"}, {"id": "1", "name": "이영희"}, {"id": "Kim.B", "name": "박민수"},
            {"id": "20241099", "name": "김철수"}]
BLANK = ["h", "Loss"]


@pytest.mark.parametrize("stem, who", [
    ("20241012_송하준_3주차과제", "20241012"),  # an LMS download
    ("3주차과제_송하준", "20241012"),  # the name alone, one student's
    ("20241012 (1)", "20241012"),  # a second download
    ("s1", "s1"), ("S1-week3", "s1"), ("kim.b_final", "Kim.B"),
    ("1", "1"), ("과제 (1)", None),  # "(1)" is the browser's, not student 1
    ("202410120", None),  # not a whole word
    ("20241012_20241013", None),  # two students
    ("김철수_과제", None),  # two students of that name
    ("과제", None),
    ("\u1109\u1169\u11bc\u1112\u1161\u110c\u116e\u11ab_week3", "20241012"),  # macOS writes Hangul decomposed
])
def test_a_file_name_names_a_student(stem, who):
    assert by_name(stem, STUDENTS) == who


def checked(name: str, mtime=0.0, record=None, data=None, score=None, findings=()):
    c = Checked(Handed(name, Path(name), mtime), list(findings), record=record, by_data=data)
    if score is not None:
        c.marks, c.graded = {n: "ok" if i < score else "wrong" for i, n in enumerate(BLANK)}, True
    return c


def test_rows_one_per_student_copies_on_both_rows_the_newest_file_graded():
    students = [{"id": i, "name": n} for i, n in (("a", "Ann"), ("b", "Bo"), ("c", "Cy"), ("d", "Di"), ("e", "Ed"))]
    rows = assign(students, [
        checked("3주차.xlsx", record="a", data="a", score=2),  # named nobody: its record's and numbers'
        checked("b.xlsx", record="c", data="c", score=2),  # b hands in c's workbook
        checked("d.xlsx", 5.0, record="d", data="e", score=1),  # the record edited: its numbers are e's
        checked("d (1).xlsx", 9.0, record="d", data="d", score=2),  # d's newer file
        checked("zz.xlsx", record="zz", score=2),  # nobody's
        checked("notes.txt", findings=[G.Refused("grade.not_workbook", suffix=".txt")]),
    ], BLANK, "en")
    got = {r.id or r.file: (r.file, r.score, r.status) for r in rows}
    assert [r.id for r in rows] == ["a", "b", "c", "d", "e", "", ""]
    assert got["a"] == ("3주차.xlsx", 2, "ok")
    assert got["b"] == ("b.xlsx", 2, "handed in c's workbook (its numbers are c's)")
    assert got["c"] == ("", 0, "not submitted; this student's workbook was handed in by b too")
    assert got["d"] == ("d (1).xlsx", 2, "2 files handed in; the newest (d (1).xlsx) is graded; the others: d.xlsx 1/2")
    assert got["e"] == ("", 0, "not submitted; this student's workbook was handed in by d too")
    assert got["zz.xlsx"] == ("zz.xlsx", 2, "not on the roster; its hidden record names zz, who is not on the roster")
    assert got["notes.txt"] == ("notes.txt", 0, "not on the roster; not a workbook (.xlsx or .ods expected, got '.txt')")
    assert rows[1].copy_of == "c" and rows[2].copied_by == ("b",)


def test_a_file_named_for_nobody_with_the_record_of_one_joins_that_students_files():
    students = [{"id": "a", "name": ""}]
    rows = assign(students, [checked("a.xlsx", 1.0, record="a", data="a", score=1),
                             checked("copy.xlsx", 1.0, record="a", data="a", score=2)], BLANK, "ko")
    assert len(rows) == 1 and rows[0].file == "copy.xlsx"  # the same time: the later name
    assert rows[0].status == "파일 2개를 냈습니다. 가장 최근 것(copy.xlsx)을 채점했습니다. 다른 파일: a.xlsx 1/2점"


def _bomb(path: Path, parts: int, mb: int) -> Path:
    block = b"\0" * 2 ** 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p in range(parts):
            with z.open(f"xl/worksheets/sheet{p + 1}.xml", "w", force_zip64=True) as f:
                for _ in range(mb):
                    f.write(block)
    return path


def test_a_multi_part_bomb_is_refused_by_the_total_limit_and_says_so(tmp_path):
    """Three parts each under the one-part limit (100 MB), 240 MB together: refused when the
    running total passes 200 MB, and the message names that limit."""
    from gradsheet.data import limits
    part = limits.MAX_PART // 2 ** 20
    assert 3 * 80 > limits.MAX_UNPACKED // 2 ** 20 and 80 < part
    with pytest.raises(Refused) as refused:
        check_file(_bomb(tmp_path / "bomb.xlsx", 3, 80))
    assert refused.value.key == "grade.zip_bomb_total"
    assert refused.value.render("en") == "refused: the parts unpack past 200 MB in all (past it at " \
                                         "xl/worksheets/sheet3.xml): a zip bomb?"
    with pytest.raises(Refused) as refused:  # one part past its own limit: that limit named
        check_file(_bomb(tmp_path / "one.xlsx", 1, part + 1))
    assert refused.value.render("en") == \
        "refused: a part unpacks to 101 MB (xl/worksheets/sheet1.xml, limit 100 MB): a zip bomb?"
    (tmp_path / "secret.xlsx").write_bytes(G.OLE + b"\0" * 100)  # encrypted: an OLE file, not a zip
    with pytest.raises(Refused) as refused:
        check_file(tmp_path / "secret.xlsx")
    assert refused.value.key == "grade.encrypted"


def test_a_zip_of_downloads_is_unpacked_within_its_limits(tmp_path, monkeypatch):
    zpath = tmp_path / "downloads.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("week3/20241012_송하준.xlsx", b"a" * 1000)
        z.writestr(zipfile.ZipInfo("../../escape.xlsx", (2024, 10, 12, 9, 30, 0)), b"b" * 10)
        z.writestr("__MACOSX/week3/._20241012_송하준.xlsx", b"junk")
        z.writestr("QQQQ.xlsx", b"c" * 10)  # renamed below to CP949 bytes, as Korean Windows writes (no flag)
        for i in range(3):
            z.writestr(f"big{i}.xlsx", b"\0" * 3000)
    raw = zpath.read_bytes()
    assert len("과제".encode("cp949")) == 4 and raw.count(b"QQQQ.xlsx") == 2
    zpath.write_bytes(raw.replace(b"QQQQ.xlsx", "과제".encode("cp949") + b".xlsx"))
    into = tmp_path / "out"
    monkeypatch.setattr(S, "MAX_ENTRY", 2500)  # each big entry is past the one-file limit
    got = unzip(zpath, into)
    assert [h.shown for h in got] == ["downloads.zip/week3/20241012_송하준.xlsx", "downloads.zip/../../escape.xlsx",
                                      "downloads.zip/과제.xlsx", *(f"downloads.zip/big{i}.xlsx" for i in range(3))]
    assert got[0].stem == "week3/20241012_송하준"  # the folder may name the student too
    assert got[0].path.read_bytes() == b"a" * 1000 and got[0].path.parent == into
    assert got[1].path.parent == into and not (tmp_path.parent / "escape.xlsx").exists()
    assert got[1].mtime > 0
    assert [h.refused.render("en") if h.refused else None for h in got] == [None] * 3 + ["refused: it unpacks past 0 MB"] * 3
    monkeypatch.setattr(S, "MAX_ENTRY", 5000)
    monkeypatch.setattr(S, "MAX_ZIP_TOTAL", 4000)  # 1020 bytes, then 3000 more passes 4000
    got = unzip(zpath, tmp_path / "again")
    assert [h.refused.render("en") if h.refused else None for h in got] == \
        [None] * 3 + ["not unpacked: downloads.zip unpacks past 0 MB in all"] * 3
    monkeypatch.setattr(S, "MAX_ENTRIES", 2)
    got = unzip(zpath, tmp_path / "third")
    assert got[2].refused.render("en") == "not unpacked: downloads.zip holds more than 2 files"
    (tmp_path / "broken.zip").write_bytes(b"PK not really")
    assert unzip(tmp_path / "broken.zip", tmp_path / "x")[0].refused.key == "grade.zip_unreadable"


@pytest.mark.parametrize("text, out", [("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"),
                                       ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
                                       ("김철수", "김철수"), ("", ""), ("a=b", "a=b")])
def test_neutral(text, out):
    assert neutral(text) == out


def test_feedback_survives_whatever_a_row_holds(tmp_path):
    """A record's lang that is a list, ids that cannot name a file, 250-byte names, control
    characters and a second line hidden in a name: one file per row, nothing raised."""
    rows = [S.Graded("=cmd|' /C calc'!A0", "x\n=1+2", "a.xlsx", "ok", {"h": "ok"}, lang=["en"]),
            S.Graded("../../etc", "", "", "not submitted"),
            S.Graded("", "", "가" * 80 + ".xlsx", "not on the roster"),
            S.Graded("", "", "b.xlsx", "not on the roster"),
            S.Graded("con", "", "", "ok"), S.Graded("s1", "\u202eevil", "", "ok"), S.Graded("S1", "", "", "ok")]
    paths = feedback.write_all(tmp_path / "fb", rows, blank=["h"])
    assert [p.name for p in paths] == ["student-1.txt", "student-2.txt", "unmatched-1.txt", "unmatched-2.txt",
                                       "student-5.txt", "s1.txt", "S1-2.txt"]
    first = paths[0].read_text(encoding="utf-8").splitlines()
    assert first[0].startswith("'=cmd") and len(first) == 2  # the name's line break is not a line
    assert "\u202e" not in paths[5].read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == sorted(p.name for p in paths)  # no leftovers


def test_a_class_with_only_files_refused_before_the_engine_needs_none(tmp_path):
    """Files refused before any engine: rows, feedback and report without starting LibreOffice."""
    from gradsheet.classroom import exercise as ex
    (tmp_path / "r.csv").write_text("id,name\ns1,Ann\ns2,=1+2\n", encoding="utf-8")
    made = ex.make_exercise(None, tmp_path / "r.csv", tmp_path / "ex", lang="en")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "s1.pdf").write_text("essay")
    with zipfile.ZipFile(sub / "more.zip", "w") as z:
        z.writestr("s2/notes.txt", "x")
    run = G.grade([sub], made.folder, tmp_path / "report.csv", lo=[])
    assert [(r.id, r.file, r.status) for r in run.rows] == [
        ("s1", "s1.pdf", "not a workbook (.xlsx or .ods expected, got '.pdf')"),
        ("s2", "more.zip/s2/notes.txt", "not a workbook (.xlsx or .ods expected, got '.txt')")]
    assert (tmp_path / "report.csv").read_text(encoding="utf-8-sig").splitlines()[2].startswith("s2,'=1+2,")
