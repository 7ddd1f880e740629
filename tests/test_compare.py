"""The race ("최적화 비교" / "Optimizers"), proven: LibreOffice recalculates the `compare` table
and the four lanes behind it, and every cell must equal

* the lanes' numpy twin (compare.race: unrolled.rows with a fresh state and each lane's lr),
  within the rounding of its formulas propagated along the lane (tests/chain_bounds.py);
* every row by its own formulas from the row above (the engine's own inputs);
* the engine's descent (core/descent.descend with that optimizer, row-wise sums of squares)
  and a plain-Python descent in Keras's own words (tests/test_optimizers.py), from the
  current W, B with a fresh state, within the rounding of both kinds of sums, propagated.

A lane that jitters chaotically (RMSprop around the answer) gets a propagated bound as wide
as its chaos; there the per-row check is what holds its formulas (see chain_bounds.py).
Gnumeric (`ssconvert --recalc`) is a second engine for the same checks.
"""

from __future__ import annotations

import math
import re
import subprocess
import warnings
from types import SimpleNamespace

import numpy as np
import openpyxl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

import chain_bounds as cb
from gradsheet.build import fresh_state, make, sized_defaults
from gradsheet.core import descent
from gradsheet.core import models as model
from gradsheet.core.errors import GradsheetError
from gradsheet.core.messages import say
from gradsheet.core.optimizers import HYPER_DEFAULTS, OPTIMIZERS
from gradsheet.core.settings import Settings
from gradsheet.data.dataset import Dataset, lemonade, load
from gradsheet.data import presets
from gradsheet.excel import files
from gradsheet.headless import run_file, set_file
from gradsheet.sheets import compare, unrolled
from gradsheet.sheets.workbook import layout_for, model_X
from reference import three_feature_csv
from test_optimizers import reference as keras_update
from test_unrolled import assert_rows_follow, assert_sums, compare_columns, engine_sums, rowwise
from test_unrolled import sheet_charts

SHEET = {"ko": "최적화 비교", "en": "Optimizers"}


# --- an independent reference: Keras's forms, plain Python -------------------------------------
def keras_descent(X, y, theta, lr: float, eps: float, n: int, diff: str, name: str) -> tuple[list, list]:
    """n course steps from theta with a fresh state: the row-wise Loss in plain Python (a sum
    over the rows), the numerical slope, Keras's update per parameter; frozen past the limit
    as the sheet's guard. Returns the parameters and the Loss of each row."""
    rows, m = [[float(v) for v in r] for r in X], len(y)
    ys = [float(v) for v in y]

    def loss(th):
        return sum((sum(w * x for w, x in zip(th[:-1], r)) + th[-1] - t) ** 2 for r, t in zip(rows, ys)) / m

    def nudged(th, p, e):
        moved = list(th)
        moved[p] += e
        return loss(moved)
    th = [float(v) for v in theta]
    state = [{s: 0.0 for s in OPTIMIZERS[name].slots} for _ in th]
    limit = model.BLOWUP * max(loss(th), sum(t * t for t in ys) / m)
    params, losses = [], []
    for i in range(n):
        L = loss(th)
        params.append(list(th))
        losses.append(L)
        if L > limit:
            continue
        if diff == model.CENTRAL:
            g = [(nudged(th, p, eps) - nudged(th, p, -eps)) / (2 * eps) for p in range(len(th))]
        else:
            g = [(nudged(th, p, eps) - L) / eps for p in range(len(th))]
        for p in range(len(th)):  # every slope at the same point, then every update
            th[p], state[p] = keras_update(name, th[p], g[p], state[p], i, lr)
    return params, losses


# --- reading the engine -------------------------------------------------------------------------
def lane_values(doc, sheet: str, chain: unrolled.Chain, n: int) -> dict[str, np.ndarray]:
    """A lane's columns as the engine has them (error cells raise)."""
    first = xl_rowcol_to_cell(chain.head + 1, chain.left)
    last = xl_rowcol_to_cell(chain.head + n, chain.left + len(chain.columns) - 1)
    header = doc.cell(sheet, f"{xl_rowcol_to_cell(chain.head, chain.left)}:"
                             f"{xl_rowcol_to_cell(chain.head, chain.left + len(chain.columns) - 1)}")
    assert header == chain.columns
    body = np.array(doc.cell(sheet, f"{first}:{last}"), dtype=float).reshape(n, len(chain.columns))
    assert np.all(np.isfinite(body))
    return {name: body[:, c] for c, name in enumerate(chain.columns)}


