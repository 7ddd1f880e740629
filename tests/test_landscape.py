"""The "Landscape" sheet, proven: LibreOffice recalculates the axes and the Loss of every grid
cell, which must equal the model's; the markers' conditional formats exist as written and,
evaluated by LibreOffice cell by cell, mark the cells the model says."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import openpyxl
import pytest
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from gradsheet.excel import files
from gradsheet.sheets import compare, landscape, stats
from gradsheet.core import models as model
from gradsheet.build import make
from gradsheet.core.errors import GradsheetError
from gradsheet.headless import run_file
from gradsheet.core.layout import HISTORY_CHART_ROWS, Layout
from gradsheet.core.settings import Settings
from gradsheet.sheets.workbook import layout_for, model_X
import chain_bounds as cb
from test_unrolled import SAFETY, U, engine_sums, loss_rounding
from reference import three_feature_csv

L, G = landscape, landscape.GRID


def grid_ref(top: int) -> str:
    """The GRID × GRID cells under an axis row (0-based), as "B13:V33"."""
    return f"{xl_rowcol_to_cell(top + 1, 1)}:{xl_rowcol_to_cell(top + G, G)}"


def axis_refs() -> tuple[str, str]:
    return (f"{xl_rowcol_to_cell(L.COLOUR_AXIS, 1)}:{xl_rowcol_to_cell(L.COLOUR_AXIS, G)}",
            f"{xl_rowcol_to_cell(L.COLOUR_AXIS + 1, 0)}:{xl_rowcol_to_cell(L.COLOUR_AXIS + G, 0)}")


def grid_of(st: cb.Sums, theta, idx, across, down) -> cb.Err:
    """The Loss grid by the landscape's formulas on Err numbers: the helper cells (z, S·z,
    Qz, βz and the axes' coefficients) from the sums, then the quadratic in the two axis
    values, with each cell's rounding bound."""
    k = st.k
    z = np.array(theta[:k], dtype=float)
    for i in idx:
        if i < k:
            z[i] = 0.0
    bz = 0.0 if k in idx else float(theta[k])
    one = cb.row(st, np.append(z, bz), 1.0, model.FORWARD)  # (its nudged losses go unused)
    c = {"Qz": one["Q"], "bz": one["beta"]}
    for key, i in (("a", idx[0]), ("d", idx[1])):
        c[f"c{key}"] = one["u"][i] - st.s[i] if i < k else cb.Err(0.0)
        c[f"S{key}{key}"] = st.S[i][i] if i < k else cb.Err(0.0)
        c[f"m{key}"] = st.xbar[i] if i < k else cb.Err(1.0)
    c["Sad"] = st.S[idx[0]][idx[1]] if max(idx) < k else cb.Err(0.0)
    values = {**c, "a": cb.Err(np.asarray(across, dtype=float)[None, :]),
              "d": cb.Err(np.asarray(down, dtype=float)[:, None])}
    run = {"__builtins__": {}, "sqrt": cb.sqrt}
    quad, mean = eval(L.QUAD.code, run, values), eval(L.MEAN.code, run, values)
    return cb.max0(quad) / cb.Err(float(st.n)) + mean ** 2


def assert_helpers(got: dict, st: cb.Sums, theta, idx) -> None:
    """The helper cells under the grids, by their formulas from the engine's sums."""
    k = st.k
    z = np.array(theta[:k], dtype=float)
    for i in idx:
        if i < k:
            z[i] = 0.0
    one = cb.row(st, np.append(z, 0.0 if k in idx else float(theta[k])), 1.0, model.FORWARD)
    want = {"Qz": one["Q"], "bz": one["beta"], **{f"z_{j}": cb.Err(z[j]) for j in range(k)},
            **{f"Sz_{j}": one["u"][j] for j in range(k)}}
    for name, w in want.items():
        assert abs(got[name] - float(w.v)) <= SAFETY * float(w.e), (name, got[name], float(w.v))


def sheet_of(settings) -> str:
    return {"ko": "손실 지형", "en": "Landscape"}[settings.lang]


def compare_sheet(settings) -> str:
    return {"ko": "최적화 비교", "en": "Optimizers"}[settings.lang]


