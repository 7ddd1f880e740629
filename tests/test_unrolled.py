"""The "All steps" sheet, proven: LibreOffice recalculates the `unrolled` table and every row
must equal the model's N steps from the training sheet's W, B, within an error bound that
follows the rounding of each row's losses through the chain of rows.

Why a bound and not reference.py's flat tolerances: row i + 1's parameters are row i's
next values, so an engine's rounding in row i moves every later row. The bound below is a
first-order rounding analysis of the formulas, evaluated with the model's numbers:

* one computed loss mean((x·W + B − y ± eps·x_j)²) errs by at most
  mean(2|r|·δr + δr²) + (n + 3)·u·L, where δr = (2k + 4)·u·a bounds the residual's
  rounding (a = the magnitudes added: Σ|x_j W_j| + |B| + |y| + eps·|x|). u is 2^-48, not
  2^-53: LibreOffice snaps a sum to 0 when it is within 2^-48 of cancelling (approxAdd).
  Both engines round, so the difference is twice that (δL);
* a slope (Loss_P − Loss)/eps errs by 2δL/eps (central: 2δL/(2·eps)) plus its own rounding;
* the parameters' error E (Euclidean) propagates through next = P − lr·grad, whose Jacobian
  is I − lr·H for this quadratic loss (a finite difference of a quadratic is affine with
  the same H): E' = ‖I − lr·H‖·E + lr·(slope error) + rounding; a frozen row (past the
  limit) copies its parameters, E' = E;
* E moves a loss by at most (‖∇L‖ + λ·eps)·E + λ·E²/2 and a slope by λ·E
  (λ = the largest eigenvalue of H).
Every allowance is then doubled (SAFETY) for what first order leaves out.
"""

from __future__ import annotations

import math
import re
import zipfile
from types import SimpleNamespace

import numpy as np
import openpyxl
import pytest

from gradsheet.core import descent
from gradsheet.excel import files
from gradsheet.core import models as model
from gradsheet.sheets import unrolled
from gradsheet.build import make
from gradsheet.data.dataset import lemonade
from gradsheet.headless import run_file
from gradsheet.sheets.workbook import layout_for, model_X
from reference import three_feature_csv

U = 2.0 ** -48  # LibreOffice's approxAdd/approxSub threshold; larger than double rounding
SAFETY = 2.0


def loss_rounding(X, y, theta, eps) -> float:
    """How far two engines may disagree on one loss at theta (any nudge up to eps)."""
    n, k = X.shape
    nudge = eps * max(1.0, float(np.abs(X).max()))
    a = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1]) + np.abs(y) + nudge
    r = np.abs(model.predict(X, theta) - y) + nudge
    dr = (2 * k + 4) * U * a
    return 2 * float(np.mean(2 * r * dr + dr * dr) + (n + 3) * U * np.mean(r * r))


def allowances(X, y, r: unrolled.Rows, lr, eps, diff) -> dict[str, np.ndarray]:
    """Per row: how far the engine's parameters, losses, slopes and next values may be from
    the model's."""
    A = np.column_stack([X, np.ones(len(y))])
    eig = np.linalg.eigvalsh(2.0 / len(y) * (A.T @ A))
    lam, rho = float(eig[-1]), float(np.max(np.abs(1 - lr * eig)))
    n = len(r.loss)
    out = {key: np.empty(n) for key in ("param", "loss", "grad", "next")}
    E = 0.0  # row 0 copies =W, =B exactly
    for i in range(n):
        th, g = r.theta[i], r.grad[i]
        dL = loss_rounding(X, y, th, eps)
        own_grad = 2 * dL / (eps if diff == model.FORWARD else 2 * eps) + U * np.abs(g)
        slope = float(np.linalg.norm(model.exact_gradient(X, y, th)))
        out["param"][i] = E
        out["loss"][i] = dL + (slope + lam * eps) * E + lam * E * E / 2
        out["grad"][i] = float(own_grad.max()) + lam * E
        if r.loss[i] <= r.limit:  # a frozen row copies its parameters: E stays
            E = rho * E + float(np.linalg.norm(lr * own_grad + U * (np.abs(th) + lr * np.abs(g))))
        out["next"][i] = E  # next_P of row i is the parameter of row i + 1
    return {key: SAFETY * v for key, v in out.items()}


