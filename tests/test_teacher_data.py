"""Data a teacher really has (issue 16, section 3): units in the cells, decimal commas, row-number
columns, a culprit named right when nothing is a number, and one scale advice for every model;
and every message of gradsheet/data/ in the catalogue, in Korean and English.
Test files are written here, in tmp_path, in UTF-8 and CP949."""

from __future__ import annotations

import ast
import re
import string
import warnings
from pathlib import Path

import numpy as np
import pytest

from gradsheet.build import make
from gradsheet.core import descent, messages
from gradsheet.core.errors import GradsheetError
from gradsheet.core.messages import say
from gradsheet.data.dataset import Dataset, load
from gradsheet.data.scales import SCALE_RATIO, scale_advice

DATA = Path(__import__("gradsheet").__file__).parent / "data"
ENCODINGS = ["utf-8", "cp949"]


@pytest.fixture(autouse=True)
def keep_language():
    before = messages.current()
    yield
    messages.use(before)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lines(ds: Dataset, lang: str) -> tuple[str, ...]:
    messages.use(lang)
    return tuple(str(w) for w in ds.warnings)


def refusal(path, lang: str, **kwargs) -> str:
    messages.use(lang)
    with pytest.raises(GradsheetError) as info:
        load(path, **kwargs)
    text = str(info.value)
    assert "\n" not in text and "\r" not in text, text
    return text


# The table: units in the cells, a column of names
STUDY = ("이름,공부시간,점수\n"
         "학생01,3.9시간,64점\n"
         "학생02,5 시간,71점\n"
         "학생03,1.5시간,48 점\n"
         "학생04,6.25시간,80점\n")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_units_in_the_cells_are_read_and_the_names_column_left_out(tmp_path, encoding):
    ds = load(write(tmp_path, "study.csv", STUDY, encoding))
    assert (ds.feature_names, ds.target_name) == (("공부시간",), "점수")
    assert ds.X[:, 0].tolist() == [3.9, 5.0, 1.5, 6.25] and ds.y.tolist() == [64.0, 71.0, 48.0, 80.0]
    assert lines(ds, "en") == (
        "left out a column without numbers: '이름' ('학생01' in row 2)",
        "column '공부시간': 4 numbers read without their unit '시간' (e.g. '3.9시간' → 3.9)",
        "column '점수': 4 numbers read without their unit '점' (e.g. '64점' → 64)")
    assert lines(ds, "ko") == (
        "숫자가 없는 열을 입력에서 뺐습니다: '이름'(2행의 '학생01')",
        "'공부시간' 열: 단위('시간')를 떼고 숫자 4개를 읽었습니다(예: '3.9시간' → 3.9)",
        "'점수' 열: 단위('점')를 떼고 숫자 4개를 읽었습니다(예: '64점' → 64)")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_bad_cell_among_units_names_that_cell_not_the_names_column(tmp_path, encoding):
    path = write(tmp_path, "study.csv", STUDY.replace("1.5시간", "약 1.5시간"), encoding)
    assert refusal(path, "en").endswith("study.csv: row 4, column '공부시간': '약 1.5시간' is not a number")
    assert refusal(path, "ko").endswith("study.csv: 4행 '공부시간' 열: '약 1.5시간' 값은 숫자가 아닙니다")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_units_before_and_after_the_number(tmp_path, encoding):
    won = "￦" if encoding == "cp949" else "₩"  # CP949 has only the full-width won sign
    text = ("가격,무게,상승폭,판매량\n"
            f'"{won}6,400",72kg,3.5%p,10\n'
            f"{won} 12000, 80.5 kg,-1%p,20\n"
            f"-{won}300,65KG,0%p,30\n")
    ds = load(write(tmp_path, "t.csv", text, encoding))
    assert ds.feature_names == ("가격", "무게", "상승폭")
    assert ds.X.tolist() == [[6400, 72, 3.5], [12000, 80.5, -1], [-300, 65, 0]]
    assert lines(ds, "en") == (
        "column '가격': 1 number with thousands separators read as a plain number "
        f"(e.g. '{won}6,400' → 6400); 3 numbers read without their unit '{won}' (e.g. '{won}6,400' → 6400)",
        "column '무게': 3 numbers read without their unit 'kg' (e.g. '72kg' → 72)",
        "column '상승폭': 3 numbers read without their unit '%p' (e.g. '3.5%p' → 3.5)")


