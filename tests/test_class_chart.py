"""The class chart of a classifier with two inputs: the points of each class and the live
decision boundary, computed in the helper sheet's cells (sheets/class_map.py) from W and B.

* The numpy reference (core/boundary.py) is checked against the model itself, independently of
  how it clips: every drawn segment is a true boundary (sampled points tie between its two
  classes, and those two are the top two), and every change of predicted class on a fine grid
  lies on a drawn segment.
* LibreOffice recalculates the workbook (exam preset: logistic; iris petals: softmax), also after
  parameters 30× larger, W_2 = 0, W_1 = W_2 = 0 (and two softmax classes made equal): the helper
  cells equal the reference, the geometry of the cells' own segments is right, and no cell on any
  sheet shows an error.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import openpyxl
import pytest

from gradsheet.build import make
from gradsheet.core import boundary
from gradsheet.core.layout import Layout
from gradsheet.core.models import model_spec
from gradsheet.data import presets
from gradsheet.headless import run_file
from gradsheet.sheets.class_map import MapLayout
from gradsheet.sheets.workbook import layout_for, model_X
from libreoffice import _read
from test_edge_tables import error_cells

IRIS = presets.folder() / "iris.csv"


# --- the reference against the model -------------------------------------------------------------
def top_classes(layout: Layout, theta: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Every class's z at the points (logistic: z_0 = 0 and z_1 = z), from the model spec."""
    z = model_spec(layout.model, layout.n_classes).logits(points, theta)
    return np.column_stack([np.zeros_like(z), z]) if z.ndim == 1 else z


def z_scale(theta: np.ndarray, box) -> float:
    """A size of the logits over the box, for tolerances."""
    return float(np.sum(np.abs(theta))) * (1 + max(abs(v) for v in box))


def assert_true_boundary(layout, theta, box, ends) -> None:
    """Each drawn segment (c, d, from, to) lies in the box, and along it z_c = z_d ≥ every other z."""
    tol = 1e-9 * z_scale(theta, box)
    for c, d, frm, to in ends:
        s = np.linspace(0, 1, 11)[:, None]
        points = np.asarray(frm) + s * (np.asarray(to) - np.asarray(frm))
        assert np.all(points[:, 0] >= box[0] - 1e-9) and np.all(points[:, 0] <= box[1] + 1e-9)
        assert np.all(points[:, 1] >= box[2] - 1e-9) and np.all(points[:, 1] <= box[3] + 1e-9)
        z = top_classes(layout, theta, points)
        assert np.allclose(z[:, c], z[:, d], rtol=0, atol=tol), (c, d, z)
        others = np.delete(z, [c, d], axis=1)
        if others.size:
            assert np.all(z[:, d] >= others.max(axis=1) - tol), (c, d, z)


def distance_to_segments(point, segments) -> float:
    best = np.inf
    for frm, to in segments:
        p, a, b = np.asarray(point), np.asarray(frm), np.asarray(to)
        ab = b - a
        t = 0.0 if not ab.any() else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
        best = min(best, float(np.linalg.norm(p - (a + t * ab))))
    return best


def assert_complete(layout, theta, box, ends, grid: int = 60) -> None:
    """Wherever the predicted class changes between two neighbours of a grid, a drawn segment
    crosses the edge between them (it passes within half an edge of the edge's middle)."""
    xs, ys = np.linspace(box[0], box[1], grid), np.linspace(box[2], box[3], grid)
    gx, gy = np.meshgrid(xs, ys)
    top = top_classes(layout, theta, np.column_stack([gx.ravel(), gy.ravel()])).argmax(axis=1).reshape(gx.shape)
    drawn = [(frm, to) for _, _, frm, to in ends]
    half = 0.5 * max(xs[1] - xs[0], ys[1] - ys[0]) * (1 + 1e-6)
    for axis in (0, 1):
        change = np.diff(top, axis=axis) != 0
        for i, j in zip(*np.nonzero(change)):
            i2, j2 = (i + 1, j) if axis == 0 else (i, j + 1)
            middle = ((gx[i, j] + gx[i2, j2]) / 2, (gy[i, j] + gy[i2, j2]) / 2)
            assert distance_to_segments(middle, drawn) <= half, (middle, top[i, j], top[i2, j2])


def drawn_ends(segments) -> list:
    return [(s.c, s.d, s.frm, s.to) for s in segments if s.drawn]


@pytest.mark.parametrize("model,classes", [("logistic", 2), ("softmax", 2), ("softmax", 3),
                                           ("softmax", 4), ("softmax", 6)])
