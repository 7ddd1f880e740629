"""How far a spreadsheet engine's chain of steps (the 'All steps' table, a lane of the race) may
be from the numbers it is compared with, derived from the rounding of its formulas.

The derived sheets' arithmetic is written out here again, independently of
gradsheet/sheets/stats.py: the sums' quadratic (n·Loss = Q + n·β², see there) evaluated on
`Err` numbers, which carry a first-order bound of their rounding along (running error
analysis). Every operation adds one rounding of its result (2^-53 of it) and passes its
operands' bounds on by the operation's derivative; an addition whose result is within 2^-48
of cancelling may come out 0 in LibreOffice (approxAdd), so there its whole result counts.
The sums over the data are taken as (n + 2)·2^-48 of the magnitudes summed, generous for
any engine's order of summation. The optimizer's update is its Rule's text run on Err
numbers, so Adam's bias correction 1 − beta2^(t+1), which cancels, is bounded as it is.

Two engines' chains drift apart as each row's rounding moves every later row. To first order
the drift is linear: with v = (parameters, optimizer state) and F the step v -> v',
e_{i+1} = J_i·e_i + ε_i with J_i = ∂F/∂v at row i (the slope g is affine in the parameters
with the loss's Hessian H, so ∂F/∂θ = ∂F/∂θ|_g + ∂F/∂g·H) and |ε_i| ≤ the row's own rounding.
So |e_i| ≤ Σ_m |J_{i−1}⋯J_{m+1}|·l_m, the products taken with their signs: an oscillating
optimizer (momentum) does not blow the bound up the way a product of norms would. ∂F/∂v
comes from a complex step through Optimizer.update (exact to rounding, no cancellation).
A chaotic chain (RMSprop jittering around the answer, where a one-ulp change of the start
moves the parameters by a third of their size after 70-90 steps) gets a bound that grows
just as fast, until it outgrows first order (LINEAR): from there no engine can be held to
another's numbers, the allowance is infinite, and the per-row check (`row_cells` with the
engine's own inputs) is what tests its formulas.
Every allowance is doubled (SAFETY) for what first order leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsheet.core import models
from gradsheet.core.optimizers import HYPER_DEFAULTS, Optimizer

UNIT = 2.0 ** -53  # one rounding of a double operation
SNAP = 2.0 ** -48  # LibreOffice returns 0 for a ± b within this of cancelling (rtl::math::approxAdd)
U = SNAP  # the sums over the data: a generous per-term rounding for any engine's order
SAFETY = 2.0


# --- numbers with a rounding bound ----------------------------------------------------------
class Err:
    """A value (float or array) and a bound on how far an engine's value may be from it."""

    def __init__(self, v, e=0.0):
        self.v = np.asarray(v, dtype=float)
        self.e = np.broadcast_to(np.asarray(e, dtype=float), self.v.shape).copy()

    @staticmethod
    def of(x) -> "Err":
        return x if isinstance(x, Err) else Err(x, 0.0)  # literals and settings are exact

    def _sum(self, o: "Err", v) -> "Err":
        """a ± b: the operands' bounds, one rounding, and LibreOffice's snap to 0 where the
        result (as either engine may have it) is within SNAP of cancelling."""
        if not np.any(self.e) and not np.any(o.e) and np.all(v == np.round(v)) and np.all(np.abs(v) < 2 ** 52):
            return Err(v, 0.0)  # whole numbers of exact operands (t + 1, 1 − …'s 1) come out exact
        e = self.e + o.e
        size = np.abs(self.v) + np.abs(o.v)
        snap = np.where(np.abs(v) <= SNAP * size + e, np.abs(v) + e, 0.0)
        return Err(v, e + UNIT * np.abs(v) + snap)

    def __add__(self, o):
        o = Err.of(o)
        return self._sum(o, self.v + o.v)

    __radd__ = __add__

    def __sub__(self, o):
        o = Err.of(o)
        return self._sum(o, self.v - o.v)

    def __rsub__(self, o):
        return Err.of(o) - self

    def __neg__(self):
        return Err(-self.v, self.e)

    def __mul__(self, o):
        o = Err.of(o)
        v = self.v * o.v
        return Err(v, np.abs(o.v) * self.e + np.abs(self.v) * o.e + self.e * o.e + UNIT * np.abs(v))

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Err.of(o)
        v = self.v / o.v
        room = np.maximum(np.abs(o.v) - o.e, np.abs(o.v) / 2)  # first order: |b| − e_b ≈ |b|
        return Err(v, (self.e + np.abs(v) * o.e) / room + UNIT * np.abs(v))

    def __rtruediv__(self, o):
        return Err.of(o) / self

    def __pow__(self, o):
        o = Err.of(o)
        assert not np.any(o.e), "exponents are exact (2, t + 1)"
        n = o.v
        v = self.v ** n
        grow = np.abs(n) * np.abs(self.v) ** (n - 1) if np.all(n >= 1) else np.abs(n * v / self.v)
        return Err(v, grow * self.e + 2 * UNIT * np.abs(v))  # pow: within an ulp or two

    def __getitem__(self, i):
        return Err(self.v[i], self.e[i])

    def __len__(self):
        return len(self.v)


