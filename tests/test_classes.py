"""Class targets: a column of text labels (합격/불합격, setosa/…) makes a classification data
set, with its classes named and each row's class index in y; the shipped iris and exam
presets. Every refusal is one line naming the culprit. Test files are written in tmp_path."""

from __future__ import annotations

import importlib.util
import itertools
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_dataset import english, refused, said  # noqa: F401  (english: autouse, messages in English)
from gradsheet.core.errors import GradsheetError
from gradsheet.data.dataset import MAX_CLASSES, Dataset, load
from gradsheet.data.presets import find, read as read_preset
from budget import examples

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
EXAM_ROWS = [(1, 50, "불합격"), (5, 80, "합격"), (2, 55, "불합격"), (6, 75, "합격"), (4, 70, "불합격")]
EXAM_TEXT = "시간,점수,결과\n" + "".join(f"{h},{s},{c}\n" for h, s, c in EXAM_ROWS)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path: Path, name: str, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def labels_of(ds: Dataset) -> list[str]:
    """Each row's class name, from y's indices."""
    assert ds.y.dtype == np.float64 and set(ds.y.tolist()) <= set(map(float, range(len(ds.classes))))
    return [ds.classes[int(i)] for i in ds.y]


# ---------------------------------------------------------------------------------------------
# Text targets in every format


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_a_text_target_chooses_logistic_by_itself(tmp_path, encoding):
    ds = load(write(tmp_path, "exam.csv", EXAM_TEXT, encoding))
    assert (ds.feature_names, ds.target_name) == (("시간", "점수"), "결과")
    assert ds.X.tolist() == [[h, s] for h, s, _ in EXAM_ROWS]
    assert ds.classes == ("불합격", "합격") and ds.model == "logistic"  # first appearance
    assert ds.y.tolist() == [0, 1, 0, 1, 0]
    assert said(ds) == ("target '결과' holds 2 classes (불합격, 합격): logistic regression "
                           "(--model logistic), p is the probability of '합격' (--classes orders them)",)


def test_three_classes_choose_softmax(tmp_path):
    text = "a,b,품종\n1,2,virginica\n3,4,setosa\n5,6,versicolor\n7,8,setosa\n"
    ds = load(write(tmp_path, "t.csv", text))
    assert ds.classes == ("virginica", "setosa", "versicolor") and ds.model == "softmax"
    assert ds.y.tolist() == [0, 1, 2, 1]
    assert said(ds) == ("target '품종' holds 3 classes (virginica, setosa, versicolor): "
                           "softmax regression (--model softmax)",)


def test_xlsx_string_cells_stripped_and_case_kept(tmp_path):
    rows = [["시간", "점수", "결과"], [1, 50, " 불합격"], [5, 80, "합격  "], [2, 55, "불합격"],
            [3, 60, "Pass"], [4, 65, "pass"]]
    ds = load(write_xlsx(tmp_path, "t.xlsx", rows), target="결과")
    assert labels_of(ds) == ["불합격", "합격", "불합격", "Pass", "pass"]
    assert ds.classes == ("불합격", "합격", "Pass", "pass") and ds.model == "softmax"
    # the stripping is silent; labels differing only in case are kept apart, and said so
    assert said(ds)[1:] == ("target '결과': labels 'Pass' and 'pass' differ only in letter "
                               "case, so they are two classes",)


def test_labels_are_kept_exactly_but_for_surrounding_spaces(tmp_path):
    text = 'x;y\n1;" 합 격 "\n2;합 격\n3;불합격\n4;"불합격\t"\n'
    ds = load(write(tmp_path, "t.csv", text, "cp949"))
    assert ds.classes == ("합 격", "불합격") and ds.y.tolist() == [0, 0, 1, 1]


def test_xlsx_numbers_in_a_text_target_are_labels_as_shown(tmp_path):
    rows = [["x", "반"], [1, "A"], [2, 3], [3, 3.0], [4, "A"], [5, 2.5]]
    ds = load(write_xlsx(tmp_path, "t.xlsx", rows), model="softmax")
    assert ds.classes == ("A", "3", "2.5") and ds.y.tolist() == [0, 1, 1, 0, 2]


