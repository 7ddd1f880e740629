"""The hidden-layer model spec (`--hidden H`): one layer of H units between the inputs and the
output the target asks for (h with mean squared error, logistic, or softmax), each method's
numpy beside the Excel text of the same maths, as in models.py.

    zh_j = Σ_i x_i·Wh_i_j + Bh_j          a_j = act(zh_j)
    h (or z, z_c) = Σ_j a_j·Wo_j(_c) + Bo(_c), then the output model's own columns

theta = [Wh_1_1 … Wh_k_1, Wh_1_2 … Wh_k_H, Bh_1 … Bh_H, Wo_1 … Wo_H (softmax: Wo_1_1 … Wo_H_1,
Wo_1_2 … Wo_H_C), Bo (softmax: Bo_1 … Bo_C)]: unit by unit, then class by class.

Loss_P is exact, never linearised: nudging a hidden weight Wh_i_j recomputes unit j's activation
in every row, act(zh_j + eps·x_i), and moves the output by Wo_j·(that − a_j); nudging an output
weight moves it by eps·a_j. The loss of the moved output is then written in the output model's
difference form (MSE: the mean of (h + d − y)²; cross-entropy: Loss + the exact change
ln(1 + Σ_c p_c·(e^d_c − 1)) − Σ_c y_c·d_c), one pass over the rows per parameter.

The exact slope is backpropagation, as columns a student can read: dzh_j = (the output's error)
· Wo_j · act'(zh_j) per row, then exact_grad_Wh_i_j = mean of dzh_j·x_i.
"""

from __future__ import annotations

import numpy as np

from .a1 import xl_col_to_name
from .models import LogisticBCE, Model, SoftmaxCE, nudged_ce_text

ACTIVATIONS = ("tanh", "sigmoid", "relu", "swish")
DEFAULT_ACTIVATION = "tanh"
MAX_HIDDEN = 20  # units: three columns each per data row, and k + 2 parameters (more classes: more)


# --- the activations: numpy, the row formula, the array form inside SUMPRODUCT, the slope -----
def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1/(1 + e^−z) without overflow: e^min(z,0) / (1 + e^−|z|)."""
    return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """a = act(z)   tanh: TANH(z); sigmoid: e^min(z,0)/(1+e^−|z|); relu: max(z, 0); swish: z·sigmoid(z)"""
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "relu":
        return np.maximum(z, 0)
    return z * _sigmoid(z)


def slope(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """act'(z), from z and a = act(z): tanh 1 − a²; sigmoid a·(1 − a); relu 1 where z > 0;
    swish s + a·(1 − s) with s = sigmoid(z)."""
    if name == "tanh":
        return 1 - a * a
    if name == "sigmoid":
        return a * (1 - a)
    if name == "relu":
        return (z > 0).astype(float)
    s = _sigmoid(z)
    return s + a * (1 - s)


def _excel_sigmoid(u: str, array: bool) -> str:
    # inside SUMPRODUCT, MIN would take the whole column: (u − |u|)/2 is min(u, 0) exactly
    low = f"({u}-ABS({u}))/2" if array else f"MIN({u},0)"
    return f"EXP({low})/(1+EXP(-ABS({u})))"


def excel_activate(name: str, u: str, array: bool = False) -> str:
    """act(u) as Excel text; `array`: u is a column inside SUMPRODUCT (no MAX/MIN there)."""
    if name == "tanh":
        return f"TANH({u})"
    if name == "sigmoid":
        return _excel_sigmoid(u, array)
    if name == "relu":
        return f"({u}+ABS({u}))/2" if array else f"MAX({u},0)"
    return f"{u}*{_excel_sigmoid(u, array)}"


def excel_slope(name: str, z: str, a: str) -> str:
    """act'(zh) of one row from its zh and a cells."""
    if name == "tanh":
        return f"(1-{a}^2)"
    if name == "sigmoid":
        return f"{a}*(1-{a})"
    if name == "relu":
        return f"IF({z}>0,1,0)"
    s = _excel_sigmoid(z, False)
    return f"({s}+{a}*(1-{s}))"