def kind(layout, name: str) -> str:
    if name in layout.params:
        return "param"
    return {"next": "next", "grad": "grad"}.get(name.split("_")[0], "loss")


def expected_table(layout, r: unrolled.Rows) -> np.ndarray:
    """The model's table: one row of unrolled.columns() values per step, step first."""
    return np.array([[unrolled.row_values(layout, r, i)[c] for c in ["step"] + unrolled.columns(layout)]
                     for i in range(len(r.loss))])


def assert_table(doc, built, lr=None, eps=None, theta=None):
    """The recalculated table equals the model's rows from theta (default: the built W, B).
    Returns the table's numbers, the model's rows and the largest error / allowance."""
    d, s, st = built.dataset, built.settings, built.state
    lr, eps = lr or s.lr, eps or s.eps
    X = model_X(d, s)
    theta = st.theta if theta is None else theta
    layout = layout_for(d, s, st)
    r = unrolled.rows(X, d.y, theta, lr, eps, s.unrolled, s.diff)
    header, body = doc.table_values("unrolled")  # raises on any error cell
    names = unrolled.columns(layout)
    assert header == [{"ko": "스텝", "en": "step"}[s.lang]] + names
    got, want = np.array(body, dtype=float), expected_table(layout, r)
    assert got.shape == want.shape and np.all(np.isfinite(got))
    assert np.array_equal(got[:, 0], np.arange(s.unrolled))
    tol = allowances(X, d.y, r, lr, eps, s.diff)
    bad, ratio = [], 0.0
    for c, name in enumerate(names, start=1):
        allow, err = tol[kind(layout, name)], np.abs(got[:, c] - want[:, c])
        ratio = max(ratio, float(np.max(err / np.maximum(allow, 1e-300))))
        for i in np.flatnonzero(~(err <= allow)):
            bad.append(f"row {i} {name}: workbook {got[i, c]!r} != model {want[i, c]!r} "
                       f"(error {err[i]:.3g}, allowed {allow[i]:.3g})")
    assert not bad, "\n".join(bad[:20])
    return got, r, ratio


@pytest.fixture(params=["lemonade", "lemonade-central", "three", "three-central", "three-scaled-en"])
def built(request, tmp_path):
    diff = "central" if request.param.endswith("central") else "forward"
    if request.param.startswith("lemonade"):
        return make(None, tmp_path / "lemonade.xlsx", diff=diff)
    data = three_feature_csv(tmp_path / "three.csv")
    if request.param == "three-scaled-en":  # x_j are formula columns (x − mean)/sd
        return make(data, tmp_path / "three.xlsx", lr=0.05, scale="standard", lang="en")
    return make(data, tmp_path / "three.xlsx", lr=0.0005, diff=diff)


def test_the_table_equals_the_model_row_by_row(libreoffice, built):
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        got, r, ratio = assert_table(doc, built)
    print(f"largest error / allowance: {ratio:.2g}")  # see it with -s
    loss = got[:, unrolled.column_index(layout_for(built.dataset, built.settings, built.state))["Loss"]]
    assert loss[-1] < loss[0] / 10  # the descent really moves


def test_changing_lr_eps_and_w_b_recalculates_the_whole_table(libreoffice, built):
    d = built.dataset
    theta = np.linspace(0.5, -0.5, d.k + 1)
    with libreoffice.open(built.path) as doc:
        doc.set_named("lr", built.settings.lr / 2)
        doc.set_named("eps", 0.001)
        for p, name in enumerate(layout_for(d, built.settings, built.state).params):
            doc.set_named(name, float(theta[p]))
        doc.recalc()
        assert_table(doc, built, lr=built.settings.lr / 2, eps=0.001, theta=theta)


