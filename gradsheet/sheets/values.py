"""The model's number for every formula cell of the training sheet (their stored values)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import models
from ..core.optimizers import OPTIMIZERS
from ..core.settings import Settings, State


@dataclass(frozen=True)
class SheetValues:
    h: np.ndarray
    sqerr: np.ndarray
    loss: float
    nudged: np.ndarray  # Loss_P
    nudged_minus: np.ndarray | None  # Lossm_P (central differences only)
    grad: np.ndarray  # grad_P
    dloss_dt: float
    next: np.ndarray  # next_P
    exact: np.ndarray  # exact_grad_P
    best: np.ndarray | None  # best_P; None when least squares has no unique answer
    best_loss: float | None
    best_dist: float | None
    next_slots: dict[str, np.ndarray]  # next_vel_P / next_sq_P / next_m_P from the pasted dLoss_dP


def evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State) -> SheetValues:
    model = models.MODELS[settings.model]
    with np.errstate(over="ignore", invalid="ignore"):
        h = model.predict(X, state.theta)
        r = h - y
        sqerr = r * r
        loss = float(np.mean(sqerr))
        nudged = model.nudged_losses(X, y, state.theta, settings.eps)
        minus = None
        if settings.diff == models.CENTRAL:
            minus = model.nudged_losses(X, y, state.theta, -settings.eps)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        best = model.best_theta(X, y) if model.unique_answer(X) else None
        nxt, next_slots, _ = OPTIMIZERS[settings.optimizer].update(
            state.theta, state.dloss, state.slots, state.t, settings.lr, settings.hyper)
        return SheetValues(h, sqerr, loss, nudged, minus, grad,
                           (loss - state.prev_loss) / settings.eps,
                           nxt,
                           model.exact_gradient(X, y, state.theta), best,
                           None if best is None else model.loss(X, y, best),
                           None if best is None else float(np.sqrt(np.sum((state.theta - best) ** 2))),
                           next_slots)