def test_a_percent_sign_stays_excels_fraction(tmp_path):
    # a unit is dropped, but "64%" is what Excel stores as 0.64: the same numbers whether the
    # teacher opened the file in Excel first or not
    ds = load(write(tmp_path, "t.csv", "출석률,점수\n64%,70\n90 %,85\n100%,90\n"))
    assert ds.X[:, 0].tolist() == [0.64, 0.9, 1.0]
    assert lines(ds, "ko") == ("'출석률' 열: 퍼센트 값 3개를 Excel처럼 소수로 읽었습니다(예: '64%' → 0.64)",)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_two_units_in_one_column_are_refused_by_the_odd_cell(tmp_path, encoding):
    text = "공부시간,점수\n3.9시간,64\n45분,70\n2시간,80\n"
    path = write(tmp_path, "t.csv", text, encoding)
    assert refusal(path, "en").endswith(
        "row 3, column '공부시간': '45분' has another unit than the column's ('시간'); a column takes one unit")
    assert refusal(path, "ko").endswith(
        "3행 '공부시간' 열: '45분' 값은 이 열의 단위('시간')와 다른 단위를 씁니다(한 열에는 한 단위만 쓸 수 있습니다)")


def test_one_odd_cell_is_a_typing_slip_not_a_unit(tmp_path):
    # a unit counts only when at least half the column carries it
    path = write(tmp_path, "t.csv", 'x,y\n1,"45,000"\n2,"31,5OO"\n3,"12,000"\n')
    assert refusal(path, "en").endswith("row 3, column 'y': '31,5OO' is not a number (a comma is read "
                                        "between groups of three digits, as in 45,000, or as the decimal "
                                        "comma of a column without decimal points, as in 3,9)")
    path = write(tmp_path, "u.csv", "x,y\n1,70\n2,64점\n3,80\n")
    assert refusal(path, "en").endswith("row 3, column 'y': '64점' is not a number")


def test_names_and_ids_are_never_units(tmp_path):
    # text before a number is not a unit (only a currency sign is): 학생01 stays a name
    ds = load(write(tmp_path, "t.csv", "학번,반,키,몸무게\nS01,1반,170,65\nS02,2반,180,80\nS03,1반,165,60\n"))
    assert ds.feature_names == ("반", "키")  # '1반' is 1 with the unit 반
    assert lines(ds, "en")[0] == "left out a column without numbers: '학번' ('S01' in row 2)"


