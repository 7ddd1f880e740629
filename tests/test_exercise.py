"""`gradsheet exercise` in a real class (issue 17): keys that a late student cannot change, any
roster an LMS exports, exercises that give no answer away, exercises of every model, and a
learning rate that converges on every student's own numbers."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import warnings
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.formula import ArrayFormula

from gradsheet.classroom import exercise as ex
from gradsheet.classroom import roster as rs
from gradsheet.cli import main
from gradsheet.core import models
from gradsheet.core.layout import Layout
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.core.scaling import scale_columns
from gradsheet.core.texts import texts
from gradsheet.data import dataset as data
from gradsheet.data import limits, presets
from gradsheet.sheets import guide
from gradsheet.sheets.train import optimizer_refs

CLASS = [("2024001", "김철수"), ("2024002", "이영희"), ("2024003", "박민수")]


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="gradsheet")


def roster_file(path: Path, students, head="학번,이름,학과", encoding="cp949") -> Path:
    """A roster as a Korean LMS exports it (CP949, headed 학번,이름,학과)."""
    lines = [head] + [f"{sid},{name},컴퓨터공학과" for sid, name in students]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def meta(path: Path) -> dict:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {r[0]: json.loads(r[1]) for r in wb["gradsheet"].iter_rows(values_only=True) if r[0]}
    finally:
        wb.close()


def preset(name: str) -> tuple[str, dict]:
    options = presets.read(presets.find(name))
    return options.pop("data"), options


# --- 1. keys: the exercise's identity does not depend on the roster ----------------------------

def test_a_late_student_adds_a_workbook_and_changes_nothing_else(tmp_path):
    first = ex.make_exercise(None, roster_file(tmp_path / "r1.csv", CLASS), tmp_path / "week3")
    before = hashes(first.folder)
    old = json.loads((first.folder / ex.STUDENTS_FILE).read_text(encoding="utf-8"))["students"]
    assert set(before) == {"2024001.xlsx", "2024002.xlsx", "2024003.xlsx", ex.KEY_FILE, ex.STUDENTS_FILE}
    # the late student comes first in the new export, and the others in another order
    late = [("2024099", "송하준"), CLASS[2], CLASS[0], CLASS[1]]
    again = ex.make_exercise(None, roster_file(tmp_path / "r2.csv", late), tmp_path / "week3")
    after = hashes(first.folder)
    assert [p.name for p in again.files] == ["2024099.xlsx"] and not again.new_key and again.kept == 3
    assert {name: h for name, h in after.items() if name in before and name != ex.STUDENTS_FILE} == \
        {name: h for name, h in before.items() if name != ex.STUDENTS_FILE}  # every workbook and the key
    record = json.loads((first.folder / ex.STUDENTS_FILE).read_text(encoding="utf-8"))["students"]
    assert record[:3] == old  # the record only grows and [s["id"] for s in record] == ["2024001", "2024002", "2024003", "2024099"]
    # the late student's workbook is the one a class of only them would get: no roster in it
    alone = ex.make_exercise(None, roster_file(tmp_path / "r3.csv", [("2024099", "송하준")]), tmp_path / "alone")
    assert hashes(alone.folder)["2024099.xlsx"] == after["2024099.xlsx"]
    assert hashes(alone.folder)[ex.KEY_FILE] == after[ex.KEY_FILE]
    key = ex.read_key(first.folder)
    assert {meta(first.folder / f"{sid}.xlsx")["exercise"] for sid, _ in late} == {key["exercise"]}
    assert [s["id"] for s in key["students"]] == ["2024001", "2024002", "2024003", "2024099"]


def test_running_again_says_what_it_did_and_other_options_are_refused_in_one_line(tmp_path):
    roster = roster_file(tmp_path / "r.csv", CLASS)
    out = tmp_path / "week3"
    made = cli("exercise", "--roster", roster, "-o", out, "--lang", "en")
    assert made.exit_code == 0 and made.stdout.startswith(f"wrote 3 exercise workbooks to {out}")
    before = hashes(out)
    same = cli("exercise", "--roster", roster, "-o", out, "--lang", "en")
    assert same.exit_code == 0 and same.stdout == (
        f"nothing to add: every student of the roster has a workbook in {out} (3); the workbooks and the answer "
        "key are unchanged\n")
    longer = roster_file(tmp_path / "r2.csv", CLASS + [("2024004", "최지우")])
    added = cli("exercise", "--roster", longer, "-o", out, "--lang", "en")
    assert added.stdout == (f"wrote 1 exercise workbooks for new students to {out} (2024004); the 3 already there "
                            "and the answer key are unchanged\n")
    before = hashes(out)
    renamed = roster_file(tmp_path / "r3.csv", [("2024001", "김철순")] + CLASS[1:] + [("2024004", "최지우")])
    kept = cli("exercise", "--roster", renamed, "-o", out, "--lang", "en")
    assert kept.exit_code == 0 and kept.stderr == (
        "gradsheet: warning: 2024001: keeping the name '김철수' the exercise has (the roster says '김철순')\n")
    assert hashes(out) == before  # the workbook says whom it was made for: it stays as it is
    for options, said in ((["--seed", "7"], "seed 1 → 7"), (["--lr", "0.0005"], "lr 0.001 → 0.0005"),
                          (["--blank", "h,Loss"], "blank h,Loss,Loss_W,Loss_B,grad_W,grad_B,next_W,next_B → h,Loss"),
                          (["--same-data"], "same_data False → True")):
        refused = cli("exercise", "--roster", longer, "-o", out, "--lang", "en", *options)
        assert refused.exit_code == 2 and refused.stdout == "" and len(refused.stderr.splitlines()) == 1, refused.output
        assert refused.stderr == (f"gradsheet: error: {out} holds an exercise made with other options ({said}); "
                                  "choose another folder, or give --force to replace it (workbooks handed out "
                                  "already will no longer grade)\n")
        assert hashes(out) == before  # nothing written
    forced = cli("exercise", "--roster", roster, "-o", out, "--lang", "en", "--seed", "7", "--force")
    assert forced.exit_code == 0 and forced.stderr.startswith("gradsheet: warning: replaced another exercise in")
    assert forced.stdout.startswith(f"wrote 4 exercise workbooks to {out}")  # the replaced one's 4 students
    after = hashes(out)
    assert all(after[name] != before[name] for name in before)
    key = ex.read_key(out)
    assert key["seed"] == 7 and [s["id"] for s in key["students"]] == ["2024001", "2024002", "2024003", "2024004"]
    assert {meta(out / f"{s['id']}.xlsx")["exercise"] for s in key["students"]} == {key["exercise"]}


def test_a_key_of_an_older_gradsheet_or_no_key_at_all_is_refused_unless_forced(tmp_path):
    roster = roster_file(tmp_path / "r.csv", CLASS[:1])
    out = tmp_path / "o"
    out.mkdir()
    (out / ex.KEY_FILE).write_text('{"generator": "gradsheet", "key_format": 1, "exercise": "x", "students": []}',
                                   encoding="utf-8")
    old = cli("exercise", "--roster", roster, "-o", out)
    assert old.exit_code == 2 and old.stderr == (
        f"gradsheet: 오류: {out}에는 예전 gradsheet로 만든 과제가 있습니다 (답안 키 형식 1). 다른 폴더를 고르거나, 새로 "
        "만들려면 --force를 주세요 (이미 나눠 준 워크북은 채점되지 않습니다)\n")
    (out / ex.KEY_FILE).write_text("my notes", encoding="utf-8")
    notes = cli("exercise", "--roster", roster, "-o", out, "--lang", "en")
    assert notes.exit_code == 2 and notes.stderr == (
        f"gradsheet: error: {out / ex.KEY_FILE} is not a readable gradsheet answer key; choose another folder, or "
        "give --force to replace it\n")
    assert sorted(p.name for p in out.iterdir()) == [ex.KEY_FILE]
    assert cli("exercise", "--roster", roster, "-o", out, "--force").exit_code == 0
    assert ex.read_key(out)["students"][0]["id"] == "2024001"


def test_a_lost_workbook_comes_back_the_same_and_a_first_key_format_still_grades(tmp_path):
    made = ex.make_exercise(None, roster_file(tmp_path / "r.csv", CLASS), tmp_path / "o")
    before = hashes(made.folder)
    (made.folder / "2024002.xlsx").unlink()
    again = ex.make_exercise(None, tmp_path / "r.csv", made.folder)
    assert [p.name for p in again.files] == ["2024002.xlsx"] and hashes(made.folder) == before
    # a key of format 1 (students inside), as gradsheet wrote it before: read as it is
    old = {"generator": "gradsheet", "key_format": 1, "exercise": "abc", "students": [{"id": "s1"}]}
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / ex.KEY_FILE).write_text(json.dumps(old), encoding="utf-8")
    assert ex.read_key(tmp_path / "old") == old


def test_the_key_carries_everything_the_grader_needs_and_nothing_about_the_roster(tmp_path):
    """key_format 2: the key is the exercise (settings with model and classes, blank names, the
    lesson's data, seed, the rule that derives a student's numbers); read_key adds the students'
    record: id, name, file, lr, X (raw inputs), y (numbers, or class indices)."""
    data_, options = preset("iris")
    made = ex.make_exercise(data_, roster_file(tmp_path / "r.csv", CLASS), tmp_path / "o", **options)
    raw = json.loads((made.folder / ex.KEY_FILE).read_text(encoding="utf-8"))
    assert raw["key_format"] == 2 and "students" not in raw
    assert raw["settings"]["model"] == "softmax" and raw["settings"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert raw["settings"]["scale"] == "standard" and raw["blank"] == list(made.blank)
    key = ex.read_key(made.folder)
    base = data.load(presets.find("iris").parent / "iris.csv", target="species",
                     features=options["features"], model="softmax")
    for s in key["students"]:
        X, y = ex.student_numbers(base, key["seed"], s["id"], key["same_data"])  # derivable from the key alone
        assert np.array_equal(X, np.array(s["X"])) and np.array_equal(y, np.array(s["y"]))
        assert sorted(set(s["y"])) == [0.0, 1.0, 2.0]


# --- 2. rosters -----------------------------------------------------------------------------

@pytest.mark.parametrize("head, expected", [
    ("학번,이름,학과", ("학번", "이름")), ("ID,Name,Dept", ("ID", "Name")), ("Student ID,Student Name,x", ("Student ID", "Student Name")),
    ("student_id,성명,x", ("student_id", "성명")), ("순번,아이디,이름", ("아이디", "이름")),
    ("학번(ID),이름,아이디", ("학번(ID)", "이름")), ("번호,학번,이름", ("학번", "이름"))])
def test_the_id_and_name_columns_are_found_by_common_headings(tmp_path, head, expected):
    path = tmp_path / "r.csv"
    path.write_text(f"{head}\n1,2,3\n4,5,6\n", encoding="utf-8")
    got = rs.read_roster(path)
    assert (got.id_heading, got.name_heading) == expected
    assert [s.id for s in got.students] == ([r[head.split(",").index(expected[0])] for r in (["1", "2", "3"], ["4", "5", "6"])])


def test_rosters_of_every_kind_an_lms_exports(tmp_path):
    # UTF-8 with a BOM, ; as delimiter, a title line above the headings
    (tmp_path / "a.csv").write_bytes("\ufeff2024-1 기계학습 수강생\n학번;이름\n2024001;김철수\n2024002;이영희\n".encode())
    got = rs.read_roster(tmp_path / "a.csv")
    assert [w.key for w in got.warnings] == ["data.title_skipped"]  # said by `exercise`, as `build` says it
    assert [(s.id, s.name, s.row) for s in got.students] == [("2024001", "김철수", 3), ("2024002", "이영희", 4)]
    # an .xlsx whose ids are numbers, with a blank row
    wb = openpyxl.Workbook()
    for row in (["학번", "이름"], [2024001, "김철수"], [None, None], [2024002.0, "이영희"]):
        wb.active.append(row)
    wb.save(tmp_path / "b.xlsx")
    assert [s.id for s in rs.read_roster(tmp_path / "b.xlsx").students] == ["2024001", "2024002"]
    # one column only, no names
    (tmp_path / "c.csv").write_text("id\ns1\ns2\n", encoding="utf-8")
    assert [(s.id, s.name) for s in rs.read_roster(tmp_path / "c.csv").students] == [("s1", ""), ("s2", "")]
    # named on the command line, by heading (any case) or position
    (tmp_path / "d.csv").write_text("계정,성명,학번\nkim,김철수,1\nlee,이영희,2\n", encoding="utf-8")
    assert [s.id for s in rs.read_roster(tmp_path / "d.csv").students] == ["1", "2"]
    assert [s.id for s in rs.read_roster(tmp_path / "d.csv", id_column="계정").students] == ["kim", "lee"]
    assert [s.name for s in rs.read_roster(tmp_path / "d.csv", id_column="1", name_column="3").students] == ["1", "2"]
    result = cli("exercise", "--roster", tmp_path / "d.csv", "--id-column", " 계정 ", "-o", tmp_path / "o")
    assert result.exit_code == 0 and sorted(p.name for p in (tmp_path / "o").glob("*.xlsx")) == ["kim.xlsx", "lee.xlsx"]


@pytest.mark.parametrize("content, args, said", [
    ("번호,이름\n1,김철수\n", [], "{path}: no student id column in the roster (its headings: '번호', '이름'); name it with --id-column"),
    ("ID,학번,이름\na,1,김\n", [], "{path}: cannot tell which column to use ('ID', '학번'); choose one with --id-column"),
    ("학번,이름\n1,김\n", ["--id-column", "계정"], "{path}: --id-column '계정': no such column (its headings: '학번', '이름')"),
    ("학번,이름\n1,김\n,이\n", [], "{path}: row 3 has no id"),
    ("학번,이름\n", [], "{path}: no data rows below the headings"),
])
def test_roster_refusals_are_one_line_and_write_nothing(tmp_path, content, args, said):
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    result = cli("exercise", "--roster", path, "-o", tmp_path / "o", "--lang", "en", *args)
    assert result.exit_code == 2 and result.stdout == "", result.output
    if "no data rows" in said:
        assert result.stderr.startswith(f"gradsheet: error: {path}")
    else:
        assert result.stderr == f"gradsheet: error: {said.format(path=path)}\n"
    assert not (tmp_path / "o").exists()


NFD = unicodedata.normalize("NFD", "한결")


@pytest.mark.parametrize("ids, said", [
    (["Kim", "kim"], "'Kim' (row 2) and 'kim' (row 3) are the same file name on Windows and macOS"),
    (["ÄRA", "ära"], "'ÄRA' (row 2) and 'ära' (row 3) are the same file name on Windows and macOS"),
    (["한결", NFD], "id '한결' appears twice (rows 2 and 3)"),  # one NFC, one NFD: the same id
    (["s1", "s1"], "id 's1' appears twice (rows 2 and 3)"),
    (["s1", "CON"], "row 3: id 'CON' cannot name a file: CON is a device name on Windows"),
    (["s1", "nul.txt"], "row 3: id 'nul.txt' cannot name a file: NUL is a device name on Windows"),
    (["s1", "com1"], "row 3: id 'com1' cannot name a file: COM1 is a device name on Windows"),
    (["s1", "LPT9.2024"], "row 3: id 'LPT9.2024' cannot name a file: LPT9 is a device name on Windows"),
    (["s1", "COM¹"], "row 3: id 'COM¹' cannot name a file: COM¹ is a device name on Windows"),
    (["aux ", "s1"], "row 2: id 'aux' cannot name a file: AUX is a device name on Windows"),
    (["s1.", "s2"], "row 2: id 's1.' cannot name a file: Windows drops a trailing dot or space"),
    ([".s1", "s2"], "row 2: id '.s1' cannot name a file: a name starting with a dot is a hidden file"),
    (["a/b"], "row 2: id 'a/b' cannot name a file: '/' is not allowed in file names on Windows or macOS"),
    (["a:b"], "row 2: id 'a:b' cannot name a file: ':' is not allowed in file names on Windows or macOS"),
    (["a*b"], "row 2: id 'a*b' cannot name a file: '*' is not allowed"),
    (["a?b"], "row 2: id 'a?b' cannot name a file: '?' is not allowed"),
    (["a|b"], "row 2: id 'a|b' cannot name a file: '|' is not allowed"),
    (["a<b"], "row 2: id 'a<b' cannot name a file: '<' is not allowed"),
    (["a\\b"], "row 2: id 'a\\b' cannot name a file: '\\' is not allowed"),
    # shown escaped: a right-to-left override would turn the message around on the screen
    (["\u202egpj.exe"], "row 2: id '\\u202egpj.exe' cannot name a file: it holds an invisible character (U+202E"),
    (["a\u200bb"], "row 2: id 'a\\u200bb' cannot name a file: it holds an invisible character (U+200B"),
    (["a\u2066b"], "cannot name a file: it holds an invisible character (U+2066"),
    (["a\u00a0b"], "cannot name a file: it holds an invisible character (U+00A0"),
    (["a\ufeffb"], "cannot name a file: it holds an invisible character (U+FEFF"),
    (["x" * 65], "cannot name a file: too long (at most 64 characters)"),
    (["한" * 64], None),  # 64 Hangul syllables: 192 bytes, allowed
])
def test_ids_that_would_collide_or_cannot_name_a_file_are_refused_naming_the_rows(tmp_path, ids, said):
    path = tmp_path / "r.csv"
    path.write_text("id\n" + "".join(f'"{i}"\n' for i in ids), encoding="utf-8")
    out = tmp_path / "o"
    result = cli("exercise", "--roster", path, "-o", out, "--lang", "en")
    if said is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert said in result.stderr, result.stderr
    assert "\u202e" not in result.stderr
    assert not out.exists()


def test_a_bad_roster_leaves_an_exercise_folder_as_it_was(tmp_path):
    made = ex.make_exercise(None, roster_file(tmp_path / "r.csv", [("Kim", "김"), ("s2", "이")]), tmp_path / "o")
    before = hashes(made.folder)
    for content in ("학번,이름\nkim,김\ns3,박\n", "학번,이름\ns3,박\nCON,콘\n", "학번,이름\ns3,박\ns3,박\n"):
        (tmp_path / "bad.csv").write_text(content, encoding="utf-8")
        result = cli("exercise", "--roster", tmp_path / "bad.csv", "-o", made.folder)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
        assert hashes(made.folder) == before
    (tmp_path / "bad.csv").write_text("학번,이름\nkim,김\n", encoding="utf-8")
    said = cli("exercise", "--roster", tmp_path / "bad.csv", "-o", made.folder)
    assert said.stderr == (f"gradsheet: 오류: {tmp_path / 'bad.csv'}: 2행의 'kim'는 이 과제에 이미 있는 'Kim'와 Windows와 "
                           "macOS에서 같은 파일 이름입니다 (대소문자나 유니코드 정규화만 다릅니다)\n")


# --- 3. exercises give no answer away; own data has no repeated rows ------------------------------

def _three(path: Path) -> Path:
    rows = [(1, 4, 2, 14.0), (2, 3, 5, 19.5), (3, 6, 1, 17.0), (4, 1, 3, 15.5),
            (5, 5, 4, 26.0), (6, 2, 6, 25.5), (7, 7, 2, 28.0), (8, 4, 5, 31.5)]
    path.write_text("x1,x2,x3,y\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _lessons(tmp_path: Path) -> dict:
    """(data, options) of an exercise of every kind: the course, 3 inputs with Adam and central
    differences, logistic (exam), softmax (iris), and a logistic one with every column blank."""
    exam, exam_options = preset("exam")
    iris, iris_options = preset("iris")
    return {"lemonade": (None, {}),
            "three": (_three(tmp_path / "three.csv"), {"optimizer": "adam", "diff": "central", "lr": 0.0005,
                                                        "blank": "h,Loss,Loss_P,Lossm_P,grad_P,next_P"}),
            "exam": (exam, exam_options),
            "iris": (iris, iris_options),
            "exam_all": (exam, {**exam_options, "blank": "z,p,p_true,ce,pred,Loss,Loss_P,grad_P,next_P",
                                "lang": "en"})}


def _make(tmp_path: Path, which: str, roster=None):
    data_, options = _lessons(tmp_path)[which]
    options = dict(options)
    blank = options.pop("blank", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ex.make_exercise(data_, roster or roster_file(tmp_path / "r.csv", CLASS), tmp_path / which,
                                blank=blank, **options)


def _expected(key: dict, student: dict, theta: np.ndarray, dloss: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every blank-able cell's value by the numpy model, on a student's own numbers and theta."""
    s = key["settings"]
    X = np.array(student["X"], dtype=float)
    X = scale_columns(X, s["scale"])[0] if s["scale"] != "none" else X
    y = np.array(student["y"], dtype=float)
    spec = models.model_spec(s["model"], len(s["classes"]))
    layout = Layout(len(y), X.shape[1], "x", s["diff"], 0, s["scale"] != "none", s["optimizer"], s["model"],
                    tuple(s["classes"]))
    out = {name: np.atleast_1d(v) for name, v in spec.row_values(X, y, theta).items()}
    out["Loss"] = np.atleast_1d(spec.loss(X, y, theta))
    plus = spec.nudged_losses(X, y, theta, s["eps"])
    minus = spec.nudged_losses(X, y, theta, -s["eps"])
    grad = spec.gradient(X, y, theta, s["eps"], s["diff"])
    opt = OPTIMIZERS[s["optimizer"]]
    dloss = np.zeros_like(theta) if dloss is None else dloss
    nxt, _, _ = opt.update(theta, dloss, {slot: np.zeros_like(theta) for slot in opt.slots}, 0, student["lr"],
                           {h: s[h] for h in ("beta", "rho", "beta1", "beta2", "delta")})
    for p, name in enumerate(layout.params):
        out[f"Loss_{name}"], out[f"Lossm_{name}"] = plus[p:p + 1], minus[p:p + 1]
        out[f"grad_{name}"], out[f"next_{name}"] = grad[p:p + 1], nxt[p:p + 1]
    return out