# ---------------------------------------------------------------------------------------------
# Class order


@pytest.mark.parametrize("classes", ["합격,불합격", " 합격 , 불합격 ", ["합격", "불합격"], ("합격", "불합격")])
def test_classes_option_sets_the_order(tmp_path, classes):
    path = write(tmp_path, "t.csv", EXAM_TEXT)
    ds = load(path, classes=classes)
    assert ds.classes == ("합격", "불합격") and ds.model == "logistic"
    assert ds.y.tolist() == [1, 0, 1, 0, 1]
    assert labels_of(ds) == labels_of(load(path))
    assert "(합격, 불합격)" in said(ds)[0]  # the notice shows the order used


def test_classes_with_an_explicit_model_say_nothing(tmp_path):
    ds = load(write(tmp_path, "t.csv", EXAM_TEXT), model="logistic", classes="합격,불합격")
    assert said(ds) == () and ds.classes == ("합격", "불합격")
    ds = load(write(tmp_path, "t.csv", EXAM_TEXT), model="softmax")  # softmax takes 2 classes too
    assert ds.model == "softmax" and ds.classes == ("불합격", "합격") and said(ds) == ()


@settings(max_examples=examples(100), deadline=None)
@given(labels=st.lists(st.sampled_from(["합격", "불합격", "A", "a", "setosa", "0", "x y"]),
                       min_size=2, max_size=40).filter(lambda ls: len(set(ls)) >= 2),
       data=st.data())
def test_property_classes_number_rows_by_first_appearance_or_as_asked(labels, data):
    first = list(dict.fromkeys(labels))
    asked = data.draw(st.permutations(first))
    text = "f,label\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "t.csv", text)
        ds = load(path, target="label", model="softmax")
        again = load(path, target="label", model="softmax", classes=list(asked))
    assert ds.classes == tuple(first) and labels_of(ds) == labels
    assert again.classes == tuple(asked) and labels_of(again) == labels


# ---------------------------------------------------------------------------------------------
# Numeric targets as classes


def test_numeric_zero_one_target_with_logistic(tmp_path):
    path = write(tmp_path, "t.csv", "x,합격\n1,1\n2,0\n3,1.0\n4,0\n")
    plain = load(path)  # no --model: a number, learned by linear regression
    assert plain.model == "linear" and plain.classes == () and plain.y.tolist() == [1, 0, 1, 0]
    ds = load(path, model="logistic")
    assert ds.classes == ("0", "1") and ds.model == "logistic" and said(ds) == ()
    assert ds.y.tolist() == [1, 0, 1, 0]  # the class index is the number
    flipped = load(path, model="logistic", classes="1,0")
    assert flipped.classes == ("1", "0") and flipped.y.tolist() == [0, 1, 0, 1]
    # --classes alone asks for classes: the count picks the model
    assert load(path, classes="0,1").model == "logistic"


def test_numeric_codes_with_softmax_are_ordered_by_value(tmp_path):
    ds = load(write(tmp_path, "t.csv", "x,등급\n1,3\n2,1\n3,2\n4,1\n"), model="softmax")
    assert ds.classes == ("1", "2", "3") and ds.y.tolist() == [2, 0, 1, 0]


@pytest.mark.parametrize("model", [None, "linear"])
def test_regression_targets_are_unchanged(tmp_path, model):
    ds = load(write(tmp_path, "t.csv", "x,y\n1,2.5\n2,3.5\n"), model=model)
    assert ds.model == "linear" and ds.classes == () and ds.y.tolist() == [2.5, 3.5]


def test_another_regression_model_name_is_passed_on(tmp_path):
    # model names are Settings' to check; the data only knows which ones learn classes
    ds = load(write(tmp_path, "t.csv", "x,y\n1,2.5\n2,3.5\n"), model="someday")
    assert ds.model == "someday" and ds.classes == ()


