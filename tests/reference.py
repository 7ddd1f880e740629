"""What every named cell of a gradsheet workbook must hold, by the numpy model, how closely
a spreadsheet engine must agree with it, and the course's hand procedure written out plainly
(an independent reference for the steps engine).

How close is close enough: the tolerances follow from the rounding of the formulas, evaluated
with the model's numbers (`loss_rounding`), not from a flat relative bound. A flat bound has
to be wide enough for the worst cell of every table, and then it is wider than the effects
the tests guard: 4e-9·Loss/eps, the old gradient tolerance, was 0.077 on lemonade, more than
the whole forward-difference error there (eps·mean(x²) = 0.0485 for W, eps = 1e-4 for B), so
a central or exact gradient passed as forward.

Measured (LibreOffice 7.4 against numpy, every named cell of 47 recalculated workbooks: the
course's and a 3-feature table fresh, with changed W/B/lr, after 3, 23, 50 and 1000 steps and
after every hand action, central differences, the seven edge tables, scaled and random tables):
the largest difference was 5.9 % of the allowance below for Loss, Loss_P and dLoss_dt,
3.0 % for grad_P (lemonade, fresh: 4.5e-9 against 1.5e-7, about 1e-13 of Loss/eps) and
12.5 % for exact_grad_P. So the allowances keep a margin of 8× or more over the worst case
seen, while the gradient's stays over 600× below the forward-vs-central difference on
lemonade (test_trust.py::test_the_gradient_tolerance_tells_forward_from_central_and_exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gradsheet.core import models as model
from gradsheet.core.layout import feature_names, param_names

UNIT = 2.0 ** -53  # the relative rounding of one floating-point operation
# LibreOffice returns 0 for a + b or a − b within 2^-48 of cancelling (rtl::math::approxAdd/Sub)
SNAP = 2.0 ** -48


# --- rounding ---------------------------------------------------------------------------------
def loss_rounding(X, y, theta, nudge=0.0) -> float:
    """How far two engines may disagree on one loss cell at theta with the residuals moved by
    `nudge` (0, ±eps·x_j or ±eps): twice the first-order rounding of one engine.

    A residual x·W + B − y + nudge takes 2k + 3 operations, each off by at most UNIT of the
    magnitudes added (a); its square, the sum of n squares and the division add (n + 1)·UNIT
    of the mean. Where LibreOffice snaps h = x·W + B to 0 (h within SNAP of cancelling) the
    residual is off by SNAP·a; where it snaps h − y to 0 the square is off by r² < (SNAP·a)²."""
    n, k = X.shape
    terms = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1])
    a = terms + np.abs(y) + np.abs(nudge)
    h = model.predict(X, theta)
    r = np.abs(h - y + nudge)
    dr = (2 * k + 3) * UNIT * a + SNAP * a * (np.abs(h) <= SNAP * terms)
    one = np.mean(2 * r * dr + dr * dr) + (n + 1) * UNIT * np.mean(r * r) + SNAP ** 2 * np.mean(a * a)
    return 2 * float(one)


def nudges(X, eps: float) -> list:
    """What each parameter's nudge adds to the residuals: eps·x_j for W_j, eps for B."""
    return [eps * X[:, j] for j in range(X.shape[1])] + [eps]


def exact_rounding(X, y, theta) -> np.ndarray:
    """How far two engines may disagree on 2/n·Σ (h − y)·x_j (x = 1 for B), per parameter:
    h − y off by (2k + 1)·UNIT of its magnitudes, the products and the sum by (n + 2)·UNIT."""
    n, k = X.shape
    a = np.abs(X) @ np.abs(theta[:-1]) + abs(theta[-1]) + np.abs(y)
    r = np.abs(model.predict(X, theta) - y)
    A = np.abs(np.column_stack([X, np.ones(n)]))
    return 2 * (2.0 / n) * (A.T @ ((2 * k + 1) * UNIT * a + (n + 2) * UNIT * r))


def snapped(value: float, scale: float, eps: float) -> float:
    """A difference of two numbers near `scale`, divided by eps, that LibreOffice may give as
    0 (the two agree within SNAP): then the whole value is the disagreement."""
    return abs(value) if abs(value) * eps <= SNAP * abs(scale) else 0.0


