"""The optimizers, each one spec: how it updates a parameter, written once as Excel text.

Every rule is an Excel formula over symbolic names — {P} the parameter, {g} its pasted slope
dLoss_dP, {vel}/{sq}/{m} its optimizer state, {next_vel}/… the next state, {t} the updates
done, and the hyperparameters {lr}, {beta}, {rho}, {beta1}, {beta2}, {delta}. The sheets fill
the names with cell names or A1 references; the numpy side is the same text run as Python
(`^` → `**`, SQRT → numpy.sqrt), so the workbook and the engine cannot tell different maths.
The forms are Keras 3's, exactly (keras/src/optimizers/sgd.py, rmsprop.py, adam.py); the
order of operations follows them, so both compute the same floating-point numbers.

Excel note: the templates never put a unary minus before `^` (Excel reads -x^2 as (-x)^2,
Python as -(x**2)); only +, -, *, /, ^, parentheses and SQRT appear.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from types import CodeType

import numpy as np

from .messages import Message

# Keras's defaults; `delta` is Keras's `epsilon` (the course's `eps` is the nudge).
HYPER_DEFAULTS = {"beta": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999, "delta": 1e-7}
HYPER_NAMES = tuple(HYPER_DEFAULTS)
DECAY_RATES = ("beta", "rho", "beta1", "beta2")  # a share of the state kept per step


def hyper_rule(name: str, value) -> Message | None:
    """What hyperparameter `name` must be, when `value` is not that (None when it is)."""
    if name in DECAY_RATES:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1
        return None if ok else Message("settings.rule_decay")
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return None if ok else Message("settings.rule_positive")


_TOKEN = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Rule:
    """One line of maths: the Excel text, and that text compiled as numpy."""
    excel: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_TOKEN.findall(self.excel)))

    def formula(self, ref: dict[str, str]) -> str:
        """The Excel formula with every {name} replaced by ref[name] (a cell name or A1 ref)."""
        return "=" + _TOKEN.sub(lambda m: ref[m.group(1)], self.excel)

    @property
    def code(self) -> CodeType:
        return _compiled(self.excel)

    def __call__(self, **values):
        return eval(self.code, {"__builtins__": {}, "sqrt": np.sqrt}, values)


_CODE: dict[str, CodeType] = {}


def _compiled(excel: str) -> CodeType:
    if excel not in _CODE:
        python = _TOKEN.sub(lambda m: m.group(1), excel).replace("^", "**").replace("SQRT(", "sqrt(")
        _CODE[excel] = compile(python, f"<{excel}>", "eval")
    return _CODE[excel]


@dataclass(frozen=True)
class Optimizer:
    name: str
    slots: tuple[str, ...]  # per-parameter state, updated in this order
    next_slot: dict[str, Rule]  # slot -> its next value
    next_param: Rule  # the parameter's next value (may use the next state)
    counts_updates: bool = False  # keeps t, the number of updates done (Adam's bias correction)
    hyper: tuple[str, ...] = field(default=())  # the hyperparameter cells it reads

    def update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], t: int,
               lr: float, hyper: dict[str, float]) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
        """One update of every parameter at once (numpy arrays): (next θ, next state, next t)."""
        values = {"P": theta, "g": g, "t": t, "lr": lr, **hyper, **state}
        nxt = {}
        for slot in self.slots:
            nxt[slot] = self.next_slot[slot](**values)
            values[f"next_{slot}"] = nxt[slot]
        return self.next_param(**values), nxt, t + 1 if self.counts_updates else t


GD = Optimizer("gd", (), {}, Rule("{P}-{lr}*{g}"))
MOMENTUM = Optimizer(  # keras SGD(momentum=beta): m = -g*lr + m*momentum; p += m
    "momentum", ("vel",), {"vel": Rule("{beta}*{vel}-{lr}*{g}")}, Rule("{P}+{next_vel}"),
    hyper=("beta",))
RMSPROP = Optimizer(  # keras RMSprop: v = rho*v + (1-rho)*g^2; p -= lr*g/sqrt(v+epsilon)
    "rmsprop", ("sq",), {"sq": Rule("{rho}*{sq}+(1-{rho})*{g}^2")},
    Rule("{P}-{lr}*{g}/SQRT({next_sq}+{delta})"), hyper=("rho", "delta"))
ADAM = Optimizer(  # keras Adam: alpha = lr*sqrt(1-b2^t)/(1-b1^t); p -= alpha*m/(sqrt(v)+epsilon)
    "adam", ("m", "sq"),
    {"m": Rule("{m}+({g}-{m})*(1-{beta1})"), "sq": Rule("{sq}+({g}^2-{sq})*(1-{beta2})")},
    Rule("{P}-{lr}*SQRT(1-{beta2}^({t}+1))/(1-{beta1}^({t}+1))*{next_m}/(SQRT({next_sq})+{delta})"),
    counts_updates=True, hyper=("beta1", "beta2", "delta"))

OPTIMIZERS = {o.name: o for o in (GD, MOMENTUM, RMSPROP, ADAM)}


def get(name: str) -> Optimizer:
    return OPTIMIZERS[name]