# ---------------------------------------------------------------------------------------------
# Decimal commas


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_decimal_comma_file_is_read(tmp_path, encoding):
    # what Excel writes in a decimal-comma locale: ';' between fields, ',' before the decimals
    # (so '1,655' is 1.655 there, though it could group thousands in a ','-separated file)
    text = "키;몸무게;점수\n1,72;65,5;3,9\n1,80;80;4,25\n1,655;58,25;2\n"
    ds = load(write(tmp_path, "t.csv", text, encoding))
    assert ds.X.tolist() == [[1.72, 65.5], [1.80, 80.0], [1.655, 58.25]]
    assert ds.y.tolist() == [3.9, 4.25, 2.0]
    assert lines(ds, "en") == (
        "column '키': 3 decimal commas read as decimal points (e.g. '1,72' → 1.72)",
        "column '몸무게': 2 decimal commas read as decimal points (e.g. '65,5' → 65.5)",
        "column '점수': 2 decimal commas read as decimal points (e.g. '3,9' → 3.9)")
    assert lines(ds, "ko")[0] == "'키' 열: 쉼표를 소수점으로 쓴 숫자 3개를 읽었습니다(예: '1,72' → 1.72)"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decimal_and_thousands_commas_in_one_column_are_refused(tmp_path, encoding):
    # "1,500" could be 1.5 or 1500: never guessed, and the message shows both kinds
    path = write(tmp_path, "t.csv", 'x,가격\n1,"3,9"\n2,"1,500"\n3,4\n', encoding)
    assert refusal(path, "en").endswith(
        "row 2, column '가격': '3,9' is ambiguous: the column has both decimal commas ('3,9') and "
        "thousands separators ('1,500'); write decimals with a point (3.9)")
    assert refusal(path, "ko").endswith(
        "2행 '가격' 열: '3,9' 값은 뜻이 모호합니다: 이 열에는 소수점 쉼표('3,9')와 천 단위 쉼표('1,500')가 "
        "섞여 있습니다. 소수는 점으로 써 주십시오(3.9)")


def test_a_decimal_comma_among_decimal_points_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", 'x,y\n1,2.5\n2,"3,9"\n3,4.25\n')
    refused = refusal(path, "en")
    assert "row 3, column 'y': '3,9' is not a number" in refused


# ---------------------------------------------------------------------------------------------
# Row numbers


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("heading", ["번호", "No", "No.", "#", "ID", "index", "순번"])
def test_a_column_headed_as_row_numbers_is_left_out(tmp_path, encoding, heading):
    text = f"{heading},공부시간,점수\n3,3.9,64\n1,5,71\n2,1.5,48\n"
    ds = load(write(tmp_path, "t.csv", text, encoding))
    assert ds.feature_names == ("공부시간",) and ds.X[:, 0].tolist() == [3.9, 5, 1.5]
    assert lines(ds, "en") == (f"left out '{heading}': its heading names row numbers or ids; to use it as "
                               "an input, name it with --features",)
    assert lines(ds, "ko") == (f"'{heading}' 열은 머리글로 보아 행 번호나 ID이므로 입력에서 뺐습니다. 입력으로 "
                               "쓰려면 --features로 지정해 주십시오",)
    # asked for by name, it is an input
    assert load(write(tmp_path, "t.csv", text, encoding), features=f"{heading},공부시간").k == 2


HOURS = [(3.9, 64), (5, 71), (1.5, 48), (6, 80), (2, 55), (4.5, 70), (3, 60), (5.5, 77), (1, 41), (2.5, 58)]


def counted(start: int, heading: str = "학생", rows=HOURS) -> str:
    return f"{heading},공부시간,점수\n" + "".join(f"{i + start},{x},{y}\n" for i, (x, y) in enumerate(rows))


@pytest.mark.parametrize("start", [0, 1])
def test_a_first_column_counting_the_rows_is_left_out(tmp_path, start):
    ds = load(write(tmp_path, "t.csv", counted(start)))
    assert ds.feature_names == ("공부시간",) and ds.X[:, 0].tolist() == [x for x, _ in HOURS]
    assert lines(ds, "en") == (f"left out '학생': it counts the rows ({start}, {start + 1}, … {start + 9}) like "
                               "row numbers; to use it as an input, name it with --features",)
    assert lines(ds, "ko") == (f"'학생' 열은 행을 세는 번호({start}, {start + 1}, … {start + 9})로 보여 입력에서 "
                               "뺐습니다. 입력으로 쓰려면 --features로 지정해 주십시오",)