def sqrt(a: Err) -> Err:
    a = Err.of(a)
    v = np.sqrt(a.v)
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.where(a.v > 0, a.e / np.maximum(v, 1e-300), np.inf)
    return Err(v, np.minimum(moved, np.sqrt(a.e)) + UNIT * v)


def fsum(terms: list[Err]) -> Err:
    """A sum as a spreadsheet takes it, left to right (SUMPRODUCT, SUM)."""
    out = terms[0]
    for x in terms[1:]:
        out = out + x
    return out


def max0(a: Err) -> Err:
    """MAX(0,a): never moves a bound (it is 1-Lipschitz)."""
    return Err(np.maximum(a.v, 0.0), a.e)


# --- the sums and the quadratic ----------------------------------------------------------------
@dataclass
class Sums:
    n: int
    xbar: list[Err]
    ybar: Err
    S: list[list[Err]]
    s: list[Err]
    q: Err

    @property
    def k(self) -> int:
        return len(self.xbar)


def sums_of(X: np.ndarray, y: np.ndarray) -> Sums:
    """The Sums sheet's numbers with how far an engine's may be from them: each a sum over the
    n rows (taken naively, (n + 2)·U of the magnitudes summed, for any engine's order) of
    products of centred columns, whose centring carries the mean's own error."""
    n, k = X.shape
    cols = [X[:, j] for j in range(k)] + [y]
    means, centred = [], []
    for c in cols:
        m = Err(np.sum(c) / n, (n + 2) * U * np.mean(np.abs(c)))
        means.append(m)
        # c − mean per row: the mean's error, and the subtraction's rounding
        centred.append(Err(c - m.v, m.e + U * (np.abs(c) + abs(float(m.v)))))

    def cross(a: Err, b: Err) -> Err:
        prod = a * b  # per row
        return Err(np.sum(prod.v), np.sum(prod.e) + (n + 2) * U * np.sum(np.abs(prod.v)))
    S = [[cross(centred[j], centred[m]) for m in range(k)] for j in range(k)]
    s = [cross(centred[j], centred[k]) for j in range(k)]
    return Sums(n, means[:k], means[k], S, s, cross(centred[k], centred[k]))


def exact_sums(values: dict) -> Sums:
    """An engine's own sums (read from its Sums sheet) taken as exact inputs."""
    k = len(np.atleast_1d(values["mean_x"]))
    S = np.atleast_2d(np.asarray(values["S_xx"], dtype=float)).reshape(k, k)
    return Sums(int(values["n_rows"]), [Err(v) for v in np.atleast_1d(values["mean_x"])], Err(values["mean_y"]),
                [[Err(S[j, m]) for m in range(k)] for j in range(k)],
                [Err(v) for v in np.atleast_1d(values["S_xy"])], Err(values["S_yy"]))