def assert_grids(doc, book, theta=None, centre=None, span=None) -> dict:
    """Axes, Loss grid, colour floor and log grid in LibreOffice against the model, with
    theta (default: the book's W, B) and the centre/span (default: the model's frame)."""
    d, s, st = book.dataset, book.settings, book.state
    X, y = model_X(d, s), d.y
    layout = layout_for(d, s, st)
    p = L.pair(layout, s)
    idx = [layout.params.index(q) for q in p]
    theta = st.theta if theta is None else np.asarray(theta, dtype=float)
    frame = L.frame(X, y, st, idx)
    centre = frame[0] if centre is None else np.asarray(centre)
    span = frame[1] if span is None else np.asarray(span)
    sheet = sheet_of(s)
    across, down = L.axes(centre, span)
    got_across, got_down = (np.array(doc.cell(sheet, ref), dtype=float) for ref in axis_refs())
    # LibreOffice may snap c ± j·step to 0 when it nearly cancels (approxAdd): 2^-48 of it
    assert np.allclose(got_across, across, rtol=0, atol=2 * U * (abs(centre[0]) + span[0]))
    assert np.allclose(got_down, down, rtol=0, atol=2 * U * (abs(centre[1]) + span[1]))
    assert doc.cell(sheet, "B8:C8") == list(span / L.HALF)
    # the Loss of each cell, at the axis values the engine itself computed: by the cells'
    # formulas from the engine's own sums (each cell's rounding), and by the course's
    # row-wise model (the sums' rounding against the data, and the model's own)
    got_loss = np.array(doc.cell(sheet, grid_ref(L.LOSS_AXIS)), dtype=float)
    twin, exact, _ = engine_sums(doc)
    want = grid_of(exact, theta, idx, got_across, got_down)
    want_loss, allow = want.v, SAFETY * want.e
    assert np.array_equal(want_loss, L.losses(twin, theta, idx, got_across, got_down))  # the twin, bit for bit
    assert np.all(np.abs(got_loss - want_loss) <= allow), np.max(np.abs(got_loss - want_loss) / allow)
    helpers = {name: doc.cell(sheet, xl_rowcol_to_cell(*rc)) for name, rc in L.helper_cells(layout).items()}
    assert_helpers(helpers, exact, theta, idx)
    model_allow = SAFETY * grid_of(cb.sums_of(X, y), theta, idx, got_across, got_down).e
    model_loss = np.empty_like(want_loss)
    for i, b in enumerate(got_down):
        for j, a in enumerate(got_across):
            th = theta.copy()
            th[idx[0]], th[idx[1]] = a, b
            model_loss[i, j] = model.loss(X, y, th)
            model_allow[i, j] += loss_rounding(X, y, th, 0.0)
    assert np.all(np.abs(got_loss - model_loss) <= model_allow), np.max(np.abs(got_loss - model_loss) / model_allow)
    want_log, want_floor = L.log_grid(want_loss)
    floor = doc.cell(sheet, "B9")
    assert abs(floor - want_floor) <= L.FLOOR_FACTOR * allow.max() + 1e-15 * want_floor
    got_log = np.array(doc.cell(sheet, grid_ref(L.COLOUR_AXIS)), dtype=float)
    log_allow = (allow + L.FLOOR_FACTOR * allow.max()) / (np.maximum(want_loss, want_floor) * math.log(10))
    assert np.all(np.abs(got_log - want_log) <= 2 * log_allow + 1e-14 * np.abs(want_log) + 1e-15)
    return {"across": got_across, "down": got_down, "loss": got_loss, "p": p, "idx": idx, "layout": layout}


@pytest.fixture(params=["lemonade", "three-default", "three-W_2,W_3"])
def built(request, tmp_path):
    if request.param == "lemonade":
        return make(None, tmp_path / "lemonade.xlsx")
    pair = () if request.param == "three-default" else ("W_2", "W_3")
    return make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.0005,
                landscape=pair)


def test_every_grid_cell_equals_the_model(libreoffice, built):
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_grids(doc, built)