def _start(path: Path, layout: Layout) -> np.ndarray:
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb[layout.sheet]
    try:
        return np.array([ws.cell(r + 1, c + 1).value for r, c in (layout.cell(p) for p in layout.params)], dtype=float)
    finally:
        wb.close()


def _layout_of(key: dict) -> Layout:
    s = key["settings"]
    k = len(key["students"][0]["X"][0])
    return Layout(len(key["students"][0]["y"]), k, texts(s["lang"])["sheet_train"], s["diff"], 0,
                  s["scale"] != "none", s["optimizer"], s["model"], tuple(s["classes"]))


def _cached_numbers(path: Path) -> list[float]:
    """Every number the file stores as the result of a formula (any sheet) or in a chart's data."""
    wb = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    out = [values[ws.title].cell(c.row, c.column).value for ws in wb.worksheets for row in ws.iter_rows()
           for c in row if isinstance(c.value, ArrayFormula) or (isinstance(c.value, str) and c.value.startswith("="))]
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.startswith("xl/charts/"):
                out += re.findall(r"<c:v>([^<]*)</c:v>", z.read(part).decode())
    numbers = []
    for v in out:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            pass
    return numbers


def _formulas(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [c.value.text if isinstance(c.value, ArrayFormula) else c.value
            for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, ArrayFormula) or (isinstance(c.value, str) and c.value.startswith("="))]


