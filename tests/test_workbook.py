"""The course workbook, proven: LibreOffice recalculates every formula and must agree with
the numpy model; stored values must agree too; the same inputs give the same bytes."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from gradsheet.core import descent
from gradsheet.sheets import guide
from gradsheet.core import models as model
from gradsheet.core import procedure
from gradsheet.build import make
from gradsheet.core.texts import texts
from gradsheet.core.layout import param_names
from gradsheet.sheets.workbook import layout_for, model_X
from reference import assert_matches, expected_names, three_feature_csv


def names_from_libreoffice(doc, expected):
    return {name: doc.named(name) for name in expected if not name.startswith("_")}


def test_every_named_cell_equals_the_model_in_libreoffice(libreoffice, built):
    d, s, st = built.dataset, built.settings, built.state
    expected = expected_names(d.X, d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_matches(names_from_libreoffice(doc, expected), expected)
        # the generator is a random formula whose stored value started the descent
        layout = layout_for(d, s, st)
        for name in param_names(d.k):
            assert "RAND()" in doc.formula(layout.sheet, layout.a1(f"init_{name}"))


def test_formulas_are_live_after_changing_w_and_b(libreoffice, built):
    d, s = built.dataset, built.settings
    theta = np.linspace(0.5, -1.5, d.k + 1)  # not the built values
    dloss = np.arange(1.0, d.k + 2.0)
    with libreoffice.open(built.path) as doc:
        for p, name in enumerate(param_names(d.k)):
            doc.set_named(name, float(theta[p]))
            doc.set_named(f"dLoss_d{name}", float(dloss[p]))
        doc.set_named("prevLoss", 123.0)
        doc.set_named("lr", 0.002)
        doc.recalc()
        expected = expected_names(d.X, d.y, theta, 123.0, dloss, 0.002, s.eps)
        assert_matches(names_from_libreoffice(doc, expected), expected)


def test_stored_values_equal_the_model(built):
    d, s, st = built.dataset, built.settings, built.state
    expected = expected_names(d.X, d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    got = {}
    for name in (n for n in expected if not n.startswith("_")):
        defn = wb.defined_names[name]
        (sheet, ref), = defn.destinations
        cells = wb[sheet][ref]
        got[name] = ([c[0].value for c in cells] if isinstance(cells, tuple) else cells.value)
    assert_matches(got, expected)
    # a fresh workbook is coherent: the generator's stored values are the starting W, B
    for p, name in enumerate(param_names(d.k)):
        (sheet, ref), = wb.defined_names[f"init_{name}"].destinations
        assert wb[sheet][ref].value == pytest.approx(st.theta[p], abs=0)


def test_full_calculation_on_load_is_on(built):
    import zipfile
    xml = zipfile.ZipFile(built.path).read("xl/workbook.xml").decode()
    assert 'fullCalcOnLoad="1"' in xml


def test_history_is_an_excel_table_named_history(built):
    wb = openpyxl.load_workbook(built.path)
    ws = wb[built.settings.lang == "ko" and "학습" or "Train"]
    table = ws.tables["history"]
    header = [c.value for c in ws[table.ref][0]]
    assert header[1:] == param_names(built.dataset.k) + ["Loss"]


def test_same_inputs_and_seed_give_identical_bytes(tmp_path):
    a = make(None, tmp_path / "a.xlsx", seed=5).path.read_bytes()
    b = make(None, tmp_path / "b.xlsx", seed=5).path.read_bytes()
    c = make(None, tmp_path / "c.xlsx", seed=6).path.read_bytes()
    assert a == b
    assert a != c


def test_course_numbers_loss_falls_from_thousands_below_one():
    """The course's run: lemonade, lr 0.001, eps 0.0001, W and B from the generator."""
    from gradsheet.build import fresh_state
    from gradsheet.data.dataset import lemonade
    from gradsheet.core.settings import Settings, initial_theta
    d = lemonade()
    start = fresh_state(d, Settings(), Settings().seed)  # what `gradsheet build` writes
    assert start.prev_loss == 0  # nothing copied yet: the coach asks for action 3 in the first step
    assert 1000 < model.loss(d.X, d.y, start.theta) < 10000  # thousands at the start
    run = descent.descend(d.X, d.y, start.theta, 0.001, 0.0001, 3)
    assert [round(v) for v in run.history[:2, -1]] == [1917, 1]  # 1916.757 -> 0.79
    assert model.loss(d.X, d.y, run.theta) < 0.01
    for seed in range(50):  # whatever the generator draws
        run = descent.descend(d.X, d.y, initial_theta(1, seed), 0.001, 0.0001, 3)
        assert model.loss(d.X, d.y, run.theta) < 1  # below 1 after the first steps
        assert abs(run.theta[0] - 2) < 0.1  # W has nearly found 2; B creeps
        assert not run.stopped