# --- what the named cells hold -----------------------------------------------------------------
def expected_names(X, y, theta, prev_loss, dloss, lr, eps, diff=model.FORWARD) -> dict:
    """Contract name -> the model's value (arrays for the column names). Names starting
    with "_" are not cells: they carry each cell's rounding allowance for tolerance()."""
    theta = np.asarray(theta, dtype=float)
    k = X.shape[1]
    params = param_names(k)
    h = model.predict(X, theta)
    loss = model.loss(X, y, theta)
    nudged = model.nudged_losses(X, y, theta, eps)
    grad = model.gradient(X, y, theta, eps, diff)
    out = {"h": h, "y": y, "Loss": loss, "prevLoss": prev_loss, "lr": lr, "eps": eps}
    if prev_loss != 0:  # before the first action 3 dLoss_dt is empty (tests/test_render.py)
        out["dLoss_dt"] = (loss - prev_loss) / eps
    for j, name in enumerate(feature_names(k)):
        out[name] = X[:, j]
    for p, name in enumerate(params):
        out[name] = theta[p]
        out[f"Loss_{name}"] = nudged[p]
        out[f"grad_{name}"] = grad[p]
        out[f"dLoss_d{name}"] = dloss[p]
        out[f"next_{name}"] = theta[p] - lr * dloss[p]
    exact = model.exact_gradient(X, y, theta)
    for p, name in enumerate(params):
        out[f"exact_grad_{name}"] = exact[p]
        out[f"fd_error_{name}"] = grad[p] - exact[p]
    best = model.best_theta(X, y)
    if model.unique_answer(X):  # otherwise the sheet says so in words (test_edge_tables)
        for p, name in enumerate(params):
            out[f"best_{name}"] = best[p]
        out["best_Loss"] = model.loss(X, y, best)
        out["best_dist"] = float(np.sqrt(np.sum((theta - best) ** 2)))
    # how exactly a least-squares answer is determined: rounding times the condition number
    A = np.column_stack([X, np.ones(len(y))])
    out["_best_scale"] = 1e-13 * np.linalg.cond(A) * max(1.0, float(np.abs(best).max()))
    out["_y2"] = float(np.mean(y * y))
    out["_round_Loss"] = loss_rounding(X, y, theta)
    shifts, exact_round = nudges(X, eps), exact_rounding(X, y, theta)
    for p, name in enumerate(params):
        out[f"_round_Loss_{name}"] = loss_rounding(X, y, theta, shifts[p])
        out[f"_round_exact_grad_{name}"] = float(exact_round[p])
    if diff == model.CENTRAL:
        for p, value in enumerate(model.nudged_losses(X, y, theta, -eps)):
            out[f"Lossm_{params[p]}"] = value
            out[f"_round_Lossm_{params[p]}"] = loss_rounding(X, y, theta, -shifts[p])
    return out


# Typed numbers (never formulas): a spreadsheet holds what was written, which is the number
# to 16 significant digits (XlsxWriter writes %.16G; formula values keep all 17).
TYPED = ("y", "prevLoss", "lr", "eps")
TYPED_RTOL = 1e-15  # half a unit in the 16th digit, relative: at most 5e-16


def tolerance(name: str, expected: dict) -> tuple[float, float]:
    """(rtol, atol) for one name: the rounding allowance of its formula (see the module's
    docstring for what was measured against it)."""
    params = [n[len("grad_"):] for n in expected if n.startswith("grad_")]
    if name in TYPED or name in params or name in [f"dLoss_d{p}" for p in params]:
        return TYPED_RTOL, 0.0
    if name.startswith("best_") and name != "best_Loss" or name == "best_dist":
        return 1e-9, expected["_best_scale"]
    if name == "best_Loss":  # quadratic in the answer's error, so tiny whatever the data
        return 1e-9, 1e-9 * expected["_y2"]
    if name.startswith(("Loss", "exact_grad_")):  # Loss, Loss_P, Lossm_P
        return UNIT, expected[f"_round_{name}"]
    if name == "dLoss_dt":  # Loss rounds, the typed prevLoss has 16 digits
        eps = expected["eps"]
        return UNIT, ((expected["_round_Loss"] + TYPED_RTOL * abs(expected["prevLoss"])) / eps
                      + snapped(expected[name], expected["Loss"], eps))
    if name.startswith("grad_"):
        return UNIT, slope_allowance(name[len("grad_"):], expected)
    if name.startswith("fd_error_"):  # grad_P − exact_grad_P
        p = name[len("fd_error_"):]
        return UNIT, (slope_allowance(p, expected) + expected[f"_round_exact_grad_{p}"]
                      + snapped(expected[name], expected[f"grad_{p}"], 1.0))
    return 1e-12, 1e-12