def test_the_rows_are_model_descend_until_the_guard(tmp_path):
    """unrolled.rows is the model's descent: its rows are descent.descend's history rows,
    bit for bit, and descend's end point follows them."""
    d = lemonade()
    for diff in (model.FORWARD, model.CENTRAL):
        for lr in (0.001, 0.0019, 0.05, 10.0):
            start = np.array([0.02, 0.9])
            r = unrolled.rows(d.X, d.y, start, lr, 1e-4, 60, diff)
            run = descent.descend(d.X, d.y, start, lr, 1e-4, 60, diff)
            m = len(run.history)
            assert np.array_equal(r.theta[:m], run.history[:, :-1])
            assert np.array_equal(r.loss[:m], run.history[:, -1])
            assert r.limit == model.loss_limit(d.y, r.loss[0])
            if not run.stopped:
                assert np.array_equal(r.next[-1], run.theta)
                continue
            # descend stops before writing the step whose result passes the limit; the table
            # shows that step's start, the step (its Loss past the limit), and stands still
            assert np.array_equal(r.theta[m], run.theta) and r.loss[m] <= r.limit
            assert r.loss[m + 1] > r.limit
            assert np.array_equal(r.theta[m + 1], model.step(d.X, d.y, run.theta, lr, 1e-4, diff))
            assert np.all(r.theta[m + 1:] == r.theta[m + 1]) and np.all(r.next[m + 1:] == r.theta[m + 1])
            assert np.all(np.isfinite(r.plus)) and np.all(np.isfinite(r.grad))


def test_the_allowance_is_tight_enough_to_catch_a_wrong_formula():
    """The propagated bound stays far below the effect of a wrong detail: central instead
    of forward differences, or lr off by one part in a million."""
    d = lemonade()
    start = np.array([0.02, 0.9])
    r = unrolled.rows(d.X, d.y, start, 0.001, 1e-4, 100)
    tol = allowances(d.X, d.y, r, 0.001, 1e-4, model.FORWARD)
    for wrong in (unrolled.rows(d.X, d.y, start, 0.001, 1e-4, 100, model.CENTRAL),
                  unrolled.rows(d.X, d.y, start, 0.001 * (1 + 1e-6), 1e-4, 100)):
        assert np.any(np.abs(wrong.theta - r.theta).max(axis=1) > 100 * tol["param"])


@pytest.mark.parametrize("diff", ["forward", "central"])
@pytest.mark.parametrize("lr", [0.05, 100.0])
def test_a_diverging_lr_leaves_every_cell_finite(libreoffice, tmp_path, diff, lr):
    with pytest.warns(UserWarning, match="diverge"):
        built = make(None, tmp_path / "d.xlsx", lr=lr, diff=diff)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        got, r, _ = assert_table(doc, built)  # no error cells, equal to the model
        limit = doc.cell(doc.sheet_names()[2], "B4")
    assert limit == pytest.approx(r.limit, rel=1e-12)
    loss = got[:, 3]
    past = int(np.argmax(loss > limit))
    assert 0 < past < 5 and np.all(got[past:, 1:] == got[past, 1:])  # then it stands still
    wb = openpyxl.load_workbook(built.path, data_only=True)
    ws = wb[wb.sheetnames[2]]
    stored = [c.value for row in ws.iter_rows(min_row=9) for c in row if c.value is not None]
    assert len(stored) == 100 * 10 + (200 if diff == "central" else 0)
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in stored)


def test_stored_values_are_the_models_numbers(tmp_path):
    built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.0005, unrolled=30)
    layout = layout_for(built.dataset, built.settings, built.state)
    r = unrolled.rows(model_X(built.dataset, built.settings), built.dataset.y, built.state.theta,
                      0.0005, built.settings.eps, 30)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    ws = wb["전체 과정"]
    table = ws.tables["unrolled"]
    cells = ws[table.ref]
    assert [c.value for c in cells[0]] == ["스텝"] + unrolled.columns(layout)
    got = np.array([[c.value for c in row] for row in cells[1:]], dtype=float)
    assert np.array_equal(got, expected_table(layout, r))
    assert ws["B4"].value == r.limit