def assert_race(doc, built, theta=None, lrs=None, references: bool = True) -> dict:
    """The table and every lane against the twin, row by row against their own formulas, and
    (references) against descend and the Keras reference. Returns the table's Loss columns."""
    d, s, st = built.dataset, built.settings, built.state
    X, y = model_X(d, s), d.y
    theta = st.theta if theta is None else np.asarray(theta, dtype=float)
    lrs = lrs or compare.learning_rates(X, y, s)
    layout = layout_for(d, s, st)
    sheet, n = SHEET[s.lang], s.compare
    header, body = doc.table_values("compare")  # raises on any error cell
    assert header == ["step", *compare.NAMES]
    table = np.array(body, dtype=float)
    assert table.shape == (n, 5) and np.all(np.isfinite(table))
    assert np.array_equal(table[:, 0], np.arange(n))
    twin_sums, exact, values = engine_sums(doc)
    assert_sums(values, X, y)
    assert doc.cell(sheet, "B5:E5") == [lrs[o] for o in compare.NAMES]
    limit = doc.cell(sheet, "B7")
    hyper = s.hyper
    out = {}
    for c, (o, chain) in enumerate(compare.lanes(layout).items(), start=1):
        opt = OPTIMIZERS[o]
        got = lane_values(doc, sheet, chain, n)
        assert np.array_equal(table[:, c], got["Loss"])  # the table shows the lane's Loss
        r = unrolled.rows(X, y, theta, lrs[o], s.eps, n, s.diff, opt, hyper, sums=twin_sums)
        assert limit == r.limit or abs(limit - r.limit) <= 1e-12 * r.limit
        want = {name: np.array([chain.row_values(r, i)[name] for i in range(n)]) for name in chain.columns}
        allow = cb.by_column(cb.chain_allowance(X, y, r, lrs[o], s.eps, s.diff, opt, hyper, exact).cells,
                             layout.params, opt)
        bad, _ = compare_columns(got, want, allow, f"{o} ")
        assert not bad, "\n".join(bad[:20])
        assert_rows_follow(got, chain, exact, lrs[o], s.eps, hyper, limit, f"{o} ")
        if references:
            assert_references(X, y, theta, lrs[o], s, o, got, hyper)
        out[o] = got
    return out


def assert_references(X, y, theta, lr, s, o, got, hyper) -> None:
    """The lane against descend and the Keras reference, both row-wise: within the rounding
    of the sums against the data and of the references' own sums of squares, propagated."""
    opt, n = OPTIMIZERS[o], len(got["Loss"])
    params = [q for q in got if re.fullmatch(r"W(_\d+)?|B", q)]
    theta_got = np.column_stack([got[q] for q in params])
    r = unrolled.rows(X, y, theta, lr, s.eps, n, s.diff, opt, hyper)
    allow = cb.chain_allowance(X, y, r, lr, s.eps, s.diff, opt, hyper, cb.sums_of(X, y), rowwise(X, y))
    # the engine is within the twin's bound of the twin, the references within this one
    room = allow.param[:n, :len(params)] + np.abs(theta_got - r.theta)
    loss_room = allow["Loss"] + np.abs(got["Loss"] - r.loss)
    run = descent.descend(X, y, theta, lr, s.eps, n, s.diff, optimizer=opt, hyper=hyper)
    m = len(run.history)
    assert np.all(np.abs(theta_got[:m] - run.history[:, :-1]) <= room[:m]), o
    assert np.all(np.abs(got["Loss"][:m] - run.history[:, -1]) <= loss_room[:m]), o
    if hyper == HYPER_DEFAULTS:  # the Keras reference takes Keras's defaults
        k_params, k_loss = keras_descent(X, y, theta, lr, s.eps, n, s.diff, o)
        assert np.all(np.abs(theta_got - np.array(k_params)) <= room), o
        assert np.all(np.abs(got["Loss"] - np.array(k_loss)) <= loss_room), o


def housing(tmp_path):
    options = presets.read(presets.find("housing"))
    data = options.pop("data")
    return make(data, tmp_path / "housing.xlsx", **{k: v for k, v in options.items() if k != "title"})


