"""The "All steps" sheet, proven: LibreOffice recalculates the `unrolled` table and every cell
must equal the numbers of its numpy twin (unrolled.rows: the sums' quadratic and the
optimizer's Optimizer.update), within bounds that follow the rounding of each cell's formula
through the chain of rows (tests/chain_bounds.py says how); and every row must follow from
the row above by its formulas alone (the engine's own inputs, no propagation).

The twin itself is held to the engine's descent (core/descent.descend, row-wise sums of
squares) within the same kind of bound, so the sheet's steps are the course's steps.
"""

from __future__ import annotations

import math
import re
import zipfile
from types import SimpleNamespace

import numpy as np
import openpyxl
import pytest

import chain_bounds as cb
from gradsheet.core import descent
from gradsheet.core.optimizers import HYPER_DEFAULTS, OPTIMIZERS
from gradsheet.excel import files
from gradsheet.core import models as model
from gradsheet.sheets import stats, unrolled
from gradsheet.build import make
from gradsheet.data.dataset import lemonade
from gradsheet.headless import run_file
from gradsheet.sheets.workbook import layout_for, model_X
from reference import three_feature_csv

U = 2.0 ** -48  # LibreOffice's approxAdd/approxSub threshold; larger than double rounding
SAFETY = 2.0


def loss_rounding(X, y, theta, eps) -> float:
    """How far two engines may disagree on one row-wise loss mean((x·W + B − y ± nudge)²)
    at theta (any nudge up to eps): the course's formulas, as descend computes them."""
    n, k = X.shape
    nudge = eps * max(1.0, float(np.abs(X).max()))
    a = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1]) + np.abs(y) + nudge
    r = np.abs(model.predict(X, theta) - y) + nudge
    dr = (2 * k + 4) * U * a
    return 2 * float(np.mean(2 * r * dr + dr * dr) + (n + 3) * U * np.mean(r * r))


def rowwise(X, y):
    """chain_allowance's extra_loss for a row-wise reference (descend, plain Python)."""
    def extra(theta):
        e = loss_rounding(X, y, theta, 1e-3)
        return e, [e] * (X.shape[1] + 1), [e] * (X.shape[1] + 1)
    return extra


# --- reading the engine -------------------------------------------------------------------------
def engine_sums(doc) -> tuple[stats.Sums, cb.Sums, dict]:
    """The Sums sheet as the engine computed it: for the twin, and as exact inputs."""
    values = {name: doc.named(name) for name in stats.NAMES}
    k = len(np.atleast_1d(values["mean_x"]))
    twin = stats.Sums(int(values["n_rows"]), np.atleast_1d(np.asarray(values["mean_x"], dtype=float)),
                      float(values["mean_y"]),
                      np.atleast_2d(np.asarray(values["S_xx"], dtype=float)).reshape(k, k),
                      np.atleast_1d(np.asarray(values["S_xy"], dtype=float)), float(values["S_yy"]))
    return twin, cb.exact_sums(values), values


def assert_sums(values: dict, X, y) -> None:
    """The engine's sums against the data's, within their rounding (cb.sums_of)."""
    want = cb.sums_of(X, y)
    k = want.k
    pairs = [(values["n_rows"], cb.Err(float(want.n)))]
    pairs += list(zip(np.atleast_1d(values["mean_x"]), want.xbar)) + [(values["mean_y"], want.ybar)]
    S = np.atleast_2d(np.asarray(values["S_xx"], dtype=float)).reshape(k, k)
    pairs += [(S[j, m], want.S[j][m]) for j in range(k) for m in range(k)]
    pairs += list(zip(np.atleast_1d(values["S_xy"]), want.s)) + [(values["S_yy"], want.q)]
    for got, w in pairs:
        assert abs(float(got) - float(w.v)) <= SAFETY * float(w.e), (got, float(w.v), float(w.e))


def compare_columns(got: dict, want: dict, allow: dict, label: str = "") -> tuple[list[str], float]:
    """Every column: |got − want| within its allowance. Returns the failures and the largest
    error / allowance."""
    bad, ratio = [], 0.0
    for name, values in want.items():
        err, a = np.abs(got[name] - values), allow[name]
        ratio = max(ratio, float(np.max(np.where(err > 0, err / np.maximum(a, 1e-300), 0.0))))
        for i in np.flatnonzero(~(err <= a)):
            bad.append(f"{label}row {i} {name}: workbook {got[name][i]!r} != {values[i]!r} "
                       f"(error {err[i]:.3g}, allowed {a[i]:.3g})")
    return bad, ratio