ANSWER_TEXTS = {  # a formula that computes a blank another way, by what it must contain
    "exact_grad": "exact_grad", "fd_error": "fd_error", "h-y": "SUMPRODUCT(h-y", "p-y": "SUMPRODUCT(p",
    "sigmoid": "EXP(MIN(", "stable ce": "LN(1+EXP(-ABS(", "a Loss formula": "SUMPRODUCT((",
}


@pytest.mark.parametrize("which", ["lemonade", "three", "exam", "iris", "exam_all"])
def test_an_exercise_shows_no_blanks_answer_anywhere(tmp_path, which):
    """No sheet derived from the training sheet, no exact slope, no formula that computes a blank
    another way (logistic's p_true is p: blank with it), no stored number (any sheet, any chart)
    equal to a blank's answer, no guide paragraph that says a blank's formula."""
    made = _make(tmp_path, which)
    key = ex.read_key(made.folder)
    layout = _layout_of(key)
    t = texts(key["settings"]["lang"])
    if which.startswith("exam"):
        assert "p_true" in made.blank  # p's follower
    for student in key["students"]:
        path = made.folder / f"{student['id']}.xlsx"
        wb = openpyxl.load_workbook(path)
        allowed = {t["sheet_train"], t["sheet_guide"], "gradsheet", t["sheet_class_map"]}
        assert set(wb.sheetnames) <= allowed
        formulas = _formulas(path)
        for name, text in ANSWER_TEXTS.items():
            assert not any(text in f for f in formulas), (name, [f for f in formulas if text in f][:3])
        ws = wb[layout.sheet]
        for p in layout.params:  # the exact slope's cells are empty
            for cell in (f"exact_grad_{p}", f"fd_error_{p}"):
                r, c = layout.cell(cell)
                assert ws.cell(r + 1, c + 1).value is None
        theta = _start(path, layout)
        expected = _expected(key, student, theta)
        answers = [v for name in made.blank if not name.startswith(("next_", "pred"))
                   for v in expected[name] if abs(v) > 1e-9]
        stored = np.array(_cached_numbers(path))
        for a in answers:
            assert not np.any(np.isclose(stored, a, rtol=1e-7, atol=0)), (which, a)
        said = " ".join(str(c.value) for row in wb[t["sheet_guide"]].iter_rows() for c in row if c.value)
        words = guide.KO if key["settings"]["lang"] == "ko" else guide.EN
        for paragraph in ("grad", "grad_central", "exact", "exact_ce", "stable"):
            assert words[paragraph][:25] not in said, paragraph
        assert f"{student['id']} {student['name']}" in said