def slope_allowance(p: str, expected: dict) -> float:
    """grad_P: forward (Loss_P − Loss)/eps, central (Loss_P − Lossm_P)/(2·eps): the two
    losses' rounding over the divisor, or all of it where LibreOffice snaps the difference."""
    eps = expected["eps"]
    if f"Lossm_{p}" in expected:
        other, divisor = f"Lossm_{p}", 2 * eps
    else:
        other, divisor = "Loss", eps
    rounding = (expected[f"_round_Loss_{p}"] + expected[f"_round_{other}"]) / divisor
    return rounding + snapped(expected[f"grad_{p}"], max(expected[f"Loss_{p}"], expected[other]),
                              divisor)


def assert_matches(got: dict, expected: dict) -> None:
    """Every expected name is present and equal within its tolerance."""
    bad = []
    for name, want in expected.items():
        if name.startswith("_"):
            continue  # allowances for the tolerances, not names
        rtol, atol = tolerance(name, expected)
        have = np.asarray(got[name], dtype=float)
        if have.size == np.size(want):  # a one-row column reads back as a single cell
            have = have.reshape(np.shape(want))
        if have.shape != np.shape(want) or not np.allclose(have, want, rtol=rtol, atol=atol):
            bad.append(f"{name}: workbook {got[name]!r} != model {want!r} (rtol {rtol}, atol {atol:g})")
    assert not bad, "\n".join(bad)


# --- the course's procedure, by hand ----------------------------------------------------------
# Written out from COURSE.md, independently of gradsheet's model, procedure and steps modules:
# a test that compares the engine with the model's own descent proves the file round trip,
# this proves the maths.
def hand_loss(X, y, theta) -> float:
    """Loss = Σ (W·x + B − y)² / n, every sum exactly rounded (math.fsum)."""
    *W, B = (float(v) for v in theta)
    return math.fsum(math.fsum([w * x for w, x in zip(W, row)] + [B, -target]) ** 2
                     for row, target in zip(X.tolist(), y.tolist())) / len(y)


def course_actions(k: int) -> list[tuple[str, int | None]]:
    """Steps 2–6 one hand action at a time: 2, 3, then for each parameter (W…, then B)
    'add eps', 'paste dLoss_dt', 'put back', then 6."""
    acts = [("history", None), ("prevLoss", None)]
    for p in range(k + 1):
        acts += [("add eps", p), ("paste dLoss_dt", p), ("put back", p)]
    return acts + [("next", None)]


@dataclass
class HandSheet:
    """The cells a student changes by hand, as plain lists."""
    theta: list
    prev_loss: float
    dloss: list
    history: list = field(default_factory=list)  # rows [W…, B, Loss]
    action: int = 0  # index into course_actions

    @classmethod
    def fresh(cls, X, y, theta) -> "HandSheet":
        """Step 1 done: W, B from the generator, nothing copied or pasted yet (prevLoss 0)."""
        theta = [float(v) for v in theta]
        return cls(theta, 0.0, [0.0] * len(theta))


def hand_action(sheet: HandSheet, X, y, lr: float, eps: float) -> None:
    """One hand action, as the course does it (Loss is what the sheet shows right now)."""
    acts = course_actions(X.shape[1])
    what, p = acts[sheet.action]
    if what == "history":
        sheet.history.append(sheet.theta + [hand_loss(X, y, sheet.theta)])
    elif what == "prevLoss":
        sheet.prev_loss = hand_loss(X, y, sheet.theta)
    elif what == "add eps":
        sheet.theta[p] += eps
    elif what == "paste dLoss_dt":
        sheet.dloss[p] = (hand_loss(X, y, sheet.theta) - sheet.prev_loss) / eps
    elif what == "put back":
        sheet.theta[p] = sheet.history[-1][p]
    else:
        sheet.theta = [P - lr * d for P, d in zip(sheet.theta, sheet.dloss)]
    sheet.action = (sheet.action + 1) % len(acts)


def hand_steps(sheet: HandSheet, X, y, lr: float, eps: float, steps: int) -> HandSheet:
    for _ in range(steps * len(course_actions(X.shape[1]))):
        hand_action(sheet, X, y, lr, eps)
    return sheet


