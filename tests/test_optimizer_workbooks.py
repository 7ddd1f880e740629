"""Workbooks with an optimizer (momentum, RMSprop, Adam; gd is the course's, proven elsewhere)
against Keras 3's update forms written out in reference.py: the live next_* formulas in
LibreOffice after every cell they read was changed, the stored values after runs and hand
actions, `gradsheet run` against the descent done by hand, hand presses against whole steps
(files, LibreOffice, xlwings' Book json), divergence, and the hyperparameters' checks.

Measured: LibreOffice's next_* cells used at most 24 % of their allowance
(reference.optimizer_allowance; momentum's and Adam's were equal to the bit); a 30-step
`gradsheet run` stayed within 10 % of reference.optimizer_drift (history, parameters, state,
slopes; every optimizer and table), while central differences in place of forward ones would
break it 36 000× (momentum, lemonade) to 6.9 million× (gd, lemonade) over."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import range_boundaries

from jsonbook import apply_actions, book_json, cell, open_book, position  # sets the test licence first
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.core import addin, descent, procedure, steps
from gradsheet.core import models as model
from gradsheet.core.layout import param_names
from gradsheet.core.errors import GradsheetError
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.data.dataset import lemonade
from gradsheet.excel import files
from gradsheet.excel.lite import read_lite_parts
from gradsheet.sheets.workbook import layout_for
from libreoffice_grid import LibreOfficeGrid
from shared_builds import built_copy
from reference import (KERAS_DEFAULTS, SLOTS, TYPED_RTOL, assert_matches, assert_optimizer_cells,
                       course_actions, expected_names, hand_descent, hand_forward_slopes, keras_all,
                       loss_rounding, nudges, optimizer_drift, slope_sensitivity, three_feature_csv)

STATEFUL = ("momentum", "rmsprop", "adam")
# Learning rates that make 30 steps move far (Loss down 5× to 40 000×) without diverging.
LR = {"lemonade": {"gd": 0.001, "momentum": 0.001, "rmsprop": 0.1, "adam": 0.1},
      "three": {"gd": 0.0005, "momentum": 0.0005, "rmsprop": 0.1, "adam": 0.1}}
# Changed hyperparameters: each must reach next_* (the defaults are Keras's).
CHANGED = {"beta": 0.75, "rho": 0.8, "beta1": 0.8, "beta2": 0.99, "delta": 1e-4}
# Without the derived sheets ('All steps', landscape, the optimizers' race) a file is rewritten
# 3× faster: for the tests that press a button a dozen times.
LEAN = {"unrolled": 0, "compare": 0, "landscape": ("none",)}


def cli(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def build(tmp_path, name, data="lemonade", **options):
    def make_into(folder):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # none of these learning rates may be called unstable
            if data == "lemonade":
                return make(None, folder / f"{name}.xlsx", optimizer=name, lr=LR[data][name], **options)
            return make(three_feature_csv(folder / "three.csv"), folder / f"{name}-three.xlsx",
                        optimizer=name, lr=LR[data][name], **options)
    return built_copy(repr((name, data, sorted(options.items()))), tmp_path, make_into)


def stored(path, names) -> dict:
    """The values stored with the cells of these defined names (openpyxl, data_only)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for name in names:
        (sheet, ref), = wb.defined_names[name].destinations
        out[name] = wb[sheet][ref].value
    return out


def cells_of(get, name, params) -> dict:
    """What an optimizer's formulas read, from a getter of named cells: (theta, dloss, state,
    t, lr, hyper)."""
    theta = [float(get(P)) for P in params]
    dloss = [float(get(f"dLoss_d{P}")) for P in params]
    state = {s: [float(get(f"{s}_{P}")) for P in params] for s in SLOTS[name]}
    t = int(get("t")) if name == "adam" else 0
    return theta, dloss, state, t, float(get("lr")), {h: float(get(h)) for h in KERAS_DEFAULTS}


def next_names(name, params) -> list:
    return [f"next_{P}" for P in params] + [f"next_{s}_{P}" for s in SLOTS[name] for P in params]