def test_a_course_workbook_still_shows_the_exact_slope(tmp_path):
    """What an exercise leaves out, a course workbook keeps (the writer decides by --blank)."""
    from gradsheet.build import make
    path = make(None, tmp_path / "l.xlsx").path
    assert any("exact_grad_W" in f for f in _formulas(path))
    assert any(f.startswith("=SUMPRODUCT((x*best_W") for f in _formulas(path))


@pytest.mark.parametrize("which, ids", [("lemonade", 300), ("three", 100), ("exam", 60), ("iris", 25)])
def test_own_data_has_no_repeated_rows_and_keeps_the_lesson(tmp_path, which, ids):
    """Over many ids: all rows distinct; a regression keeps a unique least-squares answer; a
    classification keeps the lesson's classes row for row and a finite best Loss (never parted
    perfectly). 25 of 30 lemonade data sets had repeated rows before."""
    data_, options = _lessons(tmp_path)[which]
    if which in ("exam", "iris"):
        data_ = presets.find(which).parent / data_
    base = data.load(data_, target=options.get("target"), features=options.get("features"),
                     model=options.get("model"), classes=options.get("classes"))
    for i in range(ids):
        X, y = ex.student_numbers(base, 1, f"s{i:04d}", False)
        assert len(np.unique(X, axis=0)) == len(X), (which, i)
        assert X.shape == base.X.shape and not (np.array_equal(X, base.X) and np.array_equal(y, base.y))
        if base.classes:
            assert np.array_equal(y, base.y)
            assert models.best_classifier_loss(X, y.astype(int), len(base.classes)) is not None, (which, i)
        else:
            assert models.unique_answer(X)
    X1, _ = ex.student_numbers(base, 1, "s0001", False)
    X2, _ = ex.student_numbers(base, 2, "s0001", False)
    assert not np.array_equal(X1, X2)  # the seed matters


