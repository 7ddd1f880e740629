"""How far the derived sheets' arithmetic (the sums' quadratic, sheets/stats.py) is from the
course's row-by-row model (core/models: loss, gradient; core/descent: descend), on tables
chosen to be hard for it: the course's, the housing preset, prices in the millions (large y)
and inputs far from 0 (x ~ 10,000 ± 1).

Run: python3 benchmarks/stats_rounding.py      (prints Markdown tables; no spreadsheet needed)

1. Along plain gradient descent's first 100 steps (the engine's own path, every 10th point):
   the error of the Loss and of the forward slope (Loss_P − Loss)/eps against their exact
   values (rational arithmetic on the doubles), for the sums' formulas and for the course's
   row-wise ones: is the shortcut as accurate as what the training sheet does?
2. Along each optimizer's 100-step chain with the race's default learning rate: the largest
   parameter difference between the sums' chain (unrolled.rows) and descend's, beside the
   difference between two summations of the course's own row-wise formulas, and whether the
   chain is chaotic (a one-ulp change of the start moves it by more than 1e-6).
The sheets show parameters with 6 decimals and slopes with 4.
"""

from __future__ import annotations

import math
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gradsheet.core import descent, models  # noqa: E402
from gradsheet.core.optimizers import HYPER_DEFAULTS, OPTIMIZERS  # noqa: E402
from gradsheet.core.settings import Settings, initial_theta  # noqa: E402
from gradsheet.data import presets  # noqa: E402
from gradsheet.data.dataset import lemonade, load  # noqa: E402
from gradsheet.sheets import compare, stats, unrolled  # noqa: E402
from gradsheet.sheets.workbook import model_X  # noqa: E402

EPS = 1e-4


def tables():
    d = lemonade()
    yield "lemonade", d.X, d.y, 0.001
    hp = presets.read(presets.find("housing"))
    d = load(hp["data"], target=hp["target"], features=hp["features"])
    yield "housing (standardised)", model_X(d, Settings(scale="standard")), d.y, hp["lr"]
    rng = np.random.default_rng(3)
    n = 500
    X = np.column_stack([rng.uniform(20, 300, n), rng.uniform(0, 40, n)])  # m², years
    y = 3e5 * X[:, 0] - 1e5 * X[:, 1] + 1e6 + rng.normal(0, 2e6, n)  # prices 1e6 … 1e8
    yield "large y (1e6..1e8), raw", X, y, models.suggest_lr(X)
    Xs = model_X(type("D", (), {"X": X})(), Settings(scale="standard"))
    yield "large y, standardised", Xs, y, models.suggest_lr(Xs)
    X = 1e4 + rng.uniform(-1, 1, (n, 1))
    yield "x ~ 1e4 ± 1, noisy", X, 2 * X[:, 0] + 3 + rng.normal(0, 0.1, n), models.suggest_lr(X)
    yield "x ~ 1e4 ± 1, exact fit", X, 2 * X[:, 0] + 3, models.suggest_lr(X)


def exact_losses(X, y, theta, eps) -> tuple[Fraction, list[Fraction]]:
    """Loss and Loss_P in exact rational arithmetic (the doubles' own values, no rounding):
    the truth both kinds of formulas are rounded from."""
    n, k = X.shape
    rows = [[Fraction(float(v)) for v in r] for r in X]
    ys = [Fraction(float(v)) for v in y]
    th = [Fraction(float(v)) for v in theta]
    e = Fraction(eps)
    r = [sum(w * x for w, x in zip(th[:-1], row)) + th[-1] - t for row, t in zip(rows, ys)]
    L = sum(v * v for v in r) / n
    plus = [sum((v + e * row[j]) ** 2 for v, row in zip(r, rows)) / n for j in range(k)]
    plus.append(sum((v + e) ** 2 for v in r) / n)
    return L, plus


