"""The model's number for every formula cell of the training sheet (their stored values)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core import models
from ..core.layout import param_names
from ..core.optimizers import OPTIMIZERS
from ..core.scaling import scale_columns
from ..core.settings import Settings, State
from ..data.dataset import Dataset


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


def evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State,
             filled: frozenset[str] = frozenset()) -> SheetValues:
    """`filled`: an exercise's blank names the student wrote something in (a rewrite keeps it)."""
    values = _evaluate(X, y, settings, state)
    return with_blanks(values, X, y, settings, state, filled) if settings.blank else values


def _evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State) -> SheetValues:
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


def with_blanks(v: SheetValues, X: np.ndarray, y: np.ndarray, settings: Settings, state: State,
                filled: frozenset[str] = frozenset()) -> SheetValues:
    """An exercise's stored values: what the sheet shows while its blank cells are still empty
    (a spreadsheet reads an empty cell as 0), so no stored number gives an answer away. The
    linear sheet's formulas read h (sqerr, Loss_P, exact_grad_P), Loss (grad_P, dLoss_dt) and
    Loss_P (grad_P); the blank cells themselves store nothing (the writer leaves them empty).
    A blank the student has `filled` counts as unknown (NaN), and so does every value read from
    it: the writer stores none for those, and the spreadsheet computes them on opening."""
    blank = set(settings.blank)
    params = param_names(X.shape[1])
    gap = lambda name: np.nan if name in filled else 0.0  # noqa: E731
    shown = lambda values, kind: np.array([gap(f"{kind}_{p}") if f"{kind}_{p}" in blank else float(x)  # noqa: E731
                                           for p, x in zip(params, values)])
    with np.errstate(over="ignore", invalid="ignore"):
        h = np.full_like(v.rows["h"], gap("h")) if "h" in blank else v.rows["h"]
        r = h - y
        loss = gap("Loss") if "Loss" in blank else models.LINEAR.loss_of(h, y)
        nudged = shown(models.nudged_from_residuals(X, r, settings.eps), "Loss")
        minus = None
        if v.nudged_minus is not None:
            minus = shown(models.nudged_from_residuals(X, r, -settings.eps), "Lossm")
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        return replace(v, rows={"h": h, "sqerr": r * r}, loss=loss, nudged=nudged, nudged_minus=minus,
                       grad=shown(grad, "grad"), dloss_dt=(loss - state.prev_loss) / settings.eps,
                       next=shown(v.next, "next"), exact=models.exact_from_residuals(X, r))


def model_X(dataset: Dataset, settings: Settings) -> np.ndarray:
    """The x the model learns from: the data's columns, rescaled when --scale asks for it."""
    return scale_columns(dataset.X, settings.scale)[0] if settings.scale != "none" else dataset.X
