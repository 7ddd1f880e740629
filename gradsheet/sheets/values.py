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
    # --batch: this step's batch (Loss_P, grad_P, exact_grad_P and dLoss_dt above are over it)
    loss_batch: float | None = None
    step: int = 0
    epoch: int = 1
    shuffle: tuple[int, int, int] = (1, 0, 0)  # this epoch's a, b, c
    batch_columns: dict[str, np.ndarray] | None = None  # key, turn, in_batch (numbers per row)


def evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State,
             filled: frozenset[str] = frozenset()) -> SheetValues:
    """`filled`: an exercise's blank names the student wrote something in (a rewrite keeps it)."""
    values = _evaluate(X, y, settings, state)
    return with_blanks(values, X, y, settings, state, filled) if settings.blank else values


def _evaluate(X: np.ndarray, y: np.ndarray, settings: Settings, state: State) -> SheetValues:
    model = settings.spec
    classifier = bool(settings.classes)
    extra = {}
    Xb, yb = X, y  # the rows the slopes are over: all, or with --batch this step's batch
    batches = settings.batches(X.shape[0])
    if batches is not None:
        step = batch_step(state, settings.eps)
        epoch, mask = batches.epoch(step), batches.mask(step)
        Xb, yb = X[mask], y[mask]
        extra = {"step": step, "epoch": epoch, "shuffle": batches.shuffle(epoch),
                 "batch_columns": {"key": batches.key.astype(float), "turn": batches.turns(epoch).astype(float),
                                   "in_batch": mask.astype(float)}}
    with np.errstate(over="ignore", invalid="ignore"):
        rows = model.row_values(X, y, state.theta)
        loss = float(np.mean(rows["ce" if classifier else "sqerr"]))
        base = loss if batches is None else model.loss(Xb, yb, state.theta)
        if batches is not None:
            extra["loss_batch"] = base
        nudged = model.nudged_losses(Xb, yb, state.theta, settings.eps)
        minus = None
        if settings.diff == models.CENTRAL:
            minus = model.nudged_losses(Xb, yb, state.theta, -settings.eps)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - base) / settings.eps
        nxt, next_slots, _ = OPTIMIZERS[settings.optimizer].update(
            state.theta, state.dloss, state.slots, state.t, settings.lr, settings.hyper)
        exact = model.exact_gradient(Xb, yb, state.theta)
        dloss_dt = (base - state.prev_loss) / settings.eps
        if classifier:
            C = len(settings.classes)
            best_loss = None if settings.hidden else models.best_classifier_loss(X, y, C)
            return SheetValues(rows, loss, nudged, minus, grad, dloss_dt, nxt, exact, None,
                               best_loss, None, next_slots,
                               models.accuracy(model, X, y, state.theta),
                               models.confusion(model, X, y, state.theta, C), **extra)
        best = None if settings.hidden or not model.unique_answer(X) else model.best_theta(X, y)
        return SheetValues(rows, loss, nudged, minus, grad, dloss_dt, nxt, exact, best,
                           None if best is None else model.loss(X, y, best),
                           None if best is None else float(np.sqrt(np.sum((state.theta - best) ** 2))),
                           next_slots, **extra)


def batch_step(state: State, eps: float) -> int:
    """The sheet's `step`: updates done, as core/batches.step_of reads the state."""
    from ..core.batches import step_of
    return step_of(state.theta, state.history, eps)


def with_blanks(v: SheetValues, X: np.ndarray, y: np.ndarray, settings: Settings, state: State,
                filled: frozenset[str] = frozenset()) -> SheetValues:
    """An exercise's stored values: what the sheet shows while its blank cells are still empty
    (a spreadsheet reads an empty cell as 0), so no stored number gives an answer away. The
    linear sheet's formulas read h (sqerr, Loss_P, exact_grad_P), Loss (grad_P, dLoss_dt) and
    Loss_P (grad_P); the blank cells themselves store nothing (the writer leaves them empty).
    A blank the student has `filled` counts as unknown (NaN), and so does every value read from
    it: the writer stores none for those, and the spreadsheet computes them on opening."""
    if settings.classes:
        return _classifier_with_blanks(v, X, y, settings, state, filled)
    blank = set(settings.blank)
    params = param_names(X.shape[1])
    gap = lambda name: np.nan if name in filled else 0.0  # noqa: E731
    with np.errstate(over="ignore", invalid="ignore"):
        h = np.full_like(v.rows["h"], gap("h")) if "h" in blank else v.rows["h"]
        r = h - y
        loss = gap("Loss") if "Loss" in blank else models.LINEAR.loss_of(h, y)
        nudged = _shown(models.nudged_from_residuals(X, r, settings.eps), "Loss", params, blank, filled)
        minus = None
        if v.nudged_minus is not None:
            minus = _shown(models.nudged_from_residuals(X, r, -settings.eps), "Lossm", params, blank, filled)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        return replace(v, rows={"h": h, "sqerr": r * r}, loss=loss, nudged=nudged, nudged_minus=minus,
                       grad=_shown(grad, "grad", params, blank, filled), dloss_dt=(loss - state.prev_loss) / settings.eps,
                       next=_shown(v.next, "next", params, blank, filled), exact=models.exact_from_residuals(X, r))


def _shown(values, kind: str, params, blank, filled: frozenset[str] = frozenset()) -> np.ndarray:
    """A parameter-table column as shown: 0 in the empty blank cells, NaN (unknown: no stored
    value) in those the student filled."""
    return np.array([(np.nan if f"{kind}_{p}" in filled else 0.0) if f"{kind}_{p}" in blank else float(x)
                     for p, x in zip(params, values)])


