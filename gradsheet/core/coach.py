"""The live coach: which of the course's hand actions comes next, read from the sheet's state.

The `next_action` cell is a formula, so it follows hand work in any spreadsheet, with no macro;
the buttons and `gradsheet next` ask `advise` (the same rules in Python, on the engine's
numbers), so all three name the same action. The state is read against the history table's
last row H (what action 2 saved):

    every P at H, history's Loss = Loss  prevLoss ≠ Loss: 3; else the first P whose dLoss_dP is
                                         not this point's slope: its 4-1; none: the update
    one P at H + eps                     dLoss_dP = dLoss_dt: its 4-3, else its 4-2
    every P at the update of H           gd: 2 (a new step); momentum, RMSprop, Adam: the state
                                         paste, and once the state is pasted too: 2

Each parameter's row of the table gets three cells at its right end: H (its value in history's
last row), the value the update gives from H, and a code for where that parameter stands
(CODES). A few cells under the codes add them up: the number of history rows, the position
(the index into procedure.actions), and what was done wrong, if anything, and to which
parameter. A value off every target is taken for the nearest one (H + eps: a nudge typed wrong;
H: a restore; the update: a paste of the next values), and the sentence under the action says
what it should be, with the number to type.

Numbers are compared with tolerances (TOLERANCES) far above the rounding of two programs and far
below what a wrong hand action changes; FIXED(x, digits) writes them into sentences the same way
in Excel, LibreOffice and Gnumeric (a number joined with & is written differently by each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import procedure
from .a1 import xl_col_to_name, xl_rowcol_to_cell
from .layout import TOP, Layout
from .optimizers import HYPER_DEFAULTS, HYPER_NAMES, OPTIMIZERS
from .texts import ACTIONS

# Where a parameter stands (its row's code cell).
TODO, NUDGED, NUDGED_PASTED, DONE, UPDATED, STATE_PASTED = 0, 1, 2, 3, 4, 5
OFF = 6  # at none of the places a hand action puts it
MOVED = 7  # moved from H along its update, by another lr than the lr cell's (lr was changed since)
STATE_MOVED = 8  # the same, with the optimizer's next state pasted already
# at H with this point's slope pasted, and the update leaves it there (its slope is 0): done
# for the nudges, and updated as well
STILL = 9
NOT_NUMBER = -1  # a cell the coach reads shows no number (an exercise's empty blank, text)
RATE_REL = 1e-6  # moved parameters agree on the lr that moved them to this share

# What went wrong (the `why` cell), 0 for nothing.
WRONG = ("", "wrong_nudge", "wrong_restore", "wrong_update", "one_at_a_time", "prev_first", "history_loss")
NOT_READY = -1  # the position when a cell the coach reads shows no number

# Tolerances, of which the coach has two jobs: to accept a hand action done right (a nudge typed
# from the 13 digits the coach shows; a Loss summed in another order by another program) and
# to tell this step's slope from the last step's.
# - A position (P at H, at H + eps, at the update): 1e-9 of eps plus 1e-12 of the value. A nudge
#   off by that much makes the slope pasted from it off by 1e-9 + 1e-8·|H| of itself (eps 1e-4).
# - A slope (dLoss_dP against this point's forward difference (Loss_P − Loss)/eps): twice that
#   share of it, plus 1e-12·|Loss|/eps (thousands of ulps of Loss: two programs sum the rows in
#   other orders). On the course's lemonade data a step changes every slope by 24 times this or
#   more over 1,500 steps (tests/test_coach.py walks 500). Where a step changes a slope by less (far into
#   a slow descent), the slope pasted a step before is this step's to every digit that means
#   anything: the coach takes it as pasted and skips that parameter's nudge, which changes no
#   number that matters.
# - A Loss (prevLoss, history's Loss against Loss): 1e-10 of their size.
POS_EPS, POS_REL = 1e-9, 1e-12
SLOPE_LOSS = 1e-12
LOSS_REL = 1e-10
DIGITS = 13  # significant digits of a number in a sentence: within POS_REL


@dataclass(frozen=True)
class Advice:
    index: int  # the next action (procedure.actions), or NOT_READY
    why: int = 0  # WRONG[why]: what the last hand action did wrong
    who: int = 0  # the parameter it is about (0-based)
    want: float = math.nan  # the value that parameter should hold
    now: float = math.nan  # the value it holds


# --- the rules, on numbers (the engine) ------------------------------------------------------
def _near(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def _pos_tol(eps: float, target: float) -> float:
    return eps * POS_EPS + abs(target) * POS_REL


def _slope_tol(f: float, h: float, loss: float, eps: float) -> float:
    return abs(f) * 2 * (POS_REL * abs(h) / eps + POS_EPS) + abs(loss) * SLOPE_LOSS / eps + 1e-300


def _loss_same(a: float, b: float) -> bool:
    return abs(a - b) <= (abs(a) + abs(b)) * LOSS_REL


def row_code(p: float, h: float, d: float, f: float, u: float, v: float | None, rate: float,
             loss: float, dloss_dt: float, eps: float, count: tuple[bool, bool] = (True, True),
             vrate: float = math.nan) -> int:
    """Where one parameter stands: its value p, history's h, its pasted slope d, this point's
    forward slope f, the update from h (u), with an optimizer state the update from h with the
    state already pasted (v), and the lr that would move h to p by the update (rate; nan where
    none does). `count`: (t says the state is pasted, t says it is not yet): Adam's update count
    against the history rows, (True, True) for the optimizers without one.

    The pasted state is looked for before the update: where both match (momentum's or RMSprop's
    state at its fixed point), pasting it would change nothing. Adam's first steps match both
    with different states (its bias correction), so there t decides."""
    if _near(p, h, _pos_tol(eps, h)):
        if not _near(d, f, _slope_tol(f, h, loss, eps)):
            return TODO
        return STILL if _near(u, h, _pos_tol(eps, h)) else DONE
    if _near(p, h + eps, _pos_tol(eps, h + eps)):
        return NUDGED_PASTED if _near(d, dloss_dt, _slope_tol(dloss_dt, h, loss, eps)) else NUDGED
    if v is not None and count[0] and _near(p, v, _pos_tol(eps, v)):
        return STATE_PASTED
    if count[1] and _near(p, u, _pos_tol(eps, u)):
        return UPDATED
    if v is not None and count[0] and vrate > 0:
        return STATE_MOVED
    return MOVED if count[1] and rate > 0 else OFF


def _rates_agree(rates: list[float]) -> bool:
    """Every rate within RATE_REL of the first (as the sheet counts them with COUNTIFS)."""
    return all(rates[0] * (1 - RATE_REL) <= r <= rates[0] * (1 + RATE_REL) for r in rates)


def position(codes: list[int], rates: list[float], near: list[tuple[float, float, float]], n: int,
             loss: float, prev: float, hist_loss: float, slots: bool,
             vrates: list[float] | None = None, base: float | None = None,
             hist_base: float | None = None) -> tuple[int, int, int]:
    """(action index, why, who) from the rows' codes; the same rules as `sum_formulas`.
    `near`: each parameter's distances to H + eps, H and the update from H. `base`: the Loss
    action 3 copies (--batch: Loss_batch; else Loss), `hist_base` history's (Loss_batch)."""
    base = loss if base is None else base
    hist_base = hist_loss if hist_base is None else hist_base
    m = len(codes)
    update, paste_state = 2 + 3 * m, 3 + 3 * m
    vrates = vrates if vrates is not None else [math.nan] * m
    if n == 0:
        return 0, 0, 0
    count = codes.count
    at = count(TODO) + count(DONE) + count(STILL)
    if at == m:
        if not _loss_same(hist_loss, loss):
            return 0, 6, 0
        if not _loss_same(prev, base):
            return 1, 0, 0
        if count(TODO):
            return 2 + 3 * codes.index(TODO), 0, 0
        return (0, 0, 0) if count(STILL) == m else (update, 0, 0)  # nothing would move: a new step
    nudged = count(NUDGED) + count(NUDGED_PASTED)
    if nudged == 1 and at == m - 1:
        i = codes.index(NUDGED) if count(NUDGED) else codes.index(NUDGED_PASTED)
        if not _loss_same(prev, hist_base):
            return 2 + 3 * i + 2, 5, i
        return 2 + 3 * i + (1 if codes[i] == NUDGED else 2), 0, 0
    ups, pasted, moved, still = count(UPDATED), count(STATE_PASTED), count(MOVED), count(STILL)
    done_state = (paste_state, 0, 0) if slots else (0, 0, 0)
    if pasted + still == m:
        return 0, 0, 0
    state_moved = count(STATE_MOVED)
    if state_moved and state_moved + still == m and \
            _rates_agree([r for r, c in zip(vrates, codes) if c == STATE_MOVED]):
        return 0, 0, 0  # the step and its state pasted with settings changed since
    if ups + pasted + still == m:
        return done_state
    if moved and moved + still == m and _rates_agree([r for r, c in zip(rates, codes) if c == MOVED]):
        return done_state  # updated with the lr of its time: lr was changed since
    if ups and ups + count(DONE) + still == m:
        return update, 0, 0  # some of the next values pasted: the others too
    off = [i for i, c in enumerate(codes) if c not in (TODO, DONE, STILL)]
    if at == m - 1:  # one parameter off: the action that puts it nearest
        i = off[0]
        to_nudge, to_h, to_update = near[i]
        if to_nudge <= min(to_h, to_update):
            return 2 + 3 * i, 1, i
        return (2 + 3 * i + 2, 2, i) if to_h <= to_update else (update, 3, i)
    if ups + pasted + moved + state_moved and not count(TODO):
        who = next(i for i, c in enumerate(codes) if c not in (UPDATED, STATE_PASTED, STILL))
        return update, 3, who
    return 2 + 3 * off[0] + 2, 4, off[0]


