"""How long LibreOffice takes to recalculate a gradsheet workbook (calculateAll, i.e. a hard
recalculation of every formula: what Ctrl+Shift+F9 costs), with and without the "All steps"
(unrolled) and "Landscape" sheets.

Run: python3 benchmarks/recalc.py      (prints a Markdown table; needs LibreOffice)
Goal (issue 5): the default lemonade workbook recalculates in under 50 ms.
Each figure is the best of 5 calculateAll() calls on one loaded document, in milliseconds.
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

VARIANTS = {  # column heading -> the options that leave sheets out
    "neither": {"unrolled": 0, "landscape": ("none",)},
    "unrolled only": {"landscape": ("none",)},
    "landscape only": {"unrolled": 0},
    "both (default)": {},
}


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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        tmp = Path(tmp)
        data, lr = wide_csv(tmp / "wide.csv")
        cases = [("lemonade (6 rows x 1)", None, {}), ("10k rows x 5", data, {"lr": lr})]
        print("| workbook | " + " | ".join(f"{v} ms" for v in VARIANTS) + " |")
        print("|---|" + "---:|" * len(VARIANTS))
        for name, source, options in cases:
            times = []
            for i, extra in enumerate(VARIANTS.values()):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    built = make(source, tmp / f"case{i}.xlsx", **options, **extra)
                times.append(best_ms(lo, built.path))
            print(f"| {name} | " + " | ".join(f"{t:.1f}" for t in times) + " |")


if __name__ == "__main__":
    main()
