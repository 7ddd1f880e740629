"""Submissions graded per second, for a class of 30 and of 200: lemonade-size exercise workbooks,
each filled with the right formulas in LibreOffice, graded by `gradsheet grade`'s engine(s),
already started (warm): one LibreOffice, then two side by side (as `gradsheet grade` runs from
20 submissions on a machine with 2 cores or more). Each file is read twice, every input changed
in between (and once more where a blank is broken at the root). The machine's load average is
printed too: other work on the cores shows in the figures.

    python benchmarks/grade.py [N ...]        (default: 30 200)

Goal: >= 5 per second (a class of 700 in under 3 minutes).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from classroom_fill import correct_formulas, fill, layout_of  # noqa: E402

from gradsheet.classroom.engine import LibreOffice  # noqa: E402
from gradsheet.classroom.exercise import make_exercise  # noqa: E402
from gradsheet.classroom.grade import grade  # noqa: E402


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def timed_grade(sub: Path, key: Path, report: Path, engines: list[LibreOffice]) -> float:
    t = time.perf_counter()
    run = grade([sub], key, report, lo=engines)
    took = time.perf_counter() - t
    assert all(r.score == run.max and r.status == "ok" for r in run.rows), "every workbook should get full marks"
    return took


def main(sizes: list[int]) -> None:
    print(f"{os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo, LibreOffice() as second:
        for n in sizes:
            folder = Path(tmp, f"class{n}")
            folder.mkdir()
            (folder / "roster.csv").write_text("id\n" + "".join(f"s{i:03d}\n" for i in range(n)), encoding="utf-8")
            t = time.perf_counter()
            made = make_exercise(None, folder / "roster.csv", folder / "ex")
            print(f"exercise: {n} workbooks in {time.perf_counter() - t:.2f} s")
            L = layout_of(6, 1)
            sub = folder / "sub"
            sub.mkdir()
            for path in made.files:
                fill(lo, path, sub / path.name, correct_formulas(L), L)
            for engines in ([lo], [lo, second]):
                took = timed_grade(sub, made.folder, folder / "report.csv", engines)
                print(f"grade {n}, {len(engines)} warm engine(s): {n / took:.1f} per second "
                      f"({took:.2f} s; {load()})")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [30, 200])
