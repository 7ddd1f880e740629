"""Gnumeric as a second spreadsheet engine: `ssconvert --recalc` recalculates optimizer
workbooks, and every named cell (next_* against Keras's forms in reference.py, the rest
against the numpy model) must come out as in LibreOffice's proofs.

Gnumeric has no API here, so the cells are changed in the file itself: the value of each
input cell (P, dLoss_dP, the state, t, lr, the hyperparameters) is replaced in the sheet's
XML, and so is the value stored with every compared formula (STALE): a Gnumeric that kept
stored values instead of calculating would fail.

Measured (Gnumeric 1.12.55, these 12 cases): the next_* cells up to 5 ulps off the Keras
forms (Adam's next_sq_P, 79 % of its allowance; next_m_P 56 %, next_vel_P 23 %, next_P 12 %),
where LibreOffice is mostly exact to the bit; the model's cells within the allowances made for
LibreOffice: Loss 2 %, Loss_P 6 %, grad_P and fd_error_P 4 %, exact_grad_P 6 %, dLoss_dt 2.5 %.
"""

from __future__ import annotations

import re
import subprocess
import zipfile

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from gradsheet.build import make
from gradsheet.core.a1 import xl_rowcol_to_cell
from gradsheet.cli import main
from gradsheet.core.layout import param_names
from gradsheet.excel import files
from gradsheet.sheets.workbook import layout_for, model_X
from reference import (KERAS_DEFAULTS, stored_names, SLOTS, assert_matches, assert_optimizer_cells, expected_names,
                       three_feature_csv)


STALE = -12345.678  # stored with every compared formula: a number no cell here calculates