@pytest.mark.parametrize("seed", range(6))
def test_reference_segments_are_the_boundary(model, classes, seed):
    rng = np.random.default_rng(seed)
    layout = Layout(10, 2, "학습", model=model, classes=tuple(f"c{i}" for i in range(classes)))
    theta = rng.normal(0, 2, len(layout.params)) * (30 if seed % 3 == 2 else 1)
    box = (-2.0, 3.0, -1.5, 2.0)
    segments = boundary.segments(layout, theta, box)
    assert len(segments) == classes * (classes - 1) // 2
    assert_true_boundary(layout, theta, box, drawn_ends(segments))
    assert_complete(layout, theta, box, drawn_ends(segments))


@pytest.mark.parametrize("model,classes", [("logistic", 2), ("softmax", 3)])
def test_reference_without_a_line(model, classes):
    """W = 0 everywhere: no pair has a line (a = b = 0); all collapse to the box's corner."""
    layout = Layout(10, 2, "학습", model=model, classes=tuple(f"c{i}" for i in range(classes)))
    theta = np.zeros(len(layout.params))
    theta[-1] = 0.5
    box = (-1.0, 1.0, -2.0, 2.0)
    for s in boundary.segments(layout, theta, box):
        assert s.drawn == 0 and s.frm == s.to == (-1.0, -2.0)


def test_axis_ranges_are_round_and_hold_the_data():
    for values in ([0.3, 9.7], [-1.2, -1.2], [1e-4, 3e-4], [-2.41, 2.93], [0.0, 0.0]):
        lo, hi, step = boundary.axis_range(np.array(values))
        assert lo < min(values) and hi > max(values)
        assert abs(lo / step - round(lo / step)) < 1e-9 and abs(hi / step - round(hi / step)) < 1e-9
        assert (hi - lo) / step <= 2 * boundary.AXIS_TICKS + 2


# --- the workbooks ------------------------------------------------------------------------------
def exam(tmp_path):
    options = presets.read(presets.find("exam"))
    return make(options.pop("data"), tmp_path / "exam.xlsx", **options)


def iris(tmp_path, features="petal_length,petal_width", **options):
    with pytest.warns(UserWarning):  # "3 classes: softmax regression"
        return make(IRIS, tmp_path / "iris.xlsx", features=features, scale="standard", lr=0.1, **options)


def map_layout(built) -> MapLayout:
    layout = layout_for(built.dataset, built.settings, built.state)
    return MapLayout.of(layout, built.dataset.y, built.settings.lang)


def test_the_helper_sheet_lists_each_class_points(tmp_path):
    """Each class's columns refer to exactly that class's rows of the training sheet, in order,
    and store their x; the chart draws one series per class plus the boundary."""
    built = iris(tmp_path)
    m = map_layout(built)
    layout, X = m.layout, model_X(built.dataset, built.settings)
    ws = openpyxl.load_workbook(built.path)[m.sheet]
    stored = openpyxl.load_workbook(built.path, data_only=True)[m.sheet]
    for c in range(layout.n_classes):
        first, last, col = m.class_span(c)
        rows = np.flatnonzero(built.dataset.y == c)
        assert last - first + 1 == len(rows)
        for n, i in enumerate(rows):
            for j, name in enumerate(layout.features):
                ref = re.fullmatch(r"='(.+)'!\$([A-Z]+)\$(\d+)", ws.cell(first + n + 1, col + j + 1).value)
                assert ref.group(1) == layout.sheet and int(ref.group(3)) == layout.first_row + i + 1
                assert openpyxl.utils.column_index_from_string(ref.group(2)) == layout.columns[name] + 1
                assert stored.cell(first + n + 1, col + j + 1).value == pytest.approx(X[i, j], rel=1e-12)


def test_no_map_for_other_shapes(tmp_path):
    """Four inputs, or more classes than the map draws: no helper sheet, the p_true chart (whose
    title says why when there are two inputs)."""
    four = iris(tmp_path, features=None)
    assert "차트 데이터" not in openpyxl.load_workbook(four.path).sheetnames
    rows = "".join(f"{i % 5},{(i * 7) % 3},k{i % 7}\n" for i in range(35))
    (tmp_path / "seven.csv").write_text("a,b,kind\n" + rows, encoding="utf-8")
    with pytest.warns(UserWarning):
        seven = make(tmp_path / "seven.csv", tmp_path / "seven.xlsx", scale="standard")
    assert "차트 데이터" not in openpyxl.load_workbook(seven.path).sheetnames
    with zipfile.ZipFile(seven.path) as z:
        charts = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/"))
    assert "결정 경계는 그리지 않습니다" in charts