@dataclass(frozen=True)
class Reading:
    """What the coach's cells show: per parameter H, the update from H and the code (empty
    before the first history row), and the verdict."""
    hist: np.ndarray
    upd: np.ndarray
    rates: np.ndarray  # nan where the sheet's cell is empty
    codes: list[int]
    advice: Advice
    vrates: np.ndarray | None = None  # with an optimizer state: the rates once it is pasted


def read(theta, history, prev: float, dloss, slots: dict, t: int, loss: float, nudged, eps: float,
         lr: float, hyper: dict, optimizer: str, base: float | None = None,
         hist_base: float | None = None) -> Reading:
    """The coach on numbers: the parameters, the history rows [P…, Loss], prevLoss, the pasted
    slopes, the optimizer's state, Loss and Loss_P at the parameters. --batch: `base` is
    Loss_batch (the slopes' and prevLoss's Loss), `hist_base` history's Loss_batch."""
    base = loss if base is None else base
    theta = np.asarray(theta, dtype=float)
    history = np.asarray(history, dtype=float).reshape(-1, theta.size + 1)
    n = len(history)
    if n == 0:
        empty = np.full(theta.size, np.nan)
        return Reading(empty, empty, empty, [TODO] * theta.size, Advice(0), empty)
    if not (np.isfinite(loss) and np.isfinite(base) and np.all(np.isfinite(nudged))):  # an exercise's empty blanks
        empty = np.full(theta.size, np.nan)
        return Reading(empty, empty, empty, [NOT_NUMBER] * theta.size, Advice(NOT_READY), empty)
    H, hist_loss = history[-1, :-1], float(history[-1, -1])
    opt = OPTIMIZERS[optimizer]
    dloss = np.asarray(dloss, dtype=float)
    with np.errstate(all="ignore"):
        forward = (np.asarray(nudged, dtype=float) - base) / eps
        U = opt.update(H, dloss, slots, t, lr, hyper)[0]
        V = _after_state(opt, H, dloss, slots, t, lr, hyper) if opt.slots else None
        dloss_dt = (base - prev) / eps
        U0 = opt.update(H, dloss, slots, t, 0.0, hyper)[0]
        rates = _rates(theta, U, U0, lr)
        vrates = np.full(theta.size, np.nan)
        if V is not None:
            V0 = _after_state(opt, H, dloss, slots, t, 0.0, hyper)
            vrates = _rates(theta, V, V0, lr)
    count = (t == n, t == n - 1) if opt.counts_updates else (True, True)
    codes = [row_code(theta[i], H[i], dloss[i], forward[i], U[i], None if V is None else V[i], rates[i],
                      base, dloss_dt, eps, count, vrates[i]) for i in range(theta.size)]
    near = [(abs(theta[i] - (H[i] + eps)), abs(theta[i] - H[i]), abs(theta[i] - U[i])) for i in range(theta.size)]
    hist_base = hist_loss if hist_base is None else hist_base
    index, why, who = position(codes, list(rates), near, n, loss, prev, hist_loss, bool(opt.slots), list(vrates),
                               base, hist_base)
    want = {1: H[who] + eps, 2: H[who], 3: U[who], 4: H[who], 5: hist_base, 6: loss}.get(why, math.nan)
    advice = Advice(index, why, who, float(want), float(theta[who]) if why in (1, 2, 3, 4) else math.nan)
    return Reading(H.copy(), np.asarray(U, dtype=float), np.asarray(rates, dtype=float), codes, advice,
                   np.asarray(vrates, dtype=float))


