#!/usr/bin/env python3
"""Generate the hidden-layer presets' tables (issue 19): templates/xor.csv, circles.csv, bend.csv.

- xor: the four rows of exclusive or; no straight line separates the classes.
- circles: two noisy rings around the origin (50 points each, radius 0.5 and 1.5): the inner
  ring is one class, the outer the other; a boundary has to close around the middle.
- bend: one input, y = |x| − 1 with a little noise, 30 rows: a bend no straight line fits.

Generated here from fixed seeds, so they are ours to give away (CC0, see templates/NOTICE).

    python3 scripts/make_hidden_presets.py
"""

from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent.parent / "gradsheet" / "templates"


def xor() -> list[str]:
    return ["x_1,x_2,xor"] + [f"{a},{b},{a ^ b}" for a in (0, 1) for b in (0, 1)]


def circles() -> list[str]:
    rng = np.random.default_rng(19)
    n = 100
    inner = np.arange(n) < n // 2
    r = np.where(inner, 0.5, 1.5) + rng.normal(0, 0.15, n)
    t = rng.uniform(0, 2 * np.pi, n)
    x1, x2 = np.round(r * np.cos(t), 2), np.round(r * np.sin(t), 2)
    return ["x_1,x_2,ring"] + [f"{a:g},{b:g},{'inner' if i else 'outer'}" for a, b, i in zip(x1, x2, inner)]


def bend() -> list[str]:
    rng = np.random.default_rng(19)
    rng.normal(size=200)  # the draws the circles used, so the noise is the one tried out
    x = np.round(np.linspace(-3, 3, 30), 2)
    y = np.round(np.abs(x) - 1 + rng.normal(0, 0.1, 30), 2)
    return ["x,y"] + [f"{a:g},{b:g}" for a, b in zip(x, y)]


def main() -> None:
    for name, lines in (("xor", xor()), ("circles", circles()), ("bend", bend())):
        out = FOLDER / f"{name}.csv"
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