def along_the_path(X, y, lr) -> tuple[float, float, float, float]:
    """Largest errors against the exact values, at every 10th point of gd's path (and its
    last): the Loss (relative) and the forward slope (absolute), of the sums' formulas and
    of the course's row-wise ones (core/models)."""
    st = stats.sums(X, y)
    run = descent.descend(X, y, initial_theta(X.shape[1], 1), lr, EPS, 100)
    errs = np.zeros(4)
    for th in list(run.history[::10, :-1]) + [run.theta]:
        L, plus = exact_losses(X, y, th, EPS)
        g = [float((p - L) / Fraction(EPS)) for p in plus]
        p = stats.point(st, th)
        Ls = stats.loss(st, p)
        gs = (stats.nudged(st, p, EPS) - Ls) / EPS
        Lr, gr = models.loss(X, y, th), models.gradient(X, y, th, EPS)
        errs = np.maximum(errs, [abs(Ls - float(L)) / float(L), float(np.max(np.abs(gs - g))),
                                 abs(Lr - float(L)) / float(L), float(np.max(np.abs(gr - g)))])
    return tuple(errs)


def rowwise_fsum_chain(X, y, theta, lr, n, opt) -> np.ndarray:
    """The course's row-wise formulas with exactly rounded sums (math.fsum, as LibreOffice's
    compensated ones nearly are): a second engine for them. Returns each row's parameters."""
    th, state, t, out = np.asarray(theta, dtype=float), {s: np.zeros(len(theta)) for s in opt.slots}, 0, []
    for _ in range(n):
        r = X @ th[:-1] + th[-1] - y
        L = math.fsum(r * r) / len(y)
        plus = [math.fsum((r + EPS * X[:, j]) ** 2) / len(y) for j in range(X.shape[1])]
        plus.append(math.fsum((r + EPS) ** 2) / len(y))
        out.append(th)
        th, state, t = opt.update(th, (np.array(plus) - L) / EPS, state, t, lr, dict(HYPER_DEFAULTS))
    return np.array(out)


def chains(X, y, lr_gd) -> list[str]:
    """Per optimizer: sums' chain vs descend; in brackets the course's row-wise formulas with
    two different summations (how far two engines running the training sheet's kind of
    formulas drift apart along the same chain)."""
    lrs = compare.learning_rates(X, y, Settings(lr=lr_gd))
    th0 = initial_theta(X.shape[1], 1)
    out = []
    for o, lr in lrs.items():
        opt = OPTIMIZERS[o]
        r = unrolled.rows(X, y, th0, lr, EPS, 100, optimizer=opt)
        run = descent.descend(X, y, th0, lr, EPS, 100, optimizer=opt)
        m = len(run.history)
        diff = float(np.max(np.abs(r.theta[:m] - run.history[:, :-1])))
        other = float(np.max(np.abs(rowwise_fsum_chain(X, y, th0, lr, m, opt) - run.history[:, :-1])))
        nudged = unrolled.rows(X, y, th0 * (1 + 2 ** -52), lr, EPS, 100, optimizer=opt)
        chaos = float(np.max(np.abs(nudged.theta - r.theta))) > 1e-6
        out.append(f"{diff:.1e} ({other:.1e}){' chaotic' if chaos else ''}{' stops' if run.stopped else ''}")
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    print("| table | lr | Loss error, sums | Loss error, row-wise | slope error, sums | slope error, row-wise |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = list(tables())
    for name, X, y, lr in rows:
        ls, gs, lr_, gr = along_the_path(X, y, lr)
        print(f"| {name} | {lr:g} | {ls:.1e} | {lr_:.1e} | {gs:.1e} | {gr:.1e} |")
    print("\nLargest parameter difference over 100 steps with the race's learning rates: sums' chain vs "
          "descend (in brackets: descend vs the same row-wise formulas with exactly rounded sums):\n")
    print("| table | " + " | ".join(compare.NAMES) + " |")
    print("|---|" + "---:|" * len(compare.NAMES))
    for name, X, y, lr in rows:
        print(f"| {name} | " + " | ".join(chains(X, y, lr)) + " |")


if __name__ == "__main__":
    main()
