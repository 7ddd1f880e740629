"""Instructors' own data through `gradsheet build`: presets, --scale, the learning-rate
warning, text safety, refusals that leave files alone, and random tables of any shape."""

from __future__ import annotations

import os
import re
import zipfile

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from gradsheet.core import descent
from gradsheet.core import models as model
from gradsheet.build import make, sized_defaults
from gradsheet.cli import main
from gradsheet.data.dataset import Dataset, lemonade
from gradsheet.sheets.landscape import pair as landscape_pair
from gradsheet.data.presets import find, read as read_preset
from gradsheet.core.scaling import scale_columns
from gradsheet.core.settings import Settings, State
from gradsheet.sheets.workbook import layout_for
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from reference import assert_matches, expected_names
from test_workbook import names_from_libreoffice
from budget import examples


def cells(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{xl_rowcol_to_cell(r1, c1)}:{xl_rowcol_to_cell(r2, c2)}"


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def raw_scales_csv(path, n=60, seed=3):
    """Boston-like: inputs on scales from 0–1 to hundreds."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 100, n), rng.uniform(0, 1, n), rng.uniform(200, 700, n)])
    y = X @ [0.1, 5, 0.02] + 10 + rng.normal(0, 1, n)
    rows = ["crim,nox,tax,medv"] + [",".join(f"{v:.4f}" for v in r) for r in np.column_stack([X, y])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def housing_csv():
    return read_preset(find("housing"))["data"]


def one_line(result):
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


# --- the learning rate -------------------------------------------------------------------
def test_a_too_large_lr_is_warned_with_a_suggestion(tmp_path):
    data = raw_scales_csv(tmp_path / "raw.csv")
    result = cli("build", data, "-o", tmp_path / "raw.xlsx", "--lang", "en")
    assert result.exit_code == 0
    X = np.loadtxt(data, delimiter=",", skiprows=1)[:, :3]
    assert f"try --lr {model.suggest_lr(X):g}" in result.output and "--scale standard" in result.output
    korean = cli("build", data, "-o", tmp_path / "raw.xlsx").output  # the default language
    assert f"gradsheet: 경고: lr = 0.001: 이 데이터에서 안정한 가장 큰 학습률" in korean
    assert f"예: --lr {model.suggest_lr(X):g}, 또는 --scale standard로" in korean
    # the warning is right: at 0.001 this table diverges, at the suggestion it does not
    theta = np.zeros(4)
    y = np.loadtxt(data, delimiter=",", skiprows=1)[:, 3]
    assert descent.descend(X, y, theta, 0.001, 1e-4, 50).stopped
    assert not descent.descend(X, y, theta, model.suggest_lr(X), 1e-4, 50).stopped


def test_the_course_lr_on_lemonade_is_not_warned(tmp_path):
    result = cli("build", "-o", tmp_path / "l.xlsx")
    assert result.exit_code == 0 and "경고" not in result.output
    # why: lr 0.001 is only ~2x below lemonade's limit, so its steepest direction settles in a
    # step or two; the flat B direction is slow whatever the lr (a larger one would diverge)
    X = lemonade().X
    assert 1.9 < model.stable_lr(X) / 0.001 < 2.0
    assert model.most_progress(X, 0.001, 100) > 0.999


def low_lr_warning(output: str) -> re.Match:
    found = re.search(r"warning: lr = 0.001 is ([\d,]+)× below the largest stable learning rate for "
                      r"this data \(([\d.e+-]+)\): 100 steps bring Loss at most (\d+)% of the way down "
                      r"to its minimum; try --lr ([\d.e+-]+)\n", output)
    assert found, output
    return found


def test_a_far_too_small_lr_is_warned_with_a_suggestion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("build", "--preset", "housing", "--lr", "0.001", "--lang", "en")
    assert result.exit_code == 0, result.output
    ratio, limit, most, suggestion = low_lr_warning(result.output).groups()
    built = make(housing_csv(), tmp_path / "h.xlsx", target="가격", features="면적,방 수,역까지 거리,연식",
                 scale="standard", lr=0.5)
    X, y, theta = scale_columns(built.dataset.X, "standard")[0], built.dataset.y, built.state.theta
    assert float(limit) == pytest.approx(model.stable_lr(X), rel=1e-2)
    assert int(ratio.replace(",", "")) == round(model.stable_lr(X) / 0.001) and int(ratio.replace(",", "")) > 500
    assert float(suggestion) == model.suggest_lr(X) == 0.5
    # the warning is right: 100 steps at 0.001 go at most that far, at the suggestion nearly all the way
    best = model.loss(X, y, model.best_theta(X, y))

    def progress(lr):
        start = model.loss(X, y, theta)
        return (start - model.loss(X, y, descent.descend(X, y, theta, lr, 1e-4, 100).theta)) / (start - best)
    assert 0.2 < progress(0.001) <= int(most) / 100 + 0.01 < 0.5
    assert progress(model.suggest_lr(X)) > 0.99


@pytest.mark.parametrize("how", ["standard", "minmax"])
def test_the_course_lr_on_rescaled_lemonade_is_warned_as_too_small(tmp_path, how):
    result = cli("build", "--scale", how, "-o", tmp_path / "l.xlsx", "--lang", "en")
    assert result.exit_code == 0
    low_lr_warning(result.output)
    assert "diverge" not in result.output
    tiny = cli("build", "--scale", how, "--lr", "1e-6", "-o", tmp_path / "l.xlsx", "--lang", "en").output
    ratio = model.stable_lr(scale_columns(lemonade().X, how)[0]) / 1e-6
    assert f"lr = 1e-06 is {ratio:,.0f}× below" in tiny and 700_000 < ratio < 1_100_000
    assert "100 steps bring Loss less than 1% of the way" in tiny
    # a suggested lr is silent, and so is one not far below it
    for lr in ("0.5", "0.05"):
        result = cli("build", "--scale", how, "--lr", lr, "-o", tmp_path / "l.xlsx")
        assert result.exit_code == 0 and "경고" not in result.output, result.output


def test_landscape_hint_for_big_tables_names_real_parameters():
    # past RECALC_BUDGET for the sums the derived sheets read (n·k², see build.sums_cost)
    for k, pair, n in ((1, "W,B", 3_400_000), (2, "W_1,B", 1_700_000), (5, "W_1,B", 500_000)):
        d = Dataset("big", tuple(f"f{j}" for j in range(k)), "y", np.zeros((n, k)), np.zeros(n))
        with pytest.warns(UserWarning, match="'손실 지형' 시트를 뺐습니다") as caught:
            options = sized_defaults(d, {})
        assert options["landscape"] == ("none",) and options["unrolled"] == options["compare"] == 0
        message = next(w.message.render("en") for w in caught if w.message.key == "build.left_out_many")
        hinted = re.search(r"--landscape (\S+)$", message).group(1)
        assert hinted == pair
        settings = Settings(**{**options, "landscape": tuple(hinted.split(","))})
        state = State.fresh(np.zeros(k + 1))
        assert landscape_pair(layout_for(d, settings, state), settings) == tuple(hinted.split(","))


@pytest.mark.parametrize("how", ["standard", "minmax"])
def test_scaled_features_are_visible_formulas_that_equal_the_model(libreoffice, tmp_path, how):
    data = raw_scales_csv(tmp_path / "raw.csv")
    built = make(data, tmp_path / "scaled.xlsx", scale=how, lr=0.05)
    d, s, st_ = built.dataset, built.settings, built.state
    Xs, centre, spread = scale_columns(d.X, how)
    expected = expected_names(Xs, d.y, st_.theta, st_.prev_loss, st_.dloss, s.lr, s.eps)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_matches(names_from_libreoffice(doc, expected), expected)
        # the raw columns keep the data as written; x_1 is a formula of the raw column
        lay = layout_for(d, s, st_)
        raw, x1, x3 = lay.raw_column(0), lay.columns["x_1"], lay.columns["x_3"]
        top, first = lay.head_row - 3, lay.first_row  # the centre's row, the first data row
        assert doc.cell("학습", cells(first, raw, first + 1, raw)) == list(d.X[:2, 0])
        raw_a1, x1_a1 = xl_rowcol_to_cell(first, raw), xl_col_to_name(x1)
        assert doc.formula("학습", xl_rowcol_to_cell(first, x1)).startswith(
            f"=({raw_a1}-{x1_a1}${top + 1})/{x1_a1}${top + 2}")
        assert doc.cell("학습", cells(top, x1, top, x3)) == pytest.approx(list(centre), rel=1e-12)
        assert doc.cell("학습", cells(top + 1, x1, top + 1, x3)) == pytest.approx(list(spread), rel=1e-9)
    wb = openpyxl.load_workbook(built.path)
    head = wb["학습"].cell(lay.head_row + 1, raw + 1).value, wb["학습"].cell(lay.head_row + 1, x1 + 1).value
    assert head[0] == "crim" and "crim" in head[1]
    # standardised, the descent converges at an lr the raw table could never take
    assert not descent.descend(Xs, d.y, st_.theta, 0.05, 1e-4, 200).stopped


def test_steps_on_a_scaled_workbook_follow_the_model(tmp_path):
    built = make(raw_scales_csv(tmp_path / "raw.csv"), tmp_path / "s.xlsx", scale="standard", lr=0.05)
    assert cli("run", built.path, "-n", 20).exit_code == 0
    from gradsheet.excel.files import read
    book = read(built.path)
    Xs = scale_columns(built.dataset.X, "standard")[0]
    want = descent.descend(Xs, built.dataset.y, built.state.theta, 0.05, 1e-4, 20)
    assert np.allclose(book.state.history, want.history, rtol=1e-12)


# --- presets -------------------------------------------------------------------------------
def test_presets_are_listed_and_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = cli("presets").output
    assert "lemonade" in listing and "housing" in listing
    assert cli("build", "--preset", "lemonade").exit_code == 0
    assert cli("build", "--preset", "housing").exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "housing.xlsx")
    assert "W_4" in wb.defined_names
    (sheet, ref), = wb.defined_names["lr"].destinations
    assert wb[sheet][ref].value == 0.1
    # command-line options override the preset's
    assert cli("build", "--preset", "housing", "--lr", "0.2", "-o", "h2.xlsx").exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "h2.xlsx")
    assert wb[sheet][ref].value == 0.2


def test_an_instructors_preset_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "scores.csv").write_text("hours;score\n1;52\n2;55\n3;61\n4;63\n", encoding="utf-8")
    (tmp_path / "class" / "my-class.toml").write_text(
        'title = "Study hours"\ndata = "scores.csv"\nlr = 0.01\nlang = "en"\nseed = 4\n', encoding="utf-8")
    result = cli("build", "class/my-class.toml")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "my-class.xlsx")
    assert wb.sheetnames[0] == "Train" and wb["Train"]["A1"].value == "Study hours"


@pytest.mark.parametrize("text, culprit", [
    # in Korean, the default language (English: test_messages_data)
    ('colour = "red"\n', "알 수 없는 프리셋 키 'colour'입니다"),
    ('lr = "fast"\n', "'lr' 값의 형식이 맞지 않습니다(str)"),
    ("lr = = 1\n", "올바른 TOML 프리셋이 아닙니다"),
])
def test_bad_presets_are_refused_in_one_line(tmp_path, text, culprit):
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = cli("build", bad, "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and culprit in one_line(result)


def test_unknown_preset_lists_the_presets(tmp_path):
    result = cli("build", "--preset", "nope", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "lemonade" in one_line(result)


# --- safety and nothing lost ---------------------------------------------------------------
def test_text_from_the_data_never_becomes_a_formula(libreoffice, tmp_path):
    data = tmp_path / "evil.csv"
    data.write_text('"=HYPERLINK(""http://x"",""y"")",+cmd,@SUM(1)\n1,2,3\n2,3,5\n3,5,8\n', encoding="utf-8")
    built = make(data, tmp_path / "evil.xlsx")
    head = layout_for(built.dataset, built.settings, built.state).head_row
    wb = openpyxl.load_workbook(built.path)
    heads = [c.value for c in wb["학습"][head + 1][:3]]
    assert heads == ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)"]
    assert all(c.data_type == "s" for c in wb["학습"][head + 1][:3])
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert doc.formula("학습", xl_rowcol_to_cell(head, 0)) == ""
        assert doc.cell("학습", xl_rowcol_to_cell(head, 0)) == '=HYPERLINK("http://x","y")'


def test_overlong_heading_is_cut_with_a_warning(tmp_path):
    data = tmp_path / "long.csv"
    data.write_text("a" * 300 + ",y\n1,2\n2,4\n", encoding="utf-8")
    result = cli("build", data, "-o", tmp_path / "long.xlsx")
    assert result.exit_code == 0 and "gradsheet: 경고:" in result.output and "300" in result.output
    ws = openpyxl.load_workbook(tmp_path / "long.xlsx")["학습"]
    head = next(r for r in ws.iter_rows(max_col=1) if r[0].value and r[0].value.startswith("a"))[0]
    assert head.value == "a" * 255


def test_a_refused_build_leaves_the_existing_output_untouched(tmp_path):
    out = tmp_path / "out.xlsx"
    assert cli("build", "-o", out).exit_code == 0
    before = out.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nabc,3\n", encoding="utf-8")
    for args in ([bad, "-o", out], ["-o", out, "--lr", "-1"], ["-o", out, "--landscape", "Q,B"]):
        result = cli("build", *args)
        assert result.exit_code == 2, result.output
        one_line(result)
        assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_an_unwritable_output_folder_is_one_line(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = cli("build", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "폴더에 쓸 수 없습니다" in one_line(result) and "권한이 없습니다" in one_line(result)


def test_xlsx_input_with_sheet(tmp_path):
    src = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    ws = wb.create_sheet("data")
    for row in (["온도", "판매량"], [20, 40], [21, 42], [22, 44]):
        ws.append(row)
    wb.save(src)
    assert cli("build", src, "--sheet", "data", "-o", tmp_path / "o.xlsx").exit_code == 0
    result = cli("build", src, "--sheet", "nope", "-o", tmp_path / "p.xlsx")
    assert result.exit_code == 2 and "data" in one_line(result)


# --- data as instructors have it ----------------------------------------------------------
def test_an_excel_export_builds_with_one_warning_per_reading(tmp_path):
    data = tmp_path / "시세.csv"
    data.write_bytes(("2024년 아파트 시세,,,\r\n단지,면적,할인율,매매가(만원)\r\n,(㎡),,(만원)\r\n"
                      '래미안,84.9,12%,"45,000"\r\n자이,59.5,5.5%,"31,500"\r\n힐스,114.2,0%,"102,000"\r\n'
                      ).encode("cp949"))
    out = tmp_path / "o.xlsx"
    result = cli("build", data, "--scale", "standard", "--lr", "0.1", "-o", out)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("gradsheet: 경고:")]
    assert [w.split(": ", 2)[2].split(" ")[0] for w in warned] == [  # in Korean, the default language
        "1행('2024년", "3행('(㎡)',", "숫자가", "'할인율'", "'매매가(만원)'"]
    assert "열: 퍼센트 값 3개를 Excel처럼 소수로 읽었습니다(예: '12%' → 0.12)" in warned[3]
    assert "3행, 면적, 할인율 → 매매가(만원)" in result.output
    from gradsheet.excel.files import read
    book = read(out)  # the numbers the workbook holds, read back through its named cells
    assert book.dataset.X.tolist() == [[84.9, 0.12], [59.5, 0.055], [114.2, 0]]
    assert book.dataset.y.tolist() == [45000, 31500, 102000]


def test_a_wrong_column_name_suggests_the_heading_in_one_line(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("면적,매매가(만원)\n1,2\n2,4\n", encoding="utf-8")
    result = cli("build", data, "--target", "매매가", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2
    assert one_line(result) == "gradsheet: 오류: '매매가' 열이 없습니다. 혹시 '매매가(만원)'(2번째 열)입니까?"
    assert not (tmp_path / "x.xlsx").exists()


def test_english_lemonade_has_english_headings_and_steps(tmp_path):
    out = tmp_path / "en.xlsx"
    result = cli("build", "--lang", "en", "-o", out)
    assert result.exit_code == 0 and "temperature -> sales" in result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "Train"
    assert cli("step", out).exit_code == 0 and cli("run", out, "-n", 4).exit_code == 0
    from gradsheet.excel.files import read
    book = read(out)
    assert (book.dataset.feature_names, book.dataset.target_name) == (("temperature",), "sales")
    want = descent.descend(lemonade().X, lemonade().y, book.state.history[0, :2], 0.001, 1e-4, 5)
    assert np.allclose(book.state.theta, want.theta, rtol=1e-12)
    # Korean names still choose the columns in English, and the Korean default is unchanged
    assert "sales -> temperature" in cli("build", "--lang", "en", "--target", "온도", "-o", out).output
    assert "온도 → 판매량" in cli("build", "-o", tmp_path / "ko.xlsx").output


# --- any table ------------------------------------------------------------------------------
tables = st.integers(1, 5).flatmap(lambda k: st.tuples(
    st.just(k), st.integers(2, 40),
    st.lists(st.floats(-1e4, 1e4, allow_subnormal=False), min_size=2 * (k + 1), max_size=2 * (k + 1))))


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables, st.integers(0, 2**32 - 1))
def test_random_numeric_tables_build_into_workbooks_matching_the_model(tmp_path_factory, table, seed):
    k, n, params = table
    rng = np.random.default_rng(seed)
    scales = np.abs(np.array(params[:k])) + 1e-3
    X = rng.normal(np.array(params[k:2 * k]), scales, (n, k))
    y = X @ rng.normal(0, 2, k) + rng.normal(0, 1, n)
    folder = tmp_path_factory.mktemp("t")
    data = folder / "t.csv"
    heads = [f"f{j}" for j in range(k)] + ["target"]
    data.write_text("\n".join([",".join(heads)] + [",".join(repr(float(v)) for v in row)
                                                   for row in np.column_stack([X, y])]), encoding="utf-8")
    built = make(data, folder / "t.xlsx", seed=seed % 1000)
    d, s, st_ = built.dataset, built.settings, built.state
    expected = expected_names(d.X, d.y, st_.theta, st_.prev_loss, st_.dloss, s.lr, s.eps)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    got = {}
    for name in (m for m in expected if not m.startswith("_")):
        (sheet, ref), = wb.defined_names[name].destinations
        cells = wb[sheet][ref]
        got[name] = [c[0].value for c in cells] if isinstance(cells, tuple) else cells.value
    assert_matches(got, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_tables_recalculated_in_libreoffice(libreoffice, tmp_path, seed):
    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(1, 6)), int(rng.integers(3, 80))
    X = rng.normal(rng.uniform(-50, 50, k), rng.uniform(0.1, 20, k), (n, k))
    y = X @ rng.normal(0, 2, k) + rng.normal(0, 1, n)
    data = tmp_path / "r.csv"
    data.write_text("\n".join([",".join([f"c{j}" for j in range(k + 1)])] +
                              [",".join(repr(float(v)) for v in r) for r in np.column_stack([X, y])]))
    built = make(data, tmp_path / "r.xlsx")
    d, s, st_ = built.dataset, built.settings, built.state
    expected = expected_names(d.X, d.y, st_.theta, st_.prev_loss, st_.dloss, s.lr, s.eps)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_matches(names_from_libreoffice(doc, expected), expected)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from([".csv", ".xlsx", ".txt", ".toml"]))
def test_junk_bytes_are_refused_cleanly_by_the_cli(tmp_path_factory, junk, suffix):
    folder = tmp_path_factory.mktemp("j")
    data = folder / f"junk{suffix}"
    data.write_bytes(junk)
    out = folder / "out.xlsx"
    result = CliRunner().invoke(main, ["build", str(data), "-o", str(out)])
    if result.exit_code == 0:  # junk that happens to be a numeric table is a table
        assert zipfile.ZipFile(out).testzip() is None
        return
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    one_line(result)
    assert not out.exists() and not [p for p in os.listdir(folder) if p.startswith(".")]