# --- 4. every model: the key and the model agree on every blank ----------------------------------

def _fill(lo, src: Path, dst: Path, layout: Layout, blank, spec, dloss) -> None:
    """Type the course's correct formula into every blank cell (h, z, p … in every row), paste
    slopes into dLoss_dP, and save: a student's right answers."""
    import uno
    from gradsheet.classroom.engine import _props
    from gradsheet.sheets.formulas import _ARRAY_INSIDE
    rows = spec.excel_rows(layout)
    opt = OPTIMIZERS[layout.optimizer]
    doc = lo.open(src)
    try:
        sheet = doc.model.Sheets.getByName(layout.sheet)
        for name in blank:
            if name in layout.columns:
                c = layout.columns[name]
                for r in range(layout.first_row, layout.last_row + 1):
                    sheet.getCellByPosition(c, r).setFormula(rows[name].format(r + 1).replace(",", ";"))
                continue
            if name == "Loss":
                text = spec.EXCEL_LOSS
            else:
                kind, p = name.split("_", 1)
                i = layout.params.index(p)
                text = {"Loss": lambda: spec.excel_nudged_loss(layout, i),
                        "Lossm": lambda: spec.excel_nudged_loss(layout, i, "-"),
                        "grad": lambda: spec.excel_grad(layout, i),
                        "next": lambda: opt.next_param.formula(optimizer_refs(p, opt.slots))}[kind]()
            r, c = layout.cell(name)
            rng = sheet.getCellRangeByPosition(c, r, c, r)
            if _ARRAY_INSIDE.search(text):
                rng.setArrayFormula(text.replace(",", ";"))
            else:
                rng.getCellByPosition(0, 0).setFormula(text.replace(",", ";"))
        for p, value in zip(layout.params, dloss):
            doc.set_named(f"dLoss_d{p}", float(value))
        doc.model.calculateAll()
        doc.model.storeToURL(uno.systemPathToFileUrl(str(dst.resolve())), _props(FilterName="Calc Office Open XML",
                                                                                  Overwrite=True))
    finally:
        doc.close()


