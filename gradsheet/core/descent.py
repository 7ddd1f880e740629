"""The one descent loop: N course steps (2–6) under any optimizer, stopping before a step
that diverges. The engine, the stored values and the derived sheets' numbers all come
from here, so a step means the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import models
from .models import FORWARD, CENTRAL, _nudged, diverged, loss_limit, predict
from .optimizers import GD, HYPER_DEFAULTS, Optimizer


@dataclass(frozen=True)
class Descent:
    """N whole steps from theta: history rows [P…, Loss] before each step, and the end."""
    history: np.ndarray  # shape (steps_done, k + 2)
    theta: np.ndarray
    gradients: np.ndarray  # the dLoss_dP pasted in the last step done (zeros if none)
    stopped: bool  # True when the descent diverged and stopped early
    slots: dict[str, np.ndarray] = field(default_factory=dict)  # the optimizer's state at the end
    t: int = 0  # updates done (Adam's bias correction)


def descend(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lr: float, eps: float,
            steps: int, diff: str = FORWARD, limit: float | None = None, *,
            optimizer: Optimizer = GD, hyper: dict[str, float] | None = None,
            slots: dict[str, np.ndarray] | None = None, t: int = 0,
            model: models.Model = models.LINEAR, batches=None, step: int = 0) -> Descent:
    """Run `steps` course steps (2–6); stop before writing a step whose result diverges.

    `limit` is the Loss that counts as diverging (default: loss_limit from this start).
    The slope is models.gradient's arithmetic, the update the optimizer's; the residuals
    h − y of each new point are computed once and kept for the next step's nudged losses.
    `slots` and `t` are the optimizer's state to start from (default: zeros, 0).
    `model` is the model spec (default: the course's linear model, whose loop below keeps the
    residuals; the classifiers take the spec's own loss and nudged losses each step).
    `batches` (core/batches.Batches): step `step` + i learns from that step's batch only; Loss,
    the history's and the guard's, stays the whole table's."""
    hyper = {**HYPER_DEFAULTS, **(hyper or {})}
    theta = np.asarray(theta, dtype=float)
    slots = {s: np.asarray((slots or {}).get(s, np.zeros(theta.size)), dtype=float) for s in optimizer.slots}
    if model is not models.LINEAR or batches is not None:
        return _descend_spec(X, y, theta, lr, eps, steps, diff, limit, optimizer, hyper, slots, t, model,
                             batches, step)
    rows = np.empty((steps, theta.size + 1))
    grad = np.zeros(theta.size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = predict(X, theta) - y
        current = float(np.mean(r * r))
        r_next, work = np.empty_like(r), np.empty_like(r)  # reused: big arrays cost page faults
        limit = loss_limit(y, current) if limit is None else limit
        if diverged(current, theta, limit):
            return Descent(rows[:0], theta, grad, True, slots, t)
        for i in range(steps):
            if diff == CENTRAL:
                g = (_nudged(X, r, eps, work) - _nudged(X, r, -eps, work)) / (2 * eps)
            else:
                g = (_nudged(X, r, eps, work) - current) / eps
            nxt, nxt_slots, nxt_t = optimizer.update(theta, g, slots, t, lr, hyper)
            np.matmul(X, nxt[:-1], out=r_next)  # r_next = predict(X, nxt) - y, in place
            r_next += nxt[-1]
            r_next -= y
            nxt_loss = float(np.square(r_next, out=work).mean())
            # NaN fails the comparison too; a non-finite W or B makes the Loss non-finite
            if not nxt_loss <= limit:
                return Descent(rows[:i], theta, grad, True, slots, t)
            rows[i, :-1], rows[i, -1] = theta, current
            theta, current, grad, slots, t = nxt, nxt_loss, g, nxt_slots, nxt_t
            r, r_next = r_next, r
    return Descent(rows, theta, grad, False, slots, t)


def _descend_spec(X, y, theta, lr, eps, steps, diff, limit, optimizer, hyper, slots, t, model,
                  batches=None, first: int = 0) -> Descent:
    """descend for any model spec: the same steps through Model.gradient and Model.loss. With
    `batches`, step first + i's slope is the model's on that step's rows only (the sheet's
    Loss_P and Loss_batch: the same means over in_batch's rows); Loss stays the whole table's."""
    rows = np.empty((steps, theta.size + 1))
    grad = np.zeros(theta.size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        current = model.loss(X, y, theta)
        limit = loss_limit(y, current) if limit is None else limit
        if diverged(current, theta, limit):
            return Descent(rows[:0], theta, grad, True, slots, t)
        for i in range(steps):
            if batches is None:
                g = model.gradient(X, y, theta, eps, diff, base_loss=current)
            else:
                idx = batches.rows(first + i)
                g = model.gradient(X[idx], y[idx], theta, eps, diff)
            nxt, nxt_slots, nxt_t = optimizer.update(theta, g, slots, t, lr, hyper)
            nxt_loss = model.loss(X, y, nxt)
            if diverged(nxt_loss, nxt, limit):
                return Descent(rows[:i], theta, grad, True, slots, t)
            rows[i, :-1], rows[i, -1] = theta, current
            theta, current, grad, slots, t = nxt, nxt_loss, g, nxt_slots, nxt_t
    return Descent(rows, theta, grad, False, slots, t)


def batch_losses(X, y, history: np.ndarray, model: models.Model, batches, first: int = 0) -> np.ndarray:
    """The history's Loss_batch column: row i's parameters on step first + i's batch."""
    history = np.asarray(history, dtype=float)
    out = np.empty(len(history))
    with np.errstate(all="ignore"):
        for i, row in enumerate(history):
            idx = batches.rows(first + i)
            out[i] = model.loss(X[idx], y[idx], row[:-1])
    return out


__all__ = ["Descent", "descend", "models"]
