"""Hidden-layer workbooks (issue 19) against the independent reference (hidden_reference.py):
LibreOffice recalculates every named cell (Loss, Loss_P, grad_P, exact_grad_P, fd_error_P,
next_P) and every row column (zh_j, a_j, the output, dzh_j) at the start, after steps and with
the parameters scaled far out (no error cell anywhere); `gradsheet run -n N` equals a plain
forward-difference descent; the engine knows the network from the names and the settings sheet."""

from __future__ import annotations

import numpy as np
import pytest

import hidden_reference as ref
from gradsheet.build import make
from gradsheet.core import live as book
from gradsheet.core import steps
from gradsheet.excel import files
from gradsheet.sheets.workbook import model_X
from libreoffice_grid import LibreOfficeGrid
from shared_builds import built_copy
from test_edge_tables import error_cells as all_error_cells


def error_cells(doc) -> list[str]:
    """Every error cell but the prediction map's: there a class's column (heading class_c) is
    #N/A by design where another class is predicted (a point the chart leaves out)."""
    import re
    from gradsheet.sheets.network_map import HEAD_ROW
    out = []
    for e in all_error_cells(doc):
        m = re.match(r"\$'?(.+?)'?\.\$([A-Z]+)\$\d+ (.*)$", e)
        sheet, col, text = m.groups()
        if text == "#N/A" and sheet in ("신경망 차트", "Network charts") and \
                str(doc.cell(sheet, f"{col}{HEAD_ROW + 1}")).startswith("class_"):
            continue
        out.append(e)
    return out


def _table(kind: str) -> str:
    rng = np.random.default_rng(7)
    if kind == "xor":
        return "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
    if kind.startswith("curve"):  # one input, a bend
        xs = np.round(np.linspace(-2, 2, 13), 3)
        return "x,y\n" + "".join(f"{x},{round(x * x - 1, 3)}\n" for x in xs)
    if kind == "logistic_sigmoid":
        X = np.round(rng.normal(size=(20, 2)), 2)
        return "a,b,c\n" + "".join(f"{a},{b},{'in' if a * a + b * b < 1 else 'out'}\n" for a, b in X)
    X = np.round(rng.normal(size=(30, 2)), 2)  # three classes by angle
    names = ["left", "up", "right"]
    return "u,v,kind\n" + "".join(f"{a},{b},{names[int((np.arctan2(b, a) + np.pi) / (2 * np.pi / 3)) % 3]}\n"
                                  for a, b in X)


# kind -> (hidden units, activation, options)
KINDS = {
    "xor": (2, "tanh", {"classes": "0,1"}),
    "curve": (3, "tanh", {}),
    "curve_swish": (2, "swish", {}),
    "logistic_sigmoid": (2, "sigmoid", {}),
    "softmax_relu": (3, "relu", {}),
}


def build(kind: str, folder):
    def make_into(own):
        data = own / f"{kind}.csv"
        data.write_text(_table(kind), encoding="utf-8")
        H, activation, options = KINDS[kind]
        with pytest.warns(UserWarning):
            return make(data, own / f"{kind}.xlsx", hidden=H, activation=activation, lang="en", **options)
    return built_copy(f"hidden-{kind}", folder, make_into)


def shape(built):
    s, d = built.settings, built.dataset
    return model_X(d, s), d.y, s.model, s.hidden, s.activation, len(s.classes)


def size_of(want, y) -> float:
    """The size of the numbers Loss and Loss_P are made of (their rounding is relative to it)."""
    return 1 + want["Loss"] + float(np.mean((np.abs(want["Z"]).max(axis=1) + np.abs(y)) ** 2))