@pytest.mark.parametrize("which", ["exam", "iris", "exam_all", "three"])
def test_an_exercise_of_every_model_filled_right_agrees_with_the_key_and_the_model(tmp_path, libreoffice, which):
    """Every blank of a logistic and a softmax exercise (and 3 inputs with Adam, central
    differences), filled with the right formulas and recalculated in LibreOffice, equals what the
    numpy model gives on the key's numbers for that student: the key is all the grader needs.
    (The grader grading a classifier's blanks by name is the grading change's part.)"""
    made = _make(tmp_path, which, roster_file(tmp_path / "r.csv", CLASS[:2]))
    key = ex.read_key(made.folder)
    layout = _layout_of(key)
    spec = models.model_spec(key["settings"]["model"], len(key["settings"]["classes"]))
    for student in key["students"]:
        src = made.folder / student["file"]
        theta = _start(src, layout)
        dloss = np.linspace(-0.5, 0.7, len(theta))
        dst = tmp_path / f"filled-{student['id']}.xlsx"
        _fill(libreoffice, src, dst, layout, made.blank, spec, dloss)
        expected = _expected(key, student, theta, dloss)
        with libreoffice.open(dst) as doc:
            doc.recalc()
            # the workbook's data is the key's, row for row
            sheet = doc.model.Sheets.getByName(layout.sheet)
            for j in range(layout.k):
                col = layout.raw_column(j)
                got = [sheet.getCellByPosition(col, r).getValue() for r in range(layout.first_row, layout.last_row + 1)]
                assert got == [row[j] for row in student["X"]]
            for name in made.blank:
                got = np.atleast_1d(np.array(doc.named(name), dtype=float))
                want = expected[name]
                scale = np.abs(want) + (np.abs(expected["Loss"]) / key["settings"]["eps"] if name.startswith("grad_")
                                        else np.abs(want)) + 1e-12
                assert np.all(np.abs(got - want) <= 1e-9 * scale), (which, name, got[:3], want[:3])


