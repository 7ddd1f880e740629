"""Truthful teaching messages (issue 16, section 4).

A step whose Loss goes up is written (the student must see it happen: that is the lesson) and
the command line and the buttons say so plainly, in the workbook's language: Loss went up, lr
is too large, and what to type. Past the blow-up limit, `run` and the buttons stop before the
step that would pass it, and the message says what was kept (the last step written, with its
Loss), never that those values are good. Every state is checked against the numpy model.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from xlsxwriter.utility import xl_rowcol_to_cell

from jsonbook import apply_actions, book_json, cell, open_book  # sets the test licence first
from litehost import load_main, run_script
from gradsheet import model
from gradsheet.build import make
from gradsheet.cli import main
from gradsheet.core import addin, press, steps
from gradsheet.core.errors import GradsheetError
from gradsheet.excel.files import read
from gradsheet.excel.lite import read_lite_parts
from gradsheet.sheets.workbook import layout_for

EPS = 0.0001


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def quietly_made(path, **options):
    """A lemonade workbook; the build's own lr warning is tested elsewhere."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make(None, path, **options)


def stored(values) -> np.ndarray:
    """Numbers as a workbook cell keeps them (16 significant digits)."""
    return np.array([float(f"{v:.16G}") for v in np.ravel(values)]).reshape(np.shape(values))


def assert_the_model(path, start_theta, lr, steps_done):
    """The workbook at `path` holds exactly the model's `steps_done` steps from `start_theta`."""
    book = read(path)
    want = model.descend(book.dataset.X, book.dataset.y, start_theta, lr, EPS, steps_done)
    assert len(book.state.history) == steps_done
    assert np.array_equal(book.state.history, stored(want.history))
    assert np.array_equal(book.state.theta, stored(want.theta))
    return book, want


