"""The xlwings front-end through xlwings' Book(json=...) engine: the actions a script
returns, applied back to the workbook's values, must equal the model's steps."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from openpyxl.utils import range_boundaries

from jsonbook import apply_actions, book_json, cell, open_book, position  # sets the test licence first
from gradsheet.core import descent
from gradsheet.core import addin
from gradsheet.core import models as model
from gradsheet.build import make
from gradsheet.excel.buttons import BUTTONS, lite_main
from gradsheet.core.layout import param_names
from gradsheet.excel.lite import read_lite_parts
from gradsheet.core.settings import initial_theta
from gradsheet.sheets.workbook import layout_for


def read_state(data, built):
    """W…, B, dLoss_dP, prevLoss and history rows out of the (applied) book json."""
    layout = layout_for(built.dataset, built.settings, built.state)
    at = lambda name: cell(data, layout.sheet, layout.a1(name))  # noqa: E731
    params = param_names(built.dataset.k)
    sheet = next(s for s in data["sheets"] if s["name"] == layout.sheet)
    table = next(t for t in sheet["tables"] if t["name"] == "history")
    c1, r1, c2, r2 = range_boundaries(table["data_body_range_address"].replace("$", ""))
    rows = [[None if v == "" else v for v in sheet["values"][r - 1][c1 - 1:c2]] for r in range(r1, r2 + 1)]
    rows = [r[1:] for r in rows if any(v is not None for v in r[1:])]
    return (np.array([at(p) for p in params]), np.array([at(f"dLoss_d{p}") for p in params]),
            at("prevLoss"), np.array(rows, dtype=float).reshape(-1, len(params) + 1), at("next_action"))


@pytest.mark.parametrize("n", [1, 50])
def test_run_steps_equals_the_model(built, n):
    data = book_json(built.path)
    book = open_book(data)
    addin.run_steps(book, n) if n > 1 else addin.one_step(book)
    theta, dloss, prev, history, _ = read_state(apply_actions(data, book.json()["actions"]), built)
    d, s = built.dataset, built.settings
    want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, n)
    assert np.allclose(theta, want.theta, rtol=1e-12, atol=1e-12)
    assert np.allclose(dloss, want.gradients, rtol=1e-12, atol=1e-12)
    assert np.allclose(history, want.history, rtol=1e-12, atol=1e-12)
    assert prev == pytest.approx(want.history[-1, -1], rel=1e-12)
    assert len(history) == n


def test_reads_and_writes_do_not_grow_with_the_number_of_steps(built):
    data = book_json(built.path)
    counts = []
    for n in (1, 10, 1000):
        grid = addin.XlwingsGrid(open_book(data))
        live = addin.live_book.load(grid)
        outcome = addin.steps.run(live.problem, live.state, n)
        addin.live_book.save(grid, live, outcome.state)
        counts.append((grid.reads, grid.writes))
    assert counts[0] == counts[1] == counts[2], counts


def test_reset_with_a_seed_empties_history(built):
    data = book_json(built.path)
    book = open_book(data)
    addin.run_steps(book, 3)
    after = apply_actions(data, book.json()["actions"])
    book = open_book(after)
    addin.reset(book, seed=11)
    theta, dloss, prev, history, status = read_state(apply_actions(after, book.json()["actions"]), built)
    want = initial_theta(built.dataset.k, 11)
    assert np.array_equal(theta, want)
    assert len(history) == 0 and not dloss.any()
    assert prev == 0  # nothing copied yet
    assert position(apply_actions(after, book.json()["actions"])) == 0  # 2: copy into history


def test_next_action_appends_history_then_points_to_3(built):
    data = book_json(built.path)
    book = open_book(data)
    addin.next_action(book)
    theta, _, _, history, status = read_state(apply_actions(data, book.json()["actions"]), built)
    d = built.dataset
    assert np.allclose(history, [np.append(built.state.theta, model.loss(d.X, d.y, built.state.theta))])
    assert position(apply_actions(data, book.json()["actions"])) == 1  # 3: copy Loss into prevLoss


def test_a_damaged_book_gets_a_message_and_no_step(built):
    data = book_json(built.path)
    layout = layout_for(built.dataset, built.settings, built.state)
    r, c = layout.cell("Loss")
    sheet = next(s for s in data["sheets"] if s["name"] == layout.sheet)
    sheet["values"][r][c] = 12345.0  # Loss no longer what the data and W, B give
    book = open_book(data)
    message = addin.one_step(book)
    assert message.startswith("워크북의 Loss(12345)가") and "모델의 값(" in message  # the workbook's language
    actions = book.json()["actions"]
    assert len(actions) == 1 and actions[0]["values"][0][0] == f"gradsheet: {message}"  # only the status cell


def test_divergence_keeps_the_last_good_state(tmp_path):
    built = make(None, tmp_path / "d.xlsx", lr=0.05)
    data = book_json(built.path)
    book = open_book(data)
    message = addin.run_steps(book, 100)
    assert "lr = 0.05" in message and "0.001" in message
    theta, _, _, history, _ = read_state(apply_actions(data, book.json()["actions"]), built)
    assert np.all(np.isfinite(theta)) and 1 <= len(history) < 5


def test_the_workbook_carries_main_py_with_one_script_per_button(built):
    parts = read_lite_parts(built.path)
    layout = layout_for(built.dataset, built.settings, built.state)
    assert parts["main.py"] == lite_main(layout, built.settings.lang)
    assert "xlwings" in parts["requirements.txt"]
    for func, _, ko, _ in BUTTONS:
        assert f"async def {func}(book: BookAsync):" in parts["main.py"]
        assert f'@script(button="[{ko}]학습!' in parts["main.py"]


EMBEDDED_RUN = r"""
import json, sys
# No gradsheet on the path: main.py must bring its own (as inside xlwings Lite).
sys.path = [p for p in sys.path if "site-packages" in p or "lib/python3" in p]
class _NoInstalledGradsheet:
    def find_spec(self, name, path=None, target=None):
        if name == "gradsheet" or name.startswith("gradsheet."):
            raise ImportError("installed gradsheet hidden")
sys.meta_path.insert(0, _NoInstalledGradsheet())
import os; os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
import xlwings as xw
source = open(sys.argv[1], encoding="utf-8").read()
main = type(sys)("main"); exec(compile(source, "main.py", "exec"), main.__dict__)
import gradsheet
assert gradsheet.__spec__.origin == "main.py:gradsheet", gradsheet.__spec__.origin
book = xw.Book(json=json.load(open(sys.argv[2], encoding="utf-8")))
import asyncio, inspect
pressed = getattr(main, sys.argv[3])(book)
if inspect.isawaitable(pressed):  # Lite awaits an async script
    asyncio.run(pressed)
print(json.dumps(book.json()["actions"]))
"""


def test_embedded_main_py_runs_without_the_gradsheet_package(built, tmp_path):
    main_py, book = tmp_path / "main.py", tmp_path / "book.json"
    main_py.write_text(read_lite_parts(built.path)["main.py"], encoding="utf-8")
    data = book_json(built.path)
    book.write_text(json.dumps(data, default=str), encoding="utf-8")
    for func, call in (("ten_steps", lambda b: addin.run_steps(b, 10)), ("next_action", addin.next_action)):
        out = subprocess.run([sys.executable, "-c", EMBEDDED_RUN, str(main_py), str(book), func],
                             capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        reference = open_book(data)
        call(reference)
        assert json.loads(out.stdout) == json.loads(json.dumps(reference.json()["actions"]))