def assert_rows_follow(got: dict, chain: unrolled.Chain, st: cb.Sums, lr, eps, hyper, limit, label=""):
    """Each row from the row above: its cells by its formulas from its own inputs (the
    engine's parameters, state and t), and the next row's inputs = this row's next values."""
    lay, opt = chain.layout, chain.optimizer
    n = len(got["Loss"])
    bad = []
    for i in range(n):
        theta = np.array([got[q][i] for q in lay.params])
        slots = {s: np.array([got[f"{s}_{q}"][i] for q in lay.params]) for s in opt.slots}
        t = int(got["t"][i]) if opt.counts_updates else 0
        want = cb.row_cells(st, theta, slots, t, lr, eps, lay.diff, opt, hyper, limit, lay.params)
        for name, w in want.items():
            if not abs(got[name][i] - float(w.v)) <= SAFETY * float(w.e):
                bad.append(f"{label}row {i} {name}: {got[name][i]!r} != {float(w.v)!r} by its own inputs "
                           f"(allowed {SAFETY * float(w.e):.3g})")
        if i + 1 < n:  # plain copies: exactly equal
            for q in lay.params:
                for now, before in [(q, f"next_{q}")] + [(f"{s}_{q}", f"next_{s}_{q}") for s in opt.slots]:
                    if got[now][i + 1] != got[before][i]:
                        bad.append(f"{label}row {i + 1} {now} is not row {i}'s {before}")
    assert not bad, "\n".join(bad[:20])


def kind(layout, name: str) -> str:
    if name in layout.params:
        return "param"
    return {"next": "next", "grad": "grad"}.get(name.split("_")[0], "loss")


def expected_table(layout, r: unrolled.Rows) -> np.ndarray:
    """The twin's table: one row of unrolled.columns() values per step, step first."""
    return np.array([[unrolled.row_values(layout, r, i)[c] for c in ["step"] + unrolled.columns(layout)]
                     for i in range(len(r.loss))])


def assert_table(doc, built, lr=None, eps=None, theta=None, hyper=None):
    """The recalculated table equals the twin's rows from theta (default: the built W, B and
    optimizer state), and every row follows from the one above. Returns the table's numbers,
    the twin's rows and the largest error / allowance."""
    d, s, st = built.dataset, built.settings, built.state
    lr, eps, hyper = lr or s.lr, eps or s.eps, {**s.hyper, **(hyper or {})}
    X = model_X(d, s)
    theta = st.theta if theta is None else theta
    layout = layout_for(d, s, st)
    chain = unrolled.chain_of(layout)
    opt = chain.optimizer
    header, body = doc.table_values("unrolled")  # raises on any error cell
    names = unrolled.columns(layout)
    assert header == [{"ko": "스텝", "en": "step"}[s.lang]] + names
    got = np.array(body, dtype=float)
    assert got.shape == (s.unrolled, len(names) + 1) and np.all(np.isfinite(got))
    assert np.array_equal(got[:, 0], np.arange(s.unrolled))
    twin_sums, exact, values = engine_sums(doc)
    assert_sums(values, X, d.y)
    r = unrolled.rows(X, d.y, theta, lr, eps, s.unrolled, s.diff, opt, hyper, st.slots, st.t, sums=twin_sums)
    want = expected_table(layout, r)
    allow = cb.by_column(cb.chain_allowance(X, d.y, r, lr, eps, s.diff, opt, hyper, exact).cells, layout.params, opt)
    cols = {name: got[:, c] for c, name in enumerate(names, start=1)}
    bad, ratio = compare_columns(cols, {name: want[:, c] for c, name in enumerate(names, start=1)}, allow)
    assert not bad, "\n".join(bad[:20])
    limit = doc.cell(doc.sheet_names()[2], "B4")
    assert limit == r.limit or abs(limit - r.limit) <= 1e-12 * r.limit
    assert_rows_follow(cols, chain, exact, lr, eps, hyper, limit)
    return got, r, ratio