@pytest.fixture(params=["lemonade", "three", "three-central-en", "housing"])
def built(request, tmp_path):
    if request.param == "lemonade":
        return make(None, tmp_path / "lemonade.xlsx")
    if request.param == "housing":
        return housing(tmp_path)
    data = three_feature_csv(tmp_path / "three.csv")
    if request.param == "three":
        return make(data, tmp_path / "three.xlsx", lr=0.0005)
    return make(data, tmp_path / "three.xlsx", lr=0.0005, diff="central", lang="en")


def test_the_race_equals_each_optimizers_descent(libreoffice, built):
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        lanes = assert_race(doc, built)
    for o, got in lanes.items():  # every lane makes progress and none stops
        # RMSprop's calm default crawls where a faster one would jitter chaotically (housing: 34 → 25,
        # see compare.py's notes); the other lanes fall tenfold at least
        assert got["Loss"][-1] < got["Loss"][0] / (1.2 if o == "rmsprop" else 10), o


def test_changing_w_b_and_an_lr_cell_recalculates_the_race(libreoffice, built):
    d, s = built.dataset, built.settings
    layout = layout_for(d, s, built.state)
    theta = built.state.theta + np.linspace(0.3, -0.2, d.k + 1)
    lrs = dict(compare.learning_rates(model_X(d, s), d.y, s), adam=0.02, momentum=0.0004)
    with libreoffice.open(built.path) as doc:
        for q, v in zip(layout.params, theta):
            doc.set_named(q, float(v))
        doc.set_named("lr_adam", 0.02)
        doc.set_named("lr_momentum", 0.0004)
        doc.recalc()
        assert_race(doc, built, theta=theta, lrs=lrs)


def test_the_lr_of_the_training_sheet_drives_the_gd_lane(libreoffice, tmp_path):
    """lr_gd holds =lr: the gd lane is the course's descent, whatever lr the students set;
    a hyperparameter changed on the training sheet moves its lane too."""
    built = make(None, tmp_path / "l.xlsx")
    lrs = dict(compare.learning_rates(built.dataset.X, built.dataset.y, built.settings), gd=0.0015)
    with libreoffice.open(built.path) as doc:
        doc.set_named("lr", 0.0015)
        doc.set_named("beta", 0.5)
        doc.recalc()
        built = SimpleNamespace(dataset=built.dataset, state=built.state, settings=Settings(lr=0.0015, beta=0.5))
        assert_race(doc, built, lrs=lrs, references=False)


def test_a_diverging_lr_leaves_every_cell_finite(libreoffice, tmp_path):
    built = make(None, tmp_path / "d.xlsx", lr_gd=0.05, lr_momentum=1.0, lr_adam=1000.0)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        lanes = assert_race(doc, built)
    limit = unrolled.limit_of(built.dataset.y, lanes["gd"]["Loss"][0])
    for o in ("gd", "momentum"):  # past the limit the lane stands still
        loss = lanes[o]["Loss"]
        past = int(np.argmax(loss > limit))
        assert 0 < past < 20 and np.all(lanes[o]["W"][past:] == lanes[o]["W"][past]), o
    assert lanes["rmsprop"]["Loss"][-1] < lanes["rmsprop"]["Loss"][0] / 10
    wb = openpyxl.load_workbook(built.path, data_only=True)
    stored = [c.value for row in wb["최적화 비교"].iter_rows(min_row=10) for c in row if c.value is not None]
    assert len(stored) > 100 * 50
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in stored)


@pytest.mark.parametrize("case", ["lemonade", "three-adam"])
def test_gnumeric_calculates_the_same_race(gnumeric, tmp_path, case):
    """A second engine: Gnumeric recalculates the workbook (ssconvert --recalc) and its race and
    'All steps' table meet the same checks as LibreOffice's."""
    if case == "lemonade":
        built = make(None, tmp_path / "g.xlsx")
    else:
        built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "g.xlsx", lr=0.05, optimizer="adam")
    out = tmp_path / "recalculated.xlsx"
    subprocess.run([gnumeric, "--recalc", str(built.path), str(out)], check=True, capture_output=True)
    doc = GnumericBook(out)
    assert_race(doc, built)
    from test_unrolled import assert_table
    assert_table(doc, built)


