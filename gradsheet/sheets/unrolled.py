"""The "All steps" sheet ("전체 과정"): the next N course steps from the current W, B, one
step per row of an Excel table named `unrolled`, every cell a live formula.

Row i holds the parameters P, their Loss, the nudged losses Loss_P (and Lossm_P with central
differences), the slopes grad_P, the optimizer's state (vel_P / sq_P / m_P, and Adam's t)
with its next value, and the next values next_P, which are the parameters of row i + 1.
The first row reads the training sheet's parameters and optimizer state through their names
(=W, =B, =vel_W …), so the table always shows the next N steps from wherever the students
are, and changing lr, eps or a hyperparameter there recalculates all of it.

The losses come from the sums of the 'Sums' sheet (see stats.py): the Loss is a quadratic in
W, B, so a row costs the same for 6 data rows as for a million. Three helper columns at the
end of each row hold that quadratic's pieces (S·w, Q, β).

The update is the optimizer's rule from core/optimizers.py, its Excel text filled with this
row's cells; the numbers (`rows`) run the same rule through Optimizer.update.

Divergence guard: a row whose Loss is past the limit (models.BLOWUP times the larger of the
first row's Loss and mean(y²), as models.loss_limit) keeps its parameters and its state:
next_P = P. The descent stops moving right after the first row past the limit, so every
cell stays a finite number where an unguarded chain would overflow to #NUM! a few rows later.

The same chain, with a fresh state and its own lr, is each lane of the 'Optimizers' race
(compare.py).

Mini-batches (--batch B): row i is the training sheet's step s0 + i (s0 its `step` cell), on
that step's batch, the same rows the training sheet's in_batch marks when it gets there
(core/batches.py). Seven cells in front of the parameters say which batch:

    at_step     =step (the first row), then the row above's + 1
    epoch       =INT(at_step/ROUNDUP(ROWS(key)/batch,0))+1
    batch_no    =MOD(at_step,ROUNDUP(ROWS(key)/batch,0))+1     (1 … the batches of an epoch)
    batch_rows  =MIN(batch,ROWS(key)-(batch_no-1)*batch)       (the last one may be short)
    shuffle_a   =INDEX(shuffle,MOD(epoch-1,ROWS(shuffle))+1,1)  (b: column 2, c: column 3)

and a data row is in the batch when INT(MOD(a·g + b, n)/B) = batch_no − 1, with
g = key + (key < c)·(c − 1 − 2·key) (core/batches.py). Loss stays the
whole table's (the sums' quadratic for the linear model), the smooth curve; Loss_batch, the
Loss_P (and Lossm_P) and so the slopes are over the batch's rows only, computed from the data
inside one SUMPRODUCT whose rows outside the batch weigh 0 (formulas.mean):

    Loss_batch = SUMPRODUCT((INT(MOD(a*g+b,ROWS(key))/batch)=batch_no-1)*((z-y)^2))/batch_rows

for the linear model with z = x_1*W_1 + … + B (the row's cells), Loss_P the same with z moved
by eps*x_j (B: eps). The sums' quadratic cannot serve a batch: its sums would differ per step,
so each would be a pass over the data anyway, (k + 1)(k + 2)/2 of them instead of k + 2. A
row costs k + 2 passes over the data (classifiers and networks: their P + 2): the build sizes
the sheets to the recalculation budget (build.batch_step_cost). The divergence guard reads
the whole table's Loss, as the engine's descent does (core/descent.descend with batches).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from ..core import batches, models
from ..core.optimizers import GD, HYPER_DEFAULTS, HYPER_NAMES, OPTIMIZERS, Optimizer
from ..core.texts import texts
from ..core.layout import Layout
from . import stats
from .formulas import mean, quick_formulas, stored, write_cell
from .looks import print_setup

HEAD_ROW = 7  # the table's header row (0-based); the notes and the limit cell sit above it
LIMIT = (3, 1)  # the Loss limit cell, B4
SETTINGS_ROWS = (4, 5)  # live copies of lr and eps (=lr, =eps), B5 and B6
NOTE_ROW = 6  # which optimizer, and what the helper columns are
MAX_PARAM_SERIES = 10  # the parameter chart shows the first W's and B, not 250 lines
# --batch: the cells in front of a row's parameters that say which batch it learns from
BATCH_COLUMNS = ("at_step", "epoch", "batch_no", "batch_rows", "shuffle_a", "shuffle_b", "shuffle_c")
PER_EPOCH = "ROUNDUP(ROWS(key)/batch,0)"  # batches an epoch, as the training sheet's epoch cell


# --- the numbers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rows:
    """The value of every cell of a chain: row i = step i from the start."""
    theta: np.ndarray  # (N, k+1) the parameters of each row
    loss: np.ndarray  # (N,)
    plus: np.ndarray  # (N, k+1) Loss_P, the loss with P + eps
    minus: np.ndarray | None  # (N, k+1) Lossm_P, the loss with P − eps (central only)
    grad: np.ndarray  # (N, k+1)
    next: np.ndarray  # (N, k+1) next_P (= theta of the following row)
    limit: float
    slots: dict[str, np.ndarray] = field(default_factory=dict)  # slot -> (N, k+1), entering each row
    next_slots: dict[str, np.ndarray] = field(default_factory=dict)  # slot -> (N, k+1)
    t: np.ndarray | None = None  # (N,) updates done before each row (Adam)
    u: np.ndarray | None = None  # (N, k) S·w
    Q: np.ndarray | None = None  # (N,)
    beta: np.ndarray | None = None  # (N,) the mean of h − y
    batch_loss: np.ndarray | None = None  # (N,) --batch: Loss_batch (plus, minus, grad: the batch's)
    batch: dict[str, np.ndarray] = field(default_factory=dict)  # --batch: BATCH_COLUMNS -> (N,)


def limit_of(y: np.ndarray, first_loss: float) -> float:
    """The limit cell: =1000000*MAX(<first Loss>,SUMSQ(y)/ROWS(y)). models.loss_limit without
    its `tiny` floor, which no spreadsheet parses (it only matters when y ≡ 0 and Loss = 0)."""
    return models.BLOWUP * max(first_loss, float(np.mean(y * y)))


def rows(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lr: float, eps: float, n: int,
         diff: str = models.FORWARD, optimizer: Optimizer = GD, hyper: dict | None = None,
         slots: dict | None = None, t: int = 0, sums: stats.Sums | None = None,
         limit: float | None = None, model: models.Model = models.LINEAR, batches=None, step: int = 0) -> Rows:
    """N course steps (2–6) from theta: the losses by the sums' quadratic (stats.py, the
    cells' own arithmetic), the slope as models.gradient takes it from them, the update by
    Optimizer.update; the guard as the cells have it. `slots`/`t`: the state to start from
    (default zeros, 0: a fresh start). A classifier (`model` not the linear one) takes its
    losses row by row from the model spec, as its cells do (ClassifierLosses).
    `batches` (core/batches.Batches): row i learns from step `step` + i's batch, its slope the
    model's on those rows (core/descent.descend with batches, the same arithmetic)."""
    if batches is not None:
        return _batch_rows(X, y, theta, lr, eps, n, diff, optimizer, hyper, slots, t, sums, limit, model,
                           batches, step)
    measure = _sums_measure(X, y, sums) if model is models.LINEAR else _spec_measure(X, y, model)
    hyper = {**HYPER_DEFAULTS, **(hyper or {})}
    k1 = len(theta)
    th = np.asarray(theta, dtype=float)
    state = {s: np.asarray((slots or {}).get(s, np.zeros(k1)), dtype=float) for s in optimizer.slots}
    out = {key: np.empty((n, k1)) for key in ("theta", "plus", "minus", "grad", "next")}
    loss = np.empty(n)
    helpers: list[tuple] = []
    kept = {s: np.empty((n, k1)) for s in optimizer.slots}
    nxt_kept = {s: np.empty((n, k1)) for s in optimizer.slots}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        limit = limit_of(y, measure(th, eps)[0]) if limit is None else limit
        for i in range(n):
            L, plus, extra = measure(th, eps)
            if diff == models.CENTRAL:
                out["minus"][i] = minus = measure(th, -eps)[1]
                g = (plus - minus) / (2 * eps)  # models.gradient, central
            else:
                g = (plus - L) / eps  # models.gradient, forward
            out["theta"][i], loss[i], out["plus"][i], out["grad"][i] = th, L, plus, g
            helpers.append(extra)
            for s in optimizer.slots:
                kept[s][i] = state[s]
            nxt, nxt_state, _ = optimizer.update(th, g, state, t + i, lr, hyper)
            if L > limit:  # =IF(Loss>limit,P,…): past the limit the descent stops moving
                nxt, nxt_state = th, state
            th, state = nxt, nxt_state
            out["next"][i] = th
            for s in optimizer.slots:
                nxt_kept[s][i] = state[s]
    u, Q, beta = (None, None, None) if model is not models.LINEAR or not n else \
        (np.array([h[0] for h in helpers]), np.array([h[1] for h in helpers]), np.array([h[2] for h in helpers]))
    return Rows(out["theta"], loss, out["plus"], out["minus"] if diff == models.CENTRAL else None,
                out["grad"], out["next"], limit, kept, nxt_kept,
                t + np.arange(n, dtype=float) if optimizer.counts_updates else None, u, Q, beta)