def _classifier_with_blanks(v: SheetValues, X: np.ndarray, y: np.ndarray, settings: Settings,
                            state: State, filled: frozenset[str] = frozenset()) -> SheetValues:
    """with_blanks for a classifier's sheet, column by column as its formulas read each other:
    z -> p, p_true, ce, pred (softmax: z_c -> lse -> p_c; ce from lse and z) -> Loss -> Loss_P
    (Loss, p, x, y) -> grad_P; the confusion table and accuracy read pred. A blank column reads
    as 0 in arithmetic; MAX and MATCH skip empty cells (softmax's pred of a row whose z are all
    empty is #N/A, stored as NaN)."""
    blank = set(settings.blank)
    spec = settings.spec
    C, n, k = len(settings.classes), X.shape[0], X.shape[1]
    params = param_names(k, settings.model, C)
    gap = lambda name: np.nan if name in filled else 0.0  # noqa: E731  (filled: unknown, not stored)
    empty = lambda name, values: np.full(n, gap(name)) if name in blank else values  # noqa: E731
    rows: dict[str, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if settings.model == "logistic":
            z = empty("z", spec.logits(X, state.theta))
            rows["z"] = z
            rows["p"] = empty("p", spec.probability(z))
            rows["p_true"] = empty("p_true", spec.probability((2 * y - 1) * z))
            rows["ce"] = empty("ce", spec.row_losses(z, y))
            rows["pred"] = empty("pred", np.where(np.isnan(z), np.nan, (z >= 0).astype(float)))
            P, Y = rows["p"][:, None], np.asarray(y, dtype=float)[:, None]
            confusion = _confusion(rows["pred"], np.asarray(y, dtype=int), C, first=0)
        else:
            Z = spec.logits(X, state.theta)
            zs = [f"z_{c + 1}" for c in range(C)]
            for c, name in enumerate(zs):
                Z[:, c] = empty(name, Z[:, c])
                rows[name] = Z[:, c]
            rows["lse"] = lse = empty("lse", spec.log_sum_exp(Z))
            Y = spec.one_hot(y)
            P = np.column_stack([empty(f"p_{c + 1}", np.exp(Z[:, c] - lse)) for c in range(C)])
            rows |= {f"p_{c + 1}": P[:, c] for c in range(C)}
            rows["p_true"] = empty("p_true", (Y * P).sum(axis=1))
            rows["ce"] = empty("ce", lse - (Y * Z).sum(axis=1))
            rows["pred"] = empty("pred", _match_max(Z, [name in blank for name in zs]))
            confusion = _confusion(rows["pred"], np.asarray(y, dtype=int), C, first=1)
        loss = gap("Loss") if "Loss" in blank else float(np.mean(rows["ce"]))

        def nudged_at(eps):
            out = []
            for p in range(len(params)):
                c, j = _class_and_feature(p, k, C, settings.model)
                d = eps * (np.ones(n) if j is None else X[:, j])
                out.append(loss + float(np.mean(np.log(1 + P[:, c] * (np.exp(d) - 1)) - d * Y[:, c])))
            return np.array(out)
        nudged = _shown(nudged_at(settings.eps), "Loss", params, blank, filled)
        minus = None
        if v.nudged_minus is not None:
            minus = _shown(nudged_at(-settings.eps), "Lossm", params, blank, filled)
            grad = (nudged - minus) / (2 * settings.eps)
        else:
            grad = (nudged - loss) / settings.eps
        accuracy = float(np.trace(confusion)) / n
    return replace(v, rows=rows, loss=loss, nudged=nudged, nudged_minus=minus, grad=_shown(grad, "grad", params, blank, filled),
                   dloss_dt=(loss - state.prev_loss) / settings.eps, next=_shown(v.next, "next", params, blank, filled),
                   accuracy=accuracy, confusion=confusion)


def _class_and_feature(p: int, k: int, C: int, model: str) -> tuple[int, int | None]:
    """(the class column, the input j or None for a bias) of parameter p, as Layout says."""
    if model != "softmax":
        return 0, (None if p == k else p)
    return (p - k * C, None) if p >= k * C else (p // k, p % k)


def _match_max(Z: np.ndarray, empty: list[bool]) -> np.ndarray:
    """MATCH(MAX(z_row), z_row, 0) with some z columns empty: MAX and MATCH skip them (MAX of
    none is 0); no match is #N/A (NaN)."""
    full = [c for c in range(Z.shape[1]) if not empty[c]]
    if not full:
        return np.full(Z.shape[0], np.nan)
    top = Z[:, full].max(axis=1)
    hit = Z[:, full] == top[:, None]
    unknown = np.isnan(top)  # a z the student filled: not known until the spreadsheet computes it
    return np.array([np.nan if u else full[int(np.argmax(h))] + 1.0 for h, u in zip(hit, unknown)])


def _confusion(pred: np.ndarray, y: np.ndarray, C: int, first: int) -> np.ndarray:
    """The confusion table's counts from the pred column as shown (its class numbers start at
    `first`); all NaN (#N/A) when a pred cell is."""
    if np.isnan(pred).any():
        return np.full((C, C), np.nan)
    return np.array([[float(np.sum((y == i) & (pred == j + first))) for j in range(C)] for i in range(C)])


def model_X(dataset: Dataset, settings: Settings) -> np.ndarray:
    """The x the model learns from: the data's columns, rescaled when --scale asks for it."""
    return scale_columns(dataset.X, settings.scale)[0] if settings.scale != "none" else dataset.X