# ---------------------------------------------------------------------------------------------
# The default target


def test_default_target_a_last_text_column_of_classes(tmp_path):
    text = "a,b,품종\n1,2,setosa\n3,4,virginica\n5,6,setosa\n"
    ds = load(write(tmp_path, "t.csv", text))
    assert (ds.feature_names, ds.target_name, ds.model) == (("a", "b"), "품종", "logistic")
    # features named: the other columns need not all hold numbers
    ds = load(write(tmp_path, "u.csv", "이름,a,품종\n가,1,setosa\n나,3,virginica\n다,5,setosa\n"),
              features="a")
    assert (ds.feature_names, ds.target_name) == (("a",), "품종")


@pytest.mark.parametrize("text, why", [
    ("a,b,메모\n1,2,x\n3,4,y\n5,6,z\n", "no label repeats: names or notes"),
    ("a,b,메모\n1,2,x\n3,4,x\n5,6,x\n", "one label only"),
    ("a,b,메모\n1,2,x\n3,4,\n5,6,x\n", "one label only, and a blank"),
    ("이름,a,b,품종\n가,1,2,s\n나,3,4,v\n다,5,6,s\n", "another column without numbers"),
    ("a,b,메모\n" + "".join(f"{i},{i},n{i % 21}\n" for i in range(42)), "21 labels"),
])
def test_default_target_stays_the_last_numeric_column(tmp_path, text, why):
    ds = load(write(tmp_path, "t.csv", text))
    assert ds.target_name == "b" and ds.model == "linear", why
    assert said(ds)[-1].startswith("left out"), why


def test_default_target_with_a_model_asked_for(tmp_path):
    path = write(tmp_path, "t.csv", "a,b,품종\n1,2,setosa\n3,4,virginica\n5,6,setosa\n")
    ds = load(path, model="linear")  # a regression: the last column with numbers, as always
    assert (ds.target_name, ds.model, ds.classes) == ("b", "linear", ())
    # a classifier: the last column, whatever it holds
    notes = write(tmp_path, "n.csv", "a,b,메모\n1,0,x\n3,1,y\n5,0,z\n")
    assert load(notes, model="softmax").classes == ("x", "y", "z")
    refused(notes, "logistic learns 2 classes", "'메모'", "3 (x, y, z)", model="logistic")


# ---------------------------------------------------------------------------------------------
# Refused


def test_one_class_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", "x,결과\n1,합격\n2, 합격\n")
    message = refused(path, "t.csv", "target '결과'", "only 1 class", "'합격'", target="결과")
    assert message.endswith("classification needs 2 to 20 classes")
    refused(write(tmp_path, "u.csv", "x,y\n1,1\n2,1\n"), "target 'y'", "only 1 class", "'1'",
            model="logistic")


def test_more_than_max_classes_is_refused_and_max_is_accepted(tmp_path):
    def table(classes: int) -> str:
        return "x,이름\n" + "".join(f"{i},c{i % classes}\n" for i in range(2 * classes))
    assert len(load(write(tmp_path, "ok.csv", table(MAX_CLASSES)), target="이름").classes) == 20
    message = refused(write(tmp_path, "t.csv", table(21)), "t.csv", "target '이름'", "21",
                      target="이름")
    assert message.endswith("holds 21 different labels; classification takes at most 20 classes")
    refused(write(tmp_path, "n.csv", "x,y\n" + "".join(f"{i},{i}\n" for i in range(30))),
            "target 'y'", "30 different values", model="softmax")


@pytest.mark.parametrize("text, row", [
    ("x,결과\n1,합격\n2,\n3,불합격\n", 3),
    ("x,결과\n1,합격\n2,불합격\n3,   \n", 4),
    ('x,결과\n1,""\n2,불합격\n', 2),
])
def test_an_empty_label_is_refused_by_row_and_column(tmp_path, text, row):
    message = refused(write(tmp_path, "t.csv", text), "t.csv", target="결과")
    assert message.endswith(f"row {row}, column '결과': the class label is missing")


