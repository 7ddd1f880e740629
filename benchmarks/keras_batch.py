"""Mini-batches (--batch B) against Keras 3 (jax backend, CPU, float64): run once by hand, not in
CI (issue 20).

    /work/venv/bin/python benchmarks/keras_batch.py [--keras-python /work/kvenv/bin/python]

Measured on 2026-12-08 (Keras 3.15.1, jax 0.10.2 CPU, float64; gradsheet with the shuffle's reversal c), 75 s:

    (a) Keras optimizers on gradsheet's batches, 200 steps: max |Keras − gradsheet| per parameter (W…, B)

    case                                 fed gs                               own fd                               max|θ|  control: own fd, batch one step late
    lemonade B=2 table order gd           0.0e+00  0.0e+00                     4.0e-14  6.0e-13                     1.96   5.7e-02  1.4e-03
    lemonade B=2 table order momentum     0.0e+00  0.0e+00                     1.5e-11  3.4e-11                     3.43  
    lemonade B=2 table order rmsprop      0.0e+00  0.0e+00                     9.4e-15  2.0e-13                     1.11  
    lemonade B=2 table order adam         0.0e+00  0.0e+00                     1.0e-14  2.6e-13                     1.10  
    lemonade B=2 shuffled gd              0.0e+00  0.0e+00                     9.1e-12  9.6e-13                     2.26   7.7e-02  2.3e-03
    lemonade B=2 shuffled momentum        0.0e+00  0.0e+00                     1.6e-11  1.9e-10                     4.01  
    lemonade B=2 shuffled rmsprop         0.0e+00  0.0e+00                     3.3e-14  3.3e-13                     1.11  
    lemonade B=2 shuffled adam            0.0e+00  0.0e+00                     2.6e-14  2.7e-13                     1.10  
    lemonade B=3 table order gd           0.0e+00  0.0e+00                     2.3e-12  2.3e-12                     1.99   6.7e-02  1.6e-03
    lemonade B=3 table order momentum     0.0e+00  0.0e+00                     8.4e-12  8.2e-11                     3.76  
    lemonade B=3 table order rmsprop      0.0e+00  0.0e+00                     2.0e-14  2.9e-13                     1.11  
    lemonade B=3 table order adam         0.0e+00  0.0e+00                     1.8e-14  8.1e-13                     1.10  
    lemonade B=3 shuffled gd              0.0e+00  0.0e+00                     2.8e-13  3.1e-13                     2.14   2.4e-02  8.6e-04
    lemonade B=3 shuffled momentum        0.0e+00  0.0e+00                     1.0e-11  9.3e-11                     3.87  
    lemonade B=3 shuffled rmsprop         0.0e+00  0.0e+00                     9.4e-15  3.0e-13                     1.11  
    lemonade B=3 shuffled adam            0.0e+00  0.0e+00                     9.6e-15  1.3e-12                     1.10  
    lemonade B=4 table order gd           0.0e+00  0.0e+00                     2.3e-12  5.0e-13                     1.99   4.4e-02  1.1e-03
    lemonade B=4 table order momentum     0.0e+00  0.0e+00                     1.5e-11  1.3e-10                     3.68  
    lemonade B=4 table order rmsprop      0.0e+00  0.0e+00                     9.9e-15  4.5e-13                     1.11  
    lemonade B=4 table order adam         0.0e+00  0.0e+00                     1.1e-14  7.9e-13                     1.10  
    lemonade B=4 shuffled gd              0.0e+00  0.0e+00                     6.4e-14  8.8e-14                     2.00   6.5e-03  2.7e-04
    lemonade B=4 shuffled momentum        0.0e+00  0.0e+00                     8.7e-12  5.6e-11                     3.73  
    lemonade B=4 shuffled rmsprop         0.0e+00  0.0e+00                     1.0e-14  2.3e-13                     1.11  
    lemonade B=4 shuffled adam            0.0e+00  0.0e+00                     1.5e-14  2.4e-13                     1.10  
    exam B=2 table order gd               0.0e+00  0.0e+00  0.0e+00            1.4e-12  1.2e-12  1.7e-12            1.79   6.2e-02  5.5e-02  8.8e-02
    exam B=2 table order momentum         0.0e+00  0.0e+00  0.0e+00            8.2e-12  9.3e-12  1.1e-11            2.93  
    exam B=2 table order rmsprop          0.0e+00  0.0e+00  0.0e+00            6.3e-12  4.9e-12  6.3e-12            2.72  
    exam B=2 table order adam             0.0e+00  0.0e+00  0.0e+00            4.3e-12  4.4e-12  3.4e-12            2.40  
    exam B=2 shuffled gd                  0.0e+00  0.0e+00  0.0e+00            6.2e-13  2.2e-12  2.6e-12            1.77   6.3e-02  8.5e-02  8.4e-02
    exam B=2 shuffled momentum            0.0e+00  0.0e+00  0.0e+00            8.8e-12  8.8e-12  1.0e-11            3.23  
    exam B=2 shuffled rmsprop             0.0e+00  0.0e+00  0.0e+00            8.0e-12  9.5e-12  6.5e-12            3.01  
    exam B=2 shuffled adam                0.0e+00  0.0e+00  0.0e+00            7.3e-12  5.7e-12  4.0e-12            2.56  
    exam B=3 table order gd               0.0e+00  0.0e+00  0.0e+00            6.9e-13  8.9e-13  2.7e-12            1.77   4.1e-02  5.0e-02  8.3e-02
    exam B=3 table order momentum         0.0e+00  0.0e+00  0.0e+00            1.0e-11  1.0e-11  7.3e-12            2.70  
    exam B=3 table order rmsprop          0.0e+00  0.0e+00  0.0e+00            7.5e-12  6.2e-12  6.3e-12            2.51  
    exam B=3 table order adam             0.0e+00  0.0e+00  0.0e+00            4.0e-12  4.2e-12  4.1e-12            2.34  
    exam B=3 shuffled gd                  0.0e+00  0.0e+00  0.0e+00            7.8e-13  9.7e-13  2.3e-12            1.78   4.2e-02  5.1e-02  5.9e-02
    exam B=3 shuffled momentum            0.0e+00  0.0e+00  0.0e+00            7.4e-12  6.8e-12  7.5e-12            2.83  
    exam B=3 shuffled rmsprop             0.0e+00  0.0e+00  0.0e+00            1.1e-11  9.0e-12  4.7e-11            2.79  
    exam B=3 shuffled adam                0.0e+00  0.0e+00  0.0e+00            7.3e-12  6.7e-12  4.9e-12            2.47  
    three B=2 table order gd              0.0e+00  0.0e+00  0.0e+00  0.0e+00   2.5e-11  3.2e-11  1.4e-11  2.1e-11  11.51   1.5e+00  1.0e+00  7.4e-01  6.7e-01
    three B=2 table order momentum        0.0e+00  0.0e+00  0.0e+00  0.0e+00   2.4e-10  1.3e-10  2.9e-10  1.5e-10  18.38  
    three B=2 table order rmsprop         0.0e+00  0.0e+00  0.0e+00  0.0e+00   5.8e-12  9.7e-12  1.6e-11  3.6e-12   9.53  
    three B=2 table order adam            0.0e+00  0.0e+00  0.0e+00  0.0e+00   5.2e-12  1.1e-11  6.5e-12  6.3e-12   7.98  
    three B=2 shuffled gd                 0.0e+00  0.0e+00  0.0e+00  0.0e+00   2.5e-11  2.1e-11  4.3e-11  2.7e-11  11.57   7.7e-01  2.0e+00  9.3e-01  1.3e+00
    three B=2 shuffled momentum           0.0e+00  0.0e+00  0.0e+00  0.0e+00   3.4e-10  2.7e-10  2.8e-10  2.6e-10  19.79  
    three B=2 shuffled rmsprop            0.0e+00  0.0e+00  0.0e+00  0.0e+00   1.9e-11  9.9e-12  1.3e-11  6.4e-12   9.52  
    three B=2 shuffled adam               0.0e+00  0.0e+00  0.0e+00  0.0e+00   1.0e-11  1.2e-11  1.8e-11  1.3e-11   7.96  
    three B=3 table order gd              0.0e+00  0.0e+00  0.0e+00  0.0e+00   2.5e-11  1.8e-11  2.1e-11  4.4e-11  11.56   1.2e+00  9.8e-01  5.8e-01  7.9e-01
    three B=3 table order momentum        0.0e+00  0.0e+00  0.0e+00  0.0e+00   1.6e-10  1.2e-10  1.2e-10  1.1e-10  18.27  
    three B=3 table order rmsprop         0.0e+00  0.0e+00  0.0e+00  0.0e+00   5.6e-12  6.4e-12  1.1e-11  6.5e-12   9.68  
    three B=3 table order adam            0.0e+00  0.0e+00  0.0e+00  0.0e+00   9.4e-12  3.6e-12  9.5e-12  8.4e-12   8.09  
    three B=3 shuffled gd                 0.0e+00  0.0e+00  0.0e+00  0.0e+00   1.8e-11  5.0e-11  2.0e-11  2.5e-11  11.61   8.4e-01  1.7e+00  8.6e-01  1.1e+00
    three B=3 shuffled momentum           0.0e+00  0.0e+00  0.0e+00  0.0e+00   2.9e-10  1.7e-10  2.8e-10  2.0e-10  17.90  
    three B=3 shuffled rmsprop            0.0e+00  0.0e+00  0.0e+00  0.0e+00   8.6e-12  7.3e-12  1.0e-11  3.0e-12   9.81  
    three B=3 shuffled adam               0.0e+00  0.0e+00  0.0e+00  0.0e+00   1.2e-11  2.1e-11  1.9e-11  1.3e-11   8.16  

    (b) model.fit(X, y, batch_size=B, shuffle=False, epochs=E), exact slope, against gradsheet's forward difference (gd); fit−gs per parameter (W…, B), the rest the largest over the parameters

    case           E steps fit−gs                               gs−exact |…−pred| fit−exact fit64−ex   fd err  eps·c/2 ‖gs−ex‖₂    bound λ-ok
    lemonade B=2  67   201  7.0e-05  4.3e-04                     4.3e-04  3.5e-12   0.0e+00  0.0e+00  6.0e-02  6.0e-02  4.3e-04  1.0e-02 True
    lemonade B=3 100   200  7.0e-05  4.3e-04                     4.3e-04  3.0e-12   5.1e-08  2.2e-16  5.8e-02  5.8e-02  4.3e-04  1.0e-02 True
    lemonade B=4 100   200  7.0e-05  4.4e-04                     4.4e-04  3.3e-12   0.0e+00  0.0e+00  6.0e-02  6.0e-02  4.4e-04  1.1e-02 True
    exam B=2       7   210  4.3e-05  3.6e-05  4.6e-05            4.6e-05  7.9e-10   4.4e-16  4.4e-16  2.0e-05  2.0e-05  7.2e-05  2.2e-04 True
    exam B=3      10   200  4.2e-05  3.5e-05  4.6e-05            4.6e-05  7.6e-10   2.0e-08  6.7e-16  1.5e-05  1.5e-05  7.1e-05  2.1e-04 True
    exam B=32    100   200  4.1e-05  3.5e-05  4.6e-05            4.6e-05  7.5e-10   1.6e-08  2.2e-16  1.1e-05  1.1e-05  7.1e-05  2.0e-04 True
    three B=2     10   200  9.1e-05  6.9e-05  8.7e-05  5.4e-05   9.1e-05  1.8e-11   1.8e-15  1.8e-15  2.2e-04  2.2e-04  1.4e-04  2.2e-03 True
    three B=3     14   196  8.3e-05  6.8e-05  8.5e-05  5.9e-05   8.5e-05  2.9e-11   1.3e-07  1.8e-15  2.3e-04  2.3e-04  1.4e-04  2.1e-03 True
    three B=32   100   200  9.0e-05  6.0e-05  7.0e-05  6.0e-05   9.0e-05  1.6e-11   1.8e-15  1.8e-15  1.4e-04  1.4e-04  1.4e-04  2.2e-03 True

Read: (a) Keras's SGD, SGD(momentum), RMSprop and Adam fed the slopes gradsheet's engine used
land on gradsheet's parameters bit for bit after every one of 200 steps, table order and
shuffled, batches that divide n and short last batches (lemonade B=4: 4 + 2 rows; the 3-feature
table B=3: 13 × 3 + 1). Fed their own forward differences they drift by the rounding of those
differences only (≤ 6e-10, momentum's the largest: it sums ~1/(1 − β) slopes), while the
control, the same descent one batch late, is off by 5e-3 … 2 — the comparison sees the order.
(b) model.fit with shuffle=False takes the same batches as --no-shuffle (fit64−exact: Keras fit
with a float64 loss against the exact-slope descent on gradsheet's batches, ≤ 2e-15, short last
batches included); Keras's built-in losses divide by the batch size in float32 (fit−exact 2e-8 …
1e-7 where 1/B is not a power of two; 0 where it is). fit−gs, 4e-5 … 4e-4, is the forward
difference and nothing else: it equals gs−exact, which the recursion δ ← δ − lr·(H_b·δ + eps·
diag(H_b)/2) predicts to 1e-11 (MSE, where the forward difference's error is exactly eps·H_jj/2)
or 8e-10 (cross-entropy, to first order), each step's slope error is eps·c/2 as measured, and
‖gs−exact‖₂ stays under the non-expansive bound lr·Σ‖FD − exact‖₂ (3 to 24 times under it: the
stiff directions forget a step's error, e.g. lemonade's W ends 7e-5 off, about one step's
lr·eps·mean(x²) = 6e-5, while B, the slow direction, keeps 4e-4).

MEASURED

The gradsheet side (this interpreter, the project's venv, this checkout's gradsheet) loads the
tables and runs the engine: `steps.run` on a `steps.Problem` with `batches` (the rows each step
learns from, core/batches.py), from State.fresh at the preset's starting W, B. The Keras side (an
interpreter with keras and jax) gets the table, the start, lr, eps and the rows of every step, and:

(a) Keras's optimizers step by step on the same batches in the same order. For every step s the
    rows are gradsheet's `Batches.rows(s)` (table order with --no-shuffle; the shuffled order is
    gradsheet's own, Keras's shuffle being another generator's), and the gradient is the forward
    difference (Loss_P − Loss_batch)/eps over those rows. Two feeds:
      fed gs  the slope gradsheet's engine used at that step (model.gradient on the batch at
              gradsheet's parameters, as descent._descend_batches computes it): what is left is
              the optimizer's arithmetic, Keras's jax ops against gradsheet's Excel-text rules;
      own fd  Keras's own forward difference at its own weights (its Dense layer's forward pass,
              the loss in jax float64): a closed loop, so each step adds the rounding of a
              forward difference (~1e-16 · Loss/eps) and the two descents drift apart by it.
    Columns: the largest |Keras − gradsheet| of each parameter over every step (after each
    update), for keras.optimizers.SGD, SGD(momentum=0.9), RMSprop, Adam (Keras's defaults, the
    workbook's).

(b) model.fit(X, y, batch_size=B, shuffle=False, epochs=E) on Dense(1) (logistic: Dense(1,
    sigmoid) with binary_crossentropy) from the same W, B with SGD(lr): Keras's batches are table
    order with the last one short, as --no-shuffle's; its slope is jax's exact one. gradsheet runs
    E · ROUNDUP(n/B) steps. A callback records Keras's weights after every batch. Compared:
      fit−gs     the largest |W_fit − W_gs| (B likewise) over every step;
      gs−exact   gradsheet against the same descent with the exact slope (jax.grad of the
                 float64 loss on the batch, θ − lr·g, written out on the Keras side): the part of
                 fit−gs the forward difference makes;
      fit−exact  what is left: Keras's own rounding (its loss, its jit, its optimizer);
      fd err     the largest per-step slope error FD − exact over the steps (for MSE exactly
                 eps·mean_batch(x_j²), eps for B: eps · curvature/2, the curvature of Loss_batch
                 along P being 2·mean(x_j²));
      bound      lr · Σ_s ‖FD_s − exact_s‖₂: the largest ‖θ_gs − θ_exact‖₂ can be when every
                 batch's update θ − lr·∇L_b(θ) is non-expansive (lr ≤ 2/λmax of every batch's
                 Hessian, checked: "λ-ok"), since then each step's slope error is carried on
                 without growing. The measured ‖θ_gs − θ_exact‖₂ (max over steps) sits at or
                 under it.
    So "as close as the forward difference allows" reads: fit−gs ≈ gs−exact, fit−exact is
    rounding, and gs−exact ≤ bound.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = 200
OPTIMIZER_NAMES = ("gd", "momentum", "rmsprop", "adam")

# (a): table -> the batch sizes to try (shuffled and not, every optimizer)
STEP_CASES = {"lemonade": (2, 3, 4), "three": (2, 3), "exam": (2, 3)}
# (b): table -> the batch sizes for model.fit (32: Keras's default)
FIT_CASES = {"lemonade": (2, 3, 4), "three": (2, 3, 32), "exam": (2, 3, 32)}


def tables(folder: Path) -> dict:
    """name -> (X as the model sees it, y, model, lr, eps, seed): the course's lemonade, a
    3-feature table (tests/reference.three_feature_csv, standardised) and the exam preset."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from gradsheet.core.settings import Settings
    from gradsheet.data import presets
    from gradsheet.data.dataset import load
    from gradsheet.sheets.values import model_X
    from reference import three_feature_csv
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("lemonade", "exam"):
            o = presets.read(presets.find(name))
            d = load(o["data"], target=o.get("target"), features=o.get("features"), model=o.get("model"),
                     classes=o.get("classes"))
            s = Settings(scale=o.get("scale", "none"), model=d.model, classes=tuple(d.classes))
            out[name] = (model_X(d, s), d.y, d.model, o["lr"], o["eps"], o["seed"])
        d = load(three_feature_csv(folder / "three.csv"))
        out["three"] = (model_X(d, Settings(scale="standard")), d.y, "linear", 0.05, 1e-4, 1)
    return out


