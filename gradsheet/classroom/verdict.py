"""The verdicts of `gradsheet grade`, with no engine in sight: what each blank cell must hold on a
reading's own cells, how close counts as equal, and the mark of a cell from its two readings.

What a cell must hold comes from the specs (core/models.py, core/optimizers.py), never from a
formula the student wrote or the key kept. Each blank name has candidates:
  own    the maths of the cell on the student's own cells upstream (a right Loss over a wrong h
         column is right: the wrong h is the only mistake), following the spec's Excel text;
  model  the spec's value from the reading's inputs alone (x, y, the parameters, lr, eps, …).
How close: every candidate carries a bound of the rounding that two engines computing the same
maths may differ by, from a running error analysis of the formula (`Num`): each operation may be
off by U of its result. A tolerance of a flat share of the value would either
fail honest work or pass real mistakes: on lemonade a forward-difference grad_B and the exact
slope differ by eps = 1e-4, while rounding moves grad_B by about 1e-9 (test_verdict.py
keeps the ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..core import models
from ..core.layout import feature_names, param_names
from ..core.optimizers import OPTIMIZERS

# One operation rounds by at most 2^-53 of its result, in numpy and in LibreOffice alike: two
# engines computing the same formula differ by at most U (2^-52) of it per operation. LibreOffice
# also snaps a sum within 2^-48 of cancelling to 0 (rtl::math::approxAdd): there the error is the
# whole (tiny) result. Library functions (EXP, LN, ^, SQRT) are good to a few units: 4·U.
U = 2.0 ** -52
SNAP = 2.0 ** -48
# The bound is first order (it drops products of two roundings) and takes every sum at its
# worst ((n − 1)·U of its terms' sizes; LibreOffice sums with compensation and numpy pairwise,
# so both stay far inside); a student's equivalent formula may take a step or two more
# (=(Loss_W-Loss)*(1/eps)): SAFETY times the bound is the tolerance.
SAFETY = 2.0


# --- running error bounds ----------------------------------------------------------------------

class Num:
    """A value (a number or a column) with a bound of its rounding error, computed the way the
    spreadsheet computes the formula: each operation adds U of its result to the errors it
    inherits."""

    __slots__ = ("v", "e")

    def __init__(self, v, e=0.0):
        self.v = np.asarray(v, dtype=float)
        self.e = np.asarray(e, dtype=float) * np.ones_like(self.v)

    @staticmethod
    def of(x) -> "Num":
        return x if isinstance(x, Num) else Num(x, 0.0)

    def __add__(self, other):
        o = Num.of(other)
        return _added(self.v + o.v, self, o)

    __radd__ = __add__

    def __sub__(self, other):
        o = Num.of(other)
        return _added(self.v - o.v, self, o)

    def __rsub__(self, other):
        return Num.of(other) - self

    def __neg__(self):
        return Num(-self.v, self.e)

    def __mul__(self, other):
        o = Num.of(other)
        v = self.v * o.v
        return Num(v, np.abs(self.v) * o.e + np.abs(o.v) * self.e + self.e * o.e + U * np.abs(v))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = Num.of(other)
        v = self.v / o.v
        room = np.abs(o.v) - o.e  # the divisor's smallest size within its bound
        e = np.where(room > 0, (self.e + np.abs(v) * o.e) / np.where(room > 0, room, 1.0), np.inf)
        return Num(v, e + U * np.abs(v))

    def __rtruediv__(self, other):
        return Num.of(other) / self

    def __pow__(self, other):
        o = Num.of(other)
        v = self.v ** o.v
        base = np.abs(self.v)
        # d(a^c) = c·a^(c−1)·da + a^c·ln(a)·dc; the library's power is good to a few units
        da = np.abs(o.v) * np.where(base > 0, np.abs(v) / np.where(base > 0, base, 1.0), 0.0) * self.e
        dc = np.abs(v) * np.abs(np.log(np.where(base > 0, base, 1.0))) * o.e
        return Num(v, da + dc + 4 * U * np.abs(v))

    def sqrt(self):
        v = np.sqrt(self.v)
        low = np.sqrt(np.maximum(self.v - self.e, 0.0))
        return Num(v, (v - low) + 4 * U * v)  # √ is concave: the worst side is below

    def exp(self):
        v = np.exp(self.v)
        return Num(v, v * np.expm1(self.e) + 4 * U * v)

    def log(self):
        v = np.log(self.v)
        share = self.e / np.abs(self.v)  # ln(a·(1 − s)) = ln a + ln(1 − s): the worst side
        e = np.where(share < 0.5, -np.log1p(-np.minimum(share, 0.5)), np.inf)
        return Num(v, e + 4 * U * (np.abs(v) + 1))

    def abs(self):
        return Num(np.abs(self.v), self.e)

    def at_most_0(self):
        """MIN(a, 0)"""
        return Num(np.minimum(self.v, 0.0), self.e)

    def at_least_0(self):
        """MAX(a, 0)"""
        return Num(np.maximum(self.v, 0.0), self.e)

    def total(self):
        """SUM over a column: the errors it inherits and U of the running sums' magnitudes (at
        most the sum of the terms' sizes each time)."""
        n, size = self.v.size, float(np.sum(np.abs(self.v)))
        v = float(np.sum(self.v))
        e = float(np.sum(self.e)) + max(n - 1, 1) * U * size
        return Num(v, e + (abs(v) if abs(v) <= SNAP * size + e else 0.0))

    def mean(self):
        """SUM(column)/ROWS(column)"""
        return self.total() / float(self.v.size)