def test_the_other_parameters_and_the_frame_are_live(libreoffice, built):
    """Held parameters come from the training sheet; centre and span move the axes."""
    d, s = built.dataset, built.settings
    layout = layout_for(d, s, built.state)
    theta = built.state.theta + np.linspace(0.3, -0.2, d.k + 1)
    centre, span = np.array([0.5, -0.25]), np.array([4.0, 0.5])
    with libreoffice.open(built.path) as doc:
        for q, v in zip(layout.params, theta):
            doc.set_named(q, float(v))
        doc.set_cell(sheet_of(s), "B6:C7", [list(centre), list(span)])
        doc.recalc()
        assert_grids(doc, built, theta=theta, centre=centre, span=span)


def test_the_frame_holds_the_start_and_the_current_point_around_the_answer(tmp_path):
    for seed in range(20):
        built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "t.xlsx", lr=0.0005, seed=seed,
                     buttons="none", unrolled=0)
        X, y, st = model_X(built.dataset, built.settings), built.dataset.y, built.state
        for idx in ([0, 3], [1, 2]):
            centre, span = L.frame(X, y, st, idx)
            best = model.best_theta(X, y)[idx]
            assert np.all(np.abs(centre - best) <= span / 200 + 1e-15)  # centre: the answer, rounded
            for point in (st.init[idx], st.theta[idx]):
                assert np.all(np.abs(point - centre) <= span)


def test_stored_values_are_the_models_numbers(tmp_path):
    built = make(None, tmp_path / "x.xlsx")
    d, st = built.dataset, built.state
    centre, span = L.frame(d.X, d.y, st, [0, 1])
    across, down = L.axes(centre, span)
    loss = L.losses(stats.sums(d.X, d.y), st.theta, [0, 1], across, down)
    logs, floor = L.log_grid(loss)
    ws = openpyxl.load_workbook(built.path, data_only=True)["손실 지형"]

    def values(ref):
        return np.array([[c.value for c in row] for row in ws[ref]], dtype=float)
    assert values("B6:C7").tolist() == [list(centre), list(span)]
    assert values(axis_refs()[0])[0].tolist() == list(across)
    assert values(axis_refs()[1])[:, 0].tolist() == list(down)
    assert np.array_equal(values(grid_ref(L.LOSS_AXIS)), loss)
    assert np.array_equal(values(grid_ref(L.COLOUR_AXIS)), logs)
    assert ws["B9"].value == floor
    assert (centre.tolist(), span.tolist()) == ([2.0, 0.0], [2.5, 1.0])  # lemonade: W 2 ± 2.5, B 0 ± 1


def test_the_formulas(tmp_path):
    built = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "three.xlsx", lr=0.0005,
                 landscape=("W_2", "B"))
    layout = layout_for(built.dataset, built.settings, built.state)
    ws = openpyxl.load_workbook(built.path)["손실 지형"]
    assert ws["B12"].value == "=$B$6-10*$B$8" and ws["L12"].value == "=$B$6"
    assert ws["A13"].value == "=$C$6+10*$C$8" and ws["A33"].value == "=$C$6-10*$C$8"
    assert ws["B8"].value == "=$B$7/10"
    # the quadratic in the two axis values, its coefficients in the helper cells under the grids
    h = {name: xl_rowcol_to_cell(*rc, True, True) for name, rc in L.helper_cells(layout).items()}
    assert ws["B37"].value == (f"=MAX(0,{h['Qz']}+2*B$36*{h['ca']}+2*$A37*{h['cd']}+B$36^2*{h['Saa']}"
                               f"+2*B$36*$A37*{h['Sad']}+$A37^2*{h['Sdd']})/n_rows"
                               f"+({h['bz']}+B$36*{h['ma']}+$A37*{h['md']})^2")
    assert ws["V57"].value == ws["B37"].value.replace("B$36", "V$36").replace("$A37", "$A57")
    assert h["Qz"] == "$B$64" and ws["A64"].value == "Qz"
    assert [ws[xl_rowcol_to_cell(*L.helper_cells(layout)[f"z_{j}"])].value for j in range(3)] == ["=W_1", 0, "=W_3"]
    assert ws[h["Sz_0"]].value == f"=SUMPRODUCT(S_xx_1,{h['z_0']}:{h['z_2']})"
    assert ws[h["ca"]].value == f"={h['Sz_1']}-INDEX(S_xy,1,2)" and ws[h["cd"]].value == 0
    assert ws[h["Saa"]].value == "=INDEX(S_xx,2,2)" and ws[h["Sad"]].value == 0 and ws[h["md"]].value == 1
    assert ws[h["bz"]].value == f"=0+SUMPRODUCT(mean_x,{h['z_0']}:{h['z_2']})-mean_y"
    assert ws["B13"].value == "=LOG10(MAX(B37,$B$9))"
    assert ws["B9"].value == "=MAX(1E-300,1E-06*MAX($B$37:$V$57))"