def descent_allowance(X, y, thetas, lr: float, eps: float) -> dict[str, np.ndarray]:
    """How far two engines' forward-difference descents from the same start may drift apart:
    per step i (parameters thetas[i] at its start), the parameters' distance before it
    ("param", Euclidean) and after it ("next"), its Loss ("loss") and slopes ("slope").

    A step is next = P − lr·slope; for this quadratic loss (and its finite differences) an
    error E in P becomes (I − lr·H)·E, at most ρ·E (ρ = max |1 − lr·λ| over H's eigenvalues),
    plus lr times the slopes' rounding and the update's own rounding; E moves the Loss by at
    most (‖∇L‖ + λ·E/2)·E and a slope by λ·E (λ = H's largest eigenvalue)."""
    A = np.column_stack([X, np.ones(len(y))])
    eig = np.linalg.eigvalsh(2.0 / len(y) * (A.T @ A))
    lam, rho = float(eig[-1]), float(np.max(np.abs(1 - lr * eig)))
    out = {key: np.empty(len(thetas)) for key in ("param", "next", "loss", "slope")}
    E = 0.0
    for i, th in enumerate(np.asarray(thetas, dtype=float)):
        base = loss_rounding(X, y, th)
        slopes = np.array([(loss_rounding(X, y, th, shift) + base) / eps for shift in nudges(X, eps)])
        g = model.gradient(X, y, th, eps)
        out["param"][i], out["slope"][i] = E, float(slopes.max()) + lam * E
        out["loss"][i] = base + (float(np.linalg.norm(model.exact_gradient(X, y, th))) + lam * E / 2) * E
        E = rho * E + lr * float(np.linalg.norm(slopes)) + UNIT * float(np.linalg.norm(np.abs(th) + lr * np.abs(g)))
        out["next"][i] = E
    return out


def three_feature_csv(path, n=40, seed=7):
    """A table with features on different scales and a known linear target plus noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 10, n), rng.uniform(-50, 50, n), rng.uniform(0, 1, n)])
    y = 1.5 * X[:, 0] - 0.2 * X[:, 1] + 4 * X[:, 2] + 3 + rng.normal(0, 0.5, n)
    lines = ["면적,거리,비율,가격"] + [",".join(f"{v:.6g}" for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the optimizers, in Keras 3's own words -----------------------------------------------------
# Written out from keras/src/optimizers/sgd.py, rmsprop.py and adam.py as plain Python floats, one
# parameter at a time, independently of gradsheet.core.optimizers (whose Excel text the workbook's
# formulas, the stored values and the engine all run).
KERAS_DEFAULTS = {"beta": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999, "delta": 1e-7}
SLOTS = {"gd": (), "momentum": ("vel",), "rmsprop": ("sq",), "adam": ("m", "sq")}
_H = KERAS_DEFAULTS


def keras_sgd_momentum(p, g, vel, lr, beta=_H["beta"]):
    vel = -g * lr + vel * beta  # sgd.py: m.assign(-g*lr + m*momentum); p += m
    return p + vel, {"vel": vel}


def keras_rmsprop(p, g, sq, lr, rho=_H["rho"], delta=_H["delta"]):
    sq = rho * sq + (1 - rho) * g * g  # rmsprop.py: velocity
    return p - lr * g / math.sqrt(sq + delta), {"sq": sq}


def keras_adam(p, g, m, sq, t, lr, b1=_H["beta1"], b2=_H["beta2"], delta=_H["delta"]):
    step = t + 1  # adam.py: local_step = iterations + 1
    alpha = lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
    m = m + (g - m) * (1 - b1)
    sq = sq + (g * g - sq) * (1 - b2)
    return p - alpha * m / (math.sqrt(sq) + delta), {"m": m, "sq": sq}


def keras_update(name: str, p: float, g: float, state: dict, t: int, lr: float,
                 hyper: dict | None = None) -> tuple[float, dict]:
    """One parameter's next value and next state under optimizer `name` (gd: p − lr·g)."""
    h = {**KERAS_DEFAULTS, **(hyper or {})}
    if name == "gd":
        return p - lr * g, {}
    if name == "momentum":
        return keras_sgd_momentum(p, g, state["vel"], lr, h["beta"])
    if name == "rmsprop":
        return keras_rmsprop(p, g, state["sq"], lr, h["rho"], h["delta"])
    if name == "adam":
        return keras_adam(p, g, state["m"], state["sq"], t, lr, h["beta1"], h["beta2"], h["delta"])
    raise ValueError(f"no optimizer {name!r}")


