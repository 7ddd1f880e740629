"""How long LibreOffice takes to recalculate a gradsheet workbook (calculateAll, i.e. a hard
recalculation of every formula: what Ctrl+Shift+F9 costs), with each derived sheet alone and
with all of them ("All steps", "Optimizers", "Landscape", which read the "Sums" sheet).

Run: python3 benchmarks/recalc.py      (prints Markdown tables; needs LibreOffice)
     python3 benchmarks/recalc.py --hidden    (only the hidden-layer presets: issue 19, goal < 100 ms)
Goal (issue 9): the default workbook with every sheet recalculates in under 50 ms for the
course's lemonade table and under 200 ms for 10,000 rows × 5 features.
Each figure is the best of 5 calculateAll() calls on one loaded document, in milliseconds.
Every sheet is asked for explicitly (100 rows each, the landscape of W_1 and B), so the
size rules of `gradsheet build` do not change what is measured.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gradsheet.core import models as model  # noqa: E402
from gradsheet.build import make  # noqa: E402
from libreoffice import LibreOffice  # noqa: E402

NONE = {"unrolled": 0, "compare": 0, "landscape": ("none",)}
VARIANTS = {  # column heading -> the options (on top of NONE) that put sheets in
    "training sheet only": {},
    "+ All steps": {"unrolled": 100},
    "+ Optimizers": {"compare": 100},
    "+ Landscape": {"landscape": "first"},
    "every sheet": {"unrolled": 100, "compare": 100, "landscape": "first"},
}
OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")  # the workbook's own (the 'All steps' sheet follows it)


def wide_csv(path: Path, n: int = 10_000, k: int = 5, seed: int = 0) -> tuple[Path, float]:
    """n rows × k features on similar scales, a linear target plus noise; and a stable lr."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 10, (n, k))
    y = X @ rng.uniform(-2, 2, k) + 3 + rng.normal(0, 0.5, n)
    rows = [",".join(f"x{j + 1}" for j in range(k)) + ",y"]
    rows += [",".join(f"{v:.6g}" for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, model.suggest_lr(X)


def best_ms(lo: LibreOffice, path: Path) -> float:
    with lo.open(path) as doc:
        doc.recalc()  # the first calculation after loading also builds LibreOffice's caches
        return 1000 * min(doc.time_recalc(5))


def options_for(k: int, variant: dict) -> dict:
    out = {**NONE, **variant}
    if out["landscape"] == "first":
        out["landscape"] = ("W", "B") if k == 1 else ("W_1", "B")
    return out


HIDDEN_PRESETS = ("circles", "xor", "bend")  # issue 19: goal < 100 ms each, with the default derived sheets


def hidden_table(lo: LibreOffice, tmp: Path) -> None:
    """The hidden-layer presets as `gradsheet build --preset NAME` makes them (the derived sheets it
    puts in by default): the build's time (best of 3) and a full recalculation's."""
    import time

    from gradsheet.data import presets
    print("\nHidden layer (issue 19), the presets with their default sheets:\n")
    print("| preset | parameters | build s | recalculation ms |")
    print("|---|---:|---:|---:|")
    for name in HIDDEN_PRESETS:
        options = presets.read(presets.find(name))
        data = options.pop("data")
        builds = []
        for i in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                built = make(data, tmp / f"{name}{i}.xlsx", **options)
                builds.append(time.perf_counter() - start)
        print(f"| {name} (--hidden {built.settings.hidden}) | {built.state.theta.size} | {min(builds):.2f} | "
              f"{best_ms(lo, built.path):.1f} |")


def main() -> None:
    if "--hidden" in sys.argv[1:]:  # only the hidden-layer table
        with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
            hidden_table(lo, Path(tmp))
        return
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        tmp = Path(tmp)
        data, lr = wide_csv(tmp / "wide.csv")
        cases = [("lemonade (6 rows x 1)", None, 1, {}), ("10k rows x 5", data, 5, {"lr": lr})]
        print("Each derived sheet alone, and every sheet (the workbook's optimizer: gd):\n")
        print("| workbook | " + " | ".join(f"{v} ms" for v in VARIANTS) + " |")
        print("|---|" + "---:|" * len(VARIANTS))
        for name, source, k, options in cases:
            times = []
            for i, variant in enumerate(VARIANTS.values()):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    built = make(source, tmp / f"case{i}.xlsx", **options, **options_for(k, variant))
                times.append(best_ms(lo, built.path))
            print(f"| {name} | " + " | ".join(f"{t:.1f}" for t in times) + " |")
        print("\nEvery sheet, with the workbook's optimizer (its state columns on the 'All steps' sheet):\n")
        print("| workbook | " + " | ".join(f"{o} ms" for o in OPTIMIZERS) + " |")
        print("|---|" + "---:|" * len(OPTIMIZERS))
        for name, source, k, options in cases:
            times = []
            for o in OPTIMIZERS:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    built = make(source, tmp / f"opt-{o}.xlsx", optimizer=o, **options,
                                 **options_for(k, VARIANTS["every sheet"]))
                times.append(best_ms(lo, built.path))
            print(f"| {name} | " + " | ".join(f"{t:.1f}" for t in times) + " |")
        hidden_table(lo, tmp)


if __name__ == "__main__":
    main()