def test_counting_columns_that_stay_inputs(tmp_path):
    # fewer than 10 rows: 1, 2, 3 … hours is as likely the designed x of a small table
    assert load(write(tmp_path, "a.csv", counted(1, rows=HOURS[:9]))).feature_names == ("학생", "공부시간")
    # not the first column: row numbers are kept on the left
    swapped = "공부시간,학생,점수\n" + "".join(f"{x},{i + 1},{y}\n" for i, (x, y) in enumerate(HOURS))
    assert load(write(tmp_path, "b.csv", swapped)).feature_names == ("공부시간", "학생")
    # not in file order
    shuffled = counted(1).replace("\n1,3.9", "\n2,3.9").replace("\n2,5,", "\n1,5,")
    assert load(write(tmp_path, "c.csv", shuffled)).feature_names == ("학생", "공부시간")
    # the only input there is, or beside inputs that do not vary: x = 1, 2, 3 → y is a textbook table
    only = "x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(1, 13))
    ds = load(write(tmp_path, "d.csv", only))
    assert ds.feature_names == ("x",) and ds.X[:, 0].tolist() == list(range(1, 13)) and ds.warnings == ()
    constant = "x,c,y\n" + "".join(f"{i},5,{2 * i}\n" for i in range(1, 13))
    assert load(write(tmp_path, "e.csv", constant)).feature_names == ("x", "c")


def test_several_row_number_columns_in_one_line(tmp_path):
    ds = load(write(tmp_path, "t.csv", "No,id,x,y\n1,7,0.5,1\n2,9,0.25,2\n3,4,2,3\n"))
    assert ds.feature_names == ("x",)
    assert lines(ds, "en") == ("left out 2 columns of row numbers or ids: No, id; to use them as inputs, "
                               "name them with --features",)


def test_a_table_whose_only_input_is_an_id_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", "번호,이름,점수\n1,홍길동,90\n2,김철수,80\n3,이영희,70\n")
    assert refusal(path, "en").endswith(
        "t.csv: every input column with numbers (번호) looks like row numbers or ids, which are not "
        "inputs by default; to learn from it anyway, name it: --features '번호'")
    assert refusal(path, "ko").endswith(
        "t.csv: 숫자가 있는 입력 열(번호)이 행 번호나 ID로 보입니다. 이런 열은 기본으로 입력에 넣지 않으니, "
        "그래도 쓰려면 --features '번호'처럼 지정해 주십시오")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_pandas_index_without_a_heading_is_skipped(tmp_path, encoding):
    # pandas' DataFrame.to_csv() writes its index so (it was refused as "an empty heading")
    ds = load(write(tmp_path, "t.csv", ",온도,판매량\n0,20,40\n1,21,42\n2,22,44\n", encoding))
    assert ds.feature_names == ("온도",) and ds.X[:, 0].tolist() == [20, 21, 22]
    assert lines(ds, "en") == ("the first column has no heading and counts the rows (0 … 2): left out "
                               "as row numbers",)
    assert lines(ds, "ko") == ("첫 열은 머리글 없이 행을 세는 번호(0 … 2)라서 행 번호로 보고 뺐습니다",)
    # anything else without a heading is still refused
    assert "empty heading" in refusal(write(tmp_path, "u.csv", ",a,y\n5,1,2\n3,2,3\n9,3,4\n"), "en")


# ---------------------------------------------------------------------------------------------
# The culprit when no input has numbers


def test_nothing_numeric_names_every_candidate_not_just_the_first(tmp_path):
    path = write(tmp_path, "t.csv", "이름,공부시간,점수\n학생01,약 4시간,64\n학생02,약 2시간,70\n")
    assert refusal(path, "en").endswith(
        "t.csv: no column besides the target '점수' holds numbers: '이름' ('학생01' in row 2), "
        "'공부시간' ('약 4시간' in row 2)")
    assert refusal(path, "ko").endswith(
        "t.csv: 목표 '점수' 말고는 숫자가 있는 열이 없습니다: '이름'(2행의 '학생01'), '공부시간'(2행의 '약 4시간')")


def test_nothing_numeric_blames_the_column_that_starts_as_numbers(tmp_path):
    path = write(tmp_path, "t.csv", "이름,공부시간,점수\n학생01,4 hours or so,64\n학생02,2 hours,70\n")
    assert refusal(path, "en").endswith("row 2, column '공부시간': '4 hours or so' is not a number")