@pytest.fixture(params=["lemonade", "lemonade-central", "three", "three-central", "three-scaled-en",
                        "lemonade-momentum", "lemonade-rmsprop", "three-adam-central", "three-scaled-adam-en"])
def built(request, tmp_path):
    name = request.param
    diff = "central" if "central" in name else "forward"
    optimizer = next((o for o in OPTIMIZERS if o in name), "gd")
    if name.startswith("lemonade"):  # RMSprop moves each parameter by about lr a step
        return make(None, tmp_path / "lemonade.xlsx", diff=diff, optimizer=optimizer,
                    lr=0.05 if optimizer == "rmsprop" else 0.001)
    data = three_feature_csv(tmp_path / "three.csv")
    if "scaled" in name:  # x_j are formula columns (x − mean)/sd
        return make(data, tmp_path / "three.xlsx", lr=0.05 if optimizer == "gd" else 0.1, scale="standard",
                    lang="en", optimizer=optimizer)
    return make(data, tmp_path / "three.xlsx", lr=0.0005 if optimizer == "gd" else 0.1, diff=diff,
                optimizer=optimizer)


def test_the_table_equals_the_model_row_by_row(libreoffice, built):
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        got, r, ratio = assert_table(doc, built)
    print(f"largest error / allowance: {ratio:.2g}")  # see it with -s
    loss = got[:, unrolled.column_index(layout_for(built.dataset, built.settings, built.state))["Loss"]]
    assert loss[-1] < loss[0] / 10  # the descent really moves


def test_changing_lr_eps_a_hyperparameter_and_w_b_recalculates_the_whole_table(libreoffice, built):
    d = built.dataset
    theta = np.linspace(0.5, -0.5, d.k + 1)
    hyper = {"beta": 0.8, "rho": 0.95, "beta1": 0.85, "beta2": 0.99}
    with libreoffice.open(built.path) as doc:
        doc.set_named("lr", built.settings.lr / 2)
        doc.set_named("eps", 0.001)
        for name, v in hyper.items():
            doc.set_named(name, v)
        for p, name in enumerate(layout_for(d, built.settings, built.state).params):
            doc.set_named(name, float(theta[p]))
        doc.recalc()
        assert_table(doc, built, lr=built.settings.lr / 2, eps=0.001, theta=theta, hyper=hyper)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_rows_are_the_engines_descent_until_the_guard(optimizer):
    """unrolled.rows is the engine's descent: its rows agree with descent.descend's history
    rows (row-wise sums of squares there, the sums' quadratic here) within the rounding of
    both, propagated; the updates are Optimizer.update's, bit for bit; and the guard stops
    where descend stops."""
    d = lemonade()
    opt = OPTIMIZERS[optimizer]
    for diff in (model.FORWARD, model.CENTRAL):
        for lr in (0.001, 0.0019, 0.05, 10.0):
            start = np.array([0.02, 0.9])
            r = unrolled.rows(d.X, d.y, start, lr, 1e-4, 60, diff, opt)
            run = descent.descend(d.X, d.y, start, lr, 1e-4, 60, diff, optimizer=opt)
            m = len(run.history)
            allow = cb.chain_allowance(d.X, d.y, r, lr, 1e-4, diff, opt, None, cb.sums_of(d.X, d.y), rowwise(d.X, d.y))
            assert np.all(np.abs(r.theta[:m] - run.history[:, :-1]) <= allow.param[:m, :2])
            assert np.all(np.abs(r.loss[:m] - run.history[:, -1]) <= allow["Loss"][:m])
            assert r.limit == model.loss_limit(d.y, r.loss[0])
            for i in range(len(r.loss)):  # the update is the optimizer's own, on the row's numbers
                slots = {s: r.slots[s][i] for s in opt.slots}
                t = int(r.t[i]) if r.t is not None else 0
                nxt, nxt_slots, _ = opt.update(r.theta[i], r.grad[i], slots, t, lr, dict(HYPER_DEFAULTS))
                if r.loss[i] > r.limit:
                    nxt, nxt_slots = r.theta[i], slots
                assert np.array_equal(r.next[i], nxt)
                assert all(np.array_equal(r.next_slots[s][i], nxt_slots[s]) for s in opt.slots)
            if not run.stopped:
                continue
            # descend stops before writing the step whose result passes the limit; the table
            # shows that step's start, the step (its Loss past the limit), and stands still
            assert r.loss[m] <= r.limit < r.loss[m + 1]
            assert np.all(r.theta[m + 1:] == r.theta[m + 1]) and np.all(r.next[m + 1:] == r.theta[m + 1])
            assert np.all(np.isfinite(r.plus)) and np.all(np.isfinite(r.grad))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_allowance_is_tight_enough_to_catch_a_wrong_formula(optimizer):
    """The propagated bound stays far below the effect of a wrong detail: central instead
    of forward differences, lr off by one part in a million, a decay rate likewise (delta,
    which only shows where slopes are tiny, by a factor 1000)."""
    d = lemonade()
    opt = OPTIMIZERS[optimizer]
    start = np.array([0.02, 0.9])
    lr = {"gd": 0.001, "momentum": 0.001}.get(optimizer, 0.05)
    st = stats.sums(d.X, d.y)
    exact = cb.exact_sums({"n_rows": st.n, "mean_x": st.xbar, "mean_y": st.ybar, "S_xx": st.S, "S_xy": st.s,
                           "S_yy": st.q})
    r = unrolled.rows(d.X, d.y, start, lr, 1e-4, 100, optimizer=opt, sums=st)
    allow = cb.chain_allowance(d.X, d.y, r, lr, 1e-4, model.FORWARD, opt, None, exact).param[:100, :2]
    wrongs = [unrolled.rows(d.X, d.y, start, lr, 1e-4, 100, model.CENTRAL, opt, sums=st),
              unrolled.rows(d.X, d.y, start, lr * (1 + 1e-6), 1e-4, 100, optimizer=opt, sums=st)]
    for h in opt.hyper:  # delta only matters where a slope² is as small as it (1e-7): ×1000
        wrongs.append(unrolled.rows(d.X, d.y, start, lr, 1e-4, 100, optimizer=opt, sums=st,
                                    hyper={h: HYPER_DEFAULTS[h] * (1000 if h == "delta" else 1 + 1e-6)}))
    for wrong in wrongs:
        assert np.any(np.abs(wrong.theta - r.theta) > 100 * allow)