def advise(problem, state) -> Advice:
    """The coach's verdict on the engine's state (steps.Problem, settings.State), from the
    model's numbers: what the `next_action` formula shows for the same cells."""
    theta = np.asarray(state.theta, dtype=float)
    base = hist_base = None
    with np.errstate(all="ignore"):
        loss = problem.loss(theta)
        if problem.batches is None:
            nudged = problem.spec.nudged_losses(problem.X, problem.y, theta, problem.eps)
        else:  # the batch of the step under way (or next): its Loss and Loss_P
            X, y = problem.batch_data(problem.step_of(state))
            base, nudged = problem.spec.loss(X, y, theta), problem.spec.nudged_losses(X, y, theta, problem.eps)
            if len(state.history):
                hist_base = problem.spec.loss(X, y, np.asarray(state.history)[-1, :-1])
    return read(theta, state.history, state.prev_loss, state.dloss, state.slots, state.t, loss, nudged,
                problem.eps, problem.lr, problem.hyper, problem.optimizer, base, hist_base).advice


def _rates(theta: np.ndarray, U: np.ndarray, U0: np.ndarray, lr: float) -> np.ndarray:
    """The lr that moves H to theta by an update that is U with the lr cell's lr and U0 with 0
    (every optimizer's update is U0 + lr·(U − U0)/lr); nan where the update does not move it."""
    per_lr = (U - U0) / lr
    return np.where(per_lr != 0, (theta - U0) / np.where(per_lr != 0, per_lr, 1), np.nan)


