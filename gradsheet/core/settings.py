"""What a workbook is built with (Settings) and where its descent stands (State)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import GradsheetError
from .layout import CLASSIFIERS
from .models import CENTRAL, FORWARD, MODELS, Model, model_spec
from .optimizers import HYPER_DEFAULTS, OPTIMIZERS, hyper_rule

COURSE_LR = 0.001  # the course's learning rate
COURSE_EPS = 0.0001  # the course's nudge ("dt")
DEFAULT_SEED = 1  # a fixed default keeps `gradsheet build` reproducible; --seed changes it
RACE_LR_NAMES = tuple(f"lr_{name}" for name in OPTIMIZERS)  # the race's learning rates


@dataclass(frozen=True)
class Settings:
    lr: float = COURSE_LR
    eps: float = COURSE_EPS
    seed: int = DEFAULT_SEED
    lang: str = "ko"
    diff: str = FORWARD
    title: str = ""
    buttons: str = "lite"  # "lite" (xlwings Lite buttons and main.py) or "none"
    unrolled: int = 100  # rows of the "All steps" sheet; 0 leaves it out
    landscape: tuple[str, ...] = ()  # the two parameters of the loss landscape (default: first W, B)
    scale: str = "none"  # "none", "standard" or "minmax"
    model: str = "linear"  # the model spec (core/models.py): h = W·x + B with mean squared error
    classes: tuple[str, ...] = ()  # logistic/softmax: the class names, class 0 (logistic) or 1 first
    optimizer: str = "gd"  # "gd" (the course), "momentum", "rmsprop" or "adam"
    # the optimizers' hyperparameters (Keras's defaults; delta is Keras's epsilon)
    beta: float = HYPER_DEFAULTS["beta"]
    rho: float = HYPER_DEFAULTS["rho"]
    beta1: float = HYPER_DEFAULTS["beta1"]
    beta2: float = HYPER_DEFAULTS["beta2"]
    delta: float = HYPER_DEFAULTS["delta"]
    compare: int = 100  # rows of the optimizers' race ("Optimizers" sheet); 0 leaves it out
    # the race's learning rate per optimizer (cells lr_gd … on its sheet); None: derived from
    # the data when the sheet is written (sheets/compare.py says how)
    lr_gd: float | None = None
    lr_momentum: float | None = None
    lr_rmsprop: float | None = None
    lr_adam: float | None = None
    # an exercise workbook (gradsheet exercise): the cells left empty for the student to write,
    # whom the workbook was made for, and which exercise (the answer key's fingerprint)
    # --hidden H: a network with H hidden units of this activation before the output (0: none)
    hidden: int = 0
    activation: str = "tanh"
    # --batch B: each step learns from B rows, an epoch visits every row once (0: all rows, the
    # course's full batch); shuffle: the rows' order is shuffled per epoch from the seed
    batch: int = 0
    shuffle: bool = True
    batch_seed: int | None = None  # the shuffle's seed (default: seed); `set --seed` keeps it
    blank: tuple[str, ...] = ()
    student: str = ""
    student_name: str = ""
    exercise: str = ""

    @property
    def spec(self) -> Model:
        """The model spec the workbook's numbers and formulas come from."""
        return model_spec(self.model, len(self.classes), self.hidden, self.activation)

    def batches(self, n: int):
        """--batch: the rows each step learns from (core/batches.py); None without --batch."""
        if not self.batch:
            return None
        from .batches import make
        return make(n, self.batch, self.seed if self.batch_seed is None else self.batch_seed, self.shuffle)

    @property
    def hyper(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in HYPER_DEFAULTS}

    def __post_init__(self):
        for name in ("lr", "eps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value <= 0:
                raise GradsheetError("settings.positive", name=name, value=repr(value))
        for name, value, choices in (("lang", self.lang, ("ko", "en")), ("diff", self.diff, (FORWARD, CENTRAL)),
                                     ("buttons", self.buttons, ("lite", "none")),
                                     ("scale", self.scale, ("none", "standard", "minmax")),
                                     ("model", self.model, tuple(MODELS)),
                                     ("optimizer", self.optimizer, tuple(OPTIMIZERS))):
            if value not in choices:
                raise GradsheetError("settings.choice", name=name, choices=", ".join(choices), value=repr(value))
        for name in ("unrolled", "compare"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
                raise GradsheetError("settings.whole_number", name=name, value=repr(value))
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 0:
            raise GradsheetError("settings.whole_number", name="batch", value=repr(self.batch))
        if self.batch and self.blank:
            raise GradsheetError("settings.batch_exercise")
        from .network import ACTIVATIONS, MAX_HIDDEN
        if isinstance(self.hidden, bool) or not isinstance(self.hidden, int) or not 0 <= self.hidden <= MAX_HIDDEN:
            raise GradsheetError("settings.hidden", most=MAX_HIDDEN, value=repr(self.hidden))
        if self.activation not in ACTIVATIONS:
            raise GradsheetError("settings.choice", name="activation", choices=", ".join(ACTIVATIONS),
                                 value=repr(self.activation))
        if (self.model in CLASSIFIERS) != bool(self.classes) or \
                (self.model == "logistic" and len(self.classes) != 2):
            raise GradsheetError("settings.classes", model=self.model, classes=list(self.classes))
        for name in HYPER_DEFAULTS:
            rule = hyper_rule(name, getattr(self, name))
            if rule:
                raise GradsheetError("settings.hyper", name=name, rule=rule, value=repr(getattr(self, name)))
        for name in RACE_LR_NAMES:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value <= 0):
                raise GradsheetError("settings.race_lr", name=name, value=repr(value))


def initial_theta(k: int, seed: int | None, count: int | None = None, hidden: int = 0) -> np.ndarray:
    """Step 1's random start, like the sheet's =ROUND(RAND()*2-1,2) generator cells: k + 1
    values (W…, B), or `count` (softmax has one W_j_c and B_c per class). With `hidden` units,
    a draw in which two units start equal is drawn again (from the same seeded stream): equal
    units get equal slopes and would stay equal for ever."""
    rng = np.random.default_rng(seed)
    theta = np.round(rng.uniform(-1.0, 1.0, k + 1 if count is None else count), 2)
    if hidden:
        from .network import distinct_units
        while not distinct_units(theta, k, hidden):
            theta = np.round(rng.uniform(-1.0, 1.0, theta.size), 2)
    return theta


@dataclass
class State:
    """Everything the buttons (or the students' hands) change; the rest follows from it."""
    theta: np.ndarray  # current W…, B (during actions 4-1/5-1 one of them holds P + eps)
    init: np.ndarray  # the values shown by the initial value generator
    prev_loss: float  # the course's prevLoss cell
    dloss: np.ndarray  # the pasted dLoss_dP cells
    history: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))  # rows [P…, Loss]
    action: int = 0  # index of the next hand action (0 = "2", the start of a step)
    slots: dict[str, np.ndarray] = field(default_factory=dict)  # optimizer state: vel / sq / m per P
    t: int = 0  # optimizer updates done (Adam)

    @classmethod
    def fresh(cls, theta: np.ndarray, optimizer: str = "gd") -> "State":
        """Step 1 done: the start, nothing copied or pasted yet (prevLoss 0, so the coach asks
        for action 3 in the first step too), the optimizer's state 0."""
        theta = np.asarray(theta, dtype=float)
        slots = {slot: np.zeros(theta.size) for slot in OPTIMIZERS[optimizer].slots}
        return cls(theta.copy(), theta.copy(), 0.0, np.zeros(theta.size),
                   np.empty((0, theta.size + 1)), 0, slots, 0)
