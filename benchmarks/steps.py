"""The steps engine against a plain numpy loop of the same steps, the whole `gradsheet run`
process, and how many book reads/writes `run_steps(book, N)` makes.

Run: python3 benchmarks/steps.py      (prints Markdown tables)
Goals (issues 3, 9): engine <= 1.5 x the plain loop, for every optimizer; reads/writes must not
grow with N.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gradsheet.core import steps  # noqa: E402
from gradsheet.core.optimizers import OPTIMIZERS  # noqa: E402
from gradsheet.data.dataset import lemonade  # noqa: E402
from gradsheet.core.settings import State  # noqa: E402


def plain_loop(X, y, theta, lr, eps, n, optimizer="gd", beta=0.9, rho=0.9, beta1=0.9, beta2=0.999,
               delta=1e-7):
    """The same course steps and update written as directly as numpy allows (the floor):
    no Rule, no eval, the optimizer's maths typed out (Keras's forms)."""
    k = X.shape[1]
    history = np.empty((n, k + 2))
    vel, m, sq = np.zeros(k + 1), np.zeros(k + 1), np.zeros(k + 1)
    for i in range(n):
        r = X @ theta[:-1] + theta[-1] - y
        loss = np.mean(r * r)
        nudged = np.empty(k + 1)
        for j in range(k):
            d = r + eps * X[:, j]
            nudged[j] = np.mean(d * d)
        d = r + eps
        nudged[k] = np.mean(d * d)
        history[i, :-1], history[i, -1] = theta, loss
        g = (nudged - loss) / eps
        if optimizer == "gd":
            theta = theta - lr * g
        elif optimizer == "momentum":
            vel = beta * vel - lr * g
            theta = theta + vel
        elif optimizer == "rmsprop":
            sq = rho * sq + (1 - rho) * g ** 2
            theta = theta - lr * g / np.sqrt(sq + delta)
        else:
            m = m + (g - m) * (1 - beta1)
            sq = sq + (g ** 2 - sq) * (1 - beta2)
            theta = theta - lr * np.sqrt(1 - beta2 ** (i + 1)) / (1 - beta1 ** (i + 1)) * m / (np.sqrt(sq) + delta)
    return theta, history


def best_of(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def engine_vs_loop() -> None:
    print("| optimizer | data | steps | engine s | plain numpy loop s | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    big_X = rng.uniform(0, 10, (100_000, 1))
    cases = [("lemonade", lemonade().X, lemonade().y, 1000),
             ("100k rows x 1", big_X, 2 * big_X[:, 0] + 1 + rng.normal(0, 0.1, 100_000), 100)]
    for optimizer in OPTIMIZERS:
        for label, X, y, n in cases:
            theta = np.array([0.02, 0.9])
            problem = steps.Problem(X, y, 0.001, 0.0001, optimizer=optimizer)
            state = State.fresh(theta, problem.loss(theta), optimizer)
            a = best_of(lambda: steps.run(problem, state, n))
            b = best_of(lambda: plain_loop(X, y, theta, 0.001, 0.0001, n, optimizer))
            out = steps.run(problem, state, n)
            assert out.steps == n and np.allclose(out.state.history, plain_loop(X, y, theta, 0.001, 0.0001, n,
                                                                                optimizer)[1])
            print(f"| {optimizer} | {label} | {n} | {a:.4f} | {b:.4f} | {a / b:.2f}x |", flush=True)


def whole_process() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "lemonade.xlsx"
        subprocess.run([sys.executable, "-m", "gradsheet.cli", "build", "-o", str(book)], check=True,
                       capture_output=True)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "gradsheet.cli", "run", str(book), "-n", "1000"],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    print(f"\n`gradsheet run lemonade.xlsx -n 1000` (whole process, history growing 1000 rows per run): "
          + ", ".join(f"{t:.2f} s" for t in times))


def reads_and_writes() -> None:
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the json engine (benchmark only)
    from jsonbook import book_json, open_book
    from gradsheet.core import addin
    from gradsheet.core import live as live_book
    from gradsheet.build import build
    with tempfile.TemporaryDirectory() as tmp:
        data = book_json(build(None, Path(tmp) / "lemonade.xlsx"))
    print("\n| run_steps(book, N) | range reads | range writes |")
    print("|---:|---:|---:|")
    for n in (1, 10, 1000):
        grid = addin.XlwingsGrid(open_book(data))
        live = live_book.load(grid)
        live_book.save(grid, live, steps.run(live.problem, live.state, n).state)
        print(f"| {n} | {grid.reads} | {grid.writes} |")


if __name__ == "__main__":
    engine_vs_loop()
    whole_process()
    reads_and_writes()
