"""Build time and peak memory of `gradsheet build`, beside the floor: XlsxWriter writing
the same data cells, formulas and stored values directly, measured in the same run.

Each measurement runs in a fresh Python process, so peak memory (ru_maxrss) is its own.
Times are the second build of the process (warm); the first (cold, as one CLI call runs
it) is shown in brackets. Data generation and imports are outside the timing.
Run: python3 benchmarks/build.py            (prints a Markdown table)
Goals (issue 2): time <= 1.3 x floor; peak <= 150 MiB at 100k rows. The comparison is of
the course workbook (no All steps / Landscape sheets, no buttons); the last columns show the
default build of that size beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

CASES = [("1k rows x 1", 1_000, 1), ("100k rows x 1", 100_000, 1), ("10k rows x 13", 10_000, 13)]

CHILD = r"""
import json, resource, sys, time
import numpy as np
kind, n, k, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
X = rng.uniform(0, 100, (n, k)); y = X @ rng.uniform(-2, 2, k) + 3
from gradsheet.data.dataset import Dataset
from gradsheet.core.settings import Settings
from gradsheet.build import fresh_state
from gradsheet.sheets.workbook import write, layout_for
from gradsheet.core.models import LINEAR
d = Dataset("bench", tuple(f"f{j}" for j in range(k)), "target", X, y)
# "gradsheet": the course workbook (the cells the floor writes, plus the parameter block,
# charts, guide and history table); "default": everything `gradsheet build` writes by
# default for this size (All steps, Optimizers, Landscape, Sums, xlwings Lite buttons);
# "adam": the same with --optimizer adam (state columns on every sheet).
from gradsheet.build import sized_defaults
import warnings; warnings.simplefilter("ignore")
s = Settings(buttons="none", unrolled=0, compare=0, landscape=("none",))
if kind == "default":
    s = Settings(**sized_defaults(d, {}))
if kind == "adam":
    s = Settings(**sized_defaults(d, {"optimizer": "adam", "lr": 0.1}))
st = fresh_state(d, s, 1)
def ours():
    write(out, d, s, st)
if kind in ("gradsheet", "default", "adam"):
    run = ours
else:
    import xlsxwriter
    from gradsheet.sheets.values import evaluate
    lay = layout_for(d, s, st)
    v = evaluate(X, y, s, st)
    first = 4
    hs = [LINEAR.excel_h(lay).format(first + i + 1) for i in range(n)]
    es = [LINEAR.excel_row_loss(lay).format(first + i + 1) for i in range(n)]
    Xl, yl, hl, el = X.tolist(), y.tolist(), v.h.tolist(), v.sqerr.tolist()
    def run():
        wb = xlsxwriter.Workbook(out)
        ws = wb.add_worksheet()
        for i in range(n):
            r = first + i
            for j in range(k):
                ws.write_number(r, j, Xl[i][j])
            ws.write_number(r, k, yl[i])
            ws.write_formula(r, k + 1, hs[i], None, hl[i])
            ws.write_formula(r, k + 2, es[i], None, el[i])
        wb.close()
# cold: the first build of a process, as `gradsheet build` runs it; warm: the next one
t = time.perf_counter(); run(); cold = time.perf_counter() - t
t = time.perf_counter(); run(); seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "cold": cold, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(kind: str, n: int, k: int, repeat: int = 3) -> dict:
    best = None
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", CHILD, kind, str(n), str(k), f"{tmp}/b.xlsx"],
                                 check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        best = r if best is None or r["seconds"] < best["seconds"] else best
    return best


def main() -> None:
    print("| case | course sheet s (cold) | floor s (cold) | ratio (cold) "
          "| course peak MiB | floor peak MiB | default build s | default peak MiB | adam build s | adam peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, n, k in CASES:
        g, f = measure("gradsheet", n, k), measure("floor", n, k)
        a, o = measure("default", n, k, repeat=1), measure("adam", n, k, repeat=1)
        print(f"| {label} | {g['seconds']:.3f} ({g['cold']:.3f}) | {f['seconds']:.3f} ({f['cold']:.3f}) "
              f"| {g['seconds'] / f['seconds']:.2f}x ({g['cold'] / f['cold']:.2f}x) "
              f"| {g['peak_mib']:.0f} | {f['peak_mib']:.0f} | {a['seconds']:.3f} | {a['peak_mib']:.0f} "
              f"| {o['seconds']:.3f} | {o['peak_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