def _after_state(opt, H: np.ndarray, dloss: np.ndarray, slots: dict, t: int, lr: float, hyper: dict) -> np.ndarray:
    """The update from H as it reads once the next state is pasted: the state cells hold the
    next state, and t counts this update already."""
    values = {"P": H, "g": dloss, "t": t - 1, "lr": lr, **hyper}
    for slot in opt.slots:
        values[f"next_{slot}"] = slots[slot]
    return opt.next_param(**values)


# --- the words ---------------------------------------------------------------------------------
def fixed(x: float) -> str:
    """FIXED(x, d, TRUE) as the sheet writes a number into a sentence: DIGITS significant."""
    return f"{x:.{_decimals(x)}f}"


def _decimals(x: float) -> int:
    return min(15, max(0, DIGITS - 1 - math.floor(math.log10(abs(x) + 1e-300))))


def lines(params: list[str], advice: Advice, lang: str, optimizer: str, has_history: bool,
          batch: bool = False) -> tuple[str, str]:
    """The coach's two lines: the next action, then what was done wrong (or just done)."""
    texts = ACTIONS[lang]
    if advice.index == NOT_READY:
        return texts["not_ready"], ""
    first = procedure.describe(params, advice.index, lang, optimizer, batch)
    if advice.why:
        values = {"P": params[advice.who], "want": fixed(advice.want)}
        if not math.isnan(advice.now):  # 5 and 6 say no "now"
            values["now"] = fixed(advice.now)
        return first, _fill(texts[_wrong_key(advice.why, batch)], values)
    last = procedure.last_done(params, advice.index, has_history, optimizer)
    return first, procedure.just_did(params, last, lang, optimizer, batch)


def _wrong_key(why: int, batch: bool) -> str:
    """The sentence of WRONG[why]; with --batch, 3's Loss is Loss_batch."""
    return WRONG[why] + ("_batch" if batch and WRONG[why] == "prev_first" else "")


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


# --- the formulas ------------------------------------------------------------------------------
SUMS = ("n", "pos", "why", "who", "last", "done")