def test_an_empty_label_in_xlsx(tmp_path):
    rows = [["x", "결과"], [1, "합격"], [2, None], [3, "불합격"]]
    refused(write_xlsx(tmp_path, "t.xlsx", rows), "row 3", "'결과'", "class label is missing",
            model="logistic")


def test_bad_cells_are_refused_in_reading_order_with_the_labels(tmp_path):
    path = write(tmp_path, "t.csv", "x,결과\n1,합격\nabc,불합격\n3,\n")
    refused(path, "row 3", "'x'", "'abc' is not a number", target="결과")
    path = write(tmp_path, "u.csv", "x,결과\n1,합격\n2,\nabc,불합격\n")
    refused(path, "row 3", "'결과'", "class label is missing", target="결과")
    refused(write(tmp_path, "v.csv", "x,결과\n1,합격\n,\n3,불합격\n"), "row 3 is empty",
            target="결과")


@pytest.mark.parametrize("classes, culprits", [
    ("합격,불합겨", ["no class '불합겨' in target '결과'", "did you mean '불합격'?"]),
    ("합격,XYZ", ["no class 'XYZ'", "its classes are: 불합격, 합격"]),
    ("합격,불합격,합격", ["names class '합격' twice"]),
    ("합격", ["leaves out 불합격 of target '결과'", "each of its 2 classes once"]),
    ("합격,,불합격", ["has an empty class name"]),
])
def test_wrong_classes_are_refused(tmp_path, classes, culprits):
    refused(write(tmp_path, "t.csv", EXAM_TEXT), "--classes", *culprits, classes=classes)


def test_an_unknown_class_suggests_the_same_letters_in_another_case(tmp_path):
    text = "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n"
    message = refused(write(tmp_path, "t.csv", text), classes="Setosa,virginica")
    assert message.endswith("no class 'Setosa' in target 'species'; did you mean 'setosa'?")


@pytest.mark.parametrize("text, row, cell", [
    ("x,y\n1,0\n2,1\n3,2\n", 4, "2"),
    ("x,y\n1,0\n2,-1\n3,1\n", 3, "-1"),
    ("x,y\n1,0\n2,0.5\n3,1\n", 3, "0.5"),
])
def test_logistic_takes_only_zero_and_one_from_numbers(tmp_path, text, row, cell):
    message = refused(write(tmp_path, "t.csv", text), f"row {row}", "column 'y'", f"'{cell}'",
                      "neither 0 nor 1", model="logistic")
    assert "--model softmax" in message


def test_logistic_with_three_text_classes_is_refused(tmp_path):
    text = "a,품종\n1,setosa\n2,versicolor\n3,virginica\n"
    refused(write(tmp_path, "t.csv", text), "--model logistic learns 2 classes", "'품종'",
            "3 (setosa, versicolor, virginica)", "use --model softmax", model="logistic")


def test_a_regression_on_a_text_target_is_refused_with_what_to_do(tmp_path):
    path = write(tmp_path, "t.csv", EXAM_TEXT)
    refused(path, "t.csv", "target '결과' holds text", "'불합격' in row 2", "--model linear",
            target="결과", model="linear")
    refused(path, "--classes", "--model linear", model="linear", classes="합격,불합격")


# ---------------------------------------------------------------------------------------------
# The presets


def preset(name: str) -> Dataset:
    options = read_preset(find(name))
    return load(options["data"], target=options["target"], features=options["features"],
                model=options["model"], classes=options.get("classes"))


# R's summary(iris): the column means of Fisher's data (UCI's copy, with its two errors in rows
# 35 and 38, has a sepal width mean of 3.054)
IRIS_SUMS = {"sepal_length": 876.5, "sepal_width": 458.6, "petal_length": 563.7, "petal_width": 179.9}