def test_stored_values_are_the_reference(tmp_path):
    """What a spreadsheet shows before recalculating: the reference's numbers."""
    built = exam(tmp_path)
    run_file(built.path, 20)
    m = map_layout(built)
    wb = openpyxl.load_workbook(built.path, data_only=True)
    theta = np.array([wb[m.layout.sheet].cell(*[v + 1 for v in m.layout.cell(p)]).value for p in m.layout.params])
    expected = boundary.segments(m.layout, theta, boundary.chart_box(model_X(built.dataset, built.settings)))
    got = pair_table(lambda r, c: wb[m.sheet].cell(r + 1, c + 1).value, m)
    assert_pairs_equal(got, expected)


# --- LibreOffice --------------------------------------------------------------------------------
def pair_table(read, m: MapLayout) -> list[dict[str, float]]:
    """The pair rows of the helper sheet by column name, through read(row, col)."""
    numeric = [n for n in m.pair_columns if n not in ("c", "d", "others")]
    return [{n: read(m.pair_row(i), m.pair_columns[n]) for n in numeric} for i in range(len(m.pairs))]


def assert_pairs_equal(got: list[dict], expected: list[boundary.Segment]) -> None:
    from gradsheet.sheets.class_map import pair_values
    for row, seg in zip(got, expected, strict=True):
        want = pair_values(seg)
        scale = max(1.0, *(abs(v) for v in want.values()))
        for name, value in want.items():
            assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-9 * scale), (seg.c, seg.d, name)


def lo_reader(doc, m: MapLayout):
    sheet = doc.model.Sheets.getByName(m.sheet)
    last = m.pair_row(len(m.pairs) - 1)
    rows = _read(sheet.getCellRangeByPosition(0, m.pair_row(0), max(m.pair_columns.values()), last), True)
    return lambda r, c: rows[r - m.pair_row(0)][c]


def lo_points(doc, m: MapLayout) -> list[tuple]:
    """The boundary series as the chart reads it: (from, to) per pair, from the points block."""
    sheet = doc.model.Sheets.getByName(m.sheet)
    rows = _read(sheet.getCellRangeByPosition(0, m.points_first, 1, m.points_last), True)
    return [(tuple(rows[3 * i]), tuple(rows[3 * i + 1])) for i in range(len(m.pairs))]


def check_workbook(doc, m: MapLayout, box) -> list[boundary.Segment]:
    """Recalculate; the helper cells equal the reference for the cells' own W and B; the drawn
    segments are the boundary; no error anywhere."""
    doc.recalc()
    assert error_cells(doc) == []
    layout = m.layout
    theta = np.array([doc.named(p) for p in layout.params])
    expected = boundary.segments(layout, theta, box)
    got = pair_table(lo_reader(doc, m), m)
    assert_pairs_equal(got, expected)
    ends = [(c, d, frm, to) for (c, d), row, (frm, to) in zip(m.pairs, got, lo_points(doc, m)) if row["drawn"] == 1]
    for (_, _, frm, to), row in zip(ends, [r for r in got if r["drawn"] == 1]):
        assert frm == (row["from_1"], row["from_2"]) and to == (row["to_1"], row["to_2"])
    assert_true_boundary(layout, theta, box, ends)
    assert_complete(layout, theta, box, ends)
    return expected


def set_params(doc, values: dict[str, float]) -> None:
    for name, value in values.items():
        doc.set_named(name, value)


@pytest.mark.parametrize("which", ["exam", "iris"])
def test_boundary_cells_in_libreoffice(libreoffice, tmp_path, which):
    built = exam(tmp_path) if which == "exam" else iris(tmp_path)
    run_file(built.path, 40)  # a boundary that already parts the classes
    m = map_layout(built)
    layout = m.layout
    box = boundary.chart_box(model_X(built.dataset, built.settings))
    weights = [p for p in layout.params if p.startswith("W")]
    second = [p for p in weights if layout.param_feature(layout.params.index(p)) == 1]
    with libreoffice.open(built.path) as doc:
        first = check_workbook(doc, m, box)
        assert sum(s.drawn for s in first) >= 1
        theta = {p: doc.named(p) for p in layout.params}
        set_params(doc, {p: 30 * v for p, v in theta.items()})
        check_workbook(doc, m, box)
        set_params(doc, {p: 0.0 for p in second})  # W_2 = 0: vertical lines
        check_workbook(doc, m, box)
        set_params(doc, {p: 0.0 for p in weights})  # no line at all
        assert sum(s.drawn for s in check_workbook(doc, m, box)) == 0
        if layout.model == "softmax":  # classes 1 and 2 equal: their pair has no line, the others do
            set_params(doc, theta)
            for p in ("W_1_2", "W_2_2", "B_2"):
                doc.set_named(p, theta[p.replace("_2", "_1") if p.startswith("B") else p[:-1] + "1"])
            segs = check_workbook(doc, m, box)
            assert segs[0].drawn == 0 and segs[0].a == segs[0].b == 0