def cells(layout: Layout) -> dict[str, tuple[int, int]]:
    """The coach's sums in the parameters' code column, on the single cells' rows above the
    table (under the table stand best_Loss …, a classifier's confusion table, and the history,
    which may be as wide as the table): history rows, position, why, who, the action done last
    and its text."""
    c = layout.param_columns["code"]
    return {name: (TOP + i, c) for i, name in enumerate(SUMS)}


def _e(x: float) -> str:
    """A constant as Excel writes it (1E-06)."""
    return repr(x).upper()


def _abs(r: int, c: int) -> str:
    return xl_rowcol_to_cell(r, c, True, True)


def base_name(layout: Layout) -> str:
    """The Loss action 3 copies and the slopes start from: Loss, with --batch Loss_batch."""
    return "Loss_batch" if layout.batch else "Loss"


def column_range(layout: Layout, kind: str) -> str:
    """The parameters' cells of one column of the table (value, hist, …), as an absolute range."""
    return _column(layout, kind)


def _column(layout: Layout, kind: str) -> str:
    """The parameters' cells of one column of the table, as an absolute range."""
    c = layout.param_columns[kind]
    return f"{_abs(layout.param_row(0), c)}:{_abs(layout.param_row(len(layout.params) - 1), c)}"


def _history_column(layout: Layout, j: int) -> str:
    """History's column j (0: step, then the parameters, then Loss) from its first row to the
    sheet's last: rows pasted by hand under the table count too."""
    head, c0, _, _ = layout.history_span
    col = xl_col_to_name(c0 + j, col_abs=True)
    return f"{col}${head + 2}:{col}$1048576"


def _update_refs(layout: Layout, p: int, h: str) -> dict[str, str]:
    name = layout.params[p]
    ref = {"P": h, "g": f"dLoss_d{name}", "lr": "lr", "t": "t", **{x: x for x in HYPER_NAMES}}
    for slot in layout.slots:
        ref[slot], ref[f"next_{slot}"] = f"{slot}_{name}", f"next_{slot}_{name}"
    return ref