# --- markers --------------------------------------------------------------------------------
def api(formula: str) -> str:
    """Excel formula text -> LibreOffice's API grammar ('Sheet'!A1 -> $'Sheet'.A1, ';')."""
    return re.sub(r"'((?:[^']|'')+)'!", r"$'\1'.", formula).replace(",", ";")


def evaluate_markers(doc, layout, p, sheet, race: bool = False, kinds=None) -> dict[str, np.ndarray]:
    """Each marker's condition, as LibreOffice calculates it for every grid cell: the same
    formula text the conditional format holds, with that cell's axis cells put in, written
    into scratch cells below the grids and their helper cells."""
    top = L.HELP + 20
    out = {}
    for kind in kinds or L.marker_formulas(layout, p, "A1", "A1", race):
        rows = []
        for i in range(G):
            across = [xl_rowcol_to_cell(L.COLOUR_AXIS, 1 + j, True, True) for j in range(G)]
            down = xl_rowcol_to_cell(L.COLOUR_AXIS + 1 + i, 0, True, True)
            rows.append(tuple(api(L.marker_formulas(layout, p, a, down, race)[kind]) for a in across))
        rng = doc.model.Sheets.getByName(sheet).getCellRangeByName(grid_ref(top - 1))
        rng.setFormulaArray(tuple(rows))
        doc.recalc()
        out[kind] = np.array(doc.cell(sheet, grid_ref(top - 1)), dtype=float) != 0
    return out


def lo_sub(a: float, b: float) -> float:
    """LibreOffice's a − b (rtl::math::approxSub): 0 when a and b agree to 2^-48."""
    if ((a < 0 and b < 0) or (a > 0 and b > 0)) and abs(a - b) < abs(a) * U:
        return 0.0
    return a - b


def lo_round(x: float) -> float:
    """LibreOffice 7's ROUND(x,0): half away from zero, on the double itself."""
    whole = math.floor(abs(x))
    return math.copysign(whole + (1 if abs(x) - whole >= 0.5 else 0), x)


def cell_of(point, centre, step) -> tuple[int, int] | None:
    """The grid cell a point marks (model side of the rule, in LibreOffice's arithmetic):
    its whole number of steps from the centre, across and down."""
    m = [lo_round(lo_sub(point[a], centre[a]) / step[a]) for a in range(2)]
    j, i = int(m[0]) + L.HALF, L.HALF - int(m[1])
    return (i, j) if 0 <= i < G and 0 <= j < G else None


def cells(points, centre, step) -> np.ndarray:
    mask = np.zeros((G, G), bool)
    for point in points:
        at = cell_of(point, centre, step)
        if at:
            mask[at] = True
    return mask


