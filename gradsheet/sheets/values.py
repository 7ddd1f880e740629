"""The model's number for every formula cell of the training sheet (their stored values)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import models
from ..core.optimizers import OPTIMIZERS
from ..core.settings import Settings, State


@dataclass(frozen=True)
class SheetValues:
    rows: dict[str, np.ndarray]  # the data block's computed columns (h, sqerr; z, p, ce, …)
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
    accuracy: float | None = None  # classifiers: share of rows predicted right
    confusion: np.ndarray | None = None  # classifiers: C×C counts, rows true, columns predicted


def evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State) -> SheetValues:
    model = settings.spec
    classifier = bool(settings.classes)
    with np.errstate(over="ignore", invalid="ignore"):
        rows = model.row_values(X, y, state.theta)
        loss = float(np.mean(rows["ce" if classifier else "sqerr"]))
        nudged = model.nudged_losses(X, y, state.theta, settings.eps)
        minus = None
        if settings.diff == models.CENTRAL:
            minus = model.nudged_losses(X, y, state.theta, -settings.eps)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        nxt, next_slots, _ = OPTIMIZERS[settings.optimizer].update(
            state.theta, state.dloss, state.slots, state.t, settings.lr, settings.hyper)
        exact = model.exact_gradient(X, y, state.theta)
        dloss_dt = (loss - state.prev_loss) / settings.eps
        if classifier:
            C = len(settings.classes)
            return SheetValues(rows, loss, nudged, minus, grad, dloss_dt, nxt, exact, None,
                               models.best_classifier_loss(X, y, C), None, next_slots,
                               models.accuracy(model, X, y, state.theta),
                               models.confusion(model, X, y, state.theta, C))
        best = model.best_theta(X, y) if model.unique_answer(X) else None
        return SheetValues(rows, loss, nudged, minus, grad, dloss_dt, nxt, exact, best,
                           None if best is None else model.loss(X, y, best),
                           None if best is None else float(np.sqrt(np.sum((state.theta - best) ** 2))),
                           next_slots)