def _moves_without_lr(opt) -> bool:
    """Whether the update moves a parameter with lr 0 (momentum's velocity does), tried on numbers."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=4)
    slots = {slot: np.abs(rng.normal(size=4)) for slot in opt.slots}
    with np.errstate(all="ignore"):
        moved = opt.update(np.zeros(4), g, slots, 3, 0.0, dict(HYPER_DEFAULTS))[0]
    return bool(np.any(moved != 0))


def row_formulas(layout: Layout, p: int, own: frozenset[str] = frozenset()) -> dict[str, str]:
    """The cells at the end of parameter p's row: hist, upd, rate, (vrate,) code. `own`: the
    cells an exercise leaves to the student (its blanks): the coach reads those cells instead of
    writing their answer out — the update from H as next_P − P + H (every optimizer's update is
    P plus a step that does not depend on P), the slope as grad_P."""
    name, pc, r = layout.params[p], layout.param_columns, layout.param_row(p)
    n = _abs(*cells(layout)["n"])
    h, u, rate = _abs(r, pc["hist"]), _abs(r, pc["upd"]), _abs(r, pc["rate"])
    opt = OPTIMIZERS[layout.optimizer]
    ref = _update_refs(layout, p, h)
    update = opt.next_param.formula(ref)[1:]
    # the update with lr 0 (the state's next values written out, lr 0 in them too): every
    # optimizer's update is that plus lr times a step, so (P − it)/step is the lr that moved P
    zero = dict(ref, lr="0")
    for slot in opt.slots:
        zero[f"next_{slot}"] = "(" + opt.next_slot[slot].formula(zero)[1:] + ")"
    still = opt.next_param.formula(zero)[1:]
    needs = []  # the student's cells the coach reads: they must show numbers
    if f"next_{name}" in own:
        update = f"next_{name}-{name}+{h}"
        if _moves_without_lr(opt):  # momentum: beta·vel, as the next_vel cells show it anyway
            still = f"{h}+({opt.next_param.formula(dict(zero, P='0'))[1:]})"
        else:
            still = h
        needs.append(f"next_{name}")
    after = vrate = None
    if opt.slots:
        ref_after = dict(ref, t="(t-1)", **{f"next_{slot}": f"{slot}_{name}" for slot in opt.slots})
        after = opt.next_param.formula(ref_after)[1:]
        after_still = opt.next_param.formula(dict(ref_after, lr="0"))[1:]
        vrate = _abs(r, pc["vrate"])

    def near(a: str, b: str) -> str:
        return f"ABS({a}-({b}))<=eps*{_e(POS_EPS)}+ABS({b})*{_e(POS_REL)}"

    base = base_name(layout)

    def slope(d: str, f: str) -> str:
        return (f"ABS({d}-({f}))<=ABS({f})*2*({_e(POS_REL)}*ABS({h})/eps+{_e(POS_EPS)})"
                f"+ABS({base})*{_e(SLOPE_LOSS)}/eps+1E-300")

    P, D = name, f"dLoss_d{name}"
    forward = f"(Loss_{name}-{base})/eps"
    if f"grad_{name}" in own and "Lossm" not in pc:
        forward = f"grad_{name}"
        needs.append(f"grad_{name}")
    pasted_t, not_yet_t = (f"t={n}", f"t={n}-1") if opt.counts_updates else ("TRUE", "TRUE")
    moved = f"IF(AND({not_yet_t},ISNUMBER({rate})),IF({rate}>0,{MOVED},{OFF}),{OFF})"
    if vrate:
        moved = f"IF(AND({pasted_t},ISNUMBER({vrate})),IF({vrate}>0,{STATE_MOVED},{moved}),{moved})"
    tail = f"IF(AND({not_yet_t},{near(P, u)}),{UPDATED},{moved})"
    if after:
        tail = f"IF(IFERROR(AND({pasted_t},{near(P, after)}),FALSE),{STATE_PASTED},{tail})"
    code = (f"IF({near(P, h)},IF({slope(D, forward)},IF({near(u, h)},{STILL},{DONE}),{TODO}),"
            f"IF({near(P, h + '+eps')},IF({slope(D, f'({base}-prevLoss)/eps')},{NUDGED_PASTED},{NUDGED}),{tail}))")
    ready = ("AND(" + ",".join(f"ISNUMBER({c})" for c in
                               [P, D, f"Loss_{name}", "Loss", *([base] if layout.batch else []), *needs]) + ")")
    out = {
        "hist": f'=IF({n}>0,INDEX({_history_column(layout, layout.history_index(name))},{n}),"")',
        "upd": f'=IF({n}>0,{update},"")',
        "rate": f'=IF({n}>0,IF({u}-({still})<>0,({P}-({still}))/(({u}-({still}))/lr),""),"")',
        # an error inside (Adam's update with t − 1 = −1 divides by 0; an overflow) is no
        # place a hand action puts it, as the engine's nan compares: OFF
        "code": f"=IF({n}=0,{TODO},IF({ready},IFERROR({code},{OFF}),{NOT_NUMBER}))",
    }
    if vrate:  # Adam's t − 1 = −1 divides by 0: no rate, as the engine's nan
        out["vrate"] = (f'=IFERROR(IF({n}>0,IF(({after})-({after_still})<>0,'
                        f'({P}-({after_still}))/((({after})-({after_still}))/lr),""),""),"")')
    return out


def sum_formulas(layout: Layout, lang: str) -> dict[str, str]:
    """n, pos, why, who, last, done: the rows' codes added up (the rules of `position`)."""
    m = len(layout.params)
    at = cells(layout)
    n, pos, last = (_abs(*at[k]) for k in ("n", "pos", "last"))
    codes, rates = _column(layout, "code"), _column(layout, "rate")
    vrates = _column(layout, "vrate") if layout.slots else rates
    count = lambda c: f"COUNTIF({codes},{c})"  # noqa: E731
    hist_loss = f"INDEX({_history_column(layout, layout.history_index('Loss'))},{n})"
    base = base_name(layout)
    hist_base = f"INDEX({_history_column(layout, layout.history_index(base))},{n})"
    same = lambda a, b: f"ABS({a}-({b}))<=(ABS({a})+ABS({b}))*{_e(LOSS_REL)}"  # noqa: E731
    update, paste_state = 2 + 3 * m, 3 + 3 * m
    done_state = str(paste_state) if layout.slots else "0"
    at_h = f"({count(TODO)}+{count(DONE)}+{count(STILL)})"
    still = count(STILL)
    ups, pasted, moved, done = count(UPDATED), count(STATE_PASTED), count(MOVED), count(DONE)

    def first(*codes_of: int) -> str:
        """1-based index of the first row whose code is one of `codes_of` (m + 1: none)."""
        return "MIN(" + ",".join(f"IFERROR(MATCH({c},{codes},0),{m + 1})" for c in codes_of) + ")"

    first_nudged = first(NUDGED, NUDGED_PASTED)
    first_off = first(NUDGED, NUDGED_PASTED, UPDATED, STATE_PASTED, OFF, MOVED, STATE_MOVED)
    first_not_up = first(TODO, NUDGED, NUDGED_PASTED, DONE, OFF, MOVED, STATE_MOVED)
    # Excel's AND evaluates every argument: the lookups below never fail, whatever the codes
    def agree(code: int, column: str, how_many: str) -> str:
        """The rates of the rows with `code` within RATE_REL of the first one's."""
        r1 = f"IFERROR(INDEX({column},MATCH({code},{codes},0))+0,0)"
        return (f'COUNTIFS({codes},{code},{column},">="&({r1}*(1-{_e(RATE_REL)})),'
                f'{column},"<="&({r1}*(1+{_e(RATE_REL)})))={how_many}')
    state_moved = count(STATE_MOVED)

    def of_off(kind: str) -> str:
        return f"IFERROR(INDEX({_column(layout, kind)},MIN({first_off},{m}))+0,0)"
    value, hist, upd = of_off("value"), of_off("hist"), of_off("upd")
    to_nudge, to_h, to_update = f"ABS({value}-({hist}+eps))", f"ABS({value}-{hist})", f"ABS({value}-{upd})"
    # (position, why, who) as three formulas sharing one decision list: `position`'s, in order
    rules = [
        (f"{n}=0", ("0", "0", "0")),
        (f"{count(NOT_NUMBER)}>0", (str(NOT_READY), "0", "0")),
        (f"AND({at_h}={m},NOT({same(hist_loss, 'Loss')}))", ("0", "6", "0")),
        (f"AND({at_h}={m},NOT({same('prevLoss', base)}))", ("1", "0", "0")),
        (f"AND({at_h}={m},{count(TODO)}>0)", (f"2+3*(MATCH({TODO},{codes},0)-1)", "0", "0")),
        (f"AND({at_h}={m},{still}={m})", ("0", "0", "0")),
        (f"{at_h}={m}", (str(update), "0", "0")),
        (f"AND({count(NUDGED)}+{count(NUDGED_PASTED)}=1,{at_h}={m - 1},NOT({same('prevLoss', hist_base)}))",
         (f"2+3*({first_nudged}-1)+2", "5", f"{first_nudged}-1")),
        (f"AND({count(NUDGED)}+{count(NUDGED_PASTED)}=1,{at_h}={m - 1})",
         (f"2+3*({first_nudged}-1)+IF({count(NUDGED)}>0,1,2)", "0", "0")),
        (f"{pasted}+{still}={m}", ("0", "0", "0")),
        (f"AND({state_moved}>0,{state_moved}+{still}={m},{agree(STATE_MOVED, vrates, state_moved)})",
         ("0", "0", "0")),
        (f"{ups}+{pasted}+{still}={m}", (done_state, "0", "0")),
        (f"AND({moved}>0,{moved}+{still}={m},{agree(MOVED, rates, moved)})", (done_state, "0", "0")),
        (f"AND({ups}>0,{ups}+{done}+{still}={m})", (str(update), "0", "0")),
        (f"AND({at_h}={m - 1},{to_nudge}<=MIN({to_h},{to_update}))",
         (f"2+3*({first_off}-1)", "1", f"{first_off}-1")),
        (f"AND({at_h}={m - 1},{to_h}<={to_update})", (f"2+3*({first_off}-1)+2", "2", f"{first_off}-1")),
        (f"{at_h}={m - 1}", (str(update), "3", f"{first_off}-1")),
        (f"AND({ups}+{pasted}+{moved}+{state_moved}>0,{count(TODO)}=0)",
         (str(update), "3", f"{first_not_up}-1")),
        ("TRUE", (f"2+3*({first_off}-1)+2", "4", f"{first_off}-1")),
    ]

    def chain(k: int) -> str:
        out = rules[-1][1][k]
        for test, values in reversed(rules[:-1]):
            out = f"IF({test},{values[k]},{out})"
        return "=" + out

    n_rows = len(procedure.actions(layout.params, layout.optimizer))
    return {"n": f"=COUNT({_history_column(layout, layout.history_index('Loss'))})", "pos": chain(0), "why": chain(1),
            "who": chain(2), "last": f"=IF({pos}>0,{pos}-1,IF({n}>0,{n_rows - 1},-1))",
            "done": f'=IF({last}<0,"",{_action_text(layout, lang, last)})'}