def _added(v, a: Num, b: Num) -> Num:
    """a ± b = v: the errors of both, U of the result, and the whole result where LibreOffice may
    snap it to 0."""
    e = a.e + b.e
    snap = np.abs(v) <= SNAP * (np.abs(a.v) + np.abs(b.v)) + e
    return Num(v, e + U * np.abs(v) + np.where(snap, np.abs(v), 0.0))


def _sqrt(x):
    return Num.of(x).sqrt()


def _max(cols: list[Num]) -> Num:
    """MAX over the cells of one row, column by column."""
    v = np.max(np.stack([c.v for c in cols]), axis=0)
    e = np.max(np.stack([c.e for c in cols]), axis=0)
    return Num(v, e)


# --- the maths of a workbook's formula cells ---------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    """The maths behind an exercise's formula cells: which names are inputs (typed numbers a
    formula reads), which are computed, each computed name's recipe (mirroring the spec's Excel
    text, in Num arithmetic) and its value by the spec itself."""

    model: str = "linear"
    k: int = 1
    classes: int = 0  # softmax: the number of classes
    optimizer: str = "gd"
    diff: str = models.FORWARD

    @cached_property
    def spec(self) -> models.Model:
        return models.model_spec(self.model, self.classes)

    @cached_property
    def opt(self):
        return OPTIMIZERS[self.optimizer]

    @cached_property
    def params(self) -> list[str]:
        return param_names(self.k, self.model, self.classes)

    @cached_property
    def features(self) -> list[str]:
        return feature_names(self.k)

    @cached_property
    def targets(self) -> list[str]:
        return [f"y_{c}" for c in range(1, self.classes + 1)] if self.model == "softmax" else ["y"]

    @cached_property
    def columns(self) -> list[str]:
        """The computed columns of the data block (one value per row), in order."""
        if self.model == "linear":
            return ["h", "sqerr"]
        if self.model == "logistic":
            return ["z", "p", "p_true", "ce", "pred"]
        C = range(1, self.classes + 1)
        return [f"z_{c}" for c in C] + ["lse"] + [f"p_{c}" for c in C] + ["p_true", "ce", "pred"]

    @cached_property
    def singles(self) -> list[str]:
        """The computed single cells, in the order they depend on each other."""
        out = ["Loss"] + [f"Loss_{p}" for p in self.params]
        if self.diff == models.CENTRAL:
            out += [f"Lossm_{p}" for p in self.params]
        out += [f"grad_{p}" for p in self.params]
        out += [f"next_{s}_{p}" for s in self.opt.slots for p in self.params]
        return out + [f"next_{p}" for p in self.params]

    @cached_property
    def computed(self) -> list[str]:
        return self.columns + self.singles

    @cached_property
    def scalar_inputs(self) -> list[str]:
        """The single cells a formula may read that hold typed numbers."""
        return (self.params + ["lr", "eps"] + [f"dLoss_d{p}" for p in self.params]
                + [f"{s}_{p}" for s in self.opt.slots for p in self.params]
                + (["t"] if self.opt.counts_updates else []) + list(self.opt.hyper))

    @property
    def column_inputs(self) -> list[str]:
        return self.features + self.targets

    def is_column(self, name: str) -> bool:
        return name in self.columns or name in self.column_inputs

    def feeds(self, name: str) -> list[str]:
        """The computed names a computed name's formula reads (directly)."""
        lin = "h" if self.model == "linear" else None
        if name in ("sqerr",):
            return ["h"]
        if name in ("p", "p_true", "ce", "pred") and self.model == "logistic":
            return ["z"]
        if self.model == "softmax":
            zs = [f"z_{c}" for c in range(1, self.classes + 1)]
            if name == "lse" or name == "pred":
                return zs
            if name.startswith("p_") and name != "p_true":
                return [f"z_{name[2:]}", "lse"]
            if name == "p_true":
                return [f"p_{c}" for c in range(1, self.classes + 1)]
            if name == "ce":
                return ["lse"] + zs
        if name == "Loss":
            return ["sqerr"] if lin else ["ce"]
        for kind in ("Loss_", "Lossm_"):
            if name.startswith(kind):
                p = name[len(kind):]
                return ["h"] if lin else ["Loss", self._p_column(p)]
        if name.startswith("grad_"):
            p = name[len("grad_"):]
            return [f"Loss_{p}", f"Lossm_{p}" if self.diff == models.CENTRAL else "Loss"]
        if name.startswith("next_"):
            rest = name[len("next_"):]
            slot = next((s for s in self.opt.slots if rest.startswith(s + "_")), None)
            if slot is None:  # next_P reads the next state
                return [f"next_{s}_{rest}" for s in self.opt.slots]
            return []
        return []

    def _p_column(self, p: str) -> str:
        """The probability column a classifier's Loss_P reads."""
        return f"p_{self._class(self.params.index(p)) + 1}" if self.model == "softmax" else "p"

    def _class(self, p: int) -> int:
        """The output (0-based class) parameter p belongs to; 0 unless softmax."""
        if self.model != "softmax":
            return 0
        return p - self.k * self.classes if p >= self.k * self.classes else p // self.k

    def upstream(self, name: str, among) -> list[str]:
        """The names in `among` that `name` reads, directly or through other cells, nearest first."""
        out, todo, seen = [], list(self.feeds(name)), set()
        while todo:
            f = todo.pop(0)
            if f in seen:
                continue
            seen.add(f)
            if f in among:
                out.append(f)
            todo += self.feeds(f)
        return out

    # --- Num recipes: the spec's Excel texts, step by step ---
    def _shift(self, env, p: int, sign: float):
        """What nudging parameter p by sign·eps adds to its output: eps·x_j, or eps for a bias."""
        j = self._feature(p)
        eps = env["eps"] * sign
        return eps if j is None else eps * env[self.features[j]]

    def _feature(self, p: int) -> int | None:
        if self.model == "softmax":
            return None if p >= self.k * self.classes else p % self.k
        return None if p == self.k else p

    def _linear(self, env, ws: list[str], b: str) -> Num:
        """=W_1*A6+W_2*B6+B"""
        total = None
        for w, x in zip(ws, self.features):
            term = env[w] * env[x]
            total = term if total is None else total + term
        return total + env[b] if total is not None else env[b]

    def recipe(self, name: str, env: dict) -> Num:
        k, P = self.k, self.params
        if name in ("h", "z"):
            return self._linear(env, P[:k], P[k])
        if name.startswith("z_"):
            c = int(name[2:]) - 1
            return self._linear(env, P[c * k:(c + 1) * k], P[k * self.classes + c])
        if name == "sqerr":
            d = env["h"] - env["y"]
            return d * d
        if name == "p" or (name == "p_true" and self.model == "logistic"):
            z = env["z"] if name == "p" else (2 * env["y"] - 1) * env["z"]
            return z.at_most_0().exp() / (1 + (-z.abs()).exp())
        if name == "ce" and self.model == "logistic":
            z = env["z"]
            return (1 + (-z.abs()).exp()).log() + z.at_least_0() - env["y"] * z
        if name == "pred":
            if self.model == "logistic":
                return Num((env["z"].v >= 0).astype(float))
            zs = [env[f"z_{c}"].v for c in range(1, self.classes + 1)]
            return Num(np.argmax(np.stack(zs), axis=0) + 1.0)
        if name == "lse":
            zs = [env[f"z_{c}"] for c in range(1, self.classes + 1)]
            top = _max(zs)
            s = None
            for z in zs:
                t = (z - top).exp()
                s = t if s is None else s + t
            return top + s.log()
        if name.startswith("p_") and name != "p_true" and self.model == "softmax":
            return (env[f"z_{name[2:]}"] - env["lse"]).exp()
        if name == "p_true":  # softmax
            return self._row_sum(env, "y", "p")
        if name == "ce":  # softmax
            return env["lse"] - self._row_sum(env, "y", "z")
        if name == "Loss":
            return env["sqerr" if self.model == "linear" else "ce"].mean()
        for kind, sign in (("Loss_", 1.0), ("Lossm_", -1.0)):
            if name.startswith(kind):
                p = P.index(name[len(kind):])
                d = self._shift(env, p, sign)
                if self.model == "linear":  # =SUMPRODUCT((h+eps*x-y)^2)/ROWS(y)
                    r = env["h"] + d - env["y"]
                    return (r * r).mean()
                # =Loss+SUMPRODUCT(LN(1+p_c*(EXP(d)-1))-(d)*y_c)/ROWS(y_c)
                pc, yc = env[self._p_column(P[p])], env[self.targets[self._class(p)]]
                d = Num.of(d)
                return env["Loss"] + ((1 + pc * (d.exp() - 1)).log() - d * yc).mean()
        if name.startswith("grad_"):
            p = name[len("grad_"):]
            if self.diff == models.CENTRAL:  # =(Loss_W-Lossm_W)/(2*eps)
                return (env[f"Loss_{p}"] - env[f"Lossm_{p}"]) / (2 * env["eps"])
            return (env[f"Loss_{p}"] - env["Loss"]) / env["eps"]  # =(Loss_W-Loss)/eps
        if name.startswith("next_"):
            rest = name[len("next_"):]
            slot = next((s for s in self.opt.slots if rest.startswith(s + "_")), None)
            p = rest[len(slot) + 1:] if slot else rest
            values = {"P": env[p], "g": env[f"dLoss_d{p}"], "t": env.get("t", Num(0.0)), "lr": env["lr"],
                      **{h: env[h] for h in self.opt.hyper}, **{s: env[f"{s}_{p}"] for s in self.opt.slots}}
            if slot:
                return _run(self.opt.next_slot[slot], values)
            for s in self.opt.slots:
                values[f"next_{s}"] = env[f"next_{s}_{p}"]
            return _run(self.opt.next_param, values)
        raise KeyError(name)

    def _row_sum(self, env, a: str, b: str) -> Num:
        total = None
        for c in range(1, self.classes + 1):
            term = env[f"{a}_{c}"] * env[f"{b}_{c}"]
            total = term if total is None else total + term
        return total

    def chain(self, inputs: dict, cells: dict | None = None) -> dict[str, Num]:
        """Every computed name's Num on these inputs; with `cells` (blank name -> the student's
        numbers), each computed name is the maths on the cells upstream as the student has them
        (the own candidate), and a blank name's own cells stand for it downstream."""
        env = {name: Num(value) for name, value in inputs.items()}
        out = {}
        with np.errstate(all="ignore"):
            for name in self.computed:
                out[name] = self.recipe(name, env)
                env[name] = Num(cells[name]) if cells is not None and name in cells else out[name]
        return out

    def model_values(self, inputs: dict) -> dict[str, np.ndarray | float]:
        """Every computed name's value by the specs themselves (core/models.py, core/optimizers.py)."""
        X = np.column_stack([inputs[f] for f in self.features])
        theta = np.array([inputs[p] for p in self.params], dtype=float)
        eps = float(inputs["eps"])
        if self.model == "softmax":
            Y = np.column_stack([inputs[t] for t in self.targets])
            y = np.argmax(Y, axis=1).astype(float)  # one-hot rows: the class; others: see below
            onehot = np.allclose(Y.sum(axis=1), 1) and np.all((Y == 0) | (Y == 1))
        else:
            y = np.asarray(inputs["y"], dtype=float)
            onehot = True
        out: dict = {}
        with np.errstate(all="ignore"):
            if self.model == "linear":
                out.update(self.spec.row_values(X, y, theta))
            elif onehot:
                out.update(self.spec.row_values(X, y, theta))
            if onehot:
                out["Loss"] = self.spec.loss(X, y, theta)
                nudged = self.spec.nudged_losses(X, y, theta, eps)
                for p, name in enumerate(self.params):
                    out[f"Loss_{name}"] = nudged[p]
                if self.diff == models.CENTRAL:
                    for p, value in enumerate(self.spec.nudged_losses(X, y, theta, -eps)):
                        out[f"Lossm_{self.params[p]}"] = value
                grad = self.spec.gradient(X, y, theta, eps, self.diff)
                for p, name in enumerate(self.params):
                    out[f"grad_{name}"] = grad[p]
            g = np.array([inputs[f"dLoss_d{p}"] for p in self.params], dtype=float)
            slots = {s: np.array([inputs[f"{s}_{p}"] for p in self.params], dtype=float) for s in self.opt.slots}
            hyper = {h: float(inputs[h]) for h in self.opt.hyper}
            nxt, state, _ = self.opt.update(theta, g, slots, float(inputs.get("t", 0.0)), float(inputs["lr"]), hyper)
            for p, name in enumerate(self.params):
                out[f"next_{name}"] = float(nxt[p])
                for s in self.opt.slots:
                    out[f"next_{s}_{name}"] = float(state[s][p])
        return out