def next_t(name: str, t: int) -> int:
    """Adam counts its updates (the bias correction's t); the others keep t as it is."""
    return t + 1 if name == "adam" else t


def keras_all(name, theta, dloss, state, t, lr, hyper=None) -> tuple[list, dict]:
    """Every parameter at once: (next θ, next state as slot -> list)."""
    nxt, nst = [], {s: [] for s in SLOTS[name]}
    for p in range(len(theta)):
        one = {s: float(state[s][p]) for s in SLOTS[name]}
        value, after = keras_update(name, float(theta[p]), float(dloss[p]), one, t, lr, hyper)
        nxt.append(value)
        for s in SLOTS[name]:
            nst[s].append(after[s])
    return nxt, nst


def optimizer_cells(name, params, theta, dloss, state, t, lr, hyper=None) -> dict:
    """The optimizer's live cells: next_P and next_<slot>_P of every parameter."""
    nxt, nst = keras_all(name, theta, dloss, state, t, lr, hyper)
    out = {f"next_{P}": nxt[p] for p, P in enumerate(params)}
    for s in SLOTS[name]:
        out |= {f"next_{s}_{P}": nst[s][p] for p, P in enumerate(params)}
    return out


ULP = 2.0 ** -52  # a unit in the last place of a number in [1, 2): math.ulp(x) <= ULP·|x|
# A state cell a + (b − a)·c or a·c + b·d rounds, in one engine, by at most 2^-53 times
# (|next| + |in|) four times over (Adam's sq + (g² − sq)·(1 − β2): g², the difference, the
# product, the sum, each term bounded by |next| + |sq|): 2 ULP of |next| + |in| per engine, 4
# between two. Measured against these forms: LibreOffice 7.4 (100 random draws of P, dLoss_dP,
# the state, t, lr and the hyperparameters; 2 tables x 3 optimizers) equal to the bit for
# momentum and Adam, RMSprop's next_sq_P up to 2 ulps off (24 % of the allowance), its next_P
# 10 %; Gnumeric 1.12.55 (tests/test_gnumeric.py) up to 5 ulps off in Adam's next_sq_P (79 %).
CELL_ULPS = 4


def optimizer_allowance(name, params, theta, dloss, state, t, lr, hyper=None, typed=False) -> dict:
    """How far another engine's next_* may be from the Keras forms, per cell.

    A state cell (next_vel / next_sq / next_m) adds two terms, each bounded by the cell's value
    plus the value it updates: CELL_ULPS units of those. next_P = P − u adds its own rounding
    of P and next_P to the rounding of u: u's own operations (16 units), the state cells'
    allowance carried through u's derivative in them, and for Adam the bias correction:
    1 − β^(t+1) turns one unit of β^(t+1) into β^s/(1 − β^s) units (the square root halves
    β2's). typed: the inputs hold the 16 digits a typed cell keeps (TYPED_RTOL each)."""
    h = {**KERAS_DEFAULTS, **(hyper or {})}
    typed_rel = TYPED_RTOL if typed else 0.0
    cell_rel = CELL_ULPS * ULP + 3 * typed_rel  # a state cell's inputs enter up to 3 times
    want = optimizer_cells(name, params, theta, dloss, state, t, lr, hyper)
    own = 16 * ULP + typed_rel
    out = {}
    for p, P in enumerate(params):
        err = {}
        for s in SLOTS[name]:
            err[s] = cell_rel * (abs(want[f"next_{s}_{P}"]) + abs(float(state[s][p])))
            out[f"next_{s}_{P}"] = err[s]
        nxt, before = want[f"next_{P}"], float(theta[p])
        u = abs(before - nxt)
        if name == "gd":
            err_u = own * u
        elif name == "momentum":  # next_P = P + next_vel
            err_u = err["vel"]
        elif name == "rmsprop":  # u = lr·g / √(next_sq + δ)
            sq = want[f"next_sq_{P}"] + h["delta"]
            err_u = u * (own + 0.5 * err["sq"] / sq)
        else:  # u = α·next_m / (√next_sq + δ), α = lr·√(1 − β2^s) / (1 − β1^s)
            s = t + 1
            b1, b2 = h["beta1"] ** s, h["beta2"] ** s
            alpha = lr * math.sqrt(1 - b2) / (1 - b1)
            root = math.sqrt(want[f"next_sq_{P}"])
            err_u = (u * (own + (b1 / (1 - b1) + b2 / (2 * (1 - b2))) * ULP)
                     + alpha / (root + h["delta"]) * err["m"]
                     + (0.5 * u * err["sq"] / (root * (root + h["delta"])) if root else 0.0))
        out[f"next_{P}"] = (CELL_ULPS * ULP + typed_rel) * (abs(nxt) + abs(before)) + err_u
    return out


