"""The hidden-layer workbooks against Keras 3 (jax backend, CPU, float64): run once by hand, not
in CI (issue 19).

    /work/venv/bin/python benchmarks/keras_hidden.py [--keras-python /work/kvenv/bin/python]

For each case the gradsheet side (this interpreter, the project's venv) builds the workbook,
recalculates it in LibreOffice and reads the sheet's Loss, Loss_P and exact_grad_P, then runs
`gradsheet run -n 200` on a copy. The Keras side (an interpreter with keras and jax) builds
`Dense(H, activation)` + an output `Dense` with the sheet's starting weights and computes the
forward values, the loss (mean squared error, or cross-entropy from logits: no clipping) and
jax.grad's gradient; then 200 steps of keras.optimizers.SGD(lr) fed the forward-difference
gradient (Loss(P + eps) − Loss)/eps computed by Keras's own forward pass. The table prints
the largest differences.

Measured once (Keras 3.15.1, jax 0.10.2 CPU, float64; LibreOffice 7.4; 2026-12-07):

    case                           P   forward  Loss rel    Loss_P exact−jax  |grad|   run 200    |θ| builtin fwd builtin Loss
    xor (logistic, tanh)          13   0.0e+00   0.0e+00   1.1e-16   3.5e-17   0.247   8.6e-12   3.74     7.7e-08      1.9e-08
    xor (logistic, sigmoid)       13   0.0e+00   0.0e+00   2.2e-16   2.8e-17   0.181   1.4e-11   1.24     0.0e+00      3.3e-09
    circles (logistic, tanh)      13   4.4e-16   1.3e-16   2.2e-16   8.3e-17   0.190   1.1e-10   3.97     1.0e-07      8.0e-09
    circles (logistic, swish)     13   6.7e-16   0.0e+00   2.2e-16   5.6e-17   0.182   1.9e-11   3.98     6.7e-16      4.1e-10
    bend (MSE, tanh)              10   2.2e-16   2.4e-16   4.4e-16   3.6e-16   2.003   1.4e-12   1.77     7.6e-08      3.1e-08
    bend (MSE, relu)              10   1.1e-16   1.3e-16   4.4e-16   4.4e-16   1.887   4.9e-13   1.18     1.1e-16      6.2e-09
    iris (softmax, swish, H=4)    35   1.8e-15   2.6e-16   3.3e-16   2.8e-16   0.227   3.7e-12   1.82     1.8e-15      4.0e-16

forward: the output column (h / z / z_1) against Keras's model(X); Loss_P: the largest |Loss_P|
difference; exact−jax: exact_grad_P against jax.grad; run 200: the parameters after `gradsheet
run -n 200` against Keras SGD fed the forward difference (each slope carries ~1e-16·Loss/eps of
rounding, summed over 200 steps). builtin: Keras's own activation strings and loss classes,
which round through float32 (ops.tanh; the losses' elementwise terms).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = 200

# name -> build options
CASES = {
    "xor (logistic, tanh)": {"preset": "xor"},
    "xor (logistic, sigmoid)": {"preset": "xor", "activation": "sigmoid"},
    "circles (logistic, tanh)": {"preset": "circles"},
    "circles (logistic, swish)": {"preset": "circles", "activation": "swish"},
    "bend (MSE, tanh)": {"preset": "bend"},
    "bend (MSE, relu)": {"preset": "bend", "activation": "relu"},
    "iris (softmax, swish, H=4)": {"preset": "iris", "hidden": 4, "activation": "swish", "lr": 0.1},
}


def gradsheet_side(folder: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    import warnings

    import numpy as np
    from click.testing import CliRunner

    from gradsheet.build import make
    from gradsheet.classroom.engine import LibreOffice
    from gradsheet.cli import main
    from gradsheet.data import presets
    from gradsheet.excel import files
    from gradsheet.sheets.workbook import model_X
    out = {}
    lo = LibreOffice()
    lo.start()
    try:
        for name, case in CASES.items():
            case = dict(case)
            options = presets.read(presets.find(case.pop("preset")))
            data = options.pop("data")
            options.update(case)
            path = folder / f"{len(out)}.xlsx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built = make(data, path, **options)
            layout = files.read(path).layout
            with lo.open(path) as doc:
                doc.recalc()
                sheet = {"Loss": doc.named("Loss"),
                         "Loss_P": [doc.named(f"Loss_{p}") for p in layout.params],
                         "exact": [doc.named(f"exact_grad_{p}") for p in layout.params],
                         "out": np.array(doc.named({"linear": "h", "logistic": "z"}.get(layout.model, "z_1")),
                                         dtype=float).ravel().tolist()}
            ran = folder / f"{len(out)}-run.xlsx"
            shutil.copy(path, ran)
            result = CliRunner().invoke(main, ["run", str(ran), "-n", str(STEPS)])
            assert result.exit_code == 0, result.output
            s = built.settings
            out[name] = {"X": model_X(built.dataset, s).tolist(), "y": built.dataset.y.tolist(),
                         "kind": s.model, "classes": len(s.classes), "hidden": s.hidden,
                         "activation": s.activation, "lr": s.lr, "eps": s.eps,
                         "theta": built.state.theta.tolist(), "sheet": sheet,
                         "after": files.read(ran).state.theta.tolist()}
    finally:
        lo.stop()
    return out


def keras_side(cases: dict) -> dict:
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["JAX_ENABLE_X64"] = "1"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np
    keras.config.set_floatx("float64")
    report = {}
    for name, c in cases.items():
        X, y = np.array(c["X"]), np.array(c["y"])
        n, k = X.shape
        H, kind = c["hidden"], c["kind"]
        C = c["classes"] if kind == "softmax" else 1
        # Keras 3.15's own ops promote float64 to float32 in places (ops.tanh, the losses'
        # elementwise terms: keras.src.backend.common.dtypes.result_type("float64", float) is
        # float32 here), so the float64 comparison uses jax's activations and losses inside the
        # same Keras layers; the built-in ones are measured too (the "builtin" columns).
        jax_activation = {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu,
                          "swish": jax.nn.swish}[c["activation"]]
        model = keras.Sequential([keras.Input((k,)), keras.layers.Dense(H, activation=jax_activation),
                                  keras.layers.Dense(C)])  # logits: the losses take them directly
        builtin = keras.Sequential([keras.Input((k,)), keras.layers.Dense(H, activation=c["activation"]),
                                    keras.layers.Dense(C)])
        if kind == "linear":
            target = y[:, None]
            builtin_loss = keras.losses.MeanSquaredError()

            def loss_fn(t, z):
                return jnp.mean((z - t) ** 2)
        elif kind == "logistic":
            target = y[:, None]
            builtin_loss = keras.losses.BinaryCrossentropy(from_logits=True)

            def loss_fn(t, z):
                return jnp.mean(jax.nn.softplus(z) - t * z)
        else:
            target = np.eye(C)[y.astype(int)]
            builtin_loss = keras.losses.CategoricalCrossentropy(from_logits=True)

            def loss_fn(t, z):
                return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.sum(t * z, axis=1))

        def to_weights(theta):
            t = np.asarray(theta, dtype=float)
            Wh = t[:k * H].reshape(H, k).T
            Bh = t[k * H:k * H + H]
            Wo = t[k * H + H:k * H + H + H * C].reshape(C, H).T
            return [Wh, Bh, Wo, t[k * H + H + H * C:]]

        def from_weights(ws):
            Wh, Bh, Wo, Bo = (np.asarray(w, dtype=float) for w in ws)
            return np.concatenate([Wh.T.ravel(), Bh, Wo.T.ravel(), Bo])

        variables = model.trainable_variables

        def loss_of(flat):
            ws = [flat[:k * H].reshape(H, k).T, flat[k * H:k * H + H],
                  flat[k * H + H:k * H + H + H * C].reshape(C, H).T, flat[k * H + H + H * C:]]
            logits, _ = model.stateless_call(ws, [], jnp.asarray(X))
            return loss_fn(jnp.asarray(target), logits)

        theta = np.array(c["theta"])
        model.set_weights(to_weights(theta))
        builtin.set_weights(to_weights(theta))
        logits = np.asarray(model(X))
        builtin_logits = np.asarray(builtin(X))
        builtin_value = float(builtin_loss(target, builtin_logits))
        loss = float(loss_of(jnp.asarray(theta)))
        grad = np.asarray(jax.grad(loss_of)(jnp.asarray(theta)))
        nudged = np.array([float(loss_of(jnp.asarray(theta + c["eps"] * e))) for e in np.eye(theta.size)])
        sheet = c["sheet"]
        # SGD fed the forward difference, 200 steps
        opt = keras.optimizers.SGD(learning_rate=c["lr"])
        opt.build(variables)
        for _ in range(STEPS):
            now = from_weights([v.numpy() for v in variables])
            base = float(loss_of(jnp.asarray(now)))
            fd = np.array([(float(loss_of(jnp.asarray(now + c["eps"] * e))) - base) / c["eps"]
                           for e in np.eye(now.size)])
            parts = to_weights(fd)
            opt.apply_gradients(zip([jnp.asarray(g) for g in parts], variables))
        after = from_weights([v.numpy() for v in variables])
        report[name] = {
            "params": int(theta.size),
            "forward": float(np.max(np.abs(logits[:, 0] - np.array(sheet["out"])))),
            "builtin_forward": float(np.max(np.abs(builtin_logits[:, 0] - np.array(sheet["out"])))),
            "builtin_loss": abs(builtin_value - sheet["Loss"]) / abs(sheet["Loss"]),
            "loss": abs(loss - sheet["Loss"]) / abs(loss),
            "loss_p": float(np.max(np.abs(nudged - np.array(sheet["Loss_P"])))),
            "grad": float(np.max(np.abs(grad - np.array(sheet["exact"])))),
            "grad_size": float(np.max(np.abs(grad))),
            "run": float(np.max(np.abs(after - np.array(c["after"])))),
            "run_size": float(np.max(np.abs(after))),
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
                              text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'case':28} {'P':>3} {'forward':>9} {'Loss rel':>9} {'Loss_P':>9} {'exact−jax':>9} "
          f"{'|grad|':>7} {'run 200':>9} {'|θ|':>6} {'builtin fwd':>11} {'builtin Loss':>12}")
    for name, r in report.items():
        print(f"{name:28} {r['params']:3d} {r['forward']:9.1e} {r['loss']:9.1e} {r['loss_p']:9.1e} "
              f"{r['grad']:9.1e} {r['grad_size']:7.3f} {r['run']:9.1e} {r['run_size']:6.2f} "
              f"{r['builtin_forward']:11.1e} {r['builtin_loss']:12.1e}")


if __name__ == "__main__":
    main()