class GnumericBook:
    """The few reads the checks make, from a workbook Gnumeric recalculated and saved."""

    def __init__(self, path):
        with warnings.catch_warnings():  # Gnumeric's file has no default style: openpyxl says so
            warnings.simplefilter("ignore")
            self.wb = openpyxl.load_workbook(path, data_only=True)
        self.names = {n: d.attr_text for n, d in self.wb.defined_names.items()}

    def sheet_names(self):
        return self.wb.sheetnames

    def cell(self, sheet, ref):
        cells = self.wb[sheet][ref]
        if not isinstance(cells, tuple):
            return cells.value
        rows = [[c.value for c in row] for row in cells]
        return rows[0] if len(rows) == 1 else [r[0] for r in rows] if all(len(r) == 1 for r in rows) else rows

    def named(self, name):
        sheet, ref = self.names[name].rsplit("!", 1)
        return self.cell(sheet.strip("'"), ref.replace("$", ""))

    def table_values(self, name):
        for ws in self.wb.worksheets:
            if name in ws.tables:
                rows = [[c.value for c in row] for row in ws[ws.tables[name].ref]]
                return rows[0], rows[1:]
        # Gnumeric drops the tables (ListObjects) on saving: the ranges gradsheet wrote them at
        book = {"compare": (SHEET["ko"], "A9:E109"), "unrolled": ("전체 과정", None)}[name]
        ws = self.wb[book[0]]
        if name == "unrolled":
            last = max(c.column for c in ws[8] if c.value is not None)
            rows = [[c.value for c in row[:last]] for row in ws.iter_rows(min_row=8, max_row=8 + 100)]
            return rows[0], rows[1:]
        rows = [[c.value for c in row] for row in ws[book[1]]]
        return rows[0], rows[1:]


# --- the numbers, without an engine --------------------------------------------------------------
def lesson_cases(tmp_path) -> dict:
    """The presets (lemonade, housing, iris, exam) and a 3-feature table raw and standardised:
    (dataset, settings) as `gradsheet build` makes them."""
    three = load(three_feature_csv(tmp_path / "three.csv"))
    cases = {}
    for name in ("lemonade", "housing", "iris", "exam"):
        options = presets.read(presets.find(name))
        data = options.pop("data")
        options.pop("title", None)
        d = load(None if data == "lemonade" else data, target=options.pop("target", None),
                 features=options.pop("features", None), model=options.get("model"), classes=options.pop("classes", None))
        options["model"], options["classes"] = d.model, tuple(d.classes)
        cases[name] = (d, Settings(**options))
    cases["three"] = (three, Settings(lr=0.0005))
    cases["three scaled"] = (three, Settings(lr=0.05, scale="standard"))
    return cases


def keras_drift(X, y, theta, lr, eps, n, diff, name) -> float:
    """The Keras reference's own one-ulp drift (plain Python, row-wise sums: independent of
    compare.drift, the same moves: the start one ulp up, one down, lr one ulp up); parameters
    relative to their column's size, the Loss relative to itself, the largest over the rows."""
    a_p, a_l = (np.array(v) for v in keras_descent(X, y, theta, lr, eps, n, diff, name))
    worst = 0.0
    for start, rate in ((np.nextafter(theta, np.inf), lr), (np.nextafter(theta, -np.inf), lr),
                        (theta, float(np.nextafter(lr, np.inf)))):
        b_p, b_l = (np.array(v) for v in keras_descent(X, y, start, rate, eps, n, diff, name))
        worst = max(worst, float(np.max(np.abs(a_p - b_p) / np.max(np.abs(a_p), axis=0))),
                    float(np.max(np.abs(a_l - b_l) / a_l)))
    return worst