def test_formulas_are_plain_a1_and_names(tmp_path):
    built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.0005,
                 unrolled=3, diff="central")
    ws = openpyxl.load_workbook(built.path)["전체 과정"]
    row0 = {c.column_letter: c.value for c in ws[9]}
    row1 = {c.column_letter: c.value for c in ws[10]}
    assert row0["A"] == "=ROW()-ROW($A$9)"
    assert [row0[c] for c in "BCDE"] == ["=W_1", "=W_2", "=W_3", "=B"]
    assert row1["B"] == "=S9"  # next_W_1 of the row above
    assert row0["F"] == "=SUMPRODUCT((x_1*B9+x_2*C9+x_3*D9+E9-y)^2)/ROWS(y)"
    assert row0["G"] == "=SUMPRODUCT((x_1*B9+x_2*C9+x_3*D9+E9-y+eps*x_1)^2)/ROWS(y)"
    assert row0["J"] == "=SUMPRODUCT((x_1*B9+x_2*C9+x_3*D9+E9-y+eps)^2)/ROWS(y)"
    assert row0["K"] == "=SUMPRODUCT((x_1*B9+x_2*C9+x_3*D9+E9-y-eps*x_1)^2)/ROWS(y)"
    assert row0["O"] == "=(G9-K9)/(2*eps)"
    assert row0["S"] == "=IF(F9>$B$4,B9,B9-lr*O9)"
    assert ws["B4"].value == "=1000000*MAX($F$9,SUMSQ(y)/ROWS(y))"
    for row in ws.iter_rows(min_row=4):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                assert not re.search(r"\[|LET\(|LAMBDA\(|@|unrolled", c.value), c.value


def test_it_follows_the_students_steps(libreoffice, tmp_path):
    """After steps the table starts from wherever W, B are now, and its step 0 is now."""
    path = make(None, tmp_path / "l.xlsx").path
    run_file(path, 3)
    book = files.read(path)  # W, B as the file holds them (16 digits, as XlsxWriter writes)
    built = SimpleNamespace(dataset=book.dataset, settings=book.settings, state=book.state, path=path)
    with libreoffice.open(path) as doc:
        doc.recalc()
        got, _, _ = assert_table(doc, built)
    run = descent.descend(book.dataset.X, book.dataset.y, np.array([0.02, 0.9]), 0.001, 1e-4, 3)
    assert np.allclose(got[0, 1:3], run.theta, rtol=1e-12)


@pytest.mark.parametrize("lang, sheet, title", [("ko", "전체 과정", "전체 과정: 지금의 W, B에서 앞으로 7 스텝"),
                                                ("en", "All steps", "All steps: the next 7 steps from the current W, B")])
def test_sheet_name_labels_and_charts(tmp_path, lang, sheet, title):
    built = make(None, tmp_path / "x.xlsx", lang=lang, unrolled=7)
    wb = openpyxl.load_workbook(built.path)
    ws = wb[sheet]
    assert ws["A1"].value == title
    train = {"ko": "학습", "en": "Train"}[lang]
    assert f"'{train}'" in ws["A2"].value and "=W" in ws["A2"].value
    assert ws.tables["unrolled"].ref == "A8:J15"
    charts = sheet_charts(built.path, sheet)
    assert len(charts) == 2
    assert '<c:logBase val="10"/>' in charts[0] and "$D$9:$D$15" in charts[0]
    assert charts[1].count("<c:ser>") == 2  # W and B over the steps


def test_no_sheet_with_unrolled_zero(tmp_path):
    wb = openpyxl.load_workbook(make(None, tmp_path / "x.xlsx", unrolled=0).path)
    assert "전체 과정" not in wb.sheetnames


def sheet_charts(path, sheet: str) -> list[str]:
    """The chart XML parts drawn on one sheet, in order."""
    z = zipfile.ZipFile(path)
    names = z.read("xl/workbook.xml").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', names).group(1)
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'Id="{rid}" Type="[^"]+" Target="([^"]+)"', rels).group(1)
    sheet_rels = z.read(f"xl/worksheets/_rels/{target.split('/')[-1]}.rels").decode()
    drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"', sheet_rels).group(1)
    drels = z.read(f"xl/drawings/_rels/{drawing}.rels").decode()
    return [z.read(f"xl/charts/{c}").decode() for c in re.findall(r'Target="\.\./charts/(chart\d+\.xml)"', drels)]