# --- 5. an lr that converges for every student ----------------------------------------------------

def test_an_lr_that_diverges_on_one_students_numbers_is_lowered_for_them_and_said(tmp_path):
    """lr 0.0015 is stable on the lemonade table (its limit is 0.00196) but not on some students'
    numbers (larger x: a steeper loss). Their workbooks get a smaller lr; a descent of 3000 steps
    with each student's lr, from their workbook's start, never grows past its start."""
    ids = [(f"s{i:03d}", "") for i in range(30)]
    roster = roster_file(tmp_path / "r.csv", ids)
    result = cli("exercise", "--roster", roster, "-o", tmp_path / "o", "--lr", "0.0015", "--lang", "en")
    assert result.exit_code == 0, result.output
    key = ex.read_key(tmp_path / "o")
    lowered = [s for s in key["students"] if s["lr"] != 0.0015]
    assert lowered, "the case this test is about: some student's numbers need a smaller lr"
    said = result.stdout.splitlines()[-1]
    assert said.startswith("lr = 0.0015 would not converge on some students' own numbers; their workbooks start "
                           "with a smaller lr: ")
    assert said.split(": ", 1)[1] == ", ".join(f"{s['id']} ({s['lr']:g})" for s in lowered)
    layout = _layout_of(key)
    for s in key["students"]:
        X, y = np.array(s["X"]), np.array(s["y"])
        theta = _start(tmp_path / "o" / s["file"], layout)
        assert openpyxl.load_workbook(tmp_path / "o" / s["file"], read_only=True)[layout.sheet].cell(
            *(v + 1 for v in layout.cell("lr"))).value == s["lr"]
        start = models.loss(X, y, theta)
        for _ in range(3000):
            theta = models.step(X, y, theta, s["lr"], key["settings"]["eps"])
        assert models.loss(X, y, theta) <= start, s["id"]  # a diverging lr grows it past every bound


# --- 6. build on an .xlsx data file: the limits grading has ---------------------------------------