def row(st: Sums, theta, eps: float, diff: str) -> dict[str, Err]:
    """One row's losses and slopes from the sums, as the cells compute them."""
    k = st.k
    w, B = [Err(v) for v in np.asarray(theta[:-1], dtype=float)], Err(float(theta[-1]))
    u = [fsum([st.S[j][m] * w[m] for m in range(k)]) for j in range(k)]
    Q = max0(fsum([w[j] * u[j] for j in range(k)]) - 2 * fsum([w[j] * st.s[j] for j in range(k)]) + st.q)
    beta = B + fsum([st.xbar[j] * w[j] for j in range(k)]) - st.ybar
    n = Err(float(st.n))
    out = {"u": u, "Q": Q, "beta": beta, "Loss": Q / n + beta ** 2}

    def nudged(p: int, e: float) -> Err:
        if p == k:
            return Q / n + (beta + e) ** 2
        return (Q + 2 * e * (u[p] - st.s[p]) + e ** 2 * st.S[p][p]) / n + (beta + e * st.xbar[p]) ** 2
    out["plus"] = [nudged(p, eps) for p in range(k + 1)]
    if diff == models.CENTRAL:
        out["minus"] = [nudged(p, -eps) for p in range(k + 1)]
        out["grad"] = [(out["plus"][p] - out["minus"][p]) / (2 * eps) for p in range(k + 1)]
    else:
        out["grad"] = [(out["plus"][p] - out["Loss"]) / eps for p in range(k + 1)]
    return out


def stack(values: list[Err]) -> Err:
    return Err([x.v for x in values], [x.e for x in values])


def update(opt: Optimizer, theta, g: Err, slots: dict, t: int, lr: float, hyper: dict) -> dict[str, Err]:
    """The optimizer's Rule texts run on Err numbers: the next parameters and state, with
    their bounds (the slope's error passed on, and the update's own rounding)."""
    values = {"P": Err(theta), "g": g, "t": Err(float(t)), "lr": Err(lr), **{h: Err(v) for h, v in hyper.items()},
              **{s: Err(v) for s, v in slots.items()}}
    out = {}
    for s in opt.slots:
        out[s] = values[f"next_{s}"] = eval(opt.next_slot[s].code, {"__builtins__": {}, "sqrt": sqrt}, values)
    out["P"] = eval(opt.next_param.code, {"__builtins__": {}, "sqrt": sqrt}, values)
    return out


# --- the chain --------------------------------------------------------------------------------
def hessian(X: np.ndarray) -> np.ndarray:
    A = np.column_stack([X, np.ones(X.shape[0])])
    return 2.0 / X.shape[0] * (A.T @ A)


def step_jacobian(opt: Optimizer, theta, g, slots: dict, t: int, lr: float, hyper: dict,
                  H: np.ndarray) -> np.ndarray:
    """∂(θ', state')/∂(θ, state) by complex steps through Optimizer.update (elementwise per
    parameter), with ∂g/∂θ = H."""
    k1, names = len(theta), ["P", *opt.slots]
    base = {"P": np.asarray(theta, complex), "g": np.asarray(g, complex),
            **{s: np.asarray(slots[s], complex) for s in opt.slots}}
    h = 1e-30
    d = {}
    for inp in ["P", "g", *opt.slots]:
        args = dict(base)
        args[inp] = base[inp] + 1j * h
        nxt, nslots, _ = opt.update(args["P"], args["g"], {s: args[s] for s in opt.slots}, t, lr, hyper)
        outs = {"P": nxt, **nslots}
        for o in names:
            d[o, inp] = np.imag(outs[o]) / h
    J = np.zeros((k1 * len(names), k1 * len(names)))
    for a, o in enumerate(names):
        for b, inp in enumerate(names):
            block = np.diag(d[o, inp])
            if inp == "P":
                block = block + np.diag(d[o, "g"]) @ H
            J[a * k1:(a + 1) * k1, b * k1:(b + 1) * k1] = block
    return J


# Past this share of the parameters' size the drift is no longer small: the first-order bound
# stops being one (a chaotic lane's drift outgrows its linearization), and from that row on
# a chain cannot be held to another's numbers at all (the allowance becomes infinite).
LINEAR = 1e-6


@dataclass
class Allowance:
    """Per row and column name: how far the compared cell may be from the expected number."""
    cells: dict[str, np.ndarray]
    param: np.ndarray  # (N + 1, d) the propagated bound on (θ, state) entering each row
    chaotic_from: int | None = None  # the first row whose drift outgrew first order

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cells[name]