class HiddenNet(Model):
    """One hidden layer of H units, then the output model `output` ("linear", "logistic",
    "softmax"). `name` is the output model's, so what depends on the loss alone (the race's
    curvature share, the targets) reads as before."""

    def __init__(self, output: str = "linear", classes: int = 0, hidden: int = 1,
                 activation: str = DEFAULT_ACTIVATION):
        self.name = output
        self.hidden = hidden
        self.activation = activation
        self.classes = classes
        self.C = classes if output == "softmax" else 1  # outputs per row

    @property
    def classifier(self) -> bool:
        return self.name != "linear"

    @property
    def EXCEL_LOSS(self) -> str:  # noqa: N802  (the other specs' class constant)
        return "=SUM(ce)/ROWS(ce)" if self.classifier else "=SUM(sqerr)/ROWS(sqerr)"

    def size(self, k: int) -> int:
        H, C = self.hidden, self.C
        return k * H + H + H * C + C

    # --- forward -----------------------------------------------------------------------
    def split(self, theta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(Wh as k×H, Bh as H, Wo as H×C, Bo as C) from the flat parameter vector."""
        H, C = self.hidden, self.C
        theta = np.asarray(theta, dtype=float)
        Wh = theta[:k * H].reshape(H, k).T
        Bh = theta[k * H:k * H + H]
        Wo = theta[k * H + H:k * H + H + H * C].reshape(C, H).T
        return Wh, Bh, Wo, theta[k * H + H + H * C:]

    def hidden_layer(self, X: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Zh, A): zh_j = Σ_i x_i·Wh_i_j + Bh_j (added left to right, as the row formula) and a_j."""
        Wh, Bh, _, _ = self.split(theta, X.shape[1])
        Zh = np.empty((X.shape[0], self.hidden))
        for j in range(self.hidden):
            s = X[:, 0] * Wh[0, j]
            for i in range(1, X.shape[1]):
                s = s + X[:, i] * Wh[i, j]
            Zh[:, j] = s + Bh[j]
        return Zh, activate(self.activation, Zh)

    def outputs(self, A: np.ndarray, theta: np.ndarray, k: int) -> np.ndarray:
        """n×C: Σ_j a_j·Wo_j_c + Bo_c, added left to right."""
        _, _, Wo, Bo = self.split(theta, k)
        out = np.empty((A.shape[0], self.C))
        for c in range(self.C):
            s = A[:, 0] * Wo[0, c]
            for j in range(1, self.hidden):
                s = s + A[:, j] * Wo[j, c]
            out[:, c] = s + Bo[c]
        return out

    def logits(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """The output's z (logistic: a vector; softmax: n×C), for accuracy and confusion."""
        Z = self.outputs(self.hidden_layer(X, theta)[1], theta, X.shape[1])
        return Z[:, 0] if self.C == 1 else Z

    def predict(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """h of a regression network."""
        return self.outputs(self.hidden_layer(X, theta)[1], theta, X.shape[1])[:, 0]

    def one_hot(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=int)[:, None] == np.arange(self.C)).astype(float)

    def _row_losses(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.name == "linear":
            r = Z[:, 0] - y
            return r * r
        if self.name == "logistic":
            return LogisticBCE.row_losses(Z[:, 0], y)
        return SoftmaxCE.row_losses(Z, self.one_hot(y))

    def loss(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        """Excel: =SUM(sqerr)/ROWS(sqerr) (classifiers: ce)"""
        Z = self.outputs(self.hidden_layer(X, theta)[1], theta, X.shape[1])
        return float(np.mean(self._row_losses(Z, y)))

    # --- Loss_P ----------------------------------------------------------------------------
    def _moves(self, X: np.ndarray, theta: np.ndarray, eps: float, Zh: np.ndarray, A: np.ndarray):
        """For each parameter: (d, the n×C shift of the outputs when it is nudged by eps)."""
        k, H, C = X.shape[1], self.hidden, self.C
        _, _, Wo, _ = self.split(theta, k)
        n = X.shape[0]
        for j in range(H):  # Wh_1_j … Wh_k_j
            for i in range(k):
                delta = activate(self.activation, Zh[:, j] + eps * X[:, i]) - A[:, j]
                yield delta[:, None] * Wo[j][None, :]
        for j in range(H):  # Bh_j
            delta = activate(self.activation, Zh[:, j] + eps) - A[:, j]
            yield delta[:, None] * Wo[j][None, :]
        for c in range(C):  # Wo_j_c, class by class
            for j in range(H):
                d = np.zeros((n, C))
                d[:, c] = eps * A[:, j]
                yield d
        for c in range(C):  # Bo_c
            d = np.zeros((n, C))
            d[:, c] = eps
            yield d

    def nudged_losses(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float) -> np.ndarray:
        """Loss with P + eps for every P, exactly (the activations recomputed), in the sheet's
        difference form: MSE mean((h + d − y)²); logistic Loss + mean(ln(1 + p(e^d − 1)) − d·y);
        softmax Loss + mean(ln(1 + Σ_c p_c(e^d_c − 1)) − Σ_c y_c·d_c)."""
        Zh, A = self.hidden_layer(X, theta)
        Z = self.outputs(A, theta, X.shape[1])
        base = float(np.mean(self._row_losses(Z, y)))
        out = []
        if self.name == "linear":
            for d in self._moves(X, theta, eps, Zh, A):
                out.append(float(np.mean((Z[:, 0] + d[:, 0] - y) ** 2)))
            return np.array(out)
        if self.name == "logistic":
            p = LogisticBCE.probability(Z[:, 0])
            for d in self._moves(X, theta, eps, Zh, A):
                out.append(base + float(np.mean(np.log(1 + p * (np.exp(d[:, 0]) - 1)) - d[:, 0] * y)))
            return np.array(out)
        P, Y = SoftmaxCE.probability(Z), self.one_hot(y)
        for p, d in enumerate(self._moves(X, theta, eps, Zh, A)):
            # a hidden unit moves every class's output; an output parameter its own class only
            role, _, c = self.param_role(X.shape[1], p)
            moved = range(self.C) if role == "hidden" else [c]
            inside = np.ones(X.shape[0])
            for c in moved:
                inside = inside + P[:, c] * (np.exp(d[:, c]) - 1)
            change = sum(d[:, c] * Y[:, c] for c in moved)
            out.append(base + float(np.mean(np.log(inside) - change)))
        return np.array(out)

    # --- the exact slope: backpropagation --------------------------------------------------
    def _output_error(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dLoss/dz per row, times n: 2(h − y) for MSE, p − y (p_c − y_c) for cross-entropy."""
        if self.name == "linear":
            return 2 * (Z - y[:, None])
        if self.name == "logistic":
            return LogisticBCE.probability(Z) - y[:, None]
        return SoftmaxCE.probability(Z) - self.one_hot(y)

    def deltas(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """dzh_j per row: the output's error · Wo_j (summed over the classes) · act'(zh_j)."""
        Zh, A = self.hidden_layer(X, theta)
        Z = self.outputs(A, theta, X.shape[1])
        E = self._output_error(Z, y)
        _, _, Wo, _ = self.split(theta, X.shape[1])
        back = np.zeros_like(Zh)
        for c in range(self.C):
            back = back + E[:, c:c + 1] * Wo[:, c][None, :]
        return back * slope(self.activation, Zh, A)

    def exact_gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
        n, k = X.shape
        Zh, A = self.hidden_layer(X, theta)
        Z = self.outputs(A, theta, k)
        E = self._output_error(Z, y)
        D = self.deltas(X, y, theta)
        g = [float(np.dot(D[:, j], X[:, i])) / n for j in range(self.hidden) for i in range(k)]
        g += [float(D[:, j].sum()) / n for j in range(self.hidden)]
        g += [float(np.dot(E[:, c], A[:, j])) / n for c in range(self.C) for j in range(self.hidden)]
        g += [float(E[:, c].sum()) / n for c in range(self.C)]
        return np.array(g)

    # --- the sheet's columns ---------------------------------------------------------------
    def row_values(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
        """zh_j, a_j, the output model's columns (from the a_j), then dzh_j."""
        Zh, A = self.hidden_layer(X, theta)
        out = {f"zh_{j + 1}": Zh[:, j] for j in range(self.hidden)}
        out |= {f"a_{j + 1}": A[:, j] for j in range(self.hidden)}
        Z = self.outputs(A, theta, X.shape[1])
        if self.name == "linear":
            r = Z[:, 0] - y
            out |= {"h": Z[:, 0], "sqerr": r * r}
        elif self.name == "logistic":
            z = Z[:, 0]
            out |= {"z": z, "p": LogisticBCE.probability(z), "p_true": LogisticBCE.probability((2 * y - 1) * z),
                    "ce": LogisticBCE.row_losses(z, y), "pred": (z >= 0).astype(float)}
        else:
            Y = self.one_hot(y)
            lse = SoftmaxCE.log_sum_exp(Z)
            P = np.exp(Z - lse[:, None])
            out |= {f"z_{c + 1}": Z[:, c] for c in range(self.C)}
            out |= {"lse": lse} | {f"p_{c + 1}": P[:, c] for c in range(self.C)}
            out |= {"p_true": (Y * P).sum(axis=1), "ce": lse - (Y * Z).sum(axis=1),
                    "pred": np.argmax(Z, axis=1) + 1.0}
        D = self.deltas(X, y, theta)
        return out | {f"dzh_{j + 1}": D[:, j] for j in range(self.hidden)}

    def excel_rows(self, layout) -> dict[str, str]:
        """The row formulas ({0} is the Excel row number)."""
        H, k = self.hidden, layout.k
        col = lambda name: f"{xl_col_to_name(layout.columns[name])}{{0}}"  # noqa: E731
        out = {}
        for j in range(1, H + 1):
            terms = [f"{col(x)}*Wh_{i}_{j}" for i, x in enumerate(layout.features, start=1)]
            out[f"zh_{j}"] = "=" + "+".join(terms) + f"+Bh_{j}"
        for j in range(1, H + 1):
            out[f"a_{j}"] = "=" + excel_activate(self.activation, col(f"zh_{j}"))
        outs = self.output_names(layout)
        for c, name in enumerate(outs):
            terms = [f"{col(f'a_{j}')}*{self.out_weight(j, c)}" for j in range(1, H + 1)]
            out[name] = "=" + "+".join(terms) + f"+{self.out_bias(c)}"
        if self.name == "linear":
            out["sqerr"] = f"=({col('h')}-{col('y')})^2"
            error = [f"2*({col('h')}-{col('y')})"]
        elif self.name == "logistic":
            z, y = col("z"), col("y")
            zs = f"(2*{y}-1)*{z}"
            out |= {"p": f"=EXP(MIN({z},0))/(1+EXP(-ABS({z})))",
                    "p_true": f"=EXP(MIN({zs},0))/(1+EXP(-ABS({zs})))",
                    "ce": f"=LN(1+EXP(-ABS({z})))+MAX({z},0)-{y}*{z}",
                    "pred": f"=IF({z}>=0,1,0)"}
            error = [f"({col('p')}-{y})"]
        else:
            first, last = xl_col_to_name(layout.columns["z_1"]), xl_col_to_name(layout.columns[f"z_{self.C}"])
            z_row = f"${first}{{0}}:${last}{{0}}"
            y_row = f"${xl_col_to_name(layout.columns['y_1'])}{{0}}:${xl_col_to_name(layout.columns[f'y_{self.C}'])}{{0}}"
            p_row = f"${xl_col_to_name(layout.columns['p_1'])}{{0}}:${xl_col_to_name(layout.columns[f'p_{self.C}'])}{{0}}"
            top, lse = f"MAX({z_row})", col("lse")
            out["lse"] = f"={top}+LN(" + "+".join(f"EXP({col(f'z_{c}')}-{top})" for c in range(1, self.C + 1)) + ")"
            out |= {f"p_{c}": f"=EXP({col(f'z_{c}')}-{lse})" for c in range(1, self.C + 1)}
            out |= {"p_true": f"=SUMPRODUCT({y_row},{p_row})", "ce": f"={lse}-SUMPRODUCT({y_row},{z_row})",
                    "pred": f"=MATCH({top},{z_row},0)"}
            error = [f"({col(f'p_{c}')}-{col(f'y_{c}')})" for c in range(1, self.C + 1)]
        for j in range(1, H + 1):
            back = "+".join(f"{e}*{self.out_weight(j, c)}" for c, e in enumerate(error))
            back = back if len(error) == 1 else f"({back})"
            out[f"dzh_{j}"] = f"={back}*{excel_slope(self.activation, col(f'zh_{j}'), col(f'a_{j}'))}"
        return out

    def output_names(self, layout) -> list[str]:
        if self.name == "linear":
            return ["h"]
        return ["z"] if self.name == "logistic" else [f"z_{c}" for c in range(1, self.C + 1)]

    def out_weight(self, j: int, c: int) -> str:
        """Wo_j (softmax: Wo_j_c) of unit j (1-based) and output c (0-based)."""
        return f"Wo_{j}" if self.C == 1 else f"Wo_{j}_{c + 1}"

    def out_bias(self, c: int) -> str:
        return "Bo" if self.C == 1 else f"Bo_{c + 1}"

    def param_role(self, k: int, p: int) -> tuple[str, int, int]:
        """('hidden', unit j, input i or −1 for Bh_j) or ('output', unit j or −1 for Bo, class c)
        of parameter p (all 0-based)."""
        H, C = self.hidden, self.C
        if p < k * H:
            return "hidden", p // k, p % k
        if p < k * H + H:
            return "hidden", p - k * H, -1
        q = p - k * H - H
        if q < H * C:
            return "output", q % H, q // H
        return "output", -1, q - H * C

    def excel_nudged_loss(self, layout, p: int, sign: str = "+") -> str:
        """Loss_P, exact. A hidden weight: unit j's activation recomputed in every row inside
        SUMPRODUCT, act(zh_j + eps·x_i), and the output moved by Wo_j·(that − a_j):
            MSE       =SUMPRODUCT((h+Wo_j*(TANH(zh_j+eps*x_i)-a_j)-y)^2)/ROWS(y)
            logistic  =Loss+SUMPRODUCT(LN(1+p*(EXP(d)-1))-(d)*y)/ROWS(y),  d = Wo_j*(…)
            softmax   =Loss+SUMPRODUCT(LN(1+p_1*(EXP(Wo_j_1*Δ)-1)+…)-Δ*(Wo_j_1*y_1+…))/ROWS(y_1)
        An output weight moves the output by eps·a_j (Bo: eps), as the models without a layer."""
        role, j, other = self.param_role(layout.k, p)
        eps = "eps" if sign == "+" else "-eps"
        if role == "hidden":
            u = f"zh_{j + 1}+{eps}" + ("" if other < 0 else f"*{layout.features[other]}")
            change = f"({excel_activate(self.activation, f'({u})', array=True)}-a_{j + 1})"
            if self.name == "linear":
                return f"=SUMPRODUCT((h+Wo_{j + 1}*{change}-y)^2)/ROWS(y)"
            if self.name == "logistic":
                return nudged_ce_text("Loss", "p", f"Wo_{j + 1}*{change}", "y")
            inside = "+".join(f"p_{c}*(EXP({self.out_weight(j + 1, c - 1)}*{change})-1)" for c in range(1, self.C + 1))
            targets = "+".join(f"{self.out_weight(j + 1, c - 1)}*y_{c}" for c in range(1, self.C + 1))
            return f"=Loss+SUMPRODUCT(LN(1+{inside})-{change}*({targets}))/ROWS(y_1)"
        c = other
        d = eps if j < 0 else f"{eps}*a_{j + 1}"
        if self.name == "linear":
            return f"=SUMPRODUCT((h+{d}-y)^2)/ROWS(y)"
        if self.name == "logistic":
            return nudged_ce_text("Loss", "p", d, "y")
        return nudged_ce_text("Loss", f"p_{c + 1}", d, f"y_{c + 1}")

    def excel_exact_grad(self, layout, p: int) -> str:
        """Backpropagation: hidden =SUMPRODUCT(dzh_j,x_i)/ROWS(dzh_j) (Bh_j: SUM);
        output: MSE =2/ROWS(y)*SUMPRODUCT(h-y,a_j), cross-entropy =SUMPRODUCT(p_c-y_c,a_j)/ROWS(y_c)."""
        role, j, other = self.param_role(layout.k, p)
        if role == "hidden":
            if other < 0:
                return f"=SUM(dzh_{j + 1})/ROWS(dzh_{j + 1})"
            return f"=SUMPRODUCT(dzh_{j + 1},{layout.features[other]})/ROWS(dzh_{j + 1})"
        a = "" if j < 0 else f",a_{j + 1}"
        if self.name == "linear":
            return f"=2/ROWS(y)*SUMPRODUCT(h-y{a})"
        if self.name == "logistic":
            return f"=SUMPRODUCT(p-y{a})/ROWS(y)"
        return f"=SUMPRODUCT(p_{other + 1}-y_{other + 1}{a})/ROWS(y_{other + 1})"


def param_names(k: int, output: str, classes: int, hidden: int) -> list[str]:
    """Wh_i_j (unit by unit), Bh_j, Wo_j (softmax: Wo_j_c, class by class), Bo (Bo_c). The input
    index is always written (Wh_1_j for one input too), so a name says which input and which unit."""
    C = classes if output == "softmax" else 1
    names = [f"Wh_{i}_{j}" for j in range(1, hidden + 1) for i in range(1, k + 1)]
    names += [f"Bh_{j}" for j in range(1, hidden + 1)]
    if C == 1:
        return names + [f"Wo_{j}" for j in range(1, hidden + 1)] + ["Bo"]
    return (names + [f"Wo_{j}_{c}" for c in range(1, C + 1) for j in range(1, hidden + 1)]
            + [f"Bo_{c}" for c in range(1, C + 1)])


def computed_columns(output_columns: list[str], hidden: int) -> list[str]:
    """The data block's formula columns: zh_j, a_j, the output model's, then dzh_j."""
    H = range(1, hidden + 1)
    return [f"zh_{j}" for j in H] + [f"a_{j}" for j in H] + output_columns + [f"dzh_{j}" for j in H]


def distinct_units(theta: np.ndarray, k: int, hidden: int) -> bool:
    """No two hidden units start with the same weights and bias: such units get the same slope
    every step and stay equal for ever (the layer would work as one unit)."""
    W = np.asarray(theta[:k * hidden]).reshape(hidden, k)
    units = np.column_stack([W, theta[k * hidden:k * hidden + hidden]])
    return len({tuple(u) for u in units.tolist()}) == hidden