def test_the_conditional_formats_are_written_and_imported(libreoffice, tmp_path):
    built = make(None, tmp_path / "x.xlsx", lang="en")
    layout = layout_for(built.dataset, built.settings, built.state)
    ws = openpyxl.load_workbook(built.path)["Landscape"]
    (rng, rules), = [(str(r.sqref), r.rules) for r in ws.conditional_formatting]
    assert rng == grid_ref(L.COLOUR_AXIS)
    want = L.marker_formulas(layout, ("W", "B"), "B$12", "$A13", race=True)
    # besides the markers, the log10 grid's tiny negatives show 0 (sheets/looks.py SIGNLESS)
    signless = [r for r in rules if r.type == "expression" and re.fullmatch(r"AND\((\w+)<0,\1>-[\d.]+\)", r.formula[0])]
    assert len(signless) == 1
    assert [r.formula[0] for r in rules if r.type == "expression" and r not in signless] == \
        [f[1:] for f in want.values()]
    assert "path_W" in want["path"] and "INDEX(path_W,1)" in want["start"]
    assert "race_W_adam" in want["race_adam"] and "race_B_gd" in want["race_gd"]
    names = openpyxl.load_workbook(built.path).defined_names
    head, c0, _, _ = layout.history_span  # the history table's W and B columns and beyond, by name
    for p in ("W", "B"):
        col = xl_col_to_name(c0 + layout.history_columns.index(p))
        assert names[f"path_{p}"].attr_text == f"'Train'!${col}${head + 2}:${col}${head + 2 + HISTORY_CHART_ROWS}"
        for o, chain in compare.lanes(layout).items():  # each lane's W and B columns, by name
            col = xl_col_to_name(chain.col[p])
            assert names[f"race_{p}_{o}"].attr_text == f"'Optimizers'!${col}$10:${col}$109"
    scale, = [r for r in rules if r.type == "colorScale"]
    assert len(scale.colorScale.color) == 3
    with libreoffice.open(built.path) as doc:
        formats = doc.model.Sheets.getByName("Landscape").ConditionalFormats.getConditionalFormats()
        entries = [f.getByIndex(i) for f in formats for i in range(f.getCount())]
        assert sorted(e.Type for e in entries) == [0] * 9 + [1]  # the markers, the signless 0, a colour scale
        assert entries[0].Formula1 == want["current"][1:]


@pytest.mark.parametrize("data", ["lemonade", "three"])
def test_markers_mark_the_cells_the_model_says(libreoffice, tmp_path, data):
    if data == "lemonade":
        path = make(None, tmp_path / "l.xlsx").path
    else:
        path = make(three_feature_csv(tmp_path / "t.csv"), tmp_path / "t.xlsx", lr=0.001).path
    run_file(path, 40)
    book = files.read(path)  # as the file holds it, with a history of 40 rows
    X, y, st = model_X(book.dataset, book.settings), book.dataset.y, book.state
    with libreoffice.open(path) as doc:
        doc.recalc()
        g = assert_grids(doc, book)
        layout, p, idx = g["layout"], g["p"], g["idx"]
        sheet = sheet_of(book.settings)
        centre, step = (np.array(doc.cell(sheet, ref)) for ref in ("B6:C6", "B8:C8"))
        got = evaluate_markers(doc, layout, p, sheet, race=True)
        best = model.best_theta(X, y)[idx]
        want = {"current": cells([st.theta[idx]], centre, step), "best": cells([best], centre, step),
                "start": cells([st.history[0, idx]], centre, step),
                "path": cells(st.history[:, idx], centre, step)}
        race = doc.model.Sheets.getByName(compare_sheet(book.settings))
        for o, chain in compare.lanes(layout).items():  # each lane's path as the engine computed it
            lane = [[race.getCellByPosition(chain.col[q], compare.HEAD_ROW + 1 + i).getValue() for q in p]
                    for i in range(book.settings.compare)]
            want[f"race_{o}"] = cells(np.array(lane), centre, step)
        assert set(got) == set(want)
        for kind in want:
            assert np.array_equal(got[kind], want[kind]), kind
        assert got["current"].sum() == 1 and got["best"][L.HALF, L.HALF]  # the answer: the centre cell
        assert sum(got[f"race_{o}"].sum() for o in compare.NAMES) >= 6  # the lanes show up
        if data == "three":
            assert got["path"].sum() >= 10  # the path crosses many cells

        # W, B exactly on grid points (the engine's own axis values): exactly that cell
        for i, j in ((0, 0), (3, 14), (L.HALF, L.HALF), (G - 1, G - 1), (7, 2)):
            doc.set_named(p[0], float(g["across"][j]))
            doc.set_named(p[1], float(g["down"][i]))
            got = evaluate_markers(doc, layout, p, sheet, kinds=["current"])
            assert np.argwhere(got["current"]).tolist() == [[i, j]]
        for j in (0, 4, L.HALF, G - 2):  # on the edge between two cells: exactly one of them
            doc.set_named(p[0], float(g["across"][j] + step[0] / 2))
            assert evaluate_markers(doc, layout, p, sheet, kinds=["current"])["current"].sum() == 1
        doc.set_named(p[0], float(g["across"][-1] + 2 * step[0]))  # off the grid: no cell
        assert not evaluate_markers(doc, layout, p, sheet, kinds=["current"])["current"].any()


