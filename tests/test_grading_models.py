"""Grading is generic over the model and the blank names: a logistic and a softmax exercise (blank
z, p, ce, Loss, Loss_P, grad_P, next_P; softmax z_c, p_c …) grade the same way as the linear
one, with the expected values from the specs (core/models.py), once the answer key carries the
model and its classes. The exercises are made by `gradsheet exercise` itself (make_exercise)."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from classroom_fill import fill
from gradsheet.classroom import exercise as ex
from gradsheet.classroom.grade import grade
from gradsheet.core import models
from gradsheet.core.layout import Layout
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.core.texts import texts
from gradsheet.sheets.train import optimizer_refs


def make(folder: Path, model: str, classes: tuple, blank: list[str], students: dict, optimizer="gd") -> Layout:
    """The exercise as `gradsheet exercise` makes it: the lesson's table is the first student's
    (id -> (X, y)); every student of the roster gets numbers of their own and the blank cells
    empty. Returns the training sheet's layout."""
    import warnings
    X, y = next(iter(students.values()))
    data = folder.parent / "lesson.csv"
    lines = [",".join([f"x{j + 1}" for j in range(X.shape[1])] + ["kind"])]
    lines += [",".join([f"{v:g}" for v in row] + [classes[int(c)]]) for row, c in zip(X, y)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = folder.parent / "roster.csv"
    roster.write_text("id\n" + "\n".join(students) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the classifier's lr and model lines
        ex.make_exercise(data, roster, folder, blank=",".join(blank), model=model, classes=",".join(classes),
                         optimizer=optimizer, lr=0.05)
    n, k = X.shape
    return Layout(n, k, texts("ko")["sheet_train"], optimizer=optimizer, model=model, classes=classes)


def right_formulas(layout: Layout) -> dict[str, list[str]]:
    """Every blank-able name's formula, from the specs' Excel texts."""
    spec = models.model_spec(layout.model, len(layout.classes))
    rows = range(layout.first_row + 1, layout.last_row + 2)
    out = {name: [text.format(r) for r in rows] for name, text in spec.excel_rows(layout).items()}
    out["Loss"] = [spec.EXCEL_LOSS]
    opt = OPTIMIZERS[layout.optimizer]
    for p, name in enumerate(layout.params):
        out[f"Loss_{name}"] = [spec.excel_nudged_loss(layout, p)]
        out[f"grad_{name}"] = [spec.excel_grad(layout, p)]
        out[f"next_{name}"] = [opt.next_param.formula(optimizer_refs(name, opt.slots))]
    return out


def marks(path: Path) -> dict[str, dict]:
    rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_a_logistic_exercise_grades_by_its_spec(tmp_path, libreoffice, optimizer):
    rng = np.random.default_rng(3)
    students = {}
    for sid in ("A", "B", "C"):
        X = np.round(rng.normal(2, 1.5, (8, 2)), 1)
        students[sid] = (X, (X[:, 0] + rng.normal(0, 1, 8) > 2).astype(float))
    blank = ["z", "p", "ce", "Loss", "Loss_W_1", "Loss_B", "grad_W_2", "grad_B", "next_W_1", "next_B"]
    L = make(tmp_path / "ex", "logistic", ("no", "yes"), blank, students, optimizer)
    right = right_formulas(L)
    sub = tmp_path / "sub"
    sub.mkdir()
    fill(libreoffice, tmp_path / "ex" / "A.xlsx", sub / "A.xlsx", {n: right[n] for n in blank}, L)
    wrong = dict({n: right[n] for n in blank}, p=[f.replace("EXP(MIN(", "EXP(-MIN(") for f in right["p"]],
                 grad_B=["=(Loss_B-Loss)/lr"])
    fill(libreoffice, tmp_path / "ex" / "B.xlsx", sub / "B.xlsx", wrong, L)
    fill(libreoffice, tmp_path / "ex" / "C.xlsx", sub / "C.xlsx", dict({n: right[n] for n in blank}, Loss=["=0.6931+0"]),
         L)
    grade([sub], tmp_path / "ex", tmp_path / "report.csv", lo=libreoffice)
    got = marks(tmp_path / "report.csv")
    assert [got["A"][n] for n in blank] == ["ok"] * len(blank), got["A"]
    assert [n for n in blank if got["B"][n] != "ok"] == ["p", "grad_B"]
    assert got["B"]["p"] == "wrong" and got["B"]["ce"] == "ok"  # ce reads z, not the wrong p
    assert [n for n in blank if got["C"][n] != "ok"] == ["Loss"] and got["C"]["Loss"] == "constant"


def test_a_softmax_exercise_grades_by_its_spec(tmp_path, libreoffice):
    rng = np.random.default_rng(4)
    students = {}
    for sid in ("A", "B"):
        X = np.round(rng.normal(0, 2, (9, 2)), 1)
        students[sid] = (X, np.array([0, 1, 2] * 3, dtype=float))
    blank = ["z_1", "z_3", "p_2", "ce", "Loss", "Loss_W_1_1", "Loss_B_3", "grad_W_2_2", "grad_B_1", "next_W_1_3",
             "next_B_2"]
    L = make(tmp_path / "ex", "softmax", ("a", "b", "c"), blank, students)
    right = right_formulas(L)
    sub = tmp_path / "sub"
    sub.mkdir()
    fill(libreoffice, tmp_path / "ex" / "A.xlsx", sub / "A.xlsx", {n: right[n] for n in blank}, L)
    wrong = dict({n: right[n] for n in blank}, Loss_B_3=[right["Loss_B_3"][0].replace("p_3", "p_1")])
    fill(libreoffice, tmp_path / "ex" / "B.xlsx", sub / "B.xlsx", wrong, L)
    grade([sub], tmp_path / "ex", tmp_path / "report.csv", lo=libreoffice)
    got = marks(tmp_path / "report.csv")
    assert [got["A"][n] for n in blank] == ["ok"] * len(blank), got["A"]
    assert [n for n in blank if got["B"][n] != "ok"] == ["Loss_B_3"]