def recalculate(gnumeric, src, dst):
    out = subprocess.run([gnumeric, "--recalc", str(src), str(dst)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and dst.exists(), out.stderr


def sheet_xml(path, sheet: str) -> str:
    """The part holding worksheet `sheet` (from workbook.xml and its relationships)."""
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', book).group(1)
    target = re.search(rf'<Relationship Id="{rid}" Type="[^"]+" Target="([^"]+)"', rels).group(1)
    return "xl/" + target.lstrip("/").removeprefix("xl/")


def with_values(src, dst, part: str, values: dict) -> None:
    """A copy of the workbook with the value stored in each cell (A1 -> number) replaced;
    a formula keeps its text. Only the sheet's XML changes: no program re-saves the file."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == part:
                text = data.decode()
                for ref, value in values.items():
                    pattern = re.compile(rf'(<c r="{ref}"[^>]*>(?:<f[^>]*>[^<]*</f>)?<v>)[^<]*(</v>)')
                    text, n = pattern.subn(lambda m: f"{m.group(1)}{float(value)!r}{m.group(2)}", text)
                    assert n == 1, f"cell {ref} not found once in {part}"
                data = text.encode()
            zout.writestr(item, data)


@pytest.mark.parametrize("edited", [False, True], ids=["after-run", "cells-changed"])
@pytest.mark.parametrize("data", ["lemonade", "three"])
@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_gnumeric_calculates_optimizer_workbooks_like_keras(gnumeric, tmp_path, name, data, edited):
    if data == "lemonade":
        path = make(None, tmp_path / "book.xlsx", optimizer=name).path
    else:
        path = make(three_feature_csv(tmp_path / "three.csv"), tmp_path / "book.xlsx", optimizer=name, lr=0.0005).path
    assert CliRunner().invoke(main, ["run", str(path), "-n", "3"]).exit_code == 0  # state ≠ 0, t = 3
    book = files.read(path)
    d, s, st = book.dataset, book.settings, book.state
    layout = layout_for(d, s, st)
    params = param_names(d.k)
    theta, dloss, slots = st.theta.copy(), st.dloss.copy(), {k: v.copy() for k, v in st.slots.items()}
    t, lr, prev, hyper = st.t, s.lr, st.prev_loss, dict(s.hyper)
    changes = {}
    if edited:  # arbitrary values: negative slopes, another state, t, lr and hyperparameters
        rng = np.random.default_rng(11)
        theta = rng.normal(0, 2, d.k + 1)
        dloss = rng.normal(size=d.k + 1) * 10.0 ** rng.integers(-2, 4, d.k + 1)
        slots = {k: rng.normal(size=d.k + 1) * 10.0 ** rng.integers(-2, 3, d.k + 1) for k in slots}
        if "sq" in slots:
            slots["sq"] = np.abs(slots["sq"])
        t, lr, prev = (7 if name == "adam" else 0), 0.0077, 321.0
        hyper = {"beta": 0.7, "rho": 0.85, "beta1": 0.8, "beta2": 0.99, "delta": 1e-5}
        changes = {"lr": lr, "prevLoss": prev, **hyper, **({"t": t} if name == "adam" else {})}
        for p, P in enumerate(params):
            changes |= {P: theta[p], f"dLoss_d{P}": dloss[p], **{f"{k}_{P}": slots[k][p] for k in slots}}
    expected = expected_names(model_X(d, s), d.y, theta, prev, dloss, lr, s.eps, s.diff)
    optimizer_cells = [f"next_{P}" for P in params] + [f"next_{k}_{P}" for k in SLOTS[name] for P in params]
    compared = [n for n in expected if not n.startswith(("_", "next_"))] + optimizer_cells
    formulas = [n for n in compared if n in layout.scalars and n not in changes and n not in
                (*params, *(f"dLoss_d{P}" for P in params), *(f"{k}_{P}" for k in slots for P in params),
                 "lr", "eps", "prevLoss", "t", *KERAS_DEFAULTS)]
    stale = {layout.a1(n).replace("$", ""): STALE for n in formulas}
    stale |= {xl_rowcol_to_cell(r, layout.columns["h"]): STALE for r in range(layout.first_row, layout.last_row + 1)}
    edited_path, out = tmp_path / "edited.xlsx", tmp_path / "gnumeric.xlsx"
    with_values(path, edited_path, sheet_xml(path, layout.sheet),
                {**{layout.a1(n).replace("$", ""): v for n, v in changes.items()}, **stale})
    recalculate(gnumeric, edited_path, out)
    got = stored_names(out, compared, openpyxl.load_workbook(path, read_only=True))
    assert [n for n in formulas if got[n] == STALE] == [] and STALE not in got["h"]  # calculated
    assert_optimizer_cells(got, name, params, theta, dloss, slots, t, lr, hyper)
    assert_matches({n: got[n] for n in compared if n not in optimizer_cells},
                   {n: v for n, v in expected.items() if not n.startswith("next_")})


@pytest.mark.parametrize("kind", ["logistic1", "logistic2", "softmax2", "iris"])
def test_gnumeric_calculates_classification_workbooks_like_the_reference(gnumeric, tmp_path, kind):
    """The cross-entropy sheet in a second engine, with the parameters 30× their start (so p
    sits near 0 and 1 in many rows) and every compared formula's stored value made stale."""
    import classify_reference as ref
    built = ref.build(kind, tmp_path)
    s, d = built.settings, built.dataset
    layout = layout_for(d, s, built.state)
    X, y, k = model_X(d, s), d.y, d.k
    C = len(s.classes) if s.model == "softmax" else 0
    theta = 30 * built.state.theta
    want = ref.expected(X, y, theta, s.eps, k, C)
    params = layout.params
    scalars = ["Loss", "accuracy"] + [f"{kind_}_{P}" for kind_ in ("Loss", "grad", "exact_grad") for P in params]
    stale = {layout.a1(n).replace("$", ""): STALE for n in scalars}
    for name in layout.computed:
        c = layout.columns[name]
        stale |= {xl_rowcol_to_cell(r, c): STALE for r in range(layout.first_row, layout.last_row + 1)}
    r0, c0, r1, c1 = layout.confusion_span()
    stale |= {xl_rowcol_to_cell(r, c): STALE for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    edited, out = tmp_path / "edited.xlsx", tmp_path / "gnumeric.xlsx"
    with_values(built.path, edited, sheet_xml(built.path, layout.sheet),
                {**{layout.a1(P).replace("$", ""): v for P, v in zip(params, theta)}, **stale})
    recalculate(gnumeric, edited, out)
    got = stored_names(out, scalars + layout.per_class("p") + ["pred"],
                       openpyxl.load_workbook(built.path, read_only=True))
    size = max(want["Loss"], ref.scale_of(X, theta, k, C))
    assert got["Loss"] == pytest.approx(want["Loss"], rel=1e-9)
    for i, P in enumerate(params):
        assert got[f"Loss_{P}"] == pytest.approx(want["plus"][i], rel=0, abs=1e-12 * size), P
        assert got[f"grad_{P}"] == pytest.approx(want["grad"][i], rel=0, abs=1e-12 * size / s.eps), P
        assert got[f"exact_grad_{P}"] == pytest.approx(want["exact"][i], rel=0, abs=1e-12 * size), P
    columns = [want["p"]] if C == 0 else [want["p"][:, c] for c in range(C)]
    for name, column in zip(layout.per_class("p"), columns):
        assert np.allclose(np.array(got[name], dtype=float), column, rtol=0, atol=1e-13), name
    assert got["accuracy"] == pytest.approx(want["accuracy"], abs=1e-15)
    confusion = openpyxl.load_workbook(out, data_only=True)[layout.sheet]
    counts = [[confusion.cell(r + 1, c + 1).value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
    assert np.array_equal(np.array(counts, dtype=float), want["confusion"])


@pytest.mark.parametrize("kind", ["logistic2", "softmax2"])
def test_gnumeric_and_libreoffice_agree_on_every_derived_classifier_cell(gnumeric, libreoffice, tmp_path, kind):
    """The classifier's derived sheets ('All steps', the race, the landscape, softmax's
    'Logits') in both engines, with the training sheet's parameters 30× their start: every
    number of every derived sheet agrees. (LibreOffice's are proven against the model in
    test_classifier_derived.py.) Gnumeric would evaluate LN/EXP of a column inside a plain
    SUMPRODUCT at one cell; the sheets enter those as array formulas."""
    import classify_reference as ref
    from test_edge_tables import error_cells
    built = ref.build(kind, tmp_path, unrolled=8, compare=4)
    layout = layout_for(built.dataset, built.settings, built.state)
    theta = 30 * built.state.theta
    edited, out = tmp_path / "edited.xlsx", tmp_path / "gnumeric.xlsx"
    with_values(built.path, edited, sheet_xml(built.path, layout.sheet),
                {layout.a1(P).replace("$", ""): v for P, v in zip(layout.params, theta)})
    recalculate(gnumeric, edited, out)
    theirs = openpyxl.load_workbook(out, data_only=True)
    derived = [name for name in theirs.sheetnames if name not in (layout.sheet, "설명", "gradsheet")]
    assert len(derived) >= 3, derived
    with libreoffice.open(edited) as doc:
        doc.recalc()
        assert error_cells(doc) == []
        compared = 0
        for name in derived:
            ws = theirs[name]
            sheet = doc.model.Sheets.getByName(name)
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                        mine = sheet.getCellByPosition(c.column - 1, c.row - 1).getValue()
                        # slopes are differences of losses over eps (~1e-15·Loss/eps of rounding), and
                        # RMSprop's and Adam's lanes divide them by their own small sizes step after
                        # step: the two engines drift apart by ~1e-9 relative over a lane. The fault
                        # this guards against (a column's function taken at one cell) is 25–120 %.
                        assert c.value == pytest.approx(mine, rel=1e-6, abs=1e-9), f"{name}!{c.coordinate}"
                        compared += 1
        assert compared > 100
