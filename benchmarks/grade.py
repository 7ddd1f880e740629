"""Submissions graded per second: 100 lemonade-size exercise workbooks, filled with the right
formulas in LibreOffice, graded by `gradsheet grade`'s engine(s), already started (warm): one
LibreOffice, then two side by side (as `gradsheet grade` runs from 20 submissions on a machine
with 2 cores or more). The machine's load average is printed too: other work on the cores
shows in the figures.

    python benchmarks/grade.py [N]

Goal: >= 5 per second (a class of 700 in under 3 minutes).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

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
    assert all(r.score == run.max for r in run.rows), "every filled workbook should get full marks"
    return took


def main(n: int = 100) -> None:
    print(f"{os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory() as tmp, LibreOffice() as lo, LibreOffice() as second:
        tmp = Path(tmp)
        (tmp / "roster.csv").write_text("id\n" + "".join(f"s{i:03d}\n" for i in range(n)), encoding="utf-8")
        t = time.perf_counter()
        made = make_exercise(None, tmp / "roster.csv", tmp / "ex")
        print(f"exercise: {n} workbooks in {time.perf_counter() - t:.2f} s")
        L = layout_of(6, 1)
        sub = tmp / "sub"
        sub.mkdir()
        for path in made.files:
            fill(lo, path, sub / path.name, correct_formulas(L), L)
        for engines in ([lo], [lo, second]):
            took = timed_grade(sub, made.folder, tmp / "report.csv", engines)
            print(f"grade, {len(engines)} warm engine(s): {n} submissions in {took:.2f} s = "
                  f"{n / took:.1f} per second ({load()})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