@pytest.mark.parametrize("diff", ["forward", "central"])
@pytest.mark.parametrize("lr", [0.05, 100.0])
def test_a_diverging_lr_leaves_every_cell_finite(libreoffice, tmp_path, diff, lr):
    with pytest.warns(UserWarning, match="Loss가 발산합니다"):
        built = make(None, tmp_path / "d.xlsx", lr=lr, diff=diff, optimizer="momentum" if lr > 1 else "gd")
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
    layout = layout_for(built.dataset, built.settings, built.state)
    assert len(stored) == 100 * (1 + len(unrolled.columns(layout)))
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in stored)


def test_stored_values_are_the_models_numbers(tmp_path):
    built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.1, unrolled=30,
                 optimizer="adam")
    layout = layout_for(built.dataset, built.settings, built.state)
    r = unrolled.rows(model_X(built.dataset, built.settings), built.dataset.y, built.state.theta,
                      0.1, built.settings.eps, 30, optimizer=OPTIMIZERS["adam"])
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
    assert [ws.cell(8, c).value for c in range(1, 27)] == (
        ["스텝", "W_1", "W_2", "W_3", "B", "Loss", "Loss_W_1", "Loss_W_2", "Loss_W_3", "Loss_B",
         "Lossm_W_1", "Lossm_W_2", "Lossm_W_3", "Lossm_B", "grad_W_1", "grad_W_2", "grad_W_3", "grad_B",
         "next_W_1", "next_W_2", "next_W_3", "next_B", "Sw_1", "Sw_2", "Sw_3", "Q"])
    assert ws.cell(8, 27).value == "β"
    assert row0["A"] == "=ROW()-ROW($A$9)"
    assert [row0[c] for c in "BCDE"] == ["=W_1", "=W_2", "=W_3", "=B"]
    assert row1["B"] == "=S9"  # next_W_1 of the row above
    # S·w, Q and β from the sums (names of the Sums sheet), then the losses from them
    assert row0["W"] == "=SUMPRODUCT(S_xx_1,B9:D9)"
    assert row0["Z"] == "=MAX(0,SUMPRODUCT(B9:D9,W9:Y9)-2*SUMPRODUCT(B9:D9,S_xy)+S_yy)"
    assert row0["AA"] == "=E9+SUMPRODUCT(mean_x,B9:D9)-mean_y"
    assert row0["F"] == "=Z9/n_rows+AA9^2"
    assert row0["G"] == "=(Z9+2*eps*(W9-INDEX(S_xy,1,1))+eps^2*INDEX(S_xx,1,1))/n_rows+(AA9+eps*INDEX(mean_x,1,1))^2"
    assert row0["J"] == "=Z9/n_rows+(AA9+eps)^2"
    assert row0["K"] == "=(Z9-2*eps*(W9-INDEX(S_xy,1,1))+eps^2*INDEX(S_xx,1,1))/n_rows+(AA9-eps*INDEX(mean_x,1,1))^2"
    assert row0["O"] == "=(G9-K9)/(2*eps)"
    assert row0["S"] == "=IF(F9>$B$4,B9,B9-lr*O9)"
    assert ws["B4"].value == "=1000000*MAX($F$9,SUMSQ(y)/ROWS(y))"
    for row in ws.iter_rows(min_row=4):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                assert not re.search(r"\[|LET\(|LAMBDA\(|@|unrolled|MMULT|,0\)", c.value), c.value