def _batch_rows(X, y, theta, lr, eps, n, diff, optimizer, hyper, slots, t, sums, limit, model, batches,
                first: int) -> Rows:
    """rows() on mini-batches: the whole table's Loss as without them (the guard reads it), and
    Loss_batch, Loss_P, Lossm_P and the slope from the model spec on the step's rows, as
    core/descent.descend's batches take model.gradient(X[rows], y[rows], …)."""
    whole = _sums_measure(X, y, sums) if model is models.LINEAR else None
    hyper = {**HYPER_DEFAULTS, **(hyper or {})}
    k1 = len(theta)
    th = np.asarray(theta, dtype=float)
    state = {s: np.asarray((slots or {}).get(s, np.zeros(k1)), dtype=float) for s in optimizer.slots}
    out = {key: np.empty((n, k1)) for key in ("theta", "plus", "minus", "grad", "next")}
    loss, batch_loss = np.empty(n), np.empty(n)
    helpers: list[tuple] = []
    kept = {s: np.empty((n, k1)) for s in optimizer.slots}
    nxt_kept = {s: np.empty((n, k1)) for s in optimizer.slots}
    cells = {name: np.empty(n) for name in BATCH_COLUMNS}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        def whole_loss(th):
            if whole is None:
                return model.loss(X, y, th), ()
            L, _, extra = whole(th, eps)
            return L, extra
        limit = limit_of(y, whole_loss(th)[0]) if limit is None else limit
        for i in range(n):
            s = first + i
            idx = batches.rows(s)
            epoch = batches.epoch(s)
            for name, v in zip(BATCH_COLUMNS, (s, epoch, batches.which(s) + 1, idx.size, *batches.shuffle(epoch))):
                cells[name][i] = v
            Xb, yb = X[idx], y[idx]
            L, extra = whole_loss(th)
            Lb = model.loss(Xb, yb, th)
            plus = model.nudged_losses(Xb, yb, th, eps)
            if diff == models.CENTRAL:
                out["minus"][i] = minus = model.nudged_losses(Xb, yb, th, -eps)
                g = (plus - minus) / (2 * eps)  # models.gradient, central
            else:
                g = (plus - Lb) / eps  # models.gradient, forward
            out["theta"][i], loss[i], batch_loss[i], out["plus"][i], out["grad"][i] = th, L, Lb, plus, g
            helpers.append(extra)
            for s_ in optimizer.slots:
                kept[s_][i] = state[s_]
            nxt, nxt_state, _ = optimizer.update(th, g, state, t + i, lr, hyper)
            if L > limit:  # =IF(Loss>limit,P,…): the whole table's Loss, as the engine's guard
                nxt, nxt_state = th, state
            th, state = nxt, nxt_state
            out["next"][i] = th
            for s_ in optimizer.slots:
                nxt_kept[s_][i] = state[s_]
    u, Q, beta = (None, None, None) if whole is None or not n else \
        (np.array([h[0] for h in helpers]), np.array([h[1] for h in helpers]), np.array([h[2] for h in helpers]))
    return Rows(out["theta"], loss, out["plus"], out["minus"] if diff == models.CENTRAL else None,
                out["grad"], out["next"], limit, kept, nxt_kept,
                t + np.arange(n, dtype=float) if optimizer.counts_updates else None, u, Q, beta, batch_loss, cells)


