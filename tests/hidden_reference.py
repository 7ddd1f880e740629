"""An independent reference for the hidden-layer workbooks (issue 19), written from the maths
with plain numpy and nothing of gradsheet's model code: the network's forward pass, its loss
(mean squared error, binary or categorical cross-entropy in numpy's own log-add-exp), the loss
with one parameter nudged recomputed from scratch, and the exact gradient by the chain rule in
matrix form.

Parameters in the contract's order: Wh_i_j unit by unit (input i fastest), Bh_j, then Wo_j
(softmax: Wo_j_c class by class, unit j fastest), Bo (Bo_c).
"""

from __future__ import annotations

import numpy as np


def act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 0.5 * (1 + np.tanh(z / 2))  # σ(z), another way round
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    return z * 0.5 * (1 + np.tanh(z / 2))


def act_slope(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        with np.errstate(over="ignore"):  # cosh overflows far out: the slope is 0 there
            return 1 / np.cosh(z) ** 2
    s = 0.5 * (1 + np.tanh(z / 2))
    if name == "sigmoid":
        return s * (1 - s)
    if name == "relu":
        return (z > 0).astype(float)
    return s + z * s * (1 - s)


def unpack(theta, k: int, H: int, C: int):
    theta = np.asarray(theta, dtype=float)
    Wh = np.array([[theta[j * k + i] for j in range(H)] for i in range(k)])  # k × H
    Bh = theta[k * H:k * H + H]
    Wo = np.array([[theta[k * H + H + c * H + j] for c in range(C)] for j in range(H)])  # H × C
    return Wh, Bh, Wo, theta[k * H + H + H * C:]


def forward(X, theta, k, H, C, activation):
    Wh, Bh, Wo, Bo = unpack(theta, k, H, C)
    Zh = X @ Wh + Bh
    A = act(activation, Zh)
    return Zh, A, A @ Wo + Bo


def outputs_of(kind: str, classes: int) -> int:
    return classes if kind == "softmax" else 1


def loss(X, y, theta, kind, H, activation, classes=0) -> float:
    k, C = X.shape[1], outputs_of(kind, classes)
    _, _, Z = forward(X, theta, k, H, C, activation)
    if kind == "linear":
        return float(np.mean((Z[:, 0] - y) ** 2))
    if kind == "logistic":
        z = Z[:, 0]
        return float(np.mean(np.logaddexp(0, z) - y * z))
    lse = np.logaddexp.reduce(Z, axis=1)
    return float(np.mean(lse - Z[np.arange(len(y)), y.astype(int)]))


def probabilities(Z, kind):
    if kind == "logistic":
        return 0.5 * (1 + np.tanh(Z / 2))
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def exact(X, y, theta, kind, H, activation, classes=0) -> np.ndarray:
    n, k = X.shape
    C = outputs_of(kind, classes)
    Wh, Bh, Wo, Bo = unpack(theta, k, H, C)
    Zh, A, Z = forward(X, theta, k, H, C, activation)
    if kind == "linear":
        G = 2 * (Z - y[:, None]) / n
    elif kind == "logistic":
        G = (probabilities(Z, kind) - y[:, None]) / n
    else:
        G = (probabilities(Z, kind) - np.eye(C)[y.astype(int)]) / n
    dWo, dBo = A.T @ G, G.sum(axis=0)
    Dh = (G @ Wo.T) * act_slope(activation, Zh)
    dWh, dBh = X.T @ Dh, Dh.sum(axis=0)
    return np.concatenate([dWh.T.ravel(), dBh, dWo.T.ravel(), dBo])


def deltas(X, y, theta, kind, H, activation, classes=0) -> np.ndarray:
    """The sheet's dzh_j columns: dLoss/dzh_j per row, times n."""
    n = X.shape[0]
    C = outputs_of(kind, classes)
    _, _, Wo, _ = unpack(theta, X.shape[1], H, C)
    Zh, A, Z = forward(X, theta, X.shape[1], H, C, activation)
    if kind == "linear":
        G = 2 * (Z - y[:, None])
    elif kind == "logistic":
        G = probabilities(Z, kind) - y[:, None]
    else:
        G = probabilities(Z, kind) - np.eye(C)[y.astype(int)]
    return (G @ Wo.T) * act_slope(activation, Zh)


def expected(X, y, theta, eps, kind, H, activation, classes=0) -> dict:
    theta = np.asarray(theta, dtype=float)
    base = loss(X, y, theta, kind, H, activation, classes)
    plus = np.array([loss(X, y, theta + eps * e, kind, H, activation, classes) for e in np.eye(theta.size)])
    C = outputs_of(kind, classes)
    Zh, A, Z = forward(X, theta, X.shape[1], H, C, activation)
    return {"Loss": base, "plus": plus, "grad": (plus - base) / eps,
            "exact": exact(X, y, theta, kind, H, activation, classes), "Zh": Zh, "A": A, "Z": Z,
            "D": deltas(X, y, theta, kind, H, activation, classes)}


def descent(X, y, theta, lr, eps, steps, kind, H, activation, classes=0) -> np.ndarray:
    """Plain gradient descent on the forward difference (Loss(P + eps) − Loss)/eps."""
    theta = np.array(theta, dtype=float)
    for _ in range(steps):
        base = loss(X, y, theta, kind, H, activation, classes)
        g = np.array([(loss(X, y, theta + eps * e, kind, H, activation, classes) - base) / eps
                      for e in np.eye(theta.size)])
        theta = theta - lr * g
    return theta
