"""The model specs: the single source of every number in a gradsheet workbook, each method's
numpy beside the Excel text of the same maths (micrograd's rule, applied to both versions).

A model says how h is predicted from x and the parameters theta = [W_1 … W_k, B], how far h is
from y (Loss, and Loss with one parameter nudged by eps), its exact derivative, and its best
answer where one exists. The numerical derivative (Loss_P − Loss)/eps is the same for every
model. Tests recalculate the workbook in LibreOffice and compare both sides.
"""

from __future__ import annotations

import numpy as np

from .a1 import xl_col_to_name
from .optimizers import GD, HYPER_DEFAULTS

FORWARD, CENTRAL = "forward", "central"

# A descent "diverges" when Loss grows this many times past its natural scale (see
# loss_limit). Waiting for inf is not enough: far from the answer, (Loss_P − Loss)/eps
# cancels to noise and the numbers wander chaotically without ever overflowing.
BLOWUP = 1e6


class Model:
    """What every model shares: the numerical derivative of its Loss."""
    name = ""

    def loss(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        raise NotImplementedError

    def nudged_losses(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float,
                 diff: str = FORWARD, base_loss: float | None = None) -> np.ndarray:
        """grad_P, the numerical derivative.
        forward: (Loss_P − Loss) / eps           Excel: =(Loss_W-Loss)/eps
        central: (Loss_P − Lossm_P) / (2·eps)    Excel: =(Loss_W-Lossm_W)/(2*eps)"""
        if diff == CENTRAL:
            return (self.nudged_losses(X, y, theta, eps) - self.nudged_losses(X, y, theta, -eps)) / (2 * eps)
        if base_loss is None:
            base_loss = self.loss(X, y, theta)
        return (self.nudged_losses(X, y, theta, eps) - base_loss) / eps

    @staticmethod
    def excel_grad(layout, p: int) -> str:
        name = layout.params[p]
        if "Lossm" in layout.param_columns:
            return f"=(Loss_{name}-Lossm_{name})/(2*eps)"
        return f"=(Loss_{name}-Loss_batch)/eps" if layout.batch else f"=(Loss_{name}-Loss)/eps"


class LinearMSE(Model):
    """h = W·x + B, Loss = mean of (h − y)²: the course's lesson."""
    name = "linear"

    @staticmethod
    def predict(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """h = W·x + B"""
        return X @ theta[:-1] + theta[-1]

    @staticmethod
    def excel_h(layout) -> str:
        """=W*A5+B, or =W_1*A5+W_2*B5+B ({0} is the Excel row number). A template, because
        the writer fills it for every one of up to a million rows."""
        terms = [f"{w}*{xl_col_to_name(layout.columns[x])}{{0}}"
                 for w, x in zip(layout.params[:-1], layout.features)]
        return "=" + "+".join(terms) + "+B"

    @staticmethod
    def excel_row_loss(layout) -> str:
        """(h − y)² of one row ({0} is the Excel row number)."""
        return f"=({xl_col_to_name(layout.columns['h'])}{{0}}-{xl_col_to_name(layout.columns['y'])}{{0}})^2"

    @staticmethod
    def loss_of(h: np.ndarray, y: np.ndarray) -> float:
        """Loss = mean of (h − y)²"""
        r = h - y
        return float(np.mean(r * r))

    EXCEL_LOSS = "=SUM(sqerr)/ROWS(sqerr)"

    def row_values(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
        """The data block's computed columns (layout.computed), the row formulas' numbers."""
        h = self.predict(X, theta)
        r = h - y
        return {"h": h, "sqerr": r * r}

    def excel_rows(self, layout) -> dict[str, str]:
        """The same columns' row formulas ({0} is the Excel row number)."""
        return {"h": self.excel_h(layout), "sqerr": self.excel_row_loss(layout)}

    def loss(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        return self.loss_of(self.predict(X, theta), y)

    def nudged_losses(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float) -> np.ndarray:
        """Loss_P: the loss with one parameter P nudged to P + eps, for every P. Nudging W_j by
        eps moves every prediction by eps·x_j (B: by eps). eps may be negative (central
        differences use P − eps)."""
        return _nudged(X, self.predict(X, theta) - y, eps)

    @staticmethod
    def excel_nudged_loss(layout, p: int, sign: str = "+") -> str:
        """=SUMPRODUCT((h+eps*x_j-y)^2)/ROWS(y)      (B: h+eps)"""
        shift = "eps" if p == layout.k else f"eps*{layout.features[p]}"
        return f"=SUMPRODUCT((h{sign}{shift}-y)^2)/ROWS(y)"

    def exact_gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """The analytic derivative: 2/n · Σ (h − y)·x_j, and 2/n · Σ (h − y) for B."""
        return exact_from_residuals(X, self.predict(X, theta) - y)

    @staticmethod
    def excel_exact_grad(layout, p: int) -> str:
        if p == layout.k:
            return "=2/ROWS(y)*SUMPRODUCT(h-y)"
        return f"=2/ROWS(y)*SUMPRODUCT(h-y,{layout.features[p]})"

    @staticmethod
    def unique_answer(X: np.ndarray) -> bool:
        """Whether least squares has one answer: no input column repeats another (or the
        constant), and there are at least as many rows as parameters. Otherwise LINEST drops
        columns its own way (or fails) and no number could claim to be "the" answer."""
        A = np.column_stack([X, np.ones(X.shape[0])])
        return int(np.linalg.matrix_rank(A)) == A.shape[1]

    @staticmethod
    def best_theta(X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The least-squares answer gradient descent is heading for."""
        A = np.column_stack([X, np.ones(len(y))])
        return np.linalg.lstsq(A, y, rcond=None)[0]

    @staticmethod
    def excel_best(layout, p: int) -> str:
        """Least squares by LINEST, whose coefficients come in reverse column order (x_k … x_1,
        then the intercept). INDEX takes one without array entry."""
        first, last = layout.columns[layout.features[0]], layout.columns[layout.features[-1]]
        xs = f"${xl_col_to_name(first)}${layout.first_row + 1}:${xl_col_to_name(last)}${layout.last_row + 1}"
        column = layout.k + 1 if p == layout.k else layout.k - p
        return f"=INDEX(LINEST(y,{xs}),1,{column})"

    @staticmethod
    def excel_best_loss(layout) -> str:
        """The loss at the least-squares answer."""
        terms = [f"{x}*best_{w}" for w, x in zip(layout.params[:-1], layout.features)]
        return "=SUMPRODUCT((" + "+".join(terms) + "+best_B-y)^2)/ROWS(y)"


LINEAR = LinearMSE()

# The linear model's maths as plain functions, for the callers (and README users) that
# predate the specs.
predict, loss_of, loss = LINEAR.predict, LINEAR.loss_of, LINEAR.loss
nudged_losses, gradient, exact_gradient = LINEAR.nudged_losses, LINEAR.gradient, LINEAR.exact_gradient
unique_answer, best_theta = LINEAR.unique_answer, LINEAR.best_theta


def exact_from_residuals(X: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The linear model's exact gradient from the residuals r = h − y, whatever h is (the sheet's
    exact_grad_P reads the h column)."""
    n = r.size
    return np.append(2.0 / n * (X.T @ r), 2.0 / n * r.sum())


def nudged_from_residuals(X: np.ndarray, r: np.ndarray, eps: float) -> np.ndarray:
    """The linear model's Loss_P from the residuals r = h − y, whatever h is (the sheet's Loss_P
    reads the h column): the grader's reference, and an exercise's stored values."""
    return _nudged(X, r, eps)


def _nudged(X: np.ndarray, r: np.ndarray, eps: float, work: np.ndarray | None = None) -> np.ndarray:
    """nudged_losses from the residuals r = h − y (the descent keeps them between steps).
    `work` (shaped like r) spares a fresh allocation per parameter; same arithmetic."""
    d = np.empty_like(r) if work is None else work
    out = np.empty(X.shape[1] + 1)
    for j in range(X.shape[1]):
        np.multiply(X[:, j], eps, out=d)
        d += r
        out[j] = np.square(d, out=d).mean()
    np.add(r, eps, out=d)
    out[-1] = np.square(d, out=d).mean()
    return out


def step(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lr: float, eps: float,
         diff: str = FORWARD) -> np.ndarray:
    """One plain gradient-descent step from the numerical slope (core/optimizers.GD's update)."""
    g = gradient(X, y, theta, eps, diff)
    return GD.update(np.asarray(theta, dtype=float), g, {}, 0, lr, HYPER_DEFAULTS)[0]


def loss_limit(y: np.ndarray, first_loss: float) -> float:
    """The Loss past which a descent counts as diverging: BLOWUP times the larger of the
    descent's first Loss and mean(y²) (the Loss of all-zero parameters)."""
    return BLOWUP * max(first_loss, float(np.mean(y * y)), np.finfo(float).tiny)


def diverged(loss_value: float, theta: np.ndarray, limit: float) -> bool:
    return not (np.isfinite(loss_value) and np.all(np.isfinite(theta)) and loss_value <= limit)


def curvatures(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of the loss's Hessian 2/n·AᵀA (A = [X, 1]), ascending: how steep the loss
    is along each of its principal directions."""
    A = np.column_stack([X, np.ones(X.shape[0])])
    return np.linalg.eigvalsh(2.0 / X.shape[0] * (A.T @ A))


def curvature(X: np.ndarray) -> float:
    """Largest eigenvalue of the loss's Hessian: the steepest direction."""
    return float(curvatures(X)[-1])


def stable_lr(X: np.ndarray) -> float:
    """Plain gradient descent on a quadratic converges only for lr < 2 / curvature."""
    return 2.0 / curvature(X)


def most_progress(X: np.ndarray, lr: float, steps: int) -> float:
    """The largest share of Loss's excess over its minimum that `steps` gradient steps with
    learning rate lr can remove. Along a direction of curvature c each step multiplies the
    distance by (1 − lr·c), so that direction's part of the excess by (1 − lr·c)²; the
    fastest direction bounds the progress of them all."""
    fastest = float(np.min(np.abs(1.0 - lr * curvatures(X))))
    return 1.0 - fastest ** (2 * steps)


def suggest_lr(X: np.ndarray, limit: float | None = None) -> float:
    """A round learning rate (1, 2 or 5 × 10^k) safely below the stable limit (default:
    plain gradient descent's, 2 / curvature)."""
    return round_below(0.9 * (stable_lr(X) if limit is None else limit))


def round_below(top: float) -> float:
    """The largest of 1, 2 or 5 × 10^k not above `top` (a computed value one rounding short of
    such a number still counts as it)."""
    exp = int(np.floor(np.log10(top)))
    for mant in (5, 2, 1):
        if mant * 10.0 ** exp <= top * (1 + 1e-12):
            return float(f"{mant}e{exp}")
    return float(f"5e{exp - 1}")


# The cross-entropies' curvature is at most this share of the squared error's: their Hessian
# is (1/n)·Aᵀ diag(p(1 − p)) A ≤ ¼·(1/n)AᵀA for logistic (an eighth of 2/n·AᵀA), and for
# softmax diag(p) − ppᵀ ≤ ½ gives a quarter.
CURVATURE_SHARE = {"linear": 1.0, "logistic": 1 / 8, "softmax": 1 / 4}


def stable_lr_for(X: np.ndarray, optimizer: str, beta: float = 0.9, model: str = "linear") -> float | None:
    """The largest stable learning rate of an optimizer on this quadratic loss: plain gradient
    descent 2 / curvature, momentum (Keras's heavy ball) 2·(1 + beta) / curvature. RMSprop and
    Adam divide each step by the slope's own size, so no curvature limit applies: None.
    For a classifier the curvature is bounded (CURVATURE_SHARE), so the limit is safe there."""
    if optimizer in ("rmsprop", "adam"):
        return None
    return stable_lr(X) / CURVATURE_SHARE[model] * (1 + beta if optimizer == "momentum" else 1)


# --- classification -------------------------------------------------------------------------
# Both classification models take the class of row i as y[i] (logistic: 0/1; softmax: the
# class index 0…C−1, one-hot as Y on the sheet) and never show an error cell: EXP only ever
# sees a number ≤ 0 (or eps·x), LN a number ≥ 1 (or 1 + p·(e^d − 1) > 0). No clipping.

def _log1pexp_neg_abs(z: np.ndarray) -> np.ndarray:
    """ln(1 + e^−|z|)                       Excel: LN(1+EXP(-ABS(z)))"""
    return np.log(1 + np.exp(-np.abs(z)))


class CrossEntropy(Model):
    """What both classifiers' sheets share: Loss is the mean of the ce column, Loss_P and the
    exact slope have one Excel text each (excel_nudged_ce, excel_exact_ce)."""
    EXCEL_LOSS = "=SUM(ce)/ROWS(ce)"

    @staticmethod
    def excel_nudged_loss(layout, p: int, sign: str = "+") -> str:
        return excel_nudged_ce(layout, p, sign)

    @staticmethod
    def excel_exact_grad(layout, p: int) -> str:
        return excel_exact_ce(layout, p)


class LogisticBCE(CrossEntropy):
    """z = W·x + B, p = 1/(1 + e^−z), Loss = mean binary cross-entropy −[y ln p + (1−y) ln(1−p)]
    in the stable form ln(1 + e^−|z|) + max(z, 0) − y·z (natural log)."""
    name = "logistic"

    @staticmethod
    def logits(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """z = W·x + B                      Excel row: =W_1*A5+W_2*B5+B"""
        return X @ theta[:-1] + theta[-1]

    @staticmethod
    def probability(z: np.ndarray) -> np.ndarray:
        """p = e^min(z,0) / (1 + e^−|z|), which is 1/(1 + e^−z) without overflow.
        Excel: =EXP(MIN(z,0))/(1+EXP(-ABS(z)))"""
        return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))

    @staticmethod
    def row_losses(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Excel row: =LN(1+EXP(-ABS(z)))+MAX(z,0)-y*z"""
        return _log1pexp_neg_abs(z) + np.maximum(z, 0) - y * z

    def loss(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        """Excel: =SUM(ce)/ROWS(ce)"""
        return float(np.mean(self.row_losses(self.logits(X, theta), y)))

    def nudged_losses(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float) -> np.ndarray:
        """Loss with P + eps. Moving z by d = eps·x_j (B: eps) changes a row's loss by exactly
        ln(1 + p·(e^d − 1)) − y·d, so Loss_P = Loss + mean of that (no overflow, no LN(0)).
        Excel: see excel_nudged_ce"""
        z = self.logits(X, theta)
        p, base = self.probability(z), float(np.mean(self.row_losses(z, y)))
        columns = [X[:, j] for j in range(X.shape[1])] + [np.ones_like(y)]
        return np.array([base + float(np.mean(np.log(1 + p * (np.exp(eps * x) - 1)) - eps * x * y))
                         for x in columns])

    def exact_gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """mean of (p − y)·x_j, and mean of (p − y) for B.   Excel: =SUMPRODUCT(p-y,x_j)/ROWS(y)"""
        r = self.probability(self.logits(X, theta)) - y
        return np.append(X.T @ r / y.size, r.sum() / y.size)

    def row_values(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
        """z, p, p_true (the probability given to the row's own class: p for class 1, 1 − p
        for class 0, as p at (2y − 1)·z), ce and pred (1 when z ≥ 0, that is p ≥ 0.5)."""
        z = self.logits(X, theta)
        return {"z": z, "p": self.probability(z), "p_true": self.probability((2 * y - 1) * z),
                "ce": self.row_losses(z, y), "pred": (z >= 0).astype(float)}

    @staticmethod
    def excel_rows(layout) -> dict[str, str]:
        z, y = _col(layout, "z"), _col(layout, "y")
        zs = f"(2*{y}-1)*{z}"
        return {"z": _logits_text(layout, 0),
                "p": f"=EXP(MIN({z},0))/(1+EXP(-ABS({z})))",
                "p_true": f"=EXP(MIN({zs},0))/(1+EXP(-ABS({zs})))",
                "ce": f"=LN(1+EXP(-ABS({z})))+MAX({z},0)-{y}*{z}",
                "pred": f"=IF({z}>=0,1,0)"}


class SoftmaxCE(CrossEntropy):
    """z_c = Σ_j W_j_c·x_j + B_c, p_c = e^z_c / Σ e^z, Loss = mean of −ln p of the true class,
    in the stable form max(z) + ln Σ e^(z − max z) − z_true (log-sum-exp with the row maximum).
    theta = [W_1_1 … W_k_1, W_1_2 … W_k_C, B_1 … B_C]: the weights class by class, then biases."""
    name = "softmax"

    def __init__(self, classes: int = 3):
        self.C = classes

    @staticmethod
    def split(theta: np.ndarray, k: int, C: int) -> tuple[np.ndarray, np.ndarray]:
        """(W as k×C, B as C) from the flat parameter vector."""
        return theta[:k * C].reshape(C, k).T, theta[k * C:]

    def logits(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """z_c = Σ_j W_j_c·x_j + B_c        Excel row: =W_1_c*A5+W_2_c*B5+B_c"""
        W, B = self.split(theta, X.shape[1], self.C)
        return X @ W + B

    @staticmethod
    def log_sum_exp(z: np.ndarray) -> np.ndarray:
        """lse = max z + ln Σ e^(z − max z), the row's ln Σ e^z without overflow.
        Excel row: =MAX(z_row)+LN(EXP(z_1-MAX(z_row))+…+EXP(z_C-MAX(z_row))), the sum written
        out term by term: Gnumeric (and so, possibly, other engines) would evaluate a function
        of a range inside SUMPRODUCT at one cell only."""
        m = z.max(axis=1)
        e = np.exp(z - m[:, None])
        total = e[:, 0].copy()
        for c in range(1, z.shape[1]):  # left to right, as the written-out sum adds
            total += e[:, c]
        return m + np.log(total)

    @classmethod
    def probability(cls, z: np.ndarray) -> np.ndarray:
        """p_c = e^(z_c − lse)                Excel: =EXP(z_c-lse)"""
        return np.exp(z - cls.log_sum_exp(z)[:, None])

    @classmethod
    def row_losses(cls, z: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """lse − z_true.                     Excel row: =lse-SUMPRODUCT(y_row,z_row)"""
        return cls.log_sum_exp(z) - (Y * z).sum(axis=1)

    def one_hot(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=int)[:, None] == np.arange(self.C)).astype(float)

    def loss(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        """Excel: =SUM(ce)/ROWS(ce)"""
        return float(np.mean(self.row_losses(self.logits(X, theta), self.one_hot(y))))

    def nudged_losses(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float) -> np.ndarray:
        """Loss with P + eps. Moving z_c by d = eps·x_j (B_c: eps) changes a row's loss by exactly
        ln(1 + p_c·(e^d − 1)) − y_c·d.
        Excel: see excel_nudged_ce"""
        z, Y = self.logits(X, theta), self.one_hot(y)
        P, base = self.probability(z), float(np.mean(self.row_losses(z, Y)))
        k = X.shape[1]
        out = []
        for c in range(self.C):  # W_1_c … W_k_c
            out += [base + float(np.mean(np.log(1 + P[:, c] * (np.exp(eps * X[:, j]) - 1)) - eps * X[:, j] * Y[:, c]))
                    for j in range(k)]
        out += [base + float(np.mean(np.log(1 + P[:, c] * (np.exp(eps) - 1)) - eps * Y[:, c]))
                for c in range(self.C)]
        return np.array(out)

    def exact_gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """mean of (p_c − y_c)·x_j, and mean of (p_c − y_c) for B_c."""
        R = self.probability(self.logits(X, theta)) - self.one_hot(y)
        n = X.shape[0]
        return np.concatenate([(X.T @ R / n).T.ravel(), R.sum(axis=0) / n])

    def row_values(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
        """z_c, lse, p_c, p_true (Σ y_c·p_c), ce and pred (the class number 1…C of the largest z,
        the first one on a tie, as MATCH finds it)."""
        z, Y = self.logits(X, theta), self.one_hot(y)
        lse = self.log_sum_exp(z)
        P = np.exp(z - lse[:, None])
        out = {f"z_{c + 1}": z[:, c] for c in range(self.C)}
        out |= {"lse": lse} | {f"p_{c + 1}": P[:, c] for c in range(self.C)}
        return out | {"p_true": (Y * P).sum(axis=1), "ce": lse - (Y * z).sum(axis=1),
                      "pred": np.argmax(z, axis=1) + 1.0}

    @staticmethod
    def excel_rows(layout) -> dict[str, str]:
        zs, ps, ys = layout.per_class("z"), layout.per_class("p"), layout.targets
        z_row, p_row, y_row = (_row_range(layout, names) for names in (zs, ps, ys))
        top, lse = f"MAX({z_row})", _col(layout, "lse")
        out = {z: _logits_text(layout, c) for c, z in enumerate(zs)}
        out["lse"] = f"={top}+LN(" + "+".join(f"EXP({_col(layout, z)}-{top})" for z in zs) + ")"
        out |= {p: f"=EXP({_col(layout, z)}-{lse})" for z, p in zip(zs, ps)}
        return out | {"p_true": f"=SUMPRODUCT({y_row},{p_row})",
                      "ce": f"={lse}-SUMPRODUCT({y_row},{z_row})",
                      "pred": f"=MATCH({top},{z_row},0)"}


def predicted_class(model: Model, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The most probable class of each row (logistic: 1 when p ≥ 0.5, i.e. z ≥ 0; softmax: the
    first class of largest z, as MATCH(MAX(…),…,0) finds it)."""
    z = model.logits(X, theta)
    return (z >= 0).astype(int) if z.ndim == 1 else np.argmax(z, axis=1)


def accuracy(model: Model, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    return float(np.mean(predicted_class(model, X, theta) == np.asarray(y, dtype=int)))


def confusion(model: Model, X: np.ndarray, y: np.ndarray, theta: np.ndarray, C: int) -> np.ndarray:
    """C×C counts: rows the true class, columns the predicted one."""
    out = np.zeros((C, C), dtype=int)
    np.add.at(out, (np.asarray(y, dtype=int), predicted_class(model, X, theta)), 1)
    return out


# --- the classifiers' Excel texts and best Loss ------------------------------------------------
def _row_range(layout, names: list[str]) -> str:
    """The cells of one row across contiguous columns, e.g. $K{0}:$M{0}."""
    first, last = (xl_col_to_name(layout.columns[n]) for n in (names[0], names[-1]))
    return f"${first}{{0}}:${last}{{0}}"


def _col(layout, name: str) -> str:
    return f"{xl_col_to_name(layout.columns[name])}{{0}}"


def _logits_text(layout, c: int) -> str:
    """=W_1_c*A5+W_2_c*B5+B_c (logistic: =W*A5+B) for output c."""
    k = layout.k
    if layout.model == "softmax":
        ws, b = layout.params[c * k:(c + 1) * k], layout.params[k * layout.C + c]
    else:
        ws, b = layout.params[:k], layout.params[k]
    return "=" + "+".join(f"{w}*{_col(layout, x)}" for w, x in zip(ws, layout.features)) + f"+{b}"


def _nudge(layout, p: int, sign: str) -> str:
    j = layout.param_feature(p)
    shift = "eps" if j is None else f"eps*{layout.features[j]}"
    return shift if sign == "+" else f"-{shift}"


def excel_nudged_ce(layout, p: int, sign: str = "+") -> str:
    """Loss_P of a classifier, the closed form of LogisticBCE/SoftmaxCE.nudged_losses:
    =Loss+SUMPRODUCT(LN(1+p_c*(EXP(eps*x_j)-1))-(eps*x_j)*y_c)/ROWS(y_c)
    (the writer enters it as an array formula: see sheets/formulas.write_cell)."""
    c = layout.param_class(p)
    return nudged_ce_text("Loss", layout.per_class("p")[c], _nudge(layout, p, sign), layout.targets[c])


def nudged_ce_text(loss: str, p: str, d: str, y: str) -> str:
    """Loss with the logit of one class moved by d (an array) in closed form:
    =Loss+SUMPRODUCT(LN(1+p*(EXP(d)-1))-(d)*y)/ROWS(y). The 'All steps' sheet uses it too."""
    return f"={loss}+SUMPRODUCT(LN(1+{p}*(EXP({d})-1))-({d})*{y})/ROWS({y})"


def excel_exact_ce(layout, p: int) -> str:
    """mean of (p_c − y_c)·x_j:  =SUMPRODUCT(p_c-y_c,x_j)/ROWS(y_c)   (B_c: no x_j)"""
    c, j = layout.param_class(p), layout.param_feature(p)
    pc, yc = layout.per_class("p")[c], layout.targets[c]
    x = "" if j is None else f",{layout.features[j]}"
    return f"=SUMPRODUCT({pc}-{yc}{x})/ROWS({yc})"


def excel_confusion(layout, true: int, predicted: int) -> str:
    """Rows of class `true` predicted as `predicted` (0-based). pred holds logistic's 0/1 or
    softmax's class number 1…C."""
    if layout.model == "softmax":
        return f"=SUMPRODUCT({layout.targets[true]},--(pred={predicted + 1}))"
    return f"=SUMPRODUCT(--(y={true}),--(pred={predicted}))"


def excel_accuracy(layout) -> str:
    """The confusion table's diagonal over the number of rows."""
    r, c, _, _ = layout.confusion_span()
    diagonal = "+".join(xl_col_to_name(c + i) + str(r + i + 1) for i in range(layout.n_classes))
    return f"=({diagonal})/ROWS(pred)"


def best_classifier_loss(X: np.ndarray, y: np.ndarray, C: int) -> float | None:
    """The smallest cross-entropy any parameters reach, or None when no finite parameters
    reach it (some classes can be told apart perfectly: the descent makes W grow without
    end). Damped Newton on the multinomial model with class 1's outputs held at 0, which
    reaches every Loss the full model does (logistic is its 2-class case)."""
    n, k = X.shape
    A = np.column_stack([X, np.ones(n)])
    Y = (np.asarray(y, dtype=int)[:, None] == np.arange(C)).astype(float)
    m = k + 1
    V = np.zeros((m, C - 1))

    def value(V):
        Z = np.column_stack([np.zeros(n), A @ V])
        top = Z.max(axis=1)
        lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
        return float(np.mean(lse - (Y * Z).sum(axis=1))), Z, lse

    current, Z, lse = value(V)
    for _ in range(200):
        P = np.exp(Z - lse[:, None])[:, 1:]
        grad = (A.T @ (P - Y[:, 1:]) / n).T.ravel()  # class by class
        if np.max(np.abs(grad)) < 1e-11:
            break
        H = np.empty((C - 1, m, C - 1, m))
        for a in range(C - 1):
            for b in range(C - 1):
                w = P[:, a] * ((a == b) - P[:, b])
                H[a, :, b, :] = A.T @ (A * w[:, None]) / n
        H = H.reshape((C - 1) * m, (C - 1) * m)
        direction = np.linalg.lstsq(H, -grad, rcond=None)[0].reshape(C - 1, m).T
        step = 1.0
        while step > 1e-12:
            trial, tZ, tlse = value(V + step * direction)
            if trial <= current:
                break
            step /= 2
        else:
            break
        if current - trial <= 1e-16 * max(current, 1e-300) and step < 1:
            break
        V, current, Z, lse = V + step * direction, trial, tZ, tlse
    # A finite best has moderate logits; a separable class pushes them past any bound.
    if not np.isfinite(current) or np.max(np.abs(Z)) > 50:
        return None
    return current


def model_spec(name: str, classes: int = 0, hidden: int = 0, activation: str = "tanh") -> Model:
    """The model spec by name; softmax needs its number of classes. `hidden` units (> 0): a
    network with one hidden layer before that output (core/network.py)."""
    if hidden:
        from .network import HiddenNet
        return HiddenNet(name, classes, hidden, activation)
    if name == "softmax":
        return SoftmaxCE(classes)
    if name not in MODELS:
        raise KeyError(name)
    return MODELS[name]


LOGISTIC = LogisticBCE()
MODELS = {m.name: m for m in (LINEAR, LOGISTIC, SoftmaxCE())}