# --- Loss goes up: the step is written, and the message says why ------------------------------
RISE = {
    "ko": "gradsheet: 경고: Loss가 올라갔습니다 ({before} → {after}). lr = 0.0025: 이 데이터에는 너무 큽니다. "
          "lr이 {stable}보다 작으면 반드시 수렴합니다. 학습!G4의 lr을 더 작게 하세요 (예: 0.001). "
          "명령으로는 gradsheet set {path} --lr 0.001",
    "en": "gradsheet: warning: Loss went up ({before} → {after}). lr = 0.0025 is too large for this data: "
          "below {stable} the descent is sure to settle. Make lr in Train!G4 smaller (e.g. 0.001); "
          "on the command line: gradsheet set {path} --lr 0.001",
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_step_whose_loss_goes_up_is_written_and_said(tmp_path, lang):
    """lr = 0.0025 on lemonade is above the stable limit 2 / curvature = 0.00196: one step
    takes Loss from 1916.76 up, and is written as the model takes it."""
    built = quietly_made(tmp_path / "up.xlsx", lr=0.0025, lang=lang)
    X, y, start = built.dataset.X, built.dataset.y, built.state.theta
    result = cli("step", built.path)
    assert result.exit_code == 0, result.output
    book, want = assert_the_model(built.path, start, 0.0025, 1)
    before, after = model.loss(X, y, start), model.loss(X, y, want.theta)
    assert after > before and book.address("lr") == ("학습!G4" if lang == "ko" else "Train!G4")
    said = RISE[lang].format(before=f"{before:.6g}", after=f"{after:.6g}", stable=f"{model.stable_lr(X):.3g}",
                             path=built.path)
    assert result.stderr.splitlines() == [said]
    assert result.stdout.splitlines()[1] == f"Loss {before:.6g} → {after:.6g} ↑"
    # what it says to type works: with lr = 0.001 the next step goes down, and nothing is said
    assert cli("set", built.path, "--lr", "0.001").exit_code == 0
    result = cli("step", built.path)
    assert result.exit_code == 0 and result.stderr == "" and result.stdout.splitlines()[1].endswith("↓")


def test_a_run_whose_loss_goes_up_in_every_step_says_so_in_english(tmp_path):
    built = quietly_made(tmp_path / "up.xlsx", lr=0.0025, lang="en")
    X, y = built.dataset.X, built.dataset.y
    result = cli("run", built.path, "-n", 4)
    assert result.exit_code == 0, result.output
    _, want = assert_the_model(built.path, built.state.theta, 0.0025, 4)
    losses = np.append(want.history[:, -1], model.loss(X, y, want.theta))
    assert np.all(np.diff(losses) > 0)
    assert result.stderr.startswith(f"gradsheet: warning: Loss went up in each of the 4 steps "
                                    f"({losses[0]:.6g} → {losses[-1]:.6g}). lr = 0.0025 is too large")


def test_next_says_it_at_the_action_that_moves_w_and_b(tmp_path):
    """Action by action, only 6 (the next values into W, B) changes Loss: the warning comes there."""
    built = quietly_made(tmp_path / "up.xlsx", lr=0.0025)
    warned = []
    for press_ in range(9):  # 2, 3, 4-1, 4-2, 4-3, 5-1, 5-2, 5-3, 6
        result = cli("next", built.path)
        assert result.exit_code == 0, result.output
        if result.stderr:
            warned.append((press_, result.stdout.splitlines()[0]))
            assert result.stderr.startswith("gradsheet: 경고: Loss가 올라갔습니다 (1916.76 → ")
    assert warned == [(8, "방금 한 동작: 6 다음 값을 W, B에 값으로 붙여넣기 (Loss가 바뀝니다)")]
    book = read(built.path)
    want = model.descend(built.dataset.X, built.dataset.y, built.state.theta, 0.0025, EPS, 1)
    assert np.allclose(book.state.theta, want.theta, rtol=1e-12)  # the hand slope: (Loss_P − prevLoss)/eps


def test_a_rise_that_lr_is_not_to_blame_for_is_a_note_that_says_so(tmp_path):
    """The course's own lr is below the limit: in step 4 Loss still goes up by a hair, because
    the forward slope (with eps) is not quite the slope. That is said, not blamed on lr, and
    momentum's overshoot (it comes back down) likewise."""
    built = quietly_made(tmp_path / "gd.xlsx")
    X, y = built.dataset.X, built.dataset.y
    result = cli("run", built.path, "-n", 100)
    assert result.exit_code == 0 and result.stderr == "", result.output
    _, want = assert_the_model(built.path, built.state.theta, 0.001, 100)
    losses = np.append(want.history[:, -1], model.loss(X, y, want.theta))
    assert list(np.nonzero(np.diff(losses) > 0)[0]) == [3]  # from history step 4 to 5
    assert result.stdout.splitlines()[3] == (
        f"100 스텝 중 1 스텝에서 Loss가 올라갔습니다. 처음은 history의 4번째 스텝입니다 "
        f"({losses[3]:.6g} → {losses[4]:.6g}). lr = 0.001: 너무 크지 않습니다 (안정한 한계 "
        f"{model.stable_lr(X):.3g}). eps로 잰 기울기는 참 기울기와 조금 달라서, 참 기울기가 작은 곳에서는 "
        f"한 스텝에 Loss가 아주 조금 올라갈 수 있습니다.")
    central = model.descend(X, y, built.state.theta, 0.001, EPS, 100, model.CENTRAL)
    assert np.all(np.diff(central.history[:, -1]) < 0)  # the central slope does not do it
    momentum = quietly_made(tmp_path / "m.xlsx", optimizer="momentum", lang="en")
    result = cli("run", momentum.path, "-n", 100)
    assert result.exit_code == 0 and result.stderr == ""
    assert "Momentum overshot the minimum and is coming back. lr = 0.001 is below its stable limit" in result.stdout


def test_adam_going_up_is_told_its_steps_of_about_lr_are_too_large_here(tmp_path):
    """Adam moves each parameter by about lr a step whatever the slope: near the lowest point
    it steps past and back (on lemonade at lr 0.1, from step 23 on). Said as a note with the
    honest trade: a smaller lr gets closer, in more steps (lr 0.01 needs ~1000 to get as low)."""
    built = quietly_made(tmp_path / "a.xlsx", optimizer="adam", lr=0.1, lang="en")
    result = cli("run", built.path, "-n", 100)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.splitlines()[3].startswith("Loss went up in 30 of 100 steps, first in history step 23 (")
    assert result.stdout.splitlines()[3].endswith(
        "lr = 0.1 is too large here: Adam moves each parameter by about lr a step, so near the lowest point it "
        "steps past it and back. A smaller lr in Train!G4 (e.g. 0.01) gets closer, in more steps; on the "
        f"command line: gradsheet set {built.path} --lr 0.01")


# --- past the blow-up limit: stop, and say what was kept -------------------------------------
BLEW_UP = {
    "ko": ("gradsheet: 경고: 3 스텝 뒤 멈췄습니다: 다음 스텝은 Loss를 발산 한계({limit}) 너머로 보내서 쓰지 "
           "않았습니다. 매개변수는 마지막으로 쓴 스텝 뒤의 값으로, 좋은 값이 아닙니다: Loss = {kept}, 시작할 때"
           "({start})보다 큽니다. lr = 0.01: 이 데이터에는 너무 큽니다. lr이 {stable}보다 작으면 반드시 "
           "수렴합니다. 학습!G4의 lr을 더 작게 하세요 (예: 0.001). 명령으로는 gradsheet set {path} --lr 0.001"),
    "en": ("gradsheet: warning: Stopped after 3 steps: the next step would take Loss past the blow-up limit "
           "({limit}), so it was not written. The parameters are those after the last step written, and they "
           "are not good ones: Loss = {kept}, above the {start} it started from. lr = 0.01 is too large for "
           "this data: below {stable} the descent is sure to settle. Make lr in Train!G4 smaller (e.g. 0.001); "
           "on the command line: gradsheet set {path} --lr 0.001"),
}
NOTHING = {
    "ko": "gradsheet: 오류: 아무것도 쓰지 않았습니다: 첫 스텝이 Loss를 발산 한계({limit}) 너머로 보냅니다. "
          "매개변수는 그대로입니다 (Loss = {kept}).",
    "en": "gradsheet: error: Nothing was written: the first step would take Loss past the blow-up limit "
          "({limit}). The parameters stay as they were (Loss = {kept}).",
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_run_stops_before_the_blow_up_limit_and_says_what_it_kept(tmp_path, lang):
    built = quietly_made(tmp_path / "b.xlsx", lr=0.01, lang=lang)
    X, y, start = built.dataset.X, built.dataset.y, built.state.theta
    result = cli("run", built.path, "-n", 50)
    assert result.exit_code == 1
    want = model.descend(X, y, start, 0.01, EPS, 50)
    assert want.stopped and len(want.history) == 3
    book, _ = assert_the_model(built.path, start, 0.01, 3)
    limit = model.loss_limit(y, model.loss(X, y, start))
    kept = model.loss(X, y, want.theta)
    assert kept < limit < model.loss(X, y, model.descend(X, y, want.theta, 0.01, EPS, 1, limit=1e300).theta)
    values = {"limit": f"{limit:.3g}", "kept": f"{kept:.6g}", "start": f"{model.loss(X, y, start):.6g}",
              "stable": f"{model.stable_lr(X):.3g}", "path": built.path}
    assert result.stderr.splitlines() == [BLEW_UP[lang].format(**values)]
    for untrue in ("good W", "last good", "괜찮"):
        assert untrue not in result.output
    # the next step would pass the limit at once: refused, nothing written, the same words
    before = built.path.read_bytes()
    result = cli("step", built.path)
    assert result.exit_code == 1 and built.path.read_bytes() == before
    assert result.stderr.startswith(NOTHING[lang].format(**values) + " lr = 0.01")


def test_a_stop_with_parameters_better_than_the_start_says_that():
    """The kept parameters' Loss is said beside the start's, whichever is larger."""
    d = steps.Divergence(0.5, 7, 0.2, limit=4e9, loss=3.25, start=1916.76, stable=0.3)
    assert d.message("en").startswith("Stopped after 7 steps: the next step would take Loss past the blow-up "
                                      "limit (4e+09), so it was not written. The parameters are those after the "
                                      "last step written: Loss = 3.25 (1916.76 at the start).")
    assert d.message("ko").startswith("7 스텝 뒤 멈췄습니다: 다음 스텝은 Loss를 발산 한계(4e+09) 너머로 보내서 쓰지 "
                                      "않았습니다. 매개변수는 마지막으로 쓴 스텝 뒤의 값입니다: Loss = 3.25 "
                                      "(시작할 때 1916.76).")


def test_a_loss_already_past_the_limit_is_refused_with_step_1_as_the_way_out(tmp_path):
    """W typed far off after some steps: Loss is past the limit before any step; nothing is
    written, and the advice is a fresh start (step 1) and a smaller lr."""
    built = quietly_made(tmp_path / "p.xlsx")
    assert cli("run", built.path, "-n", 2).exit_code == 0
    book = read(built.path)
    problem = steps.Problem(book.dataset.X, book.dataset.y, 0.001, EPS)
    far = dataclasses.replace(book.state, theta=np.array([1e6, 0.0]))
    with pytest.raises(GradsheetError) as refused:
        steps.run(problem, far, 1)
    assert refused.value.divergence.already_past and refused.value.exit_code == 1
    limit = model.loss_limit(book.dataset.y, float(book.state.history[0, -1]))
    loss = model.loss(book.dataset.X, book.dataset.y, far.theta)
    assert refused.value.render("en") == (f"Nothing was written: Loss = {loss:.6g} is already past the blow-up limit "
                                          f"({limit:.3g}). Start again with fresh W, B (step 1, reset) and make lr "
                                          f"smaller (e.g. 0.001).")
    said = steps.Diverged(refused.value.divergence, "학습!G4", "p.xlsx").render("ko")
    assert said == (f"아무것도 쓰지 않았습니다: Loss가 이미 발산 한계({limit:.3g})를 넘었습니다 (Loss = {loss:.6g}). "
                    "초기화(스텝 1)로 W, B를 새로 정하고 lr을 더 작게 하세요: gradsheet reset p.xlsx, "
                    "gradsheet set p.xlsx --lr 0.001")


# --- the buttons say the same, in the workbook's language -------------------------------------
def status(data, built) -> str:
    layout = layout_for(built.dataset, built.settings, built.state)
    r, c = layout.button_note
    return cell(data, layout.sheet, xl_rowcol_to_cell(r, c))


BUTTON_RISE = {
    "ko": "Loss가 올라갔습니다 (1916.76 → {after}). lr = 0.0025: 이 데이터에는 너무 큽니다. lr이 {stable}보다 "
          "작으면 반드시 수렴합니다. 학습!G4의 lr을 더 작게 하세요 (예: 0.001).",
    "en": "Loss went up (1916.76 → {after}). lr = 0.0025 is too large for this data: below {stable} the descent "
          "is sure to settle. Make lr in Train!G4 smaller (e.g. 0.001).",
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_buttons_say_loss_went_up_and_the_lr_cell(tmp_path, lang):
    built = quietly_made(tmp_path / "up.xlsx", lr=0.0025, lang=lang)
    X, y = built.dataset.X, built.dataset.y
    data = book_json(built.path)
    book = open_book(data)
    said = addin.one_step(book)
    want = model.descend(X, y, built.state.theta, 0.0025, EPS, 1)
    assert said == BUTTON_RISE[lang].format(after=f"{model.loss(X, y, want.theta):.6g}",
                                            stable=f"{model.stable_lr(X):.3g}")
    after = apply_actions(data, book.json()["actions"])
    assert status(after, built) == said
    layout = layout_for(built.dataset, built.settings, built.state)
    theta = [cell(after, layout.sheet, layout.a1(p)) for p in ("W", "B")]
    assert np.array_equal(theta, want.theta)  # written, exactly the model's step


BUTTON_BLEW_UP = {
    "ko": "3 스텝 뒤 멈췄습니다: 다음 스텝은 Loss를 발산 한계({limit}) 너머로 보내서 쓰지 않았습니다. 매개변수는 "
          "마지막으로 쓴 스텝 뒤의 값으로, 좋은 값이 아닙니다: Loss = {kept}, 시작할 때({start})보다 큽니다. "
          "lr = 0.01: 이 데이터에는 너무 큽니다. lr이 {stable}보다 작으면 반드시 수렴합니다. 학습!G4의 lr을 더 "
          "작게 하세요 (예: 0.001).",
    "en": "Stopped after 3 steps: the next step would take Loss past the blow-up limit ({limit}), so it was not "
          "written. The parameters are those after the last step written, and they are not good ones: Loss = "
          "{kept}, above the {start} it started from. lr = 0.01 is too large for this data: below {stable} the "
          "descent is sure to settle. Make lr in Train!G4 smaller (e.g. 0.001).",
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_buttons_stop_at_the_blow_up_limit_and_say_what_they_kept(tmp_path, lang):
    built = quietly_made(tmp_path / "b.xlsx", lr=0.01, lang=lang)
    X, y, start = built.dataset.X, built.dataset.y, built.state.theta
    data = book_json(built.path)
    book = open_book(data)
    said = addin.run_steps(book, 50)
    want = model.descend(X, y, start, 0.01, EPS, 50)
    values = {"limit": f"{model.loss_limit(y, model.loss(X, y, start)):.3g}",
              "kept": f"{model.loss(X, y, want.theta):.6g}", "start": f"{model.loss(X, y, start):.6g}",
              "stable": f"{model.stable_lr(X):.3g}"}
    assert said == BUTTON_BLEW_UP[lang].format(**values)
    after = apply_actions(data, book.json()["actions"])
    assert status(after, built) == said
    layout = layout_for(built.dataset, built.settings, built.state)
    assert np.array_equal([cell(after, layout.sheet, layout.a1(p)) for p in ("W", "B")], want.theta)
    # the next press would pass the limit at once: only the status cell is written
    r, c = layout.cell("Loss")  # as Excel recalculates it before the next press
    next(s for s in after["sheets"] if s["name"] == layout.sheet)["values"][r][c] = model.loss(X, y, want.theta)
    book = open_book(after)
    said = addin.one_step(book)
    actions = book.json()["actions"]
    assert len(actions) == 1 and actions[0]["values"][0][0] == f"gradsheet: {said}"
    assert said.startswith(NOTHING[lang].format(**values).split(": ", 2)[2])


def test_the_lite_press_says_the_same(tmp_path):
    """The code stored in the workbook (main.py, the engine embedded) words it the same way."""
    built = quietly_made(tmp_path / "up.xlsx", lr=0.0025)
    X, y = built.dataset.X, built.dataset.y
    data = book_json(built.path)
    press.forget()
    try:
        got = run_script(load_main(read_lite_parts(built.path)["main.py"]), "one_step", data)
    finally:
        press.forget()
    want = model.descend(X, y, built.state.theta, 0.0025, EPS, 1)
    said = BUTTON_RISE["ko"].format(after=f"{model.loss(X, y, want.theta):.6g}", stable=f"{model.stable_lr(X):.3g}")
    assert status(apply_actions(data, got.actions), built) == said