def conditional_format_formulas(path) -> dict[str, list[str]]:
    """Every formula of every conditional format (classic and x14 extension blocks alike),
    per worksheet part."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for part in zf.namelist():
            if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", part):
                continue
            root = ET.fromstring(zf.read(part))
            out[part] = [f.text or "" for block in root.iter() if block.tag.endswith("}conditionalFormatting")
                         for f in block.iter() if f.tag.split("}")[-1] in ("formula", "f")]
    return out


def test_no_conditional_format_refers_to_another_sheet(tmp_path):
    """Excel 2007 refuses a sheet reference in a conditional format and later versions keep
    such a rule only in an extension block Excel may drop: names only."""
    three = three_feature_csv(tmp_path / "three.csv")
    books = {"lemonade": make(None, tmp_path / "l.xlsx").path,
             "three": make(three, tmp_path / "t.xlsx", lr=0.0005).path,
             "three W_2,W_3": make(three, tmp_path / "t23.xlsx", lr=0.0005, landscape=("W_2", "W_3")).path,
             "en": make(None, tmp_path / "en.xlsx", lang="en").path}
    for name in list(books):  # and with a history, as the markers see it after steps
        stepped = tmp_path / f"{name} stepped.xlsx"
        stepped.write_bytes(books[name].read_bytes())
        run_file(stepped, 3)
        books[f"{name}, run -n 3"] = stepped
    for name, path in books.items():
        formulas = conditional_format_formulas(path)
        assert sum(len(f) for f in formulas.values()) >= len(L.MARKS), name  # the markers are there
        for part, found in formulas.items():
            assert not [f for f in found if "!" in f], (name, part, found)


# --- which parameters, which sheet ----------------------------------------------------------
def test_pair_validates_the_names():
    one, three = Layout(6, 1, "학습"), Layout(40, 3, "학습")
    assert L.pair(one, Settings()) == ("W", "B")
    assert L.pair(three, Settings()) == ("W_1", "B")
    assert L.pair(three, Settings(landscape=("W_3", "W_1"))) == ("W_3", "W_1")
    assert L.pair(three, Settings(landscape=("none",))) is None
    for bad in (("Q", "B"), ("W", "B"), ("B", "B"), ("W_1",), ("W_1", "W_2", "B")):
        with pytest.raises(GradsheetError) as e:
            L.pair(three, Settings(landscape=bad))
        message = str(e.value)
        assert "\n" not in message and "W_1, W_2, W_3, B" in message and ",".join(bad) in message
    wide = Layout(40, 13, "학습")
    with pytest.raises(GradsheetError, match="W_1, W_2, …, W_13, B"):
        L.pair(wide, Settings(landscape=("W_14", "B")))


@pytest.mark.parametrize("lang, sheet, title", [("ko", "손실 지형", "손실 지형: W와 B에 따라 달라지는 Loss"),
                                                ("en", "Landscape", "Loss landscape: how Loss changes with W and B")])
def test_sheet_names_and_labels(tmp_path, lang, sheet, title):
    wb = openpyxl.load_workbook(make(None, tmp_path / "x.xlsx", lang=lang).path)
    assert wb[sheet]["A1"].value == title
    assert wb[sheet]["A5"].value is None and wb[sheet]["B5"].value == "W" and wb[sheet]["C5"].value == "B"
    wb = openpyxl.load_workbook(make(None, tmp_path / "y.xlsx", lang=lang, landscape=("none",)).path)
    assert sheet not in wb.sheetnames


def test_a_diverging_lr_leaves_the_landscape_finite(libreoffice, tmp_path):
    with pytest.warns(UserWarning, match="Loss가 발산합니다"):
        built = make(None, tmp_path / "d.xlsx", lr=0.05)
    with libreoffice.open(built.path) as doc:
        doc.recalc()
        assert_grids(doc, built)  # reads every grid strictly: an error cell raises