def _action_text(layout: Layout, lang: str, pos: str) -> str:
    """The text of action `pos` (a cell holding its index), as procedure.describe writes it."""
    params, opt = layout.params, layout.optimizer
    acts = procedure.actions(params, opt)
    m = len(params)
    names = _column(layout, "name")
    texts = ACTIONS[lang]
    group = f"INT(({pos}-2)/3)"
    name = f"INDEX({names},{group}+1)"

    def with_name(kind: str) -> str:
        before, _, after = texts[kind].partition("{P}")
        return f'"{_q(before)}"&{name}&"{_q(after)}"'

    nudge_group = (f'(4+{group})&"-"&(MOD({pos}-2,3)+1)&": "&CHOOSE(MOD({pos}-2,3)+1,'
                   f'{with_name("nudge")},{with_name("paste_slope")},{with_name("restore")})')
    fixed_texts = {i: procedure.describe(params, i, lang, opt, bool(layout.batch)) for i in (0, 1, 2 + 3 * m)}
    if len(acts) > 3 + 3 * m:
        fixed_texts[3 + 3 * m] = procedure.describe(params, 3 + 3 * m, lang, opt, bool(layout.batch))
    out = nudge_group
    for i, text in sorted(fixed_texts.items(), reverse=True):
        out = f'IF({pos}={i},"{_q(text)}",{out})'
    return out