def assert_optimizer_cells(got: dict, name, params, theta, dloss, state, t, lr, hyper=None,
                           typed=False) -> dict:
    """Every next_* cell equals the Keras forms within optimizer_allowance; returns the
    differences in units of their allowance (for the reports of what was measured)."""
    want = optimizer_cells(name, params, theta, dloss, state, t, lr, hyper)
    allow = optimizer_allowance(name, params, theta, dloss, state, t, lr, hyper, typed)
    bad, used = [], {}
    for cell, value in want.items():
        diff = abs(float(got[cell]) - value)
        used[cell] = diff / allow[cell] if allow[cell] else float(diff > 0)
        if not diff <= allow[cell]:
            bad.append(f"{cell}: engine {got[cell]!r} != Keras {value!r} (allowance {allow[cell]:.3g})")
    assert not bad, "\n".join(bad)
    return used


# --- a descent under an optimizer, by hand ------------------------------------------------------
def hand_forward_slopes(X, y, theta, eps) -> list:
    """The course's slopes: for each P, (Loss with P really holding P + eps − Loss) / eps."""
    base = hand_loss(X, y, theta)
    out = []
    for p in range(len(theta)):
        moved = [float(v) for v in theta]
        moved[p] += eps
        out.append((hand_loss(X, y, moved) - base) / eps)
    return out


@dataclass
class HandDescent:
    """Whole course steps under an optimizer, as plain lists."""
    starts: list  # (theta, state, t) at the start of each step
    history: list  # rows [P…, Loss], one per step
    theta: list  # where the last step ended
    dloss: list  # the slopes pasted in the last step
    state: dict  # slot -> one value per parameter
    t: int


def hand_descent(X, y, theta, lr, eps, steps, name="gd", hyper=None) -> HandDescent:
    """`steps` course steps (2–6) from theta with a fresh state: history row, forward slopes
    from the losses (math.fsum), then the Keras update of every parameter (and t + 1)."""
    theta = [float(v) for v in theta]
    state = {s: [0.0] * len(theta) for s in SLOTS[name]}
    t, dloss, starts, history = 0, [0.0] * len(theta), [], []
    for _ in range(steps):
        starts.append((list(theta), {s: list(v) for s, v in state.items()}, t))
        history.append(theta + [hand_loss(X, y, theta)])
        dloss = hand_forward_slopes(X, y, theta, eps)
        theta, state = keras_all(name, theta, dloss, state, t, lr, hyper)
        t = next_t(name, t)
    return HandDescent(starts, history, theta, dloss, state, t)


def slope_sensitivity(name, theta, dloss, state, t, lr, hyper=None) -> np.ndarray:
    """|d/dg| of each parameter's next value, then of each slot's next value (z's order), per
    unit of that parameter's pasted slope g: how an error in a slope carries into the update
    (a forward difference of the Keras forms)."""
    m, slots = len(theta), SLOTS[name]
    out = np.zeros(m * (1 + len(slots)))
    for p in range(m):
        one = {s: float(state[s][p]) for s in slots}
        g = float(dloss[p])
        dg = 1e-6 * max(abs(g), 1.0)
        a = keras_update(name, float(theta[p]), g, one, t, lr, hyper)
        b = keras_update(name, float(theta[p]), g + dg, one, t, lr, hyper)
        out[p] = abs(b[0] - a[0]) / dg
        for i, s in enumerate(slots):
            out[m * (i + 1) + p] = abs(b[1][s] - a[1][s]) / dg
    return out