def gradsheet_side(folder: Path) -> dict:
    import numpy as np

    from gradsheet.core import models, steps
    from gradsheet.core.settings import Settings, State, initial_theta
    cases = {}
    for name, (X, y, model, lr, eps, seed) in tables(folder).items():
        n, k = X.shape
        theta = initial_theta(k, seed)
        spec = models.model_spec(model)
        base = {"table": name, "X": X.tolist(), "y": y.tolist(), "model": model, "lr": lr, "eps": eps,
                "theta": theta.tolist()}

        def engine(B, shuffle, optimizer, count):
            b = Settings(batch=B, shuffle=shuffle, seed=seed).batches(n)
            problem = steps.Problem(X, y, lr, eps, optimizer=optimizer, model=model,
                                    classes=2 if model == "logistic" else 0, batches=b)
            out = steps.run(problem, State.fresh(theta, optimizer), count)
            assert out.steps == count and out.divergence is None, (name, B, shuffle, optimizer)
            path = np.vstack([out.state.history[:, :-1], out.state.theta])  # θ before each step, and the end
            rows = [b.rows(s).tolist() for s in range(count)]
            grads = [spec.gradient(X[r], y[r], path[s], eps).tolist() for s, r in enumerate(rows)]
            return {"rows": rows, "path": path.tolist(), "grads": grads}

        for B in STEP_CASES.get(name, ()):
            for shuffle in (False, True):
                for o in OPTIMIZER_NAMES:
                    cases[f"step {name} B={B} {'shuffled' if shuffle else 'table order'} {o}"] = {
                        **base, "kind": "step", "B": B, "shuffle": shuffle, "optimizer": o,
                        **engine(B, shuffle, o, STEPS)}
        for B in FIT_CASES.get(name, ()):
            per_epoch = -(-n // B)
            epochs = max(1, round(STEPS / per_epoch))
            cases[f"fit {name} B={B}"] = {**base, "kind": "fit", "B": B, "epochs": epochs,
                                          **engine(B, False, "gd", epochs * per_epoch)}
    return cases


# --- the Keras side -------------------------------------------------------------------------------
def keras_side(cases: dict) -> dict:
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["JAX_ENABLE_X64"] = "1"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np
    keras.config.set_floatx("float64")

    def loss_fn(model):
        """The loss of logits (or h) z against t, float64 in jax: MSE or BCE from logits."""
        if model == "linear":
            return lambda t, z: jnp.mean((z - t) ** 2)
        return lambda t, z: jnp.mean(jax.nn.softplus(z) - t * z)

    def dense(k):
        return keras.Sequential([keras.Input((k,)), keras.layers.Dense(1)])

    def weights(theta, k):
        t = np.asarray(theta, dtype=float)
        return [t[:k].reshape(k, 1), t[k:]]

    def flat(variables):
        return np.concatenate([np.asarray(v.numpy(), dtype=float).ravel() for v in variables])

    def optimizer(name, lr):
        return {"gd": lambda: keras.optimizers.SGD(learning_rate=lr),
                "momentum": lambda: keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
                "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=lr, rho=0.9, epsilon=1e-7),
                "adam": lambda: keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999,
                                                      epsilon=1e-7)}[name]()

    report = {}
    for name, c in cases.items():
        X, y = np.array(c["X"]), np.array(c["y"])
        n, k = X.shape
        lr, eps = c["lr"], c["eps"]
        path = np.array(c["path"])
        rows = c["rows"]
        L = loss_fn(c["model"])
        if c["kind"] == "step":
            out = {}
            # the control: Keras's own forward difference on the batch one step late
            feeds = ("fed gs", "own fd", "late") if c["optimizer"] == "gd" else ("fed gs", "own fd")
            for feed in feeds:
                model = dense(k)
                model.set_weights(weights(c["theta"], k))
                variables = model.trainable_variables
                opt = optimizer(c["optimizer"], lr)
                opt.build(variables)

                def batch_loss(theta, r):
                    z, _ = model.stateless_call(weights(theta, k), [], jnp.asarray(X[r]))
                    return float(L(jnp.asarray(y[r])[:, None], z))
                worst = np.zeros(k + 1)
                for s, r in enumerate(rows):
                    if feed == "fed gs":
                        g = np.array(c["grads"][s])
                    else:
                        r = rows[max(s - 1, 0)] if feed == "late" else r
                        now = flat(variables)
                        base = batch_loss(now, r)
                        g = np.array([(batch_loss(now + eps * e, r) - base) / eps for e in np.eye(k + 1)])
                    opt.apply_gradients(zip([jnp.asarray(p) for p in weights(g, k)], variables))
                    worst = np.maximum(worst, np.abs(flat(variables) - path[s + 1]))
                out[feed] = worst.tolist()
            out["size"] = np.max(np.abs(path), axis=0).tolist()
            report[name] = out
            continue
        # (b) model.fit with its exact slope: Keras's built-in loss, and the same loss in float64 jax
        logistic = c["model"] == "logistic"

        def fitted(loss):
            model = keras.Sequential([keras.Input((k,)),
                                      keras.layers.Dense(1, activation="sigmoid" if logistic else None)])
            model.set_weights(weights(c["theta"], k))
            seen = []

            class Record(keras.callbacks.Callback):
                def on_train_batch_end(self, batch, logs=None):
                    seen.append(flat(self.model.trainable_variables))
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss)
            model.fit(X, y[:, None], batch_size=c["B"], shuffle=False, epochs=c["epochs"], verbose=0,
                      callbacks=[Record()])
            return np.vstack([c["theta"], *seen])
        fit = fitted("binary_crossentropy" if logistic else "mean_squared_error")
        if logistic:  # binary cross-entropy of the probabilities, float64
            fit64 = fitted(lambda t, p: -jnp.mean(t * jnp.log(p) + (1 - t) * jnp.log(1 - p)))
        else:
            fit64 = fitted(lambda t, h: jnp.mean((h - t) ** 2))
        # the exact-slope descent on gradsheet's batches, written out
        grad = jax.jit(jax.grad(lambda t, xb, yb: L(yb[:, None], xb @ t[:k, None] + t[k])))
        theta = np.array(c["theta"])
        exact, delta = [theta], np.zeros(k + 1)
        fd_err, theory, predicted, pred_err = (np.zeros(k + 1) for _ in range(4))
        bound, lam_ok = 0.0, True
        for s, r in enumerate(rows):
            g = np.asarray(grad(jnp.asarray(path[s]), jnp.asarray(X[r]), jnp.asarray(y[r])))
            diff = np.array(c["grads"][s]) - g  # gradsheet's slope against the exact one, at gradsheet's θ
            fd_err = np.maximum(fd_err, np.abs(diff))
            bound += lr * float(np.linalg.norm(diff))
            # the Hessian of Loss_batch at gradsheet's θ: MSE 2·mean(a aᵀ), BCE mean(p(1 − p) a aᵀ)
            A = np.column_stack([X[r], np.ones(len(r))])
            if logistic:
                p = 1 / (1 + np.exp(-(A @ path[s])))
                Hs = (A * (p * (1 - p))[:, None]).T @ A / len(r)
                top = 0.25 * np.linalg.eigvalsh(A.T @ A / len(r)).max()  # p(1 − p) ≤ 1/4, anywhere
            else:
                Hs = 2 * A.T @ A / len(r)
                top = np.linalg.eigvalsh(Hs).max()
            lam_ok &= bool(lr * top <= 2)
            e = eps / 2 * np.diag(Hs)  # the forward difference's leading error: eps · curvature / 2
            theory = np.maximum(theory, np.abs(e))
            delta = delta - lr * (Hs @ delta + e)  # how θ_gs − θ_exact carries it (MSE: exactly)
            predicted = np.maximum(predicted, np.abs(delta))
            theta = theta - lr * np.asarray(grad(jnp.asarray(theta), jnp.asarray(X[r]), jnp.asarray(y[r])))
            exact.append(theta)
            pred_err = np.maximum(pred_err, np.abs(path[s + 1] - theta - delta))
        exact = np.array(exact)
        report[name] = {
            "steps": len(rows), "epochs": c["epochs"], "recorded": len(fit) - 1,
            "fit_gs": np.max(np.abs(fit - path), axis=0).tolist(),
            "gs_exact": np.max(np.abs(path - exact), axis=0).tolist(),
            "predicted": predicted.tolist(), "pred_err": pred_err.tolist(),
            "fit_exact": np.max(np.abs(fit - exact), axis=0).tolist(),
            "fit64_exact": np.max(np.abs(fit64 - exact), axis=0).tolist(),
            "fd_err": fd_err.tolist(), "theory": theory.tolist(),
            "gs_exact_norm": float(np.max(np.linalg.norm(path - exact, axis=1))),
            "bound": bound, "lam_ok": lam_ok,
            "size": np.max(np.abs(path), axis=0).tolist(),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras-python", default="/work/kvenv/bin/python")
    parser.add_argument("--keras", metavar="JSON", help=argparse.SUPPRESS)  # the Keras side's input
    args = parser.parse_args()
    if args.keras:
        print(json.dumps(keras_side(json.loads(Path(args.keras).read_text()))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = gradsheet_side(Path(tmp))
        exchange = Path(tmp) / "cases.json"
        exchange.write_text(json.dumps(cases))
        done = subprocess.run([args.keras_python, __file__, "--keras", str(exchange)], capture_output=True,
                              text=True)
        if done.returncode:
            sys.exit(done.stderr)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    fmt = lambda values: " ".join(f"{v:8.1e}" for v in values)  # noqa: E731
    print(f"(a) Keras optimizers on gradsheet's batches, {STEPS} steps: max |Keras − gradsheet| per parameter "
          "(W…, B)\n")
    print(f"{'case':36} {'fed gs':36} {'own fd':36} max|θ|  control: own fd, batch one step late")
    for name, r in report.items():
        if name.startswith("step "):
            late = fmt(r["late"]) if "late" in r else ""
            print(f"{name[5:]:36} {fmt(r['fed gs']):36} {fmt(r['own fd']):36} {max(r['size']):5.2f}  {late}")
    print("\n(b) model.fit(X, y, batch_size=B, shuffle=False, epochs=E), exact slope, against gradsheet's "
          "forward difference (gd); fit−gs per parameter (W…, B), the rest the largest over the parameters\n")
    print(f"{'case':12} {'E':>3} {'steps':>5} {'fit−gs':36} {'gs−exact':>8} {'|…−pred|':>8} {'fit−exact':>9} "
          f"{'fit64−ex':>8} {'fd err':>8} {'eps·c/2':>8} {'‖gs−ex‖₂':>8} {'bound':>8} λ-ok")
    for name, r in report.items():
        if name.startswith("fit "):
            assert r["recorded"] == r["steps"]
            top = lambda key: f"{max(r[key]):8.1e}"  # noqa: E731
            print(f"{name[4:]:12} {r['epochs']:3d} {r['steps']:5d} {fmt(r['fit_gs']):36} {top('gs_exact')} "
                  f"{top('pred_err')} {max(r['fit_exact']):9.1e} {top('fit64_exact')} {top('fd_err')} "
                  f"{top('theory')} {r['gs_exact_norm']:8.1e} {r['bound']:8.1e} {r['lam_ok']}")


if __name__ == "__main__":
    main()