def test_default_learning_rates_are_calm_and_make_a_lesson(tmp_path):
    """Every preset and a table of one's own (raw and standardised): the default lanes, from
    the seeded start the workbook has, are calm (one ulp of the start or lr moves no row by
    more than CHAOS_DRIFT), none reaches the divergence limit, and each ends lower than it
    starts; a regression's gd, momentum and Adam lanes fall by more than 100×. Each default is
    the largest round lr at or under the size rule that is calm: the round value above it
    (when the size rule allowed one) is chaotic or does not fall. Run with -s to see the table."""
    report = []
    for name, (d, s) in lesson_cases(tmp_path).items():
        X = model_X(d, s)
        start = compare.reference_start(X, s)
        assert np.array_equal(start, fresh_state(d, s, s.seed).theta)  # the workbook's own start
        lrs, upper = compare.learning_rates(X, d.y, s), compare.upper_lrs(X, d.y, s)
        assert lrs["gd"] == s.lr
        for o in compare.NAMES:
            lane = compare.lane_rows(X, d.y, s, start, lrs[o], o)
            moved = compare.drift(X, d.y, s, start, lrs[o], o)
            assert moved <= compare.CHAOS_DRIFT, (name, o, moved)
            assert np.all(lane.loss <= lane.limit) and lane.loss[-1] < lane.loss[0], (name, o)
            if s.model == "linear" and o != "rmsprop":
                assert lane.loss[-1] < lane.loss[0] / 100, (name, o)
            if o != "gd" and lrs[o] < upper[o]:  # the round value above was refused
                above = min(m * 10.0 ** e for e in range(-6, 4) for m in (1, 2, 5) if m * 10.0 ** e > lrs[o] * 1.001)
                bigger = compare.lane_rows(X, d.y, s, start, above, o)
                assert compare.drift(X, d.y, s, start, above, o) > compare.CHAOS_DRIFT or \
                    not bigger.loss[-1] < bigger.loss[0], (name, o, above)
            report.append(f"{name:12s} {o:9s} size rule {upper[o]:<7g} default {lrs[o]:<7g} drift {moved:.1e} "
                          f"Loss {lane.loss[0]:.4g} -> {lane.loss[-1]:.4g}")
    print("\n".join(report))
    assert compare.default_lrs(lemonade().X, lemonade().y, Settings()) == \
        {"gd": 0.001, "momentum": 0.001, "rmsprop": 0.05, "adam": 0.1}


def test_the_drift_measure_agrees_with_the_keras_reference(tmp_path):
    """compare.drift against the plain-Python Keras descent's own drift: the lemonade lanes at
    their defaults are calm in both (under CHAOS_DRIFT; the reference, whose row-wise sums round
    a Loss near the answer less finely, under the 1e-9 the engines must agree to; measured: its
    momentum lane 1.6e-10, ours 5.8e-11), and RMSprop at the old size rule's 0.1,
    the lane that showed 924 different cells in LibreOffice and Gnumeric, is chaotic in both
    (a drift the size of the lane: over 1e-3)."""
    d, s = lemonade(), Settings()
    start = compare.reference_start(d.X, s)
    lrs = compare.learning_rates(d.X, d.y, s)
    for o in compare.NAMES:
        ours, theirs = compare.drift(d.X, d.y, s, start, lrs[o], o), keras_drift(d.X, d.y, start, lrs[o], s.eps, 100,
                                                                                 s.diff, o)
        assert ours <= compare.CHAOS_DRIFT and theirs <= 1e-9, (o, ours, theirs)
    assert compare.drift(d.X, d.y, s, start, 0.1, "rmsprop") > 1e-3
    assert keras_drift(d.X, d.y, start, 0.1, s.eps, 100, s.diff, "rmsprop") > 1e-3


def note_of(path, sheet: str) -> str:
    return openpyxl.load_workbook(path)[sheet]["A3"].value


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_chaotic_lr_is_said_on_the_sheet_and_on_the_command_line(tmp_path, lang):
    """lr_rmsprop 0.1 on lemonade: one line under the race's notes, in the workbook's
    language, and a warning from the catalogue; the defaults get neither."""
    from gradsheet.core.texts import texts
    t = texts(lang)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults: no warning at all
        calm = make(None, tmp_path / "calm.xlsx", lang=lang)
    sheet = layout_for(calm.dataset, calm.settings, calm.state).sheet
    assert note_of(calm.path, SHEET[lang]) == t["compare_note2"].format(sheet=sheet)
    with pytest.warns(UserWarning) as caught:
        chaotic = make(None, tmp_path / "chaotic.xlsx", lang=lang, lr_rmsprop=0.1)
    said = [w.message for w in caught if getattr(w.message, "key", "") == "build.race_chaotic"]
    assert len(said) == 1 and said[0].render(lang) == say("build.race_chaotic", lang, names="rmsprop (lr 0.1)")
    note = note_of(chaotic.path, SHEET[lang]).split("\n")
    assert note[1:] == [t["compare_chaos"].format(names="rmsprop (lr 0.1)")]
    assert ("혼돈" if lang == "ko" else "chaotic") in note[1]


