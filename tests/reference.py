"""What every named cell of a gradsheet workbook must hold, by the numpy model, and how
closely a spreadsheet engine must agree with it."""

from __future__ import annotations

import numpy as np

from gradsheet import model
from gradsheet.layout import feature_names, param_names

LOSS_RTOL = 1e-9  # LibreOffice sums with compensation, numpy pairwise: both near 1e-15


def expected_names(X, y, theta, prev_loss, dloss, lr, eps, diff=model.FORWARD) -> dict:
    """Contract name -> the model's value (arrays for the column names)."""
    theta = np.asarray(theta, dtype=float)
    k = X.shape[1]
    params = param_names(k)
    h = model.predict(X, theta)
    loss = model.loss(X, y, theta)
    nudged = model.nudged_losses(X, y, theta, eps)
    grad = model.gradient(X, y, theta, eps, diff)
    out = {"h": h, "y": y, "Loss": loss, "prevLoss": prev_loss, "lr": lr, "eps": eps,
           "dLoss_dt": (loss - prev_loss) / eps}
    for j, name in enumerate(feature_names(k)):
        out[name] = X[:, j]
    for p, name in enumerate(params):
        out[name] = theta[p]
        out[f"Loss_{name}"] = nudged[p]
        out[f"grad_{name}"] = grad[p]
        out[f"dLoss_d{name}"] = dloss[p]
        out[f"next_{name}"] = theta[p] - lr * dloss[p]
    exact = model.exact_gradient(X, y, theta)
    for p, name in enumerate(params):
        out[f"exact_grad_{name}"] = exact[p]
        out[f"fd_error_{name}"] = grad[p] - exact[p]
    best = model.best_theta(X, y)
    if model.unique_answer(X):  # otherwise the sheet says so in words (test_edge_tables)
        for p, name in enumerate(params):
            out[f"best_{name}"] = best[p]
        out["best_Loss"] = model.loss(X, y, best)
        out["best_dist"] = float(np.sqrt(np.sum((theta - best) ** 2)))
    # how exactly a least-squares answer is determined: rounding times the condition number
    A = np.column_stack([X, np.ones(len(y))])
    out["_best_scale"] = 1e-13 * np.linalg.cond(A) * max(1.0, float(np.abs(best).max()))
    out["_y2"] = float(np.mean(y * y))
    if diff == model.CENTRAL:
        for p, value in enumerate(model.nudged_losses(X, y, theta, -eps)):
            out[f"Lossm_{params[p]}"] = value
    return out


def tolerance(name: str, expected: dict) -> tuple[float, float]:
    """(rtol, atol) for one name. Gradients are differences of near-equal losses divided
    by eps (by 2·eps for central), so their error is the losses' error scaled by 1/eps."""
    loss_scale = max(abs(expected["Loss"]), max(abs(v) for n, v in expected.items()
                                                if n.startswith(("Loss_", "Lossm_"))))
    if name.startswith("fd_error_"):  # grad − exact: the gradient's error dominates
        name = "grad_"
    if name.startswith("best_") and name != "best_Loss" or name == "best_dist":
        return 1e-9, expected["_best_scale"]
    if name == "best_Loss":  # quadratic in the answer's error, so tiny whatever the data
        return 1e-9, 1e-9 * expected["_y2"]
    if name.startswith("exact_grad_"):
        return 1e-9, 1e-9 * max(abs(v) for n, v in expected.items() if n.startswith("exact_grad_"))
    if name.startswith(("grad_", "fd_error_")) or name == "dLoss_dt":
        return 0.0, 4 * LOSS_RTOL * max(loss_scale, abs(expected.get("prevLoss", 0))) / expected["eps"]
    if name.startswith("Loss") or name == "prevLoss":
        return LOSS_RTOL, 1e-300
    return 1e-12, 1e-12


def assert_matches(got: dict, expected: dict) -> None:
    """Every expected name is present and equal within its tolerance."""
    bad = []
    for name, want in expected.items():
        if name.startswith("_"):
            continue  # scales for the tolerances, not names
        rtol, atol = tolerance(name, expected)
        have = np.asarray(got[name], dtype=float)
        if have.size == np.size(want):  # a one-row column reads back as a single cell
            have = have.reshape(np.shape(want))
        if have.shape != np.shape(want) or not np.allclose(have, want, rtol=rtol, atol=atol):
            bad.append(f"{name}: workbook {got[name]!r} != model {want!r} (rtol {rtol}, atol {atol:g})")
    assert not bad, "\n".join(bad)


def three_feature_csv(path, n=40, seed=7):
    """A table with features on different scales and a known linear target plus noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 10, n), rng.uniform(-50, 50, n), rng.uniform(0, 1, n)])
    y = 1.5 * X[:, 0] - 0.2 * X[:, 1] + 4 * X[:, 2] + 3 + rng.normal(0, 0.5, n)
    lines = ["면적,거리,비율,가격"] + [",".join(f"{v:.6g}" for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