def _sums_measure(X, y, sums: stats.Sums | None):
    """The linear model's Loss and Loss_P at theta (nudge e) from the sums' quadratic, and the
    row's helper cells (S·w, Q, β)."""
    st = stats.sums(X, y) if sums is None else sums

    def measure(theta, e):
        p = stats.point(st, theta)
        return stats.loss(st, p), stats.nudged(st, p, e), (p.u, p.Q, p.beta)
    return measure


def _spec_measure(X, y, model: models.Model):
    """A classifier's Loss and Loss_P at theta (nudge e), row by row from the data by the model
    spec (the closed form Loss + mean(ln(1 + p·(e^d − 1)) − y·d) its cells compute too)."""
    def measure(theta, e):
        return model.loss(X, y, theta), model.nudged_losses(X, y, theta, e), ()
    return measure


# --- a chain of steps on a sheet ----------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """One descent written out row by row: its optimizer, where its columns are, and what
    its formulas read (the lr cell's name, the limit cell, where the state starts)."""
    layout: Layout
    optimizer: Optimizer
    left: int  # the column of its first parameter (0-based)
    head: int  # its header row (0-based); step i is row head + 1 + i
    lr: str = "lr"  # the learning rate's name in its formulas
    limit: str = xl_rowcol_to_cell(*LIMIT, True, True)
    fresh: bool = False  # True: the state starts at 0 (the race); False: at the training sheet's
    sheet: str = ""  # the name of the sheet it stands on (softmax: its logits cells refer to it)
    logits: int = 0  # softmax: the first column of its block on the logits sheet (logits.py)

    @cached_property
    def columns(self) -> list[str]:
        """Headings, which are also the maths names: with --batch which batch the row learns
        from (BATCH_COLUMNS), the course's columns (with --batch Loss_batch after Loss), the
        optimizer's state, the next values, then the helpers of the sums' quadratic."""
        p, opt = self.layout.params, self.optimizer
        cols = list(BATCH_COLUMNS) if self.layout.batch else []
        cols += list(p) + ["Loss"] + (["Loss_batch"] if self.layout.batch else []) + [f"Loss_{q}" for q in p]
        if self.layout.diff == models.CENTRAL:
            cols += [f"Lossm_{q}" for q in p]
        cols += [f"grad_{q}" for q in p]
        cols += ["t"] if opt.counts_updates else []
        cols += [f"{s}_{q}" for s in opt.slots for q in p]
        cols += [f"next_{s}_{q}" for s in opt.slots for q in p]
        cols += [f"next_{q}" for q in p]
        return cols + ([] if self.layout.classifier or self.layout.hidden else helper_names(self.layout.k))

    @cached_property
    def col(self) -> dict[str, int]:
        return {name: self.left + c for c, name in enumerate(self.columns)}

    def ref(self, name: str, row: int) -> str:
        """The A1 reference of column `name` in Excel row `row` (1-based)."""
        return f"{xl_col_to_name(self.col[name])}{row}"

    def span(self, first: str, last: str, row: int) -> str:
        return f"{self.ref(first, row)}:{self.ref(last, row)}"

    def row_formulas(self, i: int) -> dict[str, str]:
        """Every formula of step i (0 = the start). Constants (a fresh state) are numbers."""
        lay, opt = self.layout, self.optimizer
        row = self.head + 2 + i  # Excel's row number
        p = lay.params
        out: dict[str, str | float] = self.batch_formulas(i) if lay.batch else {}
        for name in p:
            out[name] = f"={name}" if i == 0 else f"={self.ref(f'next_{name}', row - 1)}"
        for s in opt.slots:
            for name in p:
                if i:
                    out[f"{s}_{name}"] = f"={self.ref(f'next_{s}_{name}', row - 1)}"
                else:
                    out[f"{s}_{name}"] = 0.0 if self.fresh else f"={s}_{name}"
        if opt.counts_updates:  # one more update each row. Chained, not t + step: LibreOffice's
            # threaded calculation reports a false circular reference (Err:522) when the chain
            # reads a column of formulas that do not depend on the row above
            if i:
                out["t"] = f"={self.ref('t', row - 1)}+1"
            else:
                out["t"] = 0.0 if self.fresh else "=t"
        out.update(self.loss_formulas(row))
        loss = self.ref("Loss", row)  # the guard's: the whole table's
        base = self.ref("Loss_batch" if lay.batch else "Loss", row)  # the slope's
        for j, name in enumerate(p):
            if lay.diff == models.CENTRAL:
                out[f"grad_{name}"] = (f"=({self.ref(f'Loss_{name}', row)}-{self.ref(f'Lossm_{name}', row)})"
                                       f"/(2*eps)")
            else:
                out[f"grad_{name}"] = f"=({self.ref(f'Loss_{name}', row)}-{base})/eps"
            ref = self.rule_refs(name, row)
            for s in opt.slots:
                out[f"next_{s}_{name}"] = guarded(loss, self.limit, ref[s], opt.next_slot[s].formula(ref))
            out[f"next_{name}"] = guarded(loss, self.limit, ref["P"], opt.next_param.formula(ref))
        return out

    def batch_formulas(self, i: int) -> dict[str, str]:
        """--batch: which batch step i learns from (BATCH_COLUMNS, the module's notes)."""
        row = self.head + 2 + i
        at, epoch, no = (self.ref(name, row) for name in ("at_step", "epoch", "batch_no"))
        return {"at_step": "=step" if i == 0 else f"={self.ref('at_step', row - 1)}+1",
                "epoch": f"=INT({at}/{PER_EPOCH})+1",
                "batch_no": f"=MOD({at},{PER_EPOCH})+1",
                "batch_rows": f"=MIN(batch,ROWS(key)-({no}-1)*batch)",
                "shuffle_a": f"=INDEX(shuffle,MOD({epoch}-1,ROWS(shuffle))+1,1)",
                "shuffle_b": f"=INDEX(shuffle,MOD({epoch}-1,ROWS(shuffle))+1,2)",
                "shuffle_c": f"=INDEX(shuffle,MOD({epoch}-1,ROWS(shuffle))+1,3)"}

    def over(self, row: int) -> tuple[str, str] | None:
        """--batch: Excel row `row`'s batch as (mask, count) for formulas.mean: TRUE for the
        data rows whose place in the epoch's order falls in the row's batch; None without."""
        if not self.layout.batch:
            return None
        a, b, c, no = (self.ref(name, row) for name in ("shuffle_a", "shuffle_b", "shuffle_c", "batch_no"))
        return (f"(INT(MOD({a}*(key+(key<{c})*({c}-1-2*key))+{b},ROWS(key))/batch)={no}-1)",
                self.ref("batch_rows", row))

    def loss_formulas(self, row: int) -> dict[str, str]:
        """Loss, Loss_P (and Lossm_P) of Excel row `row`: from the sums' quadratic with its
        helper cells (linear), or row by row from the data (classifiers, see logits.py).
        With --batch also Loss_batch, and Loss_P over the batch (the module's notes)."""
        if self.layout.hidden:
            from . import network_steps
            return network_steps.loss_formulas(self, row, self.over(row))
        if self.layout.classifier:
            from . import logits
            return logits.loss_formulas(self, row, self.over(row))
        lay, k, p = self.layout, self.layout.k, self.layout.params
        out = {}
        helpers = helper_names(k)
        w = self.span(p[0], p[-2], row) if k > 1 else self.ref(p[0], row)
        u = [self.ref(h, row) for h in helpers[:k]]
        Q, beta = self.ref(helpers[k], row), self.ref(helpers[k + 1], row)
        for j in range(k):
            out[helpers[j]] = stats.u_formula(k, j, w)
        out[helpers[k]] = stats.q_formula(k, w, self.span(helpers[0], helpers[k - 1], row) if k > 1 else u[0])
        out[helpers[k + 1]] = stats.beta_formula(k, w, self.ref("B", row))
        out["Loss"] = stats.loss_formula(Q, beta)
        if lay.batch:
            return {**out, **self.linear_batch_formulas(row)}
        for j, name in enumerate(p):
            uj = u[j] if j < k else None
            out[f"Loss_{name}"] = stats.nudged_formula(k, j, Q, uj, beta)
            if lay.diff == models.CENTRAL:
                out[f"Lossm_{name}"] = stats.nudged_formula(k, j, Q, uj, beta, "-")
        return out

    def linear_batch_formulas(self, row: int) -> dict[str, str]:
        """--batch, the linear model: Loss_batch and Loss_P (Lossm_P) from the data, over the
        row's batch: the mean of (z ± eps·x_j − y)² with z = x_1*W_1 + … + B."""
        lay, over = self.layout, self.over(row)
        z = "+".join([f"{x}*{self.ref(w, row)}" for x, w in zip(lay.features, lay.params)] + [self.ref("B", row)])
        out = {"Loss_batch": "=" + mean(f"({z}-y)^2", "y", over)}
        signs = ["+", "-"] if lay.diff == models.CENTRAL else ["+"]
        for j, name in enumerate(lay.params):
            shift = "eps" if j == lay.k else f"eps*{lay.features[j]}"
            for sign in signs:
                key = "Loss" if sign == "+" else "Lossm"
                out[f"{key}_{name}"] = "=" + mean(f"({z}{sign}{shift}-y)^2", "y", over)
        return out

    def rule_refs(self, name: str, row: int) -> dict[str, str]:
        """The optimizer rules' symbols as this row's cells, for parameter `name`."""
        ref = {"P": self.ref(name, row), "g": self.ref(f"grad_{name}", row), "lr": self.lr,
               **{h: h for h in HYPER_NAMES}}
        if self.optimizer.counts_updates:
            ref["t"] = self.ref("t", row)
        for s in self.optimizer.slots:
            ref[s], ref[f"next_{s}"] = self.ref(f"{s}_{name}", row), self.ref(f"next_{s}_{name}", row)
        return ref

    def row_values(self, r: Rows, i: int) -> dict[str, float]:
        lay, k = self.layout, self.layout.k
        out = {"Loss": float(r.loss[i])}
        if r.batch_loss is not None:
            out["Loss_batch"] = float(r.batch_loss[i])
            out.update({name: float(r.batch[name][i]) for name in BATCH_COLUMNS})
        for p, name in enumerate(lay.params):
            out[name] = float(r.theta[i, p])
            out[f"Loss_{name}"] = float(r.plus[i, p])
            if r.minus is not None:
                out[f"Lossm_{name}"] = float(r.minus[i, p])
            out[f"grad_{name}"] = float(r.grad[i, p])
            out[f"next_{name}"] = float(r.next[i, p])
            for s in self.optimizer.slots:
                out[f"{s}_{name}"] = float(r.slots[s][i, p])
                out[f"next_{s}_{name}"] = float(r.next_slots[s][i, p])
        if r.t is not None:
            out["t"] = float(r.t[i])
        if lay.classifier or lay.hidden:
            return out
        helpers = helper_names(k)
        for j in range(k):
            out[helpers[j]] = float(r.u[i, j])
        out[helpers[k]], out[helpers[k + 1]] = float(r.Q[i]), float(r.beta[i])
        return out

    def write(self, ws, fmt, r: Rows, n: int, headings: bool = True) -> None:
        """The n rows of formulas, each with its stored value; and the headings (unless a
        table writes them)."""
        styles = {key: fmt.num("plain", number_kind(key)) for key in self.columns}
        for c, name in zip(self.col.values(), self.columns) if headings else ():
            ws.write_string(self.head, c, name, fmt.heading)
        for i in range(n):
            values = self.row_values(r, i)
            for key, formula in self.row_formulas(i).items():
                if isinstance(formula, float):
                    ws.write_number(self.head + 1 + i, self.col[key], formula, styles[key])
                else:
                    write_cell(ws, self.head + 1 + i, self.col[key], formula, styles[key], stored(values[key]))




def helper_names(k: int) -> list[str]:
    """The sums' quadratic per row: S·w (one per W), Q and β (see stats.py)."""
    return (["Sw"] if k == 1 else [f"Sw_{j}" for j in range(1, k + 1)]) + ["Q", "β"]


def guarded(loss: str, limit: str, keep: str, update: str) -> str:
    """=IF(Loss>limit,<kept>,<update>): past the limit nothing moves any more."""
    return f"=IF({loss}>{limit},{keep},{update[1:]})"


def number_kind(key: str) -> str:
    """The number format (looks.NUMBER) of a column."""
    if key in ("step", "t") or key in BATCH_COLUMNS:
        return "count"
    if key.startswith("Loss"):
        return "loss"
    if key.startswith(("grad_", "vel_", "sq_", "m_", "next_vel_", "next_sq_", "next_m_")):
        return "slope"
    if key.startswith("Sw") or key in ("Q", "β"):
        return "data"
    return "param"


# --- the 'All steps' sheet --------------------------------------------------------------------
def chain_of(layout: Layout, sheet: str = "") -> Chain:
    """The table's chain; `sheet` is its sheet's name (softmax's logits cells refer to it)."""
    from . import logits
    return Chain(layout, OPTIMIZERS[layout.optimizer], left=1, head=HEAD_ROW, sheet=sheet,
                 logits=logits.first_block(layout))


def columns(layout: Layout) -> list[str]:
    """The table's headings after the step column, which are also the maths names."""
    return chain_of(layout).columns


def column_index(layout: Layout) -> dict[str, int]:
    return {"step": 0, **chain_of(layout).col}


def row_formulas(layout: Layout, i: int) -> dict[str, str]:
    """Every formula of table row i (0 = the current parameters)."""
    top = xl_rowcol_to_cell(HEAD_ROW + 1, 0, True, True)  # step 0 = the first row
    return {"step": f"=ROW()-ROW({top})", **chain_of(layout).row_formulas(i)}


def row_values(layout: Layout, r: Rows, i: int) -> dict[str, float]:
    return {"step": float(i), **chain_of(layout).row_values(r, i)}


def limit_formula(layout: Layout) -> str:
    first = xl_rowcol_to_cell(HEAD_ROW + 1, column_index(layout)["Loss"], True, True)
    return f"={int(models.BLOWUP)}*MAX({first},{mean_square_y(layout)})"


def mean_square_y(layout: Layout) -> str:
    """mean(y²), the scale of models.loss_limit: SUMSQ(y)/ROWS(y). Softmax's y is the class
    number 0 … C−1 (the engine's), on the sheet one-hot: Σ_c c²·SUM(y_c) / ROWS(y_1)."""
    if layout.model != "softmax":
        return "SUMSQ(y)/ROWS(y)"
    ys = layout.targets
    return "(" + "+".join(f"{c * c}*SUM({y})" for c, y in enumerate(ys) if c) + f")/ROWS({ys[0]})"


_PLANS: dict = {}


def batch_plan(settings, n: int, state=None):
    """--batch: (the workbook's Batches, the training sheet's `step`: the step row 0 takes);
    (None, 0) without --batch. The Batches are drawn once per table and seed."""
    if not getattr(settings, "batch", 0):
        return None, 0
    key = (n, settings.batch, settings.seed, settings.batch_seed, settings.shuffle)
    if key not in _PLANS:
        _PLANS.clear()  # one table at a time
        _PLANS[key] = settings.batches(n)
    b = _PLANS[key]
    step = 0 if state is None else batches.step_of(state.theta, state.history, settings.eps)
    return b, step


def sheet_rows(X, y, settings, state, sums: stats.Sums | None = None) -> Rows:
    """The 'All steps' table's numbers: the workbook's optimizer from the current state (with
    --batch from the training sheet's step)."""
    b, step = batch_plan(settings, len(y), state)
    return rows(X, y, state.theta, settings.lr, settings.eps, settings.unrolled, settings.diff,
                OPTIMIZERS[settings.optimizer], settings.hyper, state.slots, state.t, sums, model=settings.spec,
                batches=b, step=step)


def write(wb: Workbook, fmt, layout: Layout, dataset, settings, state, X: np.ndarray,
          sums: stats.Sums | None = None) -> tuple[Chain, Rows]:
    """Write the sheet; returns its chain and numbers (softmax's 'Logits' sheet needs them)."""
    t = texts(settings.lang)
    n = settings.unrolled
    r = sheet_rows(X, dataset.y, settings, state, sums)
    chain = chain_of(layout, t["sheet_unrolled"])
    ws = wb.add_worksheet(t["sheet_unrolled"])
    quick_formulas(ws)
    name = ws.get_name()
    ws.write_string(0, 0, t["unrolled_title"].format(n=n), fmt.title)
    ws.write_string(1, 0, t["unrolled_note"].format(sheet=layout.sheet), fmt.note)
    ws.write_string(2, 0, t["unrolled_note2_batch"].format(sheet=layout.sheet) if layout.batch
                    else t["unrolled_note2"], fmt.note)
    ws.write_string(LIMIT[0], 0, t["unrolled_limit"], fmt.label)
    ws.write_formula(*LIMIT, limit_formula(layout), fmt.num("formula", "loss"), stored(r.limit))
    limit_note = "unrolled_limit_note_softmax" if layout.model == "softmax" else "unrolled_limit_note"
    ws.write_string(LIMIT[0], 2, t[limit_note], fmt.note)
    for row, key in zip(SETTINGS_ROWS, ("lr", "eps")):
        ws.write_string(row, 0, f"{key}  {t[key]}", fmt.label)
        ws.write_formula(row, 1, f"={key}", fmt.formula, getattr(settings, key))
        ws.write_string(row, 2, t["unrolled_settings_note"].format(sheet=layout.sheet), fmt.note)
    if layout.hidden:
        note = t["unrolled_optimizer_note_hidden"].format(name=layout.optimizer, sheet=layout.sheet)
    elif layout.classifier:
        where = t["unrolled_logits"].format(logits=t["sheet_logits"]) if layout.model == "softmax" else ""
        note = t["unrolled_optimizer_note_ce"].format(name=layout.optimizer, sheet=layout.sheet, logits=where)
    else:
        note = t["unrolled_optimizer_note"].format(name=layout.optimizer, sheet=layout.sheet, sums=t["sheet_sums"])
    ws.write_string(NOTE_ROW, 0, note, fmt.note)

    ws.write_formula(HEAD_ROW + 1, 0, row_formulas(layout, 0)["step"], fmt.num("plain", "count"), 0.0)
    for i in range(1, n):
        ws.write_formula(HEAD_ROW + 1 + i, 0, row_formulas(layout, i)["step"], fmt.num("plain", "count"),
                         float(i))
    chain.write(ws, fmt, r, n, headings=False)
    headers = [t["step_col"]] + chain.columns
    ws.add_table(HEAD_ROW, 0, HEAD_ROW + n, len(headers) - 1,
                 {"name": "unrolled", "style": "Table Style Light 9",
                  "columns": [{"header": h} for h in headers]})
    ws.freeze_panes(HEAD_ROW + 1, 1)
    print_setup(ws, repeat_rows=(HEAD_ROW, HEAD_ROW))  # the table's headings on every page
    ws.set_column(0, 0, 22)  # the step numbers, and the labels of lr and eps above them
    ws.set_column(1, len(headers) - 1, 13)
    _charts(wb, ws, name, layout, n, len(headers) + 1, t)
    return chain, r


def _charts(wb: Workbook, ws, sheet: str, layout: Layout, n: int, anchor: int, t: dict) -> None:
    col = column_index(layout)
    first, last = HEAD_ROW + 1, HEAD_ROW + n
    steps = [sheet, first, 0, last, 0]
    loss = wb.add_chart({"type": "scatter", "subtype": "straight"})
    if layout.batch:  # the noisy batch loss the steps use, then the smooth whole-table one over it
        loss.add_series({"name": t["chart_unrolled_batch_loss"], "categories": steps,
                         "values": [sheet, first, col["Loss_batch"], last, col["Loss_batch"]],
                         "line": {"color": "#F4B183", "width": 1.25}})
    loss.add_series({"name": t["chart_unrolled_whole_loss"] if layout.batch else "Loss", "categories": steps,
                     "values": [sheet, first, col["Loss"], last, col["Loss"]],
                     **({"line": {"color": "#2F5597", "width": 2.25}} if layout.batch else {})})
    loss.set_title({"name": t["chart_unrolled_loss"]})
    loss.set_x_axis({"name": t["unrolled_step_axis"], "min": 0})
    loss.set_y_axis({"name": t["loss_axis"], "log_base": 10})
    loss.set_legend({"position": "bottom"} if layout.batch else {"none": True})
    ws.insert_chart(HEAD_ROW, anchor, loss, {"x_scale": 1.2, "y_scale": 1.1})

    params = layout.params[:-1][:MAX_PARAM_SERIES - 1] + layout.params[-1:]  # B (softmax: B_C)
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    for q in params:
        chart.add_series({"name": q, "categories": steps, "values": [sheet, first, col[q], last, col[q]]})
    chart.set_title({"name": t["chart_unrolled_params"]})
    chart.set_x_axis({"name": t["unrolled_step_axis"], "min": 0})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(HEAD_ROW + 18, anchor, chart, {"x_scale": 1.2, "y_scale": 1.1})