def test_iris_preset_is_fishers_data():
    options = read_preset(find("iris"))
    assert options["model"] == "softmax" and options["scale"] == "standard"
    assert options["title"] == "붓꽃 분류 — 소프트맥스 회귀" and options["lang"] == "ko"
    ds = preset("iris")
    assert (ds.n, ds.k, ds.target_name) == (150, 4, "species")
    assert ds.feature_names == tuple(IRIS_SUMS)
    assert ds.classes == ("setosa", "versicolor", "virginica") and ds.model == "softmax"
    assert np.bincount(ds.y.astype(int)).tolist() == [50, 50, 50]
    assert ds.y.tolist() == sorted(ds.y.tolist())  # 50 of each, in that order
    assert np.round(ds.X.sum(axis=0), 6).tolist() == list(IRIS_SUMS.values())
    assert ds.X[0].tolist() == [5.1, 3.5, 1.4, 0.2] and ds.X[149].tolist() == [5.9, 3.0, 5.1, 1.8]
    # Fisher's values where UCI's iris.data has errors (rows are 1-based, as in R)
    assert ds.X[34].tolist() == [4.9, 3.1, 1.5, 0.2]  # UCI: petal width 0.1
    assert ds.X[37].tolist() == [4.9, 3.6, 1.4, 0.1]  # UCI: sepal width 3.1, petal length 1.5
    # without the preset's options the data file alone picks the same target and model
    alone = load(options["data"])
    assert (alone.target_name, alone.classes, alone.model) == ("species", ds.classes, "softmax")
    assert said(alone) == ("target 'species' holds 3 classes (setosa, versicolor, virginica): "
                              "softmax regression (--model softmax)",)


def in_a_triangle(points: np.ndarray, corners: np.ndarray) -> bool:
    """Whether some point lies strictly inside a triangle of the corners."""
    for a, b, c in itertools.combinations(corners, 3):
        def side(p, q):  # >0 when the points are left of the line p→q
            return (q[0] - p[0]) * (points[:, 1] - p[1]) - (q[1] - p[1]) * (points[:, 0] - p[0])
        s1, s2, s3 = side(a, b), side(b, c), side(c, a)
        if (((s1 > 0) & (s2 > 0) & (s3 > 0)) | ((s1 < 0) & (s2 < 0) & (s3 < 0))).any():
            return True
    return False


def test_exam_preset_loads_with_overlapping_classes():
    options = read_preset(find("exam"))
    assert options["model"] == "logistic" and options["classes"] == ("불합격", "합격")
    ds = preset("exam")
    assert (ds.n, ds.k, ds.target_name) == (60, 2, "결과")
    assert ds.feature_names == ("공부 시간", "모의고사 점수") and said(ds) == ()
    assert ds.classes == ("불합격", "합격") and ds.model == "logistic"
    passed, failed = ds.X[ds.y == 1], ds.X[ds.y == 0]
    assert 20 <= len(passed) <= 40
    # no straight line separates the classes: a pass lies inside a triangle of fails, and the
    # other way round (so logistic regression has a finite best fit)
    assert in_a_triangle(passed, failed) and in_a_triangle(failed, passed)
    # passing goes with more hours and a higher score
    assert (passed.mean(axis=0) > failed.mean(axis=0)).all()


def test_exam_csv_is_what_its_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_exam", SCRIPTS / "make_exam.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.OUT = tmp_path / "exam.csv"
    script.main()
    assert script.OUT.read_bytes() == Path(read_preset(find("exam"))["data"]).read_bytes()


@pytest.mark.parametrize("text, culprit", [
    ('model = 3\n', "'model' has the wrong type"),
    ('classes = 3\n', "'classes' has the wrong type"),
])
def test_preset_model_and_classes_types(tmp_path, text, culprit):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GradsheetError, match=culprit):
        read_preset(path)
    path.write_text('model = "softmax"\nclasses = "a,b"\n', encoding="utf-8")
    assert read_preset(path)["classes"] == "a,b"