def chain_allowance(X, y, r, lr: float, eps: float, diff: str, opt: Optimizer, hyper: dict | None,
                    st: Sums, extra_loss=None) -> Allowance:
    """How far an engine's chain may be from the rows `r` (unrolled.Rows) when its sums err by
    `st`'s bounds and each of its losses by the rounding of the formulas; `extra_loss(theta)`
    adds what a row-wise reference's own losses may err by (then the comparison is with
    descend or a plain-Python reference, not with the cells' twin)."""
    hyper = {**HYPER_DEFAULTS, **(hyper or {})}
    k1 = r.theta.shape[1]
    names = ["P", *opt.slots]
    d = k1 * len(names)
    H = hessian(X)
    lam = float(np.linalg.eigvalsh(H)[-1])
    N = len(r.loss)
    cells = {}
    E = np.zeros(d)
    props: list[tuple[np.ndarray, np.ndarray]] = []  # (product of Jacobians since, injected bound)
    Es = np.zeros((N + 1, d))
    rowsE = {key: [] for key in ("Loss", "plus", "minus", "grad", "u", "Q", "beta")}
    nexts = {o: [] for o in names}
    for i in range(N):
        th = r.theta[i]
        Es[i] = E
        Eth = E[:k1]
        one = row(st, th, eps, diff)
        if extra_loss is not None:
            more = extra_loss(th)  # (Loss, plus[], minus[]) of the reference's own rounding
            one["Loss"] = Err(one["Loss"].v, one["Loss"].e + more[0])
            one["plus"] = [Err(x.v, x.e + m) for x, m in zip(one["plus"], more[1])]
            if "minus" in one:
                one["minus"] = [Err(x.v, x.e + m) for x, m in zip(one["minus"], more[2])]
            if diff == models.CENTRAL:
                one["grad"] = [(one["plus"][p] - one["minus"][p]) / (2 * eps) for p in range(k1)]
            else:
                one["grad"] = [(one["plus"][p] - one["Loss"]) / eps for p in range(k1)]
        grad = models.exact_gradient(X, y, th)
        drift = float(np.abs(grad) @ Eth) + lam * float(Eth @ Eth) / 2  # E moves a loss by this
        nudge = eps * (np.abs(H) @ Eth)  # and the nudged ones by up to eps·|H e_p|·E more
        rowsE["Loss"].append(one["Loss"].e + drift)
        rowsE["plus"].append([x.e + drift + nudge[p] for p, x in enumerate(one["plus"])])
        if "minus" in one:
            rowsE["minus"].append([x.e + drift + nudge[p] for p, x in enumerate(one["minus"])])
        g = stack(one["grad"])
        rowsE["grad"].append(g.e + np.abs(H) @ Eth)
        S = np.array([[x.v for x in line] for line in st.S]).reshape(k1 - 1, k1 - 1)
        sv = np.array([x.v for x in st.s])
        Sw = S @ th[:-1]
        rowsE["u"].append([x.e for x in one["u"]] + np.abs(S) @ Eth[:-1])
        rowsE["Q"].append(float(one["Q"].e) + float(np.abs(2 * (Sw - sv)) @ Eth[:-1])
                          + float(np.linalg.norm(S, 2)) * float(Eth[:-1] @ Eth[:-1]))
        xbar = np.array([float(x.v) for x in st.xbar])
        rowsE["beta"].append(float(one["beta"].e) + float(np.abs(xbar) @ Eth[:-1]) + Eth[-1])
        frozen = r.loss[i] > r.limit
        t = int(r.t[i]) if r.t is not None else 0
        slots = {s: r.slots[s][i] for s in opt.slots}
        if frozen:
            J, inject = np.eye(d), np.zeros(d)
        else:
            J = step_jacobian(opt, th, r.grad[i], slots, t, lr, hyper, H)
            nxt = update(opt, th, g, slots, t, lr, hyper)
            inject = np.concatenate([nxt[o].e for o in names])
        props = [(J @ M, l) for M, l in props] + [(np.eye(d), inject)]
        E = sum(np.abs(M) @ l for M, l in props)
        for a, o in enumerate(names):
            nexts[o].append(E[a * k1:(a + 1) * k1])
    Es[N] = E
    cells, param = _columns(rowsE, nexts, Es, names, k1), Es * SAFETY
    scale = np.abs(np.vstack([r.theta, r.next[-1:]])) + 1.0
    wild = np.flatnonzero(np.any(param[:, :k1] > LINEAR * scale, axis=1))
    chaotic = int(wild[0]) if len(wild) else None
    if chaotic is not None:  # from the row whose parameters drifted too far (next_P a row earlier)
        param[chaotic:] = np.inf
        for key, v in cells.items():
            v[max(chaotic - (1 if key.startswith("next_") else 0), 0):] = np.inf
    return Allowance(cells, param, chaotic)