def _run(rule, values: dict) -> Num:
    """An optimizer's Rule (its one Excel text, compiled as Python) on Num values."""
    return Num.of(eval(rule.code, {"__builtins__": {}, "sqrt": _sqrt}, values))


# --- candidates and marks ----------------------------------------------------------------------

@dataclass
class Want:
    """What one blank name should show on one reading: candidates (values, tolerances), the own
    candidate first (NaN where the maths on the student's cells errs, as a spreadsheet would)."""
    values: list  # per candidate: a number, or a column (one per row)
    tols: list

    def at(self, i: int) -> list[tuple[float, float]]:
        return [(float(_row(v, i)), float(_row(t, i))) for v, t in zip(self.values, self.tols)]


def _row(values, i: int):
    return np.atleast_1d(values)[i] if np.ndim(values) else values


def expected(sheet: Sheet, inputs: dict, cells: dict, blank) -> dict[str, Want]:
    """Blank name -> Want on a reading: `inputs` its input names' numbers, `cells` the blank
    names' numbers as read (NaN for an error or text, 0 for empty)."""
    own = sheet.chain(inputs, {name: cells[name] for name in blank if name in cells})
    bound = sheet.chain(inputs)
    model = sheet.model_values(inputs)
    out = {}
    for name in blank:
        values, tols = [own[name].v], [SAFETY * own[name].e]
        if name in model:
            values.append(np.asarray(model[name], dtype=float))
            tols.append(SAFETY * bound[name].e)
        out[name] = Want(values, tols)
    return out


