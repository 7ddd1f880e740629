"""The model's number for every formula cell of the training sheet (their stored values)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import models
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


def evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State) -> SheetValues:
    with np.errstate(over="ignore", invalid="ignore"):
        h = models.predict(X, state.theta)
        r = h - y
        sqerr = r * r
        loss = float(np.mean(sqerr))
        nudged = models.nudged_losses(X, y, state.theta, settings.eps)
        minus = None
        if settings.diff == models.CENTRAL:
            minus = models.nudged_losses(X, y, state.theta, -settings.eps)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        best = models.best_theta(X, y) if models.unique_answer(X) else None
        return SheetValues(h, sqerr, loss, nudged, minus, grad,
                           (loss - state.prev_loss) / settings.eps,
                           state.theta - settings.lr * state.dloss,
                           models.exact_gradient(X, y, state.theta), best,
                           None if best is None else models.loss(X, y, best),
                           None if best is None else float(np.sqrt(np.sum((state.theta - best) ** 2))))
