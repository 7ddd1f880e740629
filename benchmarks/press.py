"""What one button press costs in xlwings Lite: bytes each way and Python seconds (issue 12).

For 1k, 10k, 100k rows (1 input) and 10k rows x 5 inputs, a default workbook (`gradsheet build`,
xlwings Lite buttons) is built, and each script of its main.py (한 스텝, 10 스텝, 다음 동작, 초기화,
run_steps with 100 steps) runs the way Lite runs it (tests/litehost.py): Office.js' payload for
the script (every value of the sheets it loads, or, for an async script, the structure only),
plus each on-demand read, in; the actions, out; JSON as Office.js carries it. Seconds are
Python's, best of a few runs, through xlwings' own Book(json=...) engine, async scripts awaited.

Each script is measured twice: "first" is a press in a fresh Lite session (nothing cached),
"next" a press after another press of the same session. Every press starts from the built book.

Run: python3 benchmarks/press.py [--json] [--quick]
Goals: one step / next action / reset move O(parameters) cells; every press < 5 MB each way at
100k rows; Python <= 0.5 s at 100k rows, <= 50 ms at 1k rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from jsonbook import book_json  # noqa: E402  (sets the test licence first)
from litehost import load_main, run_script  # noqa: E402

from gradsheet.build import make  # noqa: E402
from gradsheet.excel.lite import read_lite_parts  # noqa: E402

CASES = [(1_000, 1), (10_000, 1), (100_000, 1), (10_000, 5)]
SCRIPTS = [("한 스텝", "one_step", []), ("10 스텝", "ten_steps", []), ("다음 동작", "next_action", []),
           ("초기화", "reset", []), ("run_steps", "run_steps", [100])]


def workbook(folder: Path, n: int, k: int, **options) -> Path:
    """The default workbook on n rows x k inputs (`options`: more of make's, e.g. batch=32)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 10, (n, k))
    y = X @ rng.uniform(-2, 2, k) + 3 + rng.normal(0, 0.5, n)
    data = folder / f"bench-{n}-{k}.csv"
    with open(data, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"x{j + 1}" for j in range(k)] + ["y"])
        w.writerows(np.column_stack([X, y]).round(4).tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        name = "-".join([f"bench-{n}-{k}", *(f"{key}{value}" for key, value in options.items())])
        return make(data, folder / f"{name}.xlsx", target="y", lr=0.001, **options).path


def forget(main) -> None:
    """A fresh Lite session: nothing cached from an earlier press."""
    press = sys.modules.get("gradsheet.core.press")
    if press is not None and hasattr(press, "forget"):
        press.forget()


def measure(main, script: str, args: list, data: dict, warm: bool, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        forget(main)
        if warm:
            run_script(main, "next_action", data)  # an earlier press of the same session
        p = run_script(main, script, data, args)
        if best is None or p.seconds < best.seconds:
            best = p
    return {"bytes_in": best.bytes_in, "bytes_out": best.bytes_out, "seconds": round(best.seconds, 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--quick", action="store_true", help="1k and 10k rows only")
    opts = parser.parse_args()
    results = []
    if not opts.json:
        print("| rows | inputs | script | press | MB in | MB out | Python s |")
        print("|---:|---:|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, k in CASES:
            if opts.quick and n > 10_000:
                continue
            path = workbook(Path(tmp), n, k)
            data = json.loads(json.dumps(book_json(path), default=str))
            main_py = load_main(read_lite_parts(path)["main.py"])
            repeat = 2 if n >= 100_000 else 3
            for label, script, args in SCRIPTS:
                for warm in (False, True):
                    r = measure(main_py, script, args, data, warm, repeat)
                    row = {"rows": n, "features": k, "script": label,
                           "press": "next" if warm else "first", **r}
                    results.append(row)
                    if not opts.json:
                        print(f"| {n:,} | {k} | {label} | {row['press']} | {r['bytes_in'] / 1e6:.3f} "
                              f"| {r['bytes_out'] / 1e6:.4f} | {r['seconds']:.3f} |", flush=True)
    if opts.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