def test_central_differences_end_to_end(libreoffice, tmp_path):
    """--diff central: formulas, stored values, the steps engine and the CLI together."""
    from click.testing import CliRunner

    from gradsheet.cli import main
    from gradsheet.excel.files import read
    path = tmp_path / "three.xlsx"
    result = CliRunner().invoke(main, ["build", str(three_feature_csv(tmp_path / "three.csv")), "-o", str(path),
                                       "--lr", "0.0005", "--diff", "central"])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["run", str(path), "-n", "7"]).exit_code == 0
    book = read(path)
    d, s, st = book.dataset, book.settings, book.state
    assert s.diff == "central"
    first = descent.descend(d.X, d.y, st.history[0, :-1], s.lr, s.eps, 7, model.CENTRAL)
    assert np.allclose(st.history, first.history, rtol=1e-12)
    assert np.allclose(st.theta, first.theta, rtol=1e-12)
    expected = expected_names(d.X, d.y, st.theta, st.prev_loss, st.dloss, s.lr, s.eps, model.CENTRAL)
    assert "Lossm_B" in expected
    with libreoffice.open(path) as doc:
        doc.recalc()
        assert_matches(names_from_libreoffice(doc, expected), expected)
    # central differences agree with the exact derivative far better than forward ones
    g = model.gradient(d.X, d.y, st.theta, s.eps, model.CENTRAL)
    f = model.gradient(d.X, d.y, st.theta, s.eps)
    exact = model.exact_gradient(d.X, d.y, st.theta)
    assert np.abs(g - exact).max() < np.abs(f - exact).max() / 100


# --- the guide sheet ----------------------------------------------------------------------
def guide_text(built) -> str:
    ws = openpyxl.load_workbook(built.path)[texts(built.settings.lang)["sheet_guide"]]
    return "\n".join(str(row[0].value) for row in ws.iter_rows(max_col=1) if row[0].value)


@pytest.mark.parametrize("k", [1, 3])
def test_the_guide_walks_through_each_parameter_numbered_as_next_action(tmp_path, k):
    built = (make(None, tmp_path / "l.xlsx") if k == 1
             else make(three_feature_csv(tmp_path / "t.csv"), tmp_path / "t.xlsx", lr=0.0005))
    text = guide_text(built)
    layout = layout_for(built.dataset, built.settings, built.state)
    acts = procedure.actions(k)
    for code, kind, p in acts:  # every action the "next action" button counts, by its number
        assert f"({code})" in text or f"\n{code}. " in text, code
    for p, name in enumerate(layout.params):  # one paragraph per nudged parameter, with its cells
        group = acts[2 + 3 * p][0].split("-")[0]
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{group}. "))
        assert f"{name}({layout.sheet}!{layout.a1(name).replace('$', '')})" in line
        assert f"dLoss_d{name}({layout.sheet}!{layout.a1(f'dLoss_d{name}').replace('$', '')})" in line
    assert f"\n{acts[-1][0]}. " in text and f"\n{int(acts[-1][0]) + 1}. " in text  # update, then repeat


def test_the_guide_tells_each_data_its_own_story(tmp_path):
    """Numbers in the guide come from the model on the workbook's data; the lemonade's
    story (thousands to below 1, x near 22, W ~500 times steeper) is told only to it."""
    lemonade = make(None, tmp_path / "l.xlsx")
    three = make(three_feature_csv(tmp_path / "t.csv"), tmp_path / "t.xlsx", scale="standard", lr=0.01)
    for built in (lemonade, three):
        d, s = built.dataset, built.settings
        X = model_X(d, s)
        run = descent.descend(X, d.y, built.state.init, s.lr, s.eps, 10)
        text = guide_text(built)
        after_10 = model.loss(X, d.y, run.theta)
        assert guide.readable(run.history[0, -1]) in text and guide.readable(after_10) in text
    lemon, other = guide_text(lemonade), guide_text(three)
    assert "22.5" in lemon and "509" in lemon  # mean x, and mean x² = W's steepness over B's
    assert "1,917" in lemon and "0.7951" in lemon  # the course's thousands, below 1 after one step
    assert "22.5" not in other and "509" not in other
    assert "수천에서" not in other and "22 근처" not in other  # the old guide's fixed lemonade sentences
    assert "배 가파릅니다" not in other  # standardised: every direction equally steep