def assert_sheet_matches(doc, layout, X, y, theta, eps, kind, H, activation, C):
    want = ref.expected(X, y, theta, eps, kind, H, activation, C)
    size = size_of(want, y)
    assert doc.named("Loss") == pytest.approx(want["Loss"], rel=1e-9, abs=1e-14)
    for i, name in enumerate(layout.params):
        assert doc.named(f"Loss_{name}") == pytest.approx(want["plus"][i], rel=0, abs=1e-12 * size), name
        assert doc.named(f"grad_{name}") == pytest.approx(want["grad"][i], rel=0, abs=1e-12 * size / eps), name
        assert doc.named(f"exact_grad_{name}") == pytest.approx(want["exact"][i], rel=0, abs=1e-12 * size), name
        assert doc.named(f"fd_error_{name}") == pytest.approx(want["grad"][i] - want["exact"][i], rel=0,
                                                            abs=2e-12 * size / eps), name
    for j in range(H):
        for column, values in ((f"zh_{j + 1}", want["Zh"][:, j]), (f"a_{j + 1}", want["A"][:, j]),
                               (f"dzh_{j + 1}", want["D"][:, j])):
            got = np.array(doc.named(column), dtype=float).ravel()
            assert np.allclose(got, values, rtol=1e-12, atol=1e-12 * size), column
    outputs = {"linear": ["h"], "logistic": ["z"]}.get(kind, [f"z_{c + 1}" for c in range(C)])
    for c, column in enumerate(outputs):
        got = np.array(doc.named(column), dtype=float).ravel()
        assert np.allclose(got, want["Z"][:, c], rtol=1e-12, atol=1e-12 * size), column


def assert_network_sheet_matches(doc, layout, X, y, theta, kind, H, activation, C):
    """The charts' helper sheet: the network on its grid of inputs, as the reference computes it."""
    from xlsxwriter.utility import xl_col_to_name
    from gradsheet.sheets import network_map
    if not (network_map.shows_map(layout) or network_map.shows_curve(layout)):
        return
    grid = network_map.Grid(layout, X, y)
    _, A, Z = ref.forward(grid.points, theta, layout.k, H, ref.outputs_of(kind, C), activation)
    sheet = network_map.sheet_name("en" if layout.sheet == "Train" else "ko")
    first, last = network_map.FIRST + 1, grid.last + 1

    def column(name):
        col = xl_col_to_name(grid.columns[name])
        return np.array(doc.cell(sheet, f"{col}{first}:{col}{last}", strict=False), dtype=object).ravel()
    outputs = {"linear": ["h"], "logistic": ["z"]}.get(kind, [f"z_{c + 1}" for c in range(C)])
    for c, name in enumerate(outputs):
        assert np.allclose(column(name).astype(float), Z[:, c], rtol=1e-12, atol=1e-12), name
    for j in range(H):
        assert np.allclose(column(f"a_{j + 1}").astype(float), A[:, j], rtol=1e-12, atol=1e-12)
    if network_map.shows_map(layout):
        pred = (Z[:, 0] >= 0).astype(int) if kind == "logistic" else np.argmax(Z, axis=1)
        assert np.array_equal(column("pred").astype(float), pred)
        for c in range(layout.n_classes):
            got = column(f"class_{c + 1}")
            shown = np.array([isinstance(v, float) for v in got])
            assert np.array_equal(shown, pred == c)
            assert np.allclose(got[shown].astype(float), grid.points[pred == c, 1], rtol=1e-15, atol=0)


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", KINDS)
def test_every_named_cell_and_column_equals_the_reference_also_far_out(libreoffice, tmp_path, kind):
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    layout = files.read(built.path).layout
    assert layout.hidden == H and layout.activation == activation
    theta, eps = built.state.theta, built.settings.eps
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_sheet_matches(doc, layout, X, y, theta, eps, model, H, activation, C)
        assert_network_sheet_matches(doc, layout, X, y, theta, model, H, activation, C)
        assert error_cells(doc) == []
        for scale in (30, 1000):
            for name, value in zip(layout.params, scale * theta):
                doc.set_named(name, float(value))
            doc.recalc()
            assert error_cells(doc) == [], scale
            assert_sheet_matches(doc, layout, X, y, scale * theta, eps, model, H, activation, C)
            assert_network_sheet_matches(doc, layout, X, y, scale * theta, model, H, activation, C)


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["xor", "curve"])
def test_after_steps_and_hand_actions_in_libreoffice(libreoffice, tmp_path, kind):
    """The engine in LibreOffice: 25 whole steps, then one step action by action (which
    recalculates between presses): the sheet still equals the reference, and the path is the
    reference descent's."""
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    s = built.settings
    with libreoffice.open(built.path) as doc:
        grid = LibreOfficeGrid(doc)
        live = book.load(grid)
        assert live.layout.hidden == H and live.problem.hidden == H
        steps.check_book(live.problem, live.state, live.book_loss)
        out = steps.run(live.problem, live.state, 25)
        book.save(grid, live, out.state)
        doc.recalc()
        live = book.load(grid)
        for _ in live.problem.actions():
            steps.check_book(live.problem, live.state, live.book_loss)
            book.save(grid, live, steps.act(live.problem, live.state))
            doc.recalc()
            live = book.load(grid)
        assert live.state.action == 0 and len(live.state.history) == 26
        want = ref.descent(X, y, built.state.theta, s.lr, s.eps, 26, model, H, activation, C)
        assert np.allclose(live.state.theta, want, rtol=0, atol=1e-9)
        assert_sheet_matches(doc, live.layout, X, y, live.state.theta, s.eps, model, H, activation, C)