def _hand_step(X, y, z, name, t, lr, eps, hyper) -> np.ndarray:
    """One whole step on z = (θ, then each slot's values): the map whose Jacobian carries errors."""
    m = X.shape[1] + 1
    theta = list(z[:m])
    state = {s: list(z[m * (i + 1):m * (i + 2)]) for i, s in enumerate(SLOTS[name])}
    nxt, nst = keras_all(name, theta, hand_forward_slopes(X, y, theta, eps), state, t, lr, hyper)
    return np.array(nxt + [v for s in SLOTS[name] for v in nst[s]])


def optimizer_drift(X, y, hand: HandDescent, lr, eps, name, hyper=None) -> dict:
    """How far two engines' descents from the same start may drift apart under an optimizer,
    to first order, per step i: "param" (|error| of each parameter at its start), "loss" (its
    Loss), and after the last step "end" (parameters, then each slot's values) and "slope"
    (the slopes it pasted).

    Over z = (θ, state) step i adds its own rounding ℓ_i: the slopes' (loss_rounding of the two
    losses, over eps, as in descent_allowance) carried through the update's derivative in its
    slope, plus the update's (optimizer_allowance). Later steps carry it by their Jacobians J
    (finite differences of the hand step), so an error at step n is at most Σ_i |J_{n−1}⋯J_{i+1}|·ℓ_i:
    the product before the absolute value, because momentum's contraction lives in the signs
    (|J| alone grows). A parameter error e_θ moves the Loss by |∇L|·e_θ + λ|e_θ|²/2 and the
    slopes by H·e_θ (H = 2/n·AᵀA, the loss's Hessian)."""
    m = X.shape[1] + 1
    slots = SLOTS[name]
    A = np.column_stack([X, np.ones(len(y))])
    H = 2.0 / len(y) * (A.T @ A)
    lam = float(np.linalg.eigvalsh(H)[-1])
    names = [str(p) for p in range(m)]
    size = m * (1 + len(slots))
    carried, local = [], []  # per earlier step: its rounding, and the product of Jacobians since
    out = {"param": [], "loss": []}
    for theta, state, t in hand.starts:
        th = np.array(theta)
        e = sum((np.abs(M) @ ell for M, ell in zip(carried, local)), np.zeros(size))
        ep = e[:m]
        out["param"].append(ep)
        out["loss"].append(loss_rounding(X, y, th) + float(np.abs(model.exact_gradient(X, y, th)) @ ep)
                           + lam * float(ep @ ep) / 2)
        base = loss_rounding(X, y, th)
        dg = np.array([(loss_rounding(X, y, th, shift) + base) / eps for shift in nudges(X, eps)])
        out["slope"] = dg + sum((np.abs(H @ M[:m]) @ ell for M, ell in zip(carried, local)), np.zeros(m))
        g = hand_forward_slopes(X, y, theta, eps)
        allow = optimizer_allowance(name, names, theta, g, state, t, lr, hyper)
        ell = slope_sensitivity(name, theta, g, state, t, lr, hyper) * np.tile(dg, 1 + len(slots))
        ell += [allow[f"next_{p}"] for p in names] + [allow[f"next_{s}_{p}"] for s in slots for p in names]
        z = np.array(theta + [v for s in slots for v in state[s]])
        here = _hand_step(X, y, z, name, t, lr, eps, hyper)
        J = np.empty((size, size))
        for j in range(size):
            dz = 1e-5 * max(abs(z[j]), 1e-3)
            moved = z.copy()
            moved[j] += dz
            J[:, j] = (_hand_step(X, y, moved, name, t, lr, eps, hyper) - here) / dz
        carried = [J @ M for M in carried] + [np.eye(size)]
        local.append(ell)
    out["end"] = sum((np.abs(M) @ ell for M, ell in zip(carried, local)), np.zeros(size))
    out["param"], out["loss"] = np.array(out["param"]), np.array(out["loss"])
    return out


def stored_names(path, names, places=None) -> dict:
    """The values stored with the cells of each defined name (openpyxl, data_only): one cell,
    or a column as a list. `places` (an openpyxl workbook) says where the names point when
    `path` is another program's copy of that workbook (Gnumeric's recalculation)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, data_only=True)
    names_from = (places or wb).defined_names
    got = {}
    for name in names:
        (sheet, where), = names_from[name].destinations
        cells = wb[sheet][where]
        got[name] = [c[0].value for c in cells] if isinstance(cells, tuple) else cells.value
    return got