def test_the_optimizers_state_columns_are_its_rules(tmp_path):
    """With Adam the table holds t (one more each row), m and sq entering each row, their next
    values and next_P, all the optimizer's Rule texts on this row's cells, guarded."""
    built = make(None, tmp_path / "a.xlsx", optimizer="adam", unrolled=3)
    ws = openpyxl.load_workbook(built.path)["전체 과정"]
    head = {ws.cell(8, c).value: c for c in range(1, 30) if ws.cell(8, c).value}
    at = {name: f"{openpyxl.utils.get_column_letter(c)}9" for name, c in head.items()}
    assert list(head)[8:17] == ["t", "m_W", "m_B", "sq_W", "sq_B", "next_m_W", "next_m_B", "next_sq_W", "next_sq_B"]
    cell = {name: ws[ref].value for name, ref in at.items()}
    assert cell["t"] == "=t" and cell["m_W"] == "=m_W" and cell["sq_B"] == "=sq_B"
    assert ws[at["t"].replace("9", "10")].value == f"={at['t']}+1"
    L, g, m, sq = at["Loss"], at["grad_W"], at["m_W"], at["sq_W"]
    assert cell["next_m_W"] == f"=IF({L}>$B$4,{m},{m}+({g}-{m})*(1-beta1))"
    assert cell["next_W"] == (f"=IF({L}>$B$4,B9,B9-lr*SQRT(1-beta2^({at['t']}+1))/(1-beta1^({at['t']}+1))"
                              f"*{at['next_m_W']}/(SQRT({at['next_sq_W']})+delta))")
    assert ws[at["m_W"].replace("9", "10")].value == f"={at['next_m_W']}"


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_it_follows_the_students_steps(libreoffice, tmp_path, optimizer):
    """After steps the table starts from wherever W, B and the optimizer's state are now,
    and its step 0 is now."""
    path = make(None, tmp_path / "l.xlsx", optimizer=optimizer, lr=0.001 if optimizer == "gd" else 0.05).path
    run_file(path, 3)
    book = files.read(path)  # W, B and the state as the file holds them
    built = SimpleNamespace(dataset=book.dataset, settings=book.settings, state=book.state, path=path)
    if optimizer == "adam":
        assert book.state.t == 3 and np.all(book.state.slots["m"] != 0)
    with libreoffice.open(path) as doc:
        doc.recalc()
        got, _, _ = assert_table(doc, built)
    run = descent.descend(book.dataset.X, book.dataset.y, np.array([0.02, 0.9]), book.settings.lr, 1e-4, 3,
                          optimizer=OPTIMIZERS[optimizer])
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
    assert ws.tables["unrolled"].ref == "A8:M15"
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