def _q(text: str) -> str:
    return text.replace('"', '""')


def _number(x: str) -> str:
    """FIXED with DIGITS significant digits (see `fixed`)."""
    return f"FIXED({x},MIN(15,MAX(0,{DIGITS - 1}-INT(LOG10(ABS({x})+1E-300)))),TRUE)"


def coach_formulas(layout: Layout, lang: str) -> tuple[str, str]:
    """The formulas of `next_action` and of the line under it."""
    at = cells(layout)
    pos, why, who, last, n, done = (_abs(*at[k]) for k in ("pos", "why", "who", "last", "n", "done"))
    texts = ACTIONS[lang]
    first = f'=IF({pos}={NOT_READY},"{_q(texts["not_ready"])}",{_action_text(layout, lang, pos)})'
    name = f"INDEX({_column(layout, 'name')},{who}+1)"
    now = f"INDEX({_column(layout, 'value')},{who}+1)"
    hist = f"INDEX({_column(layout, 'hist')},{who}+1)"
    wants = {1: f"{hist}+eps", 2: hist, 3: f"INDEX({_column(layout, 'upd')},{who}+1)", 4: hist,
             5: f"INDEX({_history_column(layout, layout.history_index(base_name(layout)))},{n})", 6: "Loss"}
    sentences = []
    for k in range(1, len(WRONG)):
        template = texts[_wrong_key(k, bool(layout.batch))]
        parts = {"{P}": name, "{want}": _number(wants[k]), "{now}": _number(now)}
        sentences.append(_join(template, parts))
    code, what = f'LEFT({done},FIND(": ",{done})-1)', f'MID({done},FIND(": ",{done})+2,999)'
    just = (f'IF({last}<0,"{_q(texts["nothing_yet"])}",'
            + _join(texts["just_did"], {"{code}": code, "{what}": what}) + ")")
    second = f'=IF({pos}={NOT_READY},"",IF({why}>0,CHOOSE({why},{",".join(sentences)}),{just}))'
    return first, second


def _join(template: str, parts: dict[str, str]) -> str:
    """A template's text with each {key} replaced by an Excel expression: "a"&x&"b"."""
    pieces, rest = [], template
    while True:
        hits = [(rest.find(k), k) for k in parts if rest.find(k) >= 0]
        if not hits:
            pieces.append(f'"{_q(rest)}"')
            break
        i, key = min(hits)
        pieces += [f'"{_q(rest[:i])}"', parts[key]]
        rest = rest[i + len(key):]
    return "&".join(p for p in pieces if p != '""') or '""'