def slope_allowance(X, y, theta, prev_loss, eps) -> np.ndarray:
    """How far a slope pasted by hand (action 4-2: Loss with P really holding P + eps, typed
    into the file, minus the typed prevLoss) may be from a whole step's grad_P: both losses'
    rounding, and the 16 digits of P + eps and of prevLoss, over eps."""
    th = np.asarray(theta, dtype=float)
    base = loss_rounding(X, y, th)
    rounding = np.array([loss_rounding(X, y, th, shift) + base for shift in nudges(X, eps)])
    typed = (np.abs(model.exact_gradient(X, y, th)) * TYPED_RTOL * (np.abs(th) + eps)
             + TYPED_RTOL * abs(prev_loss))
    return (rounding + typed) / eps


def assert_near(got, want, atol, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    bad = np.abs(got - want) > atol
    assert not bad.any(), f"{what}: {got[bad]} != {want[bad]} (allowance {np.broadcast_to(atol, bad.shape)[bad]})"


# --- the live formulas, in LibreOffice ----------------------------------------------------------
@pytest.mark.parametrize("data", ["lemonade", "three"])
@pytest.mark.parametrize("name", STATEFUL)
def test_next_cells_follow_every_cell_they_read_in_libreoffice(libreoffice, tmp_path, name, data):
    """P, dLoss_dP, the state, t, lr and the hyperparameters set to arbitrary values in the
    open workbook (negative slopes, state ≠ 0, t = 3): every next_* equals Keras's forms, and
    each changed hyperparameter and t make a difference the comparison sees."""
    built = build(tmp_path, name, data)
    d = built.dataset
    params = param_names(d.k)
    rng = np.random.default_rng(5)
    theta = rng.normal(0, 3, d.k + 1)
    dloss = -np.abs(rng.normal(size=d.k + 1)) * 10.0 ** rng.integers(-2, 4, d.k + 1)
    dloss[::2] *= -1  # some slopes positive
    state = {s: rng.normal(size=d.k + 1) * 10.0 ** rng.integers(-2, 3, d.k + 1) for s in SLOTS[name]}
    if "sq" in state:
        state["sq"] = np.abs(state["sq"])  # a mean of squares
    lr, t = 0.0123, 3
    with libreoffice.open(built.path) as doc:
        doc.set_named("lr", lr)
        doc.set_named("prevLoss", 123.0)
        for h, v in CHANGED.items():
            doc.set_named(h, v)
        if name == "adam":
            doc.set_named("t", t)
        for p, P in enumerate(params):
            doc.set_named(P, float(theta[p]))
            doc.set_named(f"dLoss_d{P}", float(dloss[p]))
            for s in SLOTS[name]:
                doc.set_named(f"{s}_{P}", float(state[s][p]))
        doc.recalc()
        got = {n: doc.named(n) for n in next_names(name, params)}
        rest = expected_names(d.X, d.y, theta, 123.0, dloss, lr, built.settings.eps)
        rest = {n: v for n, v in rest.items() if not n.startswith("next_")}
        sheet = {n: doc.named(n) for n in rest if not n.startswith("_")}
    t_ = t if name == "adam" else 0
    assert_optimizer_cells(got, name, params, theta, dloss, state, t_, lr, CHANGED)
    assert_matches(sheet, rest)  # the rest of the sheet still follows the changed cells
    for h in OPTIMIZERS[name].hyper:  # each hyperparameter cell reaches next_*
        with pytest.raises(AssertionError):
            assert_optimizer_cells(got, name, params, theta, dloss, state, t_, lr, {**CHANGED, h: KERAS_DEFAULTS[h]})
    if name == "adam":  # and so does t (the bias correction's step t + 1)
        with pytest.raises(AssertionError):
            assert_optimizer_cells(got, name, params, theta, dloss, state, t + 1, lr, CHANGED)


# --- stored values and hand presses on files ----------------------------------------------------
def assert_stored_optimizer_cells(path, name, params):
    """The stored next_* equal Keras's forms of the file's own stored P, dLoss_dP, state, t,
    lr and hyperparameters (typed numbers: 16 digits)."""
    inputs = [*params, *(f"dLoss_d{P}" for P in params), *(f"{s}_{P}" for s in SLOTS[name] for P in params),
              "lr", *KERAS_DEFAULTS, *(["t"] if name == "adam" else [])]
    values = stored(path, inputs + next_names(name, params))
    theta, dloss, state, t, lr, hyper = cells_of(values.get, name, params)
    assert_optimizer_cells(values, name, params, theta, dloss, state, t, lr, hyper, typed=True)
    return values


@pytest.mark.parametrize("name, data, before", [(n, "lemonade", b) for n in STATEFUL for b in (0, 3)]
                         + [("adam", "three", 3)])
def test_hand_presses_equal_one_step_and_store_kerass_values(tmp_path, name, data, before):
    """`gradsheet next` pressed len(procedure.actions) times gives what one `gradsheet step`
    gives: from a fresh book, and after `run -n 3` (state ≠ 0, t = 3). After every press the
    stored next_* are Keras's forms of the file's cells, and the pastes (6: next_P into P,
    7: next state into the state, t + 1) carry the values the file showed before."""
    built = build(tmp_path, name, data, **LEAN)
    d, s = built.dataset, built.settings
    params = param_names(d.k)
    if before:
        cli("run", built.path, "-n", before)
        assert_stored_optimizer_cells(built.path, name, params)
    whole = tmp_path / "whole.xlsx"
    shutil.copy(built.path, whole)
    start = files.read(built.path).state
    acts = procedure.actions(d.k, name)
    assert len(acts) == len(course_actions(d.k)) + 1  # the course's actions, then the state's paste
    shown = assert_stored_optimizer_cells(built.path, name, params)
    for code, kind, _ in acts:
        cli("next", built.path)
        now = assert_stored_optimizer_cells(built.path, name, params)
        if kind == "update":
            assert_near([now[P] for P in params], [shown[f"next_{P}"] for P in params],
                        TYPED_RTOL * np.abs([shown[f"next_{P}"] for P in params]), code)
        if kind == "paste_state":
            for slot in SLOTS[name]:
                want = [shown[f"next_{slot}_{P}"] for P in params]
                assert_near([now[f"{slot}_{P}"] for P in params], want, TYPED_RTOL * np.abs(want), code)
        if name == "adam":  # the count moves with the state's paste, and only then
            assert now["t"] == shown["t"] + (kind == "paste_state")
        shown = now
    cli("step", whole)
    hand, once = files.read(built.path).state, files.read(whole).state
    assert hand.action == once.action == 0
    assert np.array_equal(hand.history, once.history) and len(hand.history) == before + 1
    assert hand.prev_loss == once.prev_loss and hand.t == once.t == start.t + (name == "adam")
    slope = slope_allowance(d.X, d.y, start.theta, start.prev_loss, s.eps)
    assert_near(hand.dloss, once.dloss, slope + TYPED_RTOL * np.abs(once.dloss), "dLoss_dP")
    carry = slope_sensitivity(name, start.theta, once.dloss, start.slots, start.t, s.lr, s.hyper)
    carry *= np.tile(slope, 1 + len(SLOTS[name]))
    z_hand = np.concatenate([hand.theta, *(hand.slots[slot] for slot in SLOTS[name])])
    z_once = np.concatenate([once.theta, *(once.slots[slot] for slot in SLOTS[name])])
    assert_near(z_hand, z_once, carry + 2 * TYPED_RTOL * np.abs(z_once), "parameters and state")


# --- `gradsheet run` against the descent done by hand --------------------------------------------
@pytest.mark.parametrize("data", ["lemonade", "three"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_run_equals_the_descent_done_by_hand(tmp_path, name, data):
    """30 steps: the course's forward slopes (Loss_P − Loss)/eps from math.fsum losses, then
    Keras's update, written out plainly; the file's history, parameters, slopes, state and t
    after `gradsheet run -n 30` agree within reference.optimizer_drift."""
    built = build(tmp_path, name, data)
    d, s = built.dataset, built.settings
    params = param_names(d.k)
    cli("run", built.path, "-n", 30)
    hand = hand_descent(d.X, d.y, built.state.theta, s.lr, s.eps, 30, name)
    allow = optimizer_drift(d.X, d.y, hand, s.lr, s.eps, name)
    H = np.array(hand.history)
    history = files.read(built.path).state.history
    assert history.shape == H.shape
    assert_near(history[:, :-1], H[:, :-1], allow["param"] + TYPED_RTOL * np.abs(H[:, :-1]), "history W, B")
    assert_near(history[:, -1], H[:, -1], allow["loss"] + TYPED_RTOL * H[:, -1], "history Loss")
    values = assert_stored_optimizer_cells(built.path, name, params)
    theta, dloss, state, t, _, _ = cells_of(values.get, name, params)
    z = np.array(theta + [v for slot in SLOTS[name] for v in state[slot]])
    z_hand = np.array(hand.theta + [v for slot in SLOTS[name] for v in hand.state[slot]])
    assert_near(z, z_hand, allow["end"] + TYPED_RTOL * np.abs(z_hand), "parameters and state")
    assert_near(dloss, hand.dloss, allow["slope"] + TYPED_RTOL * np.abs(hand.dloss), "dLoss_dP")
    assert t == hand.t == (30 if name == "adam" else 0)
    assert H[-1, -1] < H[0, -1] / 5  # the run really went somewhere
    # the allowance is far narrower than a wrong slope: central differences would break it
    central = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, 30, model.CENTRAL,
                              optimizer=OPTIMIZERS[name])
    m = d.k + 1
    assert np.max(np.abs(central.theta - hand.theta) / allow["end"][:m]) > 100


# --- hand actions in LibreOffice ----------------------------------------------------------------
def press(grid, doc, change, check=True):
    """One button press on the open workbook: read, change, write back, recalculate."""
    live = addin.live_book.load(grid)
    if check:
        steps.check_book(live.problem, live.state, live.book_loss)
    addin.live_book.save(grid, live, change(live.problem, live.state))
    doc.recalc()
    return addin.live_book.load(grid)


@pytest.mark.parametrize("data", ["lemonade", "three"])
@pytest.mark.parametrize("name", STATEFUL)
def test_hand_actions_in_libreoffice_equal_a_whole_step(libreoffice, tmp_path, name, data):
    """After 3 whole steps (state ≠ 0), the engine driving the open workbook action by action
    ends where a whole step does; after every press LibreOffice's next_* are Keras's forms of
    the cells it holds (also while P holds P + eps)."""
    built = build(tmp_path, name, data, **LEAN)
    d, s = built.dataset, built.settings
    params = param_names(d.k)
    with libreoffice.open(built.path) as by_hand, libreoffice.open(built.path) as whole:
        hand, once = LibreOfficeGrid(by_hand), LibreOfficeGrid(whole)
        for grid, doc in ((hand, by_hand), (once, whole)):
            start = press(grid, doc, lambda p, st: steps.run(p, st, 3).state).state
        assert start.t == (3 if name == "adam" else 0) and all(v.any() for v in start.slots.values())
        for code, _, _ in procedure.actions(d.k, name):
            live = press(hand, by_hand, steps.act)
            got = {n: by_hand.named(n) for n in next_names(name, params)}
            assert_optimizer_cells(got, name, params, *cells_of(by_hand.named, name, params))
        step = press(once, whole, lambda p, st: steps.run(p, st, 1).state)
    a, b = live.state, step.state
    assert a.action == b.action == 0 and a.t == b.t
    assert np.array_equal(a.history, b.history) and a.prev_loss == b.prev_loss
    slope = slope_allowance(d.X, d.y, start.theta, 0.0, s.eps)  # LibreOffice keeps every digit
    assert_near(a.dloss, b.dloss, slope, "dLoss_dP")
    carry = slope_sensitivity(name, start.theta, b.dloss, start.slots, start.t, s.lr, s.hyper)
    carry *= np.tile(slope, 1 + len(SLOTS[name]))
    z_a = np.concatenate([a.theta, *(a.slots[slot] for slot in SLOTS[name])])
    z_b = np.concatenate([b.theta, *(b.slots[slot] for slot in SLOTS[name])])
    assert_near(z_a, z_b, carry, "parameters and state")


# --- xlwings' Book(json): Lite and classic --------------------------------------------------------
def json_state(data, built) -> dict:
    """W…, B, dLoss_dP, prevLoss, the state, t and the history rows out of the applied book json."""
    layout = layout_for(built.dataset, built.settings, built.state)
    at = lambda name: cell(data, layout.sheet, layout.a1(name))  # noqa: E731
    params = layout.params
    sheet = next(s for s in data["sheets"] if s["name"] == layout.sheet)
    table = next(t for t in sheet["tables"] if t["name"] == "history")
    c1, r1, c2, r2 = range_boundaries(table["data_body_range_address"].replace("$", ""))
    rows = [[None if v == "" else v for v in sheet["values"][r - 1][c1 - 1:c2]] for r in range(r1, r2 + 1)]
    rows = [r[1:] for r in rows if any(v is not None for v in r[1:])]
    return {"theta": np.array([at(P) for P in params]), "dloss": np.array([at(f"dLoss_d{P}") for P in params]),
            "prev": at("prevLoss"), "history": np.array(rows, dtype=float).reshape(-1, len(params) + 1),
            "slots": {s: np.array([at(f"{s}_{P}") for P in params]) for s in layout.slots},
            "t": at("t") if "t" in layout.scalars else 0, "status": at("next_action")}


def recalculated(data, built, theta) -> dict:
    """The book json after Excel recalculated the Loss cell the engine checks (the json engine
    does not calculate formulas)."""
    layout = layout_for(built.dataset, built.settings, built.state)
    r, c = layout.cell("Loss")
    next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = \
        model.loss(built.dataset.X, built.dataset.y, np.asarray(theta))
    return data


@pytest.mark.parametrize("data", ["lemonade", "three"])
@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_run_steps_in_the_json_book_equals_the_engine(tmp_path, name, data):
    built = build(tmp_path, name, data)
    d, s = built.dataset, built.settings
    book_data = book_json(built.path)
    for n in (1, 30):
        book = open_book(book_data)
        addin.run_steps(book, n)
        got = json_state(apply_actions(book_data, book.json()["actions"]), built)
        want = descent.descend(d.X, d.y, built.state.theta, s.lr, s.eps, n, optimizer=OPTIMIZERS[name],
                               hyper=s.hyper)
        assert np.array_equal(got["theta"], want.theta) and np.array_equal(got["dloss"], want.gradients)
        assert np.array_equal(got["history"], want.history) and got["prev"] == want.history[-1, -1]
        for slot in SLOTS[name]:
            assert np.array_equal(got["slots"][slot], want.slots[slot])
        assert got["t"] == want.t == (n if name == "adam" else 0)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_next_action_in_the_json_book_equals_the_engine(tmp_path, name):
    """One step and one action more, a press at a time (each press sees what the last wrote)."""
    built = build(tmp_path, name, "three")
    problem = steps.Problem(built.dataset.X, built.dataset.y, built.settings.lr, built.settings.eps,
                            optimizer=name, hyper=built.settings.hyper)
    state = built.state
    book_data = book_json(built.path)
    acts = procedure.actions(built.dataset.k, name)
    for i in range(len(acts) + 1):
        book = open_book(book_data)
        addin.next_action(book)
        state = steps.act(problem, state)
        book_data = recalculated(apply_actions(book_data, book.json()["actions"]), built, state.theta)
        got = json_state(book_data, built)
        assert position(book_data) == state.action == (i + 1) % len(acts)
        assert np.array_equal(got["theta"], state.theta) and np.array_equal(got["dloss"], state.dloss)
        assert np.array_equal(got["history"], state.history) and got["t"] == state.t
        for slot in SLOTS[name]:
            assert np.array_equal(got["slots"][slot], state.slots[slot])
    assert state.t == (1 if name == "adam" else 0) and state.slots[SLOTS[name][0]].any()


def test_embedded_main_py_of_an_adam_workbook_runs_without_the_gradsheet_package(tmp_path):
    from test_addin import EMBEDDED_RUN
    built = build(tmp_path, "adam")
    main_py, book = tmp_path / "main.py", tmp_path / "book.json"
    main_py.write_text(read_lite_parts(built.path)["main.py"], encoding="utf-8")
    data = book_json(built.path)
    book.write_text(json.dumps(data, default=str), encoding="utf-8")
    for func, call in (("ten_steps", lambda b: addin.run_steps(b, 10)), ("next_action", addin.next_action),
                       ("one_step", addin.one_step)):
        out = subprocess.run([sys.executable, "-c", EMBEDDED_RUN, str(main_py), str(book), func],
                             capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        reference = open_book(data)
        call(reference)
        actions = json.loads(out.stdout)
        assert actions == json.loads(json.dumps(reference.json()["actions"]))
    got = json_state(apply_actions(data, actions), built)  # one_step: Adam's state and t moved
    assert got["t"] == 1 and got["slots"]["m"].any() and got["slots"]["sq"].all()


# --- divergence ---------------------------------------------------------------------------------
def test_a_diverging_momentum_stops_with_the_message_and_a_valid_file(tmp_path):
    """Momentum with lr 0.01 on lemonade (above its limit 2·(1 + beta)/curvature = 0.0037)."""
    with pytest.warns(UserWarning, match="Loss가 발산합니다"):
        built = make(None, tmp_path / "d.xlsx", optimizer="momentum", lr=0.01)
    d, s = built.dataset, built.settings
    result = cli("run", built.path, "-n", 100, code=1)
    # the suggestion is below momentum's own limit (0.9 × 0.0037, rounded down), not gd's 0.001
    assert "lr = 0.01" in result.output and "--lr 0.002" in result.output
    # the steps kept are the hand descent's up to the first whose Loss passes 1e6·max(Loss₀, mean y²)
    limit = 1e6 * max(built.loss, float(np.mean(d.y ** 2)))
    hand = hand_descent(d.X, d.y, built.state.theta, s.lr, s.eps, 5, "momentum")
    losses = [row[-1] for row in hand.history]
    kept = next(i for i, loss in enumerate(losses) if loss > limit) - 1
    book = files.read(built.path)
    assert len(book.state.history) == kept == 3
    allow = optimizer_drift(d.X, d.y, hand_descent(d.X, d.y, built.state.theta, s.lr, s.eps, kept, "momentum"),
                            s.lr, s.eps, "momentum")["end"]
    theta, state, _ = hand.starts[kept]  # where the hand descent stood after the steps kept
    assert_near(book.state.theta, theta, allow[:2] + TYPED_RTOL * np.abs(theta), "W, B")
    assert_near(book.state.slots["vel"], state["vel"], allow[2:] + TYPED_RTOL * np.abs(state["vel"]), "vel")
    wb = openpyxl.load_workbook(built.path, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, float) and not math.isfinite(v))
                assert not (isinstance(v, str) and v.startswith("#"))
    with zipfile.ZipFile(built.path) as zf:
        for item in zf.namelist():
            if item.endswith(".xml"):
                text = zf.read(item).decode().lower()
                assert ">inf<" not in text and ">nan<" not in text
    before = built.path.read_bytes()
    again = cli("run", built.path, "-n", 5, code=1)  # the next step diverges at once: nothing written
    assert "lr = 0.01" in again.output and built.path.read_bytes() == before


# --- hyperparameters ----------------------------------------------------------------------------
@pytest.mark.parametrize("option, value", [("--beta", "1"), ("--rho", "-0.1"), ("--delta", "0"),
                                           ("--beta1", "1"), ("--beta2", "1.5"), ("--delta", "nan")])
def test_a_hyperparameter_out_of_range_is_refused(tmp_path, option, value):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["build", "--optimizer", "adam", option, value, "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name, hyper, value", [("adam", "beta1", 0.8), ("momentum", "beta", 0.5),
                                                ("rmsprop", "rho", 0.5)])
def test_a_hyperparameter_changed_in_the_file_drives_the_next_step(libreoffice, tmp_path, name, hyper, value):
    """After 2 steps (state ≠ 0), the cell changed in LibreOffice and saved: `gradsheet step`
    updates with the new value (Keras's forms on the file's cells), and the cell keeps it."""
    built = build(tmp_path, name)
    d, s = built.dataset, built.settings
    params = param_names(d.k)
    cli("run", built.path, "-n", 2)
    with libreoffice.open(built.path) as doc:
        doc.set_named(hyper, value)
        doc.recalc()
        doc.save_xlsx(built.path)
    before = files.read(built.path)
    assert before.settings.hyper[hyper] == value
    cli("step", built.path)
    after = files.read(built.path)
    st = before.state
    slopes = hand_forward_slopes(d.X, d.y, st.theta, s.eps)
    slope = slope_allowance(d.X, d.y, st.theta, 0.0, s.eps)

    def keras(hyper_values):
        nxt, nst = keras_all(name, st.theta, slopes, st.slots, st.t, s.lr, hyper_values)
        return np.array(nxt + [v for slot in SLOTS[name] for v in nst[slot]])
    want = keras({**KERAS_DEFAULTS, hyper: value})
    carry = slope_sensitivity(name, st.theta, slopes, st.slots, st.t, s.lr, {hyper: value})
    atol = carry * np.tile(slope, 1 + len(SLOTS[name])) + 4 * TYPED_RTOL * np.abs(want)
    got = np.concatenate([after.state.theta, *(after.state.slots[slot] for slot in SLOTS[name])])
    assert_near(got, want, atol, f"{hyper} = {value}")
    assert np.max(np.abs(got - keras(KERAS_DEFAULTS)) / atol) > 100  # the default would be rejected
    assert after.settings.hyper[hyper] == value and stored(built.path, [hyper])[hyper] == value
    assert_stored_optimizer_cells(built.path, name, params)


@pytest.mark.parametrize("hyper, value", [("beta1", 1.0), ("beta2", -0.5), ("delta", 0.0), ("rho", 1.5)])
def test_a_hyperparameter_cell_out_of_range_is_named_not_stepped(tmp_path, hyper, value):
    """Typed into the workbook: the xlwings buttons refuse, naming the cell, and write nothing
    (before, beta1 = 1 blamed lr for the division by 1 − beta1^(t+1) = 0, and beta2 = −0.5
    stepped with it)."""
    built = build(tmp_path, "adam")
    data = book_json(built.path)
    layout = layout_for(built.dataset, built.settings, built.state)
    r, c = layout.cell(hyper)
    next(s for s in data["sheets"] if s["name"] == layout.sheet)["values"][r][c] = value
    for press_ in (addin.one_step, addin.next_action):
        book = open_book(data)
        with pytest.raises(GradsheetError, match=f"{hyper}: {value:g}입니다. .*여야 합니다") as refused:
            press_(book)
        assert refused.value.key == "book.hyper"
        assert book.json()["actions"] == []


# --- the learning-rate warnings know the optimizer ------------------------------------------------
def test_the_stability_warning_follows_the_optimizer(tmp_path):
    """Momentum converges below 2·(1 + beta)/curvature (0.0037 on lemonade, gd's limit 0.00196);
    RMSprop and Adam take steps of about lr whatever the curvature, so 0.1 is no warning."""
    X, y = lemonade().X, lemonade().y
    limit = 2 * (1 + 0.9) / model.curvature(X)
    assert 0.0036 < limit < 0.0038
    for name, lr in (("momentum", 0.0036), ("rmsprop", 0.1), ("adam", 0.1)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            built = make(None, tmp_path / f"{name}.xlsx", optimizer=name, lr=lr)
        run = descent.descend(X, y, built.state.theta, lr, 1e-4, 1000, optimizer=OPTIMIZERS[name])
        assert not run.stopped and model.loss(X, y, run.theta) < built.loss / 1000
    for name, lr in (("momentum", 0.0038), ("gd", 0.002)):
        with pytest.warns(UserWarning, match="Loss가 발산합니다"):
            built = make(None, tmp_path / f"{name}-big.xlsx", optimizer=name, lr=lr)
        assert descent.descend(X, y, built.state.theta, lr, 1e-4, 3000, optimizer=OPTIMIZERS[name]).stopped


@pytest.mark.parametrize("optimizer, lr, suggestion", [("momentum", 0.01, 0.002), ("gd", 0.005, 0.001)])
def test_the_suggested_lr_after_a_divergence_works(tmp_path, optimizer, lr, suggestion):
    """The message's advice is the optimizer's own: following it, the descent converges."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = make(None, tmp_path / "d.xlsx", optimizer=optimizer, lr=lr, unrolled=0, compare=0,
                     landscape=("none",), buttons="none")
    result = CliRunner().invoke(main, ["run", str(built.path), "-n", "100"])
    assert result.exit_code == 1 and f"--lr {suggestion:g}" in result.output, result.output
    assert CliRunner().invoke(main, ["set", str(built.path), "--lr", f"{suggestion:g}"]).exit_code == 0
    assert CliRunner().invoke(main, ["reset", str(built.path), "--seed", "1"]).exit_code == 0
    result = CliRunner().invoke(main, ["run", str(built.path), "-n", "300"])
    assert result.exit_code == 0 and "↓" in result.output, result.output


def test_adaptive_optimizers_are_told_a_tenth_of_their_lr():
    """RMSprop and Adam move each parameter by about lr whatever the slope: no curvature limit
    applies, so the advice after a divergence is a tenth (rounded down to 1, 2 or 5 × 10^k)."""
    from gradsheet.core import steps
    from gradsheet.data.dataset import lemonade
    d = lemonade()
    for optimizer in ("rmsprop", "adam"):
        problem = steps.Problem(d.X, d.y, 30000.0, 1e-4, optimizer=optimizer)
        start = steps.reset(problem, 1)
        assert steps.divergence(problem, start, start, 0).suggestion == 2000.0