def _zip_of(path: Path, parts: dict[str, int]) -> Path:
    """A zip named .xlsx whose parts unpack to the given sizes (MB of zeros)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, mb in parts.items():
            with z.open(name, "w", force_zip64=True) as f:
                block = b"\0" * limits.MB
                for _ in range(mb):
                    f.write(block)
    return path


def test_build_and_exercise_refuse_an_xlsx_past_the_grading_limits(tmp_path):
    part = limits.MAX_PART // limits.MB
    one = _zip_of(tmp_path / "one.xlsx", {"xl/worksheets/sheet1.xml": part + 1})
    assert limits.check_zip(one).kind == "part_too_big"
    result = cli("build", one, "-o", tmp_path / "x.xlsx", "--lang", "en")
    assert result.exit_code == 2 and result.stderr == (
        f"gradsheet: error: {one}: a part unpacks to {part + 1} MB (xl/worksheets/sheet1.xml; at most {part} MB a part)\n")
    # every part within its limit, all of them together past the total: the total's limit is named
    total = limits.MAX_UNPACKED // limits.MB
    each = part - 1
    many = _zip_of(tmp_path / "many.xlsx", {f"xl/p{i}.xml": each for i in range(total // each + 1)})
    result = cli("build", many, "-o", tmp_path / "x.xlsx", "--lang", "en")
    assert result.exit_code == 2 and result.stderr.endswith(f"at most {total} MB in all)\n") and \
        f"past {total} MB together" in result.stderr
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(limits.MAX_FILE + 1)
    result = cli("exercise", "--roster", big, "-o", tmp_path / "o", "--lang", "en")
    assert result.exit_code == 2 and result.stderr == (
        f"gradsheet: error: {big}: the file is 50 MB (an .xlsx may have at most {limits.MAX_FILE // limits.MB} MB)\n")
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "o").exists()


def test_grading_takes_its_limits_from_the_same_place(tmp_path, monkeypatch):
    """Lowering a limit in data/limits.py lowers it for grading too: one place for both."""
    import zipfile

    from gradsheet.classroom import grade
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/a.xml", "0" * 4096)
        z.writestr("xl/b.xml", "0" * 4096)
    grade.check_file(path)  # within today's limits
    monkeypatch.setattr(limits, "MAX_UNPACKED", 6000)
    with pytest.raises(grade.Refused) as total:
        grade.check_file(path)
    assert total.value.key == "grade.zip_bomb_total"
    monkeypatch.setattr(limits, "MAX_PART", 3000)
    with pytest.raises(grade.Refused) as part:
        grade.check_file(path)
    assert part.value.key == "grade.part_too_big"


# --- end to end: a late student zeroes no one (LibreOffice) ----------------------------------------

def test_a_late_student_zeroes_no_one(tmp_path, libreoffice):
    """The issue's first case: a class graded after a late student's workbook was added. Before,
    every other submission graded 0/8 'from another exercise'."""
    from classroom_fill import correct_formulas, fill, layout_of
    from gradsheet.classroom.grade import grade
    out = tmp_path / "week3"
    ex.make_exercise(None, roster_file(tmp_path / "r.csv", CLASS), out)
    handed_out = {sid: (out / f"{sid}.xlsx").read_bytes() for sid, _ in CLASS}
    ex.make_exercise(None, roster_file(tmp_path / "r2.csv", CLASS + [("2024099", "송하준")]), out)
    L = layout_of(6, 1)
    sub = tmp_path / "sub"
    sub.mkdir()
    for sid, content in handed_out.items():  # the files the students got before the late one came
        (tmp_path / f"{sid}.xlsx").write_bytes(content)
        fill(libreoffice, tmp_path / f"{sid}.xlsx", sub / f"{sid}.xlsx", correct_formulas(L), L)
    fill(libreoffice, out / "2024099.xlsx", sub / "2024099.xlsx", correct_formulas(L), L)
    run = grade([sub], out, tmp_path / "report.csv", lo=libreoffice)
    assert {r.id: (r.score, r.status) for r in run.rows} == {sid: (8, "ok") for sid in
                                                             ["2024001", "2024002", "2024003", "2024099"]}


@pytest.mark.parametrize("which, blank", [("lemonade", "h,grad_P"), ("exam", "z"), ("exam", "p,Loss_P"),
                                          ("iris", None), ("iris", "z_1,lse,p_2,Loss"), ("three", "Loss,Lossm_P")])
def test_what_an_untouched_exercise_stores_is_what_the_engine_shows(tmp_path, libreoffice, which, blank):
    """Readers that do not recalculate (previews, Protected View) show the stored values: every
    formula cell of the training sheet stores what LibreOffice computes while the blanks are
    empty (empty reads as 0; MAX and MATCH skip it: softmax's pred is #N/A with every z empty)."""
    from gradsheet.classroom.engine import CellError, _read
    data_, options = _lessons(tmp_path)[which]
    options = {k: v for k, v in options.items() if k != "blank"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made = ex.make_exercise(data_, roster_file(tmp_path / "r.csv", CLASS[:1]), tmp_path / "o", blank=blank,
                                **options)
    key = ex.read_key(made.folder)
    layout = _layout_of(key)
    path = made.files[0]
    formulas = openpyxl.load_workbook(path)[layout.sheet]
    stored = openpyxl.load_workbook(path, data_only=True)[layout.sheet]
    init = {layout.cell(f"init_{p}") for p in layout.params}  # =RAND(): volatile
    cells = [(c.row - 1, c.column - 1) for row in formulas.iter_rows() for c in row
             if (isinstance(c.value, ArrayFormula) or (isinstance(c.value, str) and c.value.startswith("=")))
             and (c.row - 1, c.column - 1) not in init]
    assert len(cells) > 10
    with libreoffice.open(path) as doc:
        doc.recalc()
        sheet = doc.model.Sheets.getByName(layout.sheet)
        last_row, last_col = max(r for r, _ in cells), max(c for _, c in cells)
        shown = _read(sheet.getCellRangeByPosition(0, 0, last_col, last_row), strict=False)
    errors = 0
    for r, c in cells:
        want, got = shown[r][c], stored.cell(r + 1, c + 1).value
        if isinstance(want, CellError):
            errors += 1
            assert got == want.text, (r, c, want.text, got)
        elif isinstance(want, str):  # the coach's text (an empty text: "" or no value stored)
            assert (got or "") == want, (r, c, want, got)
        else:
            assert isinstance(got, (int, float)) and abs(got - want) <= 1e-9 * max(1.0, abs(want)), (r, c, want, got)
    if which == "iris" and blank is None:
        assert errors > 0  # pred and the confusion table: #N/A while z is empty