def _columns(rowsE, nexts, Es, names, k1) -> dict[str, np.ndarray]:
    """The bounds per kind of cell, each (N,) or (N, k + 1) (one column per parameter)."""
    out = {key: SAFETY * np.array(rowsE[key], dtype=float) for key in rowsE if rowsE[key]}
    N = len(rowsE["Loss"])
    for a, o in enumerate(names):
        out[f"state_{o}"] = SAFETY * Es[:N, a * k1:(a + 1) * k1]
        out[f"next_{o}"] = SAFETY * np.array(nexts[o], dtype=float)
    return out


def helper_names(k: int) -> list[str]:
    return (["Sw"] if k == 1 else [f"Sw_{j}" for j in range(1, k + 1)]) + ["Q", "β"]


def by_column(kinds: dict[str, np.ndarray], params: list[str], opt: Optimizer) -> dict[str, np.ndarray]:
    """The kinds' bounds under the table's column names (W, Loss_W, grad_W, vel_W, next_W …)."""
    k = len(params) - 1
    out = {"Loss": kinds["Loss"], "Q": kinds["Q"], "β": kinds["beta"]}
    helpers = helper_names(k)
    for j in range(k):
        out[helpers[j]] = kinds["u"][:, j]
    for p, name in enumerate(params):
        out[name] = kinds["state_P"][:, p]
        out[f"next_{name}"] = kinds["next_P"][:, p]
        out[f"Loss_{name}"] = kinds["plus"][:, p]
        if "minus" in kinds:
            out[f"Lossm_{name}"] = kinds["minus"][:, p]
        out[f"grad_{name}"] = kinds["grad"][:, p]
        for s in opt.slots:
            out[f"{s}_{name}"] = kinds[f"state_{s}"][:, p]
            out[f"next_{s}_{name}"] = kinds[f"next_{s}"][:, p]
    if opt.counts_updates:
        out["t"] = np.zeros(len(kinds["Loss"]))
    return out


def row_cells(st: Sums, theta, slots: dict, t: int, lr: float, eps: float, diff: str, opt: Optimizer,
              hyper: dict | None, limit: float, params: list[str]) -> dict[str, Err]:
    """Every cell of one row from that row's inputs (its parameters, state and t, as the
    engine has them): the row's formulas, independently, with their own rounding only."""
    hyper = {**HYPER_DEFAULTS, **(hyper or {})}
    k = len(params) - 1
    one = row(st, theta, eps, diff)
    out = {"Loss": one["Loss"], "Q": one["Q"], "β": one["beta"]}
    for j, h in enumerate(helper_names(k)[:k]):
        out[h] = one["u"][j]
    if opt.counts_updates:
        out["t"] = Err(float(t))
    frozen = float(one["Loss"].v) > limit
    nxt = None if frozen else update(opt, theta, stack(one["grad"]), slots, t, lr, hyper)
    for p, name in enumerate(params):
        out[name] = Err(float(theta[p]))
        out[f"Loss_{name}"] = one["plus"][p]
        if "minus" in one:
            out[f"Lossm_{name}"] = one["minus"][p]
        out[f"grad_{name}"] = one["grad"][p]
        for s in opt.slots:
            out[f"{s}_{name}"] = Err(float(slots[s][p]))
            out[f"next_{s}_{name}"] = Err(float(slots[s][p])) if frozen else nxt[s][p]
        out[f"next_{name}"] = Err(float(theta[p])) if frozen else nxt["P"][p]
    return out