# ---------------------------------------------------------------------------------------------
# Scale advice, the same for every model


def wine_like(path: Path, n: int = 60, seed: int = 5) -> Path:
    """The character of scikit-learn's wine table: one input around 1000 (proline), one around 1
    (hue), one around 13 (alcohol), and 3 cultivars as text."""
    rng = np.random.default_rng(seed)
    kind = np.repeat([0, 1, 2], n // 3)
    proline = rng.normal([1100, 520, 630], [220, 150, 110])[kind]
    hue = rng.normal([1.06, 1.06, 0.68], [0.12, 0.2, 0.11])[kind]
    alcohol = rng.normal([13.7, 12.3, 13.2], [0.5, 0.5, 0.5])[kind]
    rows = [f"{a:.2f},{h:.3f},{p:.0f},class_{k}" for a, h, p, k in zip(alcohol, hue, proline, kind)]
    path.write_text("alcohol,hue,proline,cultivar\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def built(data, out, **options):
    """(the build's warnings as the user reads them, the Built)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = make(data, out, buttons="none", unrolled=0, compare=0, landscape=("none",), **options)
    return [str(w.message) for w in caught], done


def loss_after(done, steps: int = 100) -> float:
    from gradsheet.sheets.workbook import model_X
    d, s = done.dataset, done.settings
    return descent.descend(model_X(d, s), d.y, done.state.theta, s.lr, s.eps, steps,
                           model=s.spec).history[-1][-1]


def test_a_classifier_on_very_different_scales_is_advised_once(tmp_path):
    data = wine_like(tmp_path / "wine.csv")
    said, raw = built(data, tmp_path / "raw.xlsx", lang="en")  # the build speaks the workbook's language
    advice = [line for line in said if "scales" in line]
    assert advice == ["inputs on scales 630× apart ('proline' about 660, 'hue' about 1.1): no one learning "
                      "rate suits both; --scale standard would give every input mean 0 and standard deviation 1"]
    said_ko, _ = built(data, tmp_path / "raw.xlsx")  # Korean by default
    assert "입력의 크기가 630배나 다릅니다('proline' 약 660, 'hue' 약 1.1). 학습률 하나가 두 입력 모두에 맞을 수는 " \
           "없습니다. --scale standard를 쓰면 모든 입력이 평균 0, 표준편차 1이 됩니다" in said_ko
    # the advice is right: at the lr the build picks, 100 steps of the raw table barely move,
    # while standardised inputs get a large lr and Loss falls close to 0 in the same 100 steps
    said_scaled, scaled = built(data, tmp_path / "scaled.xlsx", scale="standard")
    assert not any("scale" in line for line in said_scaled)
    assert raw.settings.lr < 1e-4 < 0.1 <= scaled.settings.lr
    assert loss_after(raw) > 0.5 and loss_after(scaled) < 0.1


@pytest.mark.parametrize("model", ["linear", "logistic", "softmax"])
def test_the_advice_is_the_same_for_every_model(model):
    X = np.column_stack([np.linspace(900, 1100, 6), np.linspace(0.5, 1.5, 6)])
    y = np.array([0.0, 1, 0, 1, 0, 1]) if model == "logistic" else np.array([0.0, 1, 2, 0, 1, 2])
    classes = {"linear": (), "logistic": ("a", "b"), "softmax": ("a", "b", "c")}[model]
    d = Dataset("t", ("big", "small"), "y", X, y, classes=classes, model=model)
    messages.use("en")
    assert [str(w) for w in scale_advice(d)] == ["inputs on scales 950× apart ('big' about 1,000, 'small' about 1.1): no "
                                    "one learning rate suits both; --scale standard would give every input "
                                    "mean 0 and standard deviation 1"]
    for scale in ("standard", "minmax"):
        assert scale_advice(d, scale) == ()  # --scale given: nothing to advise


def test_no_advice_below_the_threshold_or_with_one_input():
    X = np.column_stack([np.full(4, 99.0), np.ones(4)])  # 99×: not yet
    assert scale_advice(Dataset("t", ("a", "b"), "y", X, np.zeros(4))) == ()
    assert len(scale_advice(Dataset("t", ("a", "b"), "y", X * [SCALE_RATIO / 99, 1], np.zeros(4)))) == 1
    assert scale_advice(Dataset("t", ("a",), "y", X[:, :1] * 1e6, np.zeros(4))) == ()
    # a column of zeros has no scale to compare
    assert scale_advice(Dataset("t", ("a", "b"), "y", np.column_stack([X[:, 0], np.zeros(4)]), np.zeros(4))) == ()


def test_a_year_next_to_small_numbers_is_advised():
    # the typical size counts the offset: 2020…2024 next to 0…1 descends as badly as any scale gap
    X = np.column_stack([np.arange(2020.0, 2025.0), np.linspace(0, 1, 5)])
    assert len(scale_advice(Dataset("t", ("연도", "비율"), "y", X, np.zeros(5)))) == 1


# ---------------------------------------------------------------------------------------------
# Every message of gradsheet/data/ is a catalogue key, in both languages


def data_keys() -> set[str]:
    return {key for key in messages.KO if key.split(".")[0] in ("data", "preset")}


def test_every_data_and_preset_key_speaks_both_languages_with_the_same_values():
    fields = string.Formatter()
    for key in data_keys():
        assert key in messages.EN, key
        ko = {f[1] for f in fields.parse(messages.KO[key]) if f[1]}
        en = {f[1] for f in fields.parse(messages.EN[key]) if f[1]}
        assert ko == en, key
        assert messages.KO[key] != messages.EN[key] or key == "data.csv_error", key
    assert {key for key in messages.EN if key.split(".")[0] in ("data", "preset")} == data_keys()


def calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in names:
                yield name, node


def literal_keys(node: ast.expr) -> list[str] | None:
    """The keys an argument can be: a string literal, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = literal_keys(node.body), literal_keys(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def test_every_raise_and_warning_in_data_uses_a_catalogue_key():
    """Every GradsheetError and Message in gradsheet/data/ is made from catalogue keys written
    out (a literal, or `a if c else b` of literals), never from a sentence or a computed key;
    gradsheet/data/ calls no warnings.warn (its lines go to Dataset.warnings); every data and
    preset key is used, and keys are "<area>.<name>" with one dot."""
    used: set[str] = set()
    for path in sorted(DATA.glob("*.py")):
        for name, node in calls(ast.parse(path.read_text("utf-8")), {"GradsheetError", "Message", "warn"}):
            where = f"{path.name}:{node.lineno}"
            assert name != "warn", f"{where}: warnings.warn in gradsheet/data/"
            keys = literal_keys(node.args[0]) if node.args else None
            assert keys is not None, f"{where}: {ast.unparse(node.args[0]) if node.args else ''}"
            assert all(key in messages.KO for key in keys), (where, keys)
            used.update(keys)
    assert data_keys() - used - {"data.or"} == set()  # data.or is a separator, named by sep_key
    assert all(re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key) for key in data_keys())


def test_an_error_renders_when_printed_in_the_language_then_in_use(tmp_path):
    path = write(tmp_path, "t.csv", "온도,판매량\n20,40\nabc,42\n")
    with pytest.raises(GradsheetError) as info:
        load(path)
    messages.use("ko")
    assert str(info.value).endswith("t.csv: 3행 '온도' 열: 'abc' 값은 숫자가 아닙니다")
    messages.use("en")
    assert str(info.value).endswith("t.csv: row 3, column '온도': 'abc' is not a number")
    assert say("data.missing", lang="ko") == "값이 비어 있습니다"
