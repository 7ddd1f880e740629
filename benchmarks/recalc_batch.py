"""How long LibreOffice takes to recalculate the derived sheets of a `--batch` workbook (issue 20):
each step of the 'All steps' chain and of the race's lanes picks its batch out of every data row
(sheets/unrolled.py), so a row costs passes over the data, and `gradsheet build` sizes the sheets
to build.CE_BUDGET (build.batch_step_cost).

Run: python3 benchmarks/recalc_batch.py      (prints a Markdown table; needs LibreOffice)
Each figure is the best of 5 calculateAll() calls on one loaded document, in milliseconds:
the training sheet alone, with the 'All steps' and race rows asked for, and the workbook as
`gradsheet build --batch B` makes it (its sizes in the last column). "per chain row" is
(with the sheet − without) / rows, and "predicted" what build.batch_step_cost says one costs
(RECALC_BUDGET's units of ~32 ns).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradsheet.build import batch_step_cost, make  # noqa: E402
from gradsheet.core.layout import param_names  # noqa: E402
from libreoffice import LibreOffice  # noqa: E402
from recalc import best_ms, wide_csv  # noqa: E402

NONE = {"unrolled": 0, "compare": 0, "landscape": ("none",)}
NS_PER_UNIT = 32


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo:
        tmp = Path(tmp)
        data, lr = wide_csv(tmp / "wide.csv")
        # workbook, data, k, batch, options, rows asked for (All steps; the race: a quarter of them each lane)
        cases = [("lemonade (6 rows x 1), --batch 2", None, 1, 2, {}, 100),
                 ("10k rows x 5, --batch 32", data, 5, 32, {"lr": lr}, 8)]
        print("| workbook | training sheet ms | + All steps (N rows) ms | per chain row ms | predicted ms "
              "| + race (4 x N/4 rows) ms | default build ms | default sizes |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for name, source, k, B, options, rows in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                alone = make(source, tmp / "alone.xlsx", batch=B, **options, **NONE)
                steps = make(source, tmp / "steps.xlsx", batch=B, **options, **{**NONE, "unrolled": rows})
                race = make(source, tmp / "race.xlsx", batch=B, **options, **{**NONE, "compare": max(1, rows // 4)})
                default = make(source, tmp / "default.xlsx", batch=B, **options)
            t0, t1, t2, t3 = (best_ms(lo, b.path) for b in (alone, steps, race, default))
            s = default.settings
            cost = batch_step_cost(alone.dataset.n, k, len(param_names(k)), "linear")
            sizes = f"unrolled {s.unrolled}, compare {s.compare}, landscape {s.landscape or 'W,B'}"
            print(f"| {name} | {t0:.1f} | {t1:.1f} (N = {rows}) | {(t1 - t0) / rows:.3f} | "
                  f"{cost * NS_PER_UNIT / 1e6:.3f} | {t2:.1f} | {t3:.1f} | {sizes} |")


if __name__ == "__main__":
    main()