@pytest.mark.parametrize("kind", KINDS)
def test_run_n_equals_the_reference_descent(tmp_path, kind):
    from click.testing import CliRunner
    from gradsheet.cli import main
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    result = CliRunner().invoke(main, ["run", str(built.path), "-n", "60"])
    assert result.exit_code == 0, result.output
    after = files.read(built.path)
    assert after.settings.hidden == H and after.settings.activation == activation
    want = ref.descent(X, y, built.state.theta, built.settings.lr, built.settings.eps, 60, model, H, activation, C)
    # each slope is a difference of two losses over eps, summed in other orders: ~1e-16·Loss/eps
    assert np.allclose(after.state.theta, want, rtol=0, atol=1e-9)
    assert after.state.history[0, -1] == pytest.approx(
        ref.loss(X, y, built.state.theta, model, H, activation, C), rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_the_stored_values_are_the_reference(tmp_path, kind):
    """What a reader that does not recalculate shows (pandas, previews): the model's numbers."""
    import openpyxl
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    layout = files.read(built.path).layout
    want = ref.expected(X, y, built.state.theta, built.settings.eps, model, H, activation, C)
    size = size_of(want, y)
    wb = openpyxl.load_workbook(built.path, data_only=True, read_only=True)
    ws = wb[layout.sheet]

    def value(name):
        r, c = layout.cell(name)
        return ws.cell(r + 1, c + 1).value
    assert value("Loss") == pytest.approx(want["Loss"], rel=1e-12)
    for i, name in enumerate(layout.params):
        assert value(f"Loss_{name}") == pytest.approx(want["plus"][i], rel=0, abs=1e-13 * size), name
        assert value(f"exact_grad_{name}") == pytest.approx(want["exact"][i], rel=0, abs=1e-13 * size), name
    first = layout.first_row + 1
    for j in range(H):
        col = layout.columns[f"dzh_{j + 1}"] + 1
        got = [ws.cell(first + r, col).value for r in range(layout.n)]
        assert np.allclose(got, want["D"][:, j], rtol=1e-12, atol=1e-13 * size)
    wb.close()


def test_two_hidden_units_never_start_equal():
    from gradsheet.core.network import distinct_units
    from gradsheet.core.settings import initial_theta
    # one input, many units: a hundred seeds, each start's units all differ
    for seed in range(100):
        theta = initial_theta(1, seed, 3 * 8 + 1, hidden=8)
        assert distinct_units(theta, 1, 8), seed
    assert not distinct_units(np.array([0.5, 0.5, 0.1, 0.1, 1, 1, 0]), 1, 2)


def test_names_never_look_like_cells_and_the_parameters_are_in_order(tmp_path):
    import re
    built = build("softmax_relu", tmp_path)
    layout = files.read(built.path).layout
    assert layout.params[:3] == ["Wh_1_1", "Wh_2_1", "Wh_1_2"]
    assert layout.params[-4:] == ["Wo_3_3", "Bo_1", "Bo_2", "Bo_3"]
    cellish = re.compile(r"^(?:[A-Za-z]{1,3}\d+|[RrCc]\d*|[Rr]\d*[Cc]\d*)$")
    for name in layout.defined_names():
        assert not cellish.match(name), name


def test_exercise_and_derived_sheets_are_refused_in_one_line(tmp_path):
    from click.testing import CliRunner
    from gradsheet.cli import main
    data = tmp_path / "xor.csv"
    data.write_text(_table("xor"), encoding="utf-8")
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n1,A\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["exercise", str(data), "--roster", str(roster), "-o", str(tmp_path / "ex"),
                                       "--hidden", "2", "--lang", "en"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "gradsheet: error: exercises for a model with a hidden layer (--hidden) cannot be made yet: "
        "build a workbook with gradsheet build --hidden instead"]
    assert not (tmp_path / "ex").exists()
    classes = tmp_path / "three.csv"
    classes.write_text(_table("softmax_relu"), encoding="utf-8")
    for source, option, value, says in ((classes, "--unrolled", "10", "leave out --unrolled"),
                                        (data, "--landscape", "W,B", "Wh_1_1, Wh_2_1, …, Wo_2, Bo")):
        result = CliRunner().invoke(main, ["build", str(source), "--hidden", "2", option, value, "--lang", "en",
                                           "-o", str(tmp_path / "x.xlsx")])
        errors = [line for line in result.output.splitlines() if line.startswith("gradsheet: error:")]
        assert result.exit_code == 2 and len(errors) == 1 and "Traceback" not in result.output, result.output
        assert says in errors[0], errors[0]
        assert not (tmp_path / "x.xlsx").exists()
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_gnumeric_agrees_with_libreoffice_on_every_formula_cell(gnumeric, libreoffice, tmp_path, kind):
    """A second engine: the parameters 30× their start written into the file, every formula
    cell's stored value made stale; Gnumeric's recalculation equals LibreOffice's cell for cell,
    and its named cells equal the reference. (Gnumeric would take TANH, EXP or LN of a column
    inside a plain SUMPRODUCT at one cell: Loss_P is entered as an array formula.)"""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula
    from test_gnumeric import STALE, recalculate, sheet_xml, with_values
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    layout = files.read(built.path).layout
    theta = 30 * built.state.theta
    ws = openpyxl.load_workbook(built.path)[layout.sheet]
    values = openpyxl.load_workbook(built.path, data_only=True)[layout.sheet]
    formulas = [c.coordinate for row in ws.iter_rows() for c in row
                if (isinstance(c.value, ArrayFormula) or (isinstance(c.value, str) and c.value.startswith("=")))
                and isinstance(values[c.coordinate].value, (int, float))
                and "RAND" not in str(getattr(c.value, "text", c.value))]  # init_P: random by design
    assert len(formulas) > 4 * layout.n * H
    edited, out = tmp_path / "edited.xlsx", tmp_path / "gnumeric.xlsx"
    with_values(built.path, edited, sheet_xml(built.path, layout.sheet),
                {**{layout.a1(P).replace("$", ""): v for P, v in zip(layout.params, theta)},
                 **{ref_: STALE for ref_ in formulas}})
    recalculate(gnumeric, edited, out)
    theirs = openpyxl.load_workbook(out, data_only=True)[layout.sheet]
    want = ref.expected(X, y, theta, built.settings.eps, model, H, activation, C)
    size = size_of(want, y)
    with libreoffice.open(edited) as doc:
        doc.recalc()
        assert error_cells(doc) == []
        sheet = doc.model.Sheets.getByName(layout.sheet)
        for coordinate in formulas:
            got = theirs[coordinate].value
            assert isinstance(got, (int, float)) and got != STALE, coordinate
            cell = sheet.getCellRangeByName(coordinate)
            # grad_P and fd_error_P are differences of losses over eps: ~1e-12·size/eps apart
            assert got == pytest.approx(cell.getValue(), rel=1e-9, abs=1e-12 * size / built.settings.eps), coordinate
        # the other sheets ('All steps', the network charts' grid): every number in both engines
        book_ = openpyxl.load_workbook(out, data_only=True)
        others = [name for name in book_.sheetnames if name not in (layout.sheet, "Guide", "gradsheet")]
        compared = 0
        for name in others:
            sheet_ = doc.model.Sheets.getByName(name)
            for row in book_[name].iter_rows():
                numbers = [c for c in row if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
                # a step's slopes are differences of its losses over eps: their rounding is
                # ~1e-12 of the row's largest number (its Loss) over eps; the chain then carries it
                scale = max((abs(c.value) for c in numbers), default=0.0)
                for c in numbers:
                    mine = sheet_.getCellByPosition(c.column - 1, c.row - 1).getValue()
                    assert c.value == pytest.approx(mine, rel=1e-6, abs=max(1e-9, 1e-11 * scale / built.settings.eps)), \
                        f"{name}!{c.coordinate}"
                    compared += 1
        assert compared > 50 or not others
    for i, P in enumerate(layout.params):
        r, c = layout.cell(f"Loss_{P}")
        assert theirs.cell(r + 1, c + 1).value == pytest.approx(want["plus"][i], rel=0, abs=1e-12 * size), P
        r, c = layout.cell(f"exact_grad_{P}")
        assert theirs.cell(r + 1, c + 1).value == pytest.approx(want["exact"][i], rel=0, abs=1e-12 * size), P


@pytest.mark.parametrize("preset, below", [("xor", 0.05), ("circles", 0.1), ("bend", 0.02)])
def test_the_presets_learn_with_plain_gradient_descent_in_a_few_hundred_steps(tmp_path, preset, below):
    """From the default seed, by the engine (`gradsheet run -n 300`): Loss falls far, and the
    classifiers get every row right."""
    from click.testing import CliRunner
    from gradsheet.cli import main
    from gradsheet.core.models import accuracy
    out = tmp_path / f"{preset}.xlsx"
    result = CliRunner().invoke(main, ["build", "--preset", preset, "-o", str(out)])
    assert result.exit_code == 0, result.output
    start = files.read(out)
    assert start.settings.hidden == 3 and start.settings.optimizer == "gd"
    result = CliRunner().invoke(main, ["run", str(out), "-n", "300"])
    assert result.exit_code == 0, result.output
    after = files.read(out)
    X, y = model_X(after.dataset, after.settings), after.dataset.y
    spec = after.settings.spec
    assert spec.loss(X, y, after.state.theta) < below < spec.loss(X, y, start.state.theta) / 5
    if after.settings.classes:
        assert accuracy(spec, X, y, after.state.theta) == 1.0


@pytest.mark.parametrize("kind", ["xor", "softmax_relu"])
def test_the_buttons_through_xlwings_book_json_equal_the_engine(tmp_path, kind):
    """The add-in's scripts (as xlwings Lite runs them) on a network: ten steps equal the engine's
    and the reference descent; the next-action button does action 2."""
    from jsonbook import apply_actions, book_json, open_book  # sets the test licence first
    from gradsheet.core import addin
    built = build(kind, tmp_path)
    X, y, model, H, activation, C = shape(built)
    fresh = book_json(built.path)
    problem = book.load(addin.XlwingsGrid(open_book(fresh))).problem
    assert problem.hidden == H
    b = open_book(fresh)
    addin.run_steps(b, 10)
    got = book.load(addin.XlwingsGrid(open_book(apply_actions(fresh, b.json()["actions"]))))
    want = steps.run(problem, built.state, 10).state
    assert np.array_equal(got.state.theta, want.theta) and np.array_equal(got.state.history, want.history)
    assert np.allclose(got.state.theta, ref.descent(X, y, built.state.theta, built.settings.lr, built.settings.eps,
                                                    10, model, H, activation, C), rtol=0, atol=1e-10)
    b = open_book(fresh)
    addin.next_action(b)
    got = book.load(addin.XlwingsGrid(open_book(apply_actions(fresh, b.json()["actions"]))))
    assert got.state.action == 1 and len(got.state.history) == 1


def test_reset_and_set_keep_the_network(tmp_path):
    from click.testing import CliRunner
    from gradsheet.cli import main
    built = build("curve", tmp_path)
    for args in (["reset", str(built.path), "--seed", "5"], ["set", str(built.path), "--lr", "0.05"],
                 ["next", str(built.path)], ["step", str(built.path)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    after = files.read(built.path)
    assert after.settings.hidden == 3 and after.settings.activation == "tanh" and after.settings.lr == 0.05
    from gradsheet.core.network import distinct_units
    assert len(after.state.history) == 1 and distinct_units(after.state.history[0, :-1], 1, 3)


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["xor", "curve_swish", "logistic_sigmoid"])
def test_all_steps_sheet_walks_the_reference_descent(libreoffice, tmp_path, kind):
    """The 'All steps' table of a network, recalculated in LibreOffice from the start and with the
    parameters 30× out: row i holds the reference descent's parameters after i steps, its Loss and
    every Loss_P recomputed from scratch; no error cell anywhere."""
    def make_into(own):
        data = own / f"{kind}.csv"
        data.write_text(_table(kind), encoding="utf-8")
        H, activation, options = KINDS[kind]
        with pytest.warns(UserWarning):
            return make(data, own / f"{kind}-steps.xlsx", hidden=H, activation=activation, lang="en",
                        unrolled=8, **options)
    built = built_copy(f"hidden-steps-{kind}", tmp_path, make_into)
    X, y, model, H, activation, C = shape(built)
    layout = files.read(built.path).layout
    s = built.settings
    for scale in (1, 30):
        theta0 = scale * built.state.theta
        with libreoffice.open(built.path) as doc:
            for name, value in zip(layout.params, theta0):
                doc.set_named(name, float(value))
            doc.recalc()
            assert error_cells(doc) == []
            heads, body = doc.table_values("unrolled")
        theta = np.array(theta0, dtype=float)
        drift = 0.0  # each step's slope carries ~1e-12·size/eps of rounding (a difference over eps), times lr
        for i, row in enumerate(body):
            got = dict(zip(heads, row))
            # the row's losses against the reference at the row's own parameters (pure rounding) …
            mine = np.array([got[name] for name in layout.params], dtype=float)
            want = ref.expected(X, y, mine, s.eps, model, H, activation, C)
            size = size_of(want, y)
            assert got["Loss"] == pytest.approx(want["Loss"], rel=1e-9, abs=1e-13), (scale, i)
            for p, name in enumerate(layout.params):
                assert got[f"Loss_{name}"] == pytest.approx(want["plus"][p], rel=0, abs=1e-12 * size), (scale, i, name)
            # … and the parameters against the reference descent, within the slopes' rounding so far
            assert np.allclose(mine, theta, rtol=1e-9, atol=drift), (scale, i)
            step = ref.expected(X, y, theta, s.eps, model, H, activation, C)
            if i == 0:  # the sheet's divergence guard: past 1e6 × max(first Loss, mean y²) nothing moves
                limit = 1e6 * max(step["Loss"], float(np.mean(y * y)))
            if step["Loss"] <= limit:
                theta = theta - s.lr * step["grad"]
            drift += s.lr * 2e-12 * size_of(step, y) / s.eps


@pytest.mark.parametrize("preset, rows, said", [
    ("xor", 14, ["'Optimizers', 'Landscape'", "'All steps' sheet has 14 rows"]),
    ("bend", 10, ["'Optimizers', 'Landscape'", "'All steps' sheet has 10 rows"]),
    ("circles", 0, ["'All steps', 'Optimizers', 'Landscape'"])])
def test_derived_sheets_are_sized_to_the_recalculation_budget_and_said_in_one_line(tmp_path, preset, rows, said):
    from click.testing import CliRunner
    from gradsheet.cli import main
    out = tmp_path / "b.xlsx"
    result = CliRunner().invoke(main, ["build", "--preset", preset, "--lang", "en", "-o", str(out)])
    assert result.exit_code == 0, result.output
    warnings_ = [line for line in result.output.splitlines() if line.startswith("gradsheet: warning:")]
    assert len(warnings_) == len(said) and all(s in w for s, w in zip(said, warnings_)), warnings_
    book_ = files.read(out)
    assert book_.settings.unrolled == rows and book_.settings.compare == 0
    import openpyxl
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert ("All steps" in names) == bool(rows) and "Optimizers" not in names and "Landscape" not in names
    assert "Sums" not in names  # the linear model's sums: a network does not read them


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind, pair", [("curve", ("Wh_1_1", "Wo_2")), ("xor", ("Bh_2", "Bo"))])
def test_landscape_over_any_two_parameters_equals_the_reference(libreoffice, tmp_path, kind, pair):
    """`--landscape P,Q` on a network: every cell of the Loss grid is the reference loss with the
    pair at the cell's axis values and the rest at the training sheet's; no error cell."""
    from xlsxwriter.utility import xl_rowcol_to_cell
    from gradsheet.sheets import landscape

    def make_into(own):
        data = own / f"{kind}.csv"
        data.write_text(_table(kind), encoding="utf-8")
        H, activation, options = KINDS[kind]
        with pytest.warns(UserWarning):
            return make(data, own / f"{kind}-land.xlsx", hidden=H, activation=activation, lang="en",
                        unrolled=0, landscape=pair, **options)
    built = built_copy(f"hidden-land-{kind}", tmp_path, make_into)
    X, y, model, H, activation, C = shape(built)
    layout = files.read(built.path).layout
    idx = [layout.params.index(q) for q in pair]
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert error_cells(doc) == []
        g = landscape.GRID
        top = landscape.LOSS_AXIS
        area = f"{xl_rowcol_to_cell(top, 0)}:{xl_rowcol_to_cell(top + g, g)}"
        cells = np.array(doc.cell("Landscape", area), dtype=object)
    across, down = cells[0, 1:].astype(float), cells[1:, 0].astype(float)
    grid = cells[1:, 1:].astype(float)
    theta = np.array(built.state.theta, dtype=float)
    for i, d in enumerate(down):
        for j, a in enumerate(across):
            theta[idx[0]], theta[idx[1]] = a, d
            want = ref.loss(X, y, theta, model, H, activation, C)
            assert grid[i, j] == pytest.approx(want, rel=1e-12, abs=1e-14), (i, j)


@pytest.mark.libreoffice
def test_the_race_on_a_network_walks_the_reference_lanes(libreoffice, tmp_path):
    """`--compare N` on a network: the gd lane's Loss is the reference descent's at the workbook's
    lr, the momentum lane's Keras's heavy ball (v = beta·v − lr·g, P += v), step by step; no error
    cell on any sheet."""
    def make_into(own):
        data = own / "xor.csv"
        data.write_text(_table("xor"), encoding="utf-8")
        with pytest.warns(UserWarning):
            return make(data, own / "xor-race.xlsx", hidden=2, activation="tanh", lang="en", classes="0,1",
                        unrolled=0, compare=6)
    built = built_copy("hidden-race", tmp_path, make_into)
    X, y, model, H, activation, C = shape(built)
    s = built.settings
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert error_cells(doc) == []
        heads, body = doc.table_values("compare")
    lanes = {h: [dict(zip(heads, row))[h] for row in body] for h in heads[1:]}
    assert set(lanes) >= {"gd", "momentum"} and len(body) == 6

    def lane(lr, beta):
        theta, v, out = np.array(built.state.theta, dtype=float), 0.0, []
        for _ in range(6):
            e = ref.expected(X, y, theta, s.eps, model, H, activation, C)
            out.append(e["Loss"])
            v = beta * v - lr * e["grad"]
            theta = theta + v
        return np.array(out)
    assert np.allclose(np.array(lanes["gd"], dtype=float), lane(s.lr, 0.0), rtol=1e-9, atol=1e-12)
    assert np.allclose(np.array(lanes["momentum"], dtype=float), lane(s.lr, s.beta), rtol=1e-9, atol=1e-12)


def test_an_activation_without_a_hidden_layer_is_refused_in_one_line(tmp_path):
    from click.testing import CliRunner
    from gradsheet.cli import main
    result = CliRunner().invoke(main, ["build", "--activation", "relu", "--lang", "en", "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code == 2
    assert result.output.strip() == ("gradsheet: error: --activation relu: the activation belongs to a hidden layer; "
                                     "give it with --hidden H")
    assert not (tmp_path / "a.xlsx").exists()


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset", ["circles", "bend"])
def test_network_workbooks_print_readably(libreoffice, tmp_path, preset):
    """Every sheet of a network's workbook (the training sheet with its new columns and charts,
    the guide, 'All steps', the network charts' grid) printed: nothing over anything, every text
    whole, no ###."""
    from gradsheet.data import presets
    from gradsheet.headless import run_file
    from test_render import check_print, korean_font_installed
    if not korean_font_installed():
        pytest.skip("no Korean font installed (fonts-nanum)")
    options = presets.read(presets.find(preset))
    data = options.pop("data")
    with pytest.warns(UserWarning):
        path = make(data, tmp_path / f"{preset}.xlsx", **options).path
    run_file(path, 5)
    check_print(libreoffice, path)