def test_a_calm_lr_a_student_types_gets_no_note(tmp_path):
    """An lr of one's own that keeps the lane calm (RMSprop 0.02 on lemonade) adds nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = make(None, tmp_path / "x.xlsx", lr_rmsprop=0.02)
    assert "\n" not in note_of(built.path, SHEET["ko"])


def test_round_down():
    assert [model.round_below(v) for v in (0.0019, 0.001, 0.49, 0.5, 7.3, 1e-7 * 3)] == \
        [0.001, 0.001, 0.2, 0.5, 5.0, 2e-7]


def test_the_lr_cells_survive_a_rewrite(tmp_path):
    """`gradsheet run` rewrites the whole workbook: the race's lr cells come back as they were
    (a typed number stays, a derived default stays derived, lr_gd keeps following lr)."""
    built = make(None, tmp_path / "l.xlsx", lr_momentum=0.0005, lr_adam=0.05)
    run_file(built.path, 3)
    book = files.read(built.path)
    assert (book.settings.lr_gd, book.settings.lr_momentum, book.settings.lr_rmsprop, book.settings.lr_adam) == \
        (None, 0.0005, None, 0.05)
    ws = openpyxl.load_workbook(built.path)["최적화 비교"]
    assert [ws[c].value for c in ("B5", "C5", "D5", "E5")] == ["=lr", 0.0005, 0.05, 0.05]
    set_file(built.path, lr=0.0015)  # the gd lane follows the new lr, in the stored values too
    wb = openpyxl.load_workbook(built.path, data_only=True)
    book = files.read(built.path)
    r = compare.race(book.dataset.X, book.dataset.y, book.settings, book.state)
    assert wb["최적화 비교"]["B5"].value == 0.0015
    assert [wb["최적화 비교"].cell(10 + i, 2).value for i in range(100)] == list(r["gd"].loss)


def test_a_bad_lr_cell_is_named():
    class Grid:
        def name_range(self, name):
            return ("Optimizers", 4, 3, 1, 1) if name == "lr_rmsprop" else None

        def read(self, sheet, row, col, nrows, ncols):
            return [["fast"]]
    with pytest.raises(GradsheetError) as refused:
        files.race_lrs(Grid())
    assert refused.value.render("en") == "lr_rmsprop (Optimizers!D5) holds 'fast', not a positive number"
    with pytest.raises(GradsheetError) as refused:
        Settings(lr_adam=-1.0)
    assert refused.value.render("en") == "lr_adam must be a positive number, got -1.0"


def test_the_sheet_table_names_and_chart(tmp_path):
    built = make(None, tmp_path / "x.xlsx", lang="en", compare=20)
    wb = openpyxl.load_workbook(built.path)
    ws = wb["Optimizers"]
    assert ws["A1"].value == "Optimizers: 20 steps from the current W, B with each of four methods"
    assert ws.tables["compare"].ref == "A9:E29"
    assert [c.value for c in ws[9]][:5] == ["step", "gd", "momentum", "rmsprop", "adam"]
    names = wb.defined_names
    assert {n: names[f"lr_{n}"].attr_text for n in compare.NAMES} == \
        {"gd": "'Optimizers'!$B$5", "momentum": "'Optimizers'!$C$5", "rmsprop": "'Optimizers'!$D$5",
         "adam": "'Optimizers'!$E$5"}
    chart, = sheet_charts(built.path, "Optimizers")
    assert chart.count("<c:ser>") == 4 and '<c:logBase val="10"/>' in chart
    for c in "BCDE":
        assert f"$B$10:$B$29".replace("B", c) in chart
    assert ws.print_area == "'Optimizers'!$A$1:$O$29"


def test_the_lane_formulas(tmp_path):
    built = make(None, tmp_path / "x.xlsx", compare=3)
    layout = layout_for(built.dataset, built.settings, built.state)
    ws = openpyxl.load_workbook(built.path)["최적화 비교"]
    lanes = compare.lanes(layout)
    assert ws["B10"].value == f"={lanes['gd'].ref('Loss', 10)}" and ws["E12"].value == f"={lanes['adam'].ref('Loss', 12)}"
    assert ws["B7"].value == "=1000000*MAX($B$10,SUMSQ(y)/ROWS(y))"
    assert ws["B6"].value == "=B12"  # the Loss in the last row
    for o, chain in lanes.items():
        f = {name: ws[chain.ref(name, 10)].value for name in chain.columns}
        f1 = {name: ws[chain.ref(name, 11)].value for name in chain.columns}
        assert f["W"] == "=W" and f1["W"] == f"={chain.ref('next_W', 10)}"
        assert ws.cell(8, chain.left + 1).value.startswith(f"{o}: ")
        ref = chain.rule_refs("W", 10)
        assert ref["lr"] == f"lr_{o}"
        assert f["next_W"] == f"=IF({chain.ref('Loss', 10)}>$B$7,{chain.ref('W', 10)}," \
                              f"{OPTIMIZERS[o].next_param.formula(ref)[1:]})"
        for s in OPTIMIZERS[o].slots:  # a fresh state: zeros, then the next state of the row above
            assert f[f"{s}_W"] == 0 and f1[f"{s}_W"] == f"={chain.ref(f'next_{s}_W', 10)}"
        if o == "adam":
            assert f["t"] == 0 and f1["t"] == f"={chain.ref('t', 10)}+1"


def test_compare_zero_leaves_it_out(tmp_path):
    built = make(None, tmp_path / "x.xlsx", compare=0)
    wb = openpyxl.load_workbook(built.path)
    assert "최적화 비교" not in wb.sheetnames
    assert not [n for n in wb.defined_names if n.startswith(("lr_", "race_"))]
    rules = wb["손실 지형"].conditional_formatting._cf_rules[next(iter(wb["손실 지형"].conditional_formatting._cf_rules))]
    # four markers and the colour scale (and the rule that keeps a tiny negative log10 from reading -0.0)
    assert len([r for r in rules if not (r.formula and r.formula[0].startswith("AND(B13<0,"))]) == 5
    assert files.read(built.path).settings.compare == 0
    wb = openpyxl.load_workbook(make(None, tmp_path / "y.xlsx", compare=0, unrolled=0, landscape=("none",)).path)
    assert wb.sheetnames == ["학습", "설명", "gradsheet"]  # no derived sheet: no sums either


def test_size_rules_keep_every_sheet_for_ten_thousand_rows():
    """The sums make a derived row cost the same for any n: 10,000 rows × 5 keep 100 rows of
    'All steps' and of the race and the landscape; only sums too costly for the budget (half
    a million rows × 5) leave the derived sheets out, and hundreds of features shorten them."""
    def sized(n, k, **options):
        return sized_defaults(Dataset("b", tuple(f"f{j}" for j in range(k)), "y", np.zeros((n, k)), np.zeros(n)),
                              options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sized(10_000, 5) == {"unrolled": 100, "compare": 100}
        assert sized(1_000_000, 1) == {"unrolled": 100, "compare": 100}
    with pytest.warns(UserWarning, match="시트를 뺐습니다") as caught:  # Korean: the default language
        assert sized(500_000, 5, unrolled=30) == {"unrolled": 30, "compare": 0, "landscape": ("none",)}
    said = caught[0].message.render("en")
    assert said.startswith("the '최적화 비교', '손실 지형' sheets are left out")  # the sheets' own names
    assert "--compare 100, --landscape W_1,B" in said and "전체 과정" not in said
    with pytest.warns(UserWarning, match="60행입니다"):
        assert sized(100, 250) == {"unrolled": 60, "compare": 60}


def test_the_race_learning_rates_from_the_command_line(tmp_path):
    """`gradsheet build --lr-rmsprop 0.1` writes that lr into the race, says on stderr that the
    lane is chaotic, and a rate that is not positive is refused naming the option."""
    from click.testing import CliRunner
    from gradsheet.cli import main
    out = tmp_path / "r.xlsx"
    done = CliRunner().invoke(main, ["build", "-o", str(out), "--lang", "en", "--lr-rmsprop", "0.1",
                                     "--lr-adam", "0.05"])
    assert done.exit_code == 0, done.output
    assert done.stderr == "gradsheet: warning: " + say("build.race_chaotic", "en", names="rmsprop (lr 0.1)") + "\n"
    ws = openpyxl.load_workbook(out)["Optimizers"]
    assert [ws[c].value for c in ("B5", "C5", "D5", "E5")] == ["=lr", 0.001, 0.1, 0.05]
    for bad in ("-1", "0", "nan"):
        refused = CliRunner().invoke(main, ["build", "-o", str(tmp_path / "x.xlsx"), "--lang", "en", "--lr-momentum", bad])
        assert refused.exit_code == 2 and refused.stderr == \
            f"gradsheet: error: --lr-momentum must be a positive number, got {float(bad)!r}\n"
        assert not (tmp_path / "x.xlsx").exists()