def close(v: float, wants: list[tuple[float, float]]) -> bool:
    """Whether v is one of the candidates, within its tolerance."""
    return any(math.isfinite(w) and math.isfinite(t) and abs(v - w) <= t for w, t in wants)


def mark_first_only(a, wants) -> tuple[str, str]:
    """A cell of a name broken at the root (its own error or text somewhere), from its first
    reading only: its second reading shows the numbers the grader typed over it."""
    if a is None:
        return "missing", ""
    if _is_error(a):
        return "error", a.text
    if isinstance(a, str):
        return "wrong", "text"
    return ("ok", "") if close(a, wants) else ("wrong", "")


def mark_cell(a, b, want1, want2, formula: bool = True) -> tuple[str, str]:
    """(mark, detail) of one cell from its two readings (a: as handed in; b: after every input
    was changed). want1/want2: the candidates, the own one first.

    An error is excused (knock-on) only where the correct maths on the student's own cells errs
    too, and only if the cell is right on numbers in the other reading: every input holds a
    number in both readings (the grader types numbers over an input that holds an error), so an
    error can never stand in for the answer."""
    if a is None and b is None:
        return "missing", ""
    if isinstance(a, str) or isinstance(b, str):
        return "wrong", "text"
    if not formula and not _is_error(a):  # a typed number: it follows nothing
        return "constant", ""
    knock_on, verified = "", 0
    for v, want in ((a, want1), (b, want2)):
        if _is_error(v):
            if not want or math.isfinite(want[0][0]):  # the correct formula gives a number here
                return "error", v.text
            knock_on = knock_on or v.text
        elif v is None:
            return "wrong", ""  # empty in one reading only
        else:
            verified += 1
    if knock_on:
        if verified == 0:
            return "error", knock_on  # never seen right on numbers
        fine = all(_is_error(v) or close(v, w) for v, w in ((a, want1), (b, want2)))
        return ("ok", f"knock_on:{knock_on}") if fine else ("wrong", "")
    ok1, ok2 = close(a, want1), close(b, want2)
    if ok1 and ok2:
        return "ok", ""
    if a == b and not close(b, want2):  # it did not follow the change: a formula of constants
        return "constant", ""
    if ok1:
        return "wrong", "only_these_numbers"
    return "wrong", ""


def _is_error(v) -> bool:
    return hasattr(v, "code") and hasattr(v, "text")


@dataclass(frozen=True)
class Verdict:
    """One blank name's mark and what to say: kind (the sentence), rows (1-based sheet rows of
    a column's cells concerned), text (the error shown)."""
    mark: str
    kind: str
    rows: tuple[int, ...] = ()
    text: str = ""


def combine(per_row: list[tuple[str, str]], first_row: int = 0) -> Verdict:
    """One mark for a blank name (a column counts once) from its cells' marks."""
    marks = [m for m, _ in per_row]
    rows = lambda keep: tuple(first_row + 1 + i for i, m in enumerate(marks) if keep(m))  # noqa: E731
    if all(m == "missing" for m in marks):
        return Verdict("missing", "missing")
    errors = [d for m, d in per_row if m == "error"]
    if errors:
        return Verdict("error", "error", text=errors[0])
    if all(m == "ok" for m in marks):  # the note: the error a right formula shows (knock-on), if any
        knock = next((d.split(":", 1)[1] for _, d in per_row if d.startswith("knock_on:")), "")
        return Verdict("ok", "knock_on" if knock else "ok", text=knock)
    filled = [m for m in marks if m != "missing"]
    if filled and all(m == "constant" for m in filled):
        return Verdict("constant", "constant")
    if "missing" in marks:
        return Verdict("wrong", "missing_rows", rows(lambda m: m == "missing"))
    details = {d for m, d in per_row if m != "ok"}
    if "text" in details:
        return Verdict("wrong", "text")
    if details == {"only_these_numbers"}:
        return Verdict("wrong", "only_these")
    if len(marks) > 1 and "ok" in marks:
        return Verdict("wrong", "wrong_rows", rows(lambda m: m != "ok"))
    return Verdict("wrong", "wrong")
