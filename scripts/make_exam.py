#!/usr/bin/env python3
"""Generate templates/exam.csv: a made-up exam table for binary classification. Hours
studied (공부 시간) and a practice-test score (모의고사 점수) → 합격 or 불합격 (pass/fail).

The outcome is drawn from a logistic model of both inputs, so the chance of passing rises
smoothly with each and the two classes overlap: no straight line separates them, as with
real students (the preset's workbook learns probabilities, not a perfect rule).
Generated here from a fixed seed, so it is ours to give away (CC0, see templates/NOTICE).

    python3 scripts/make_exam.py
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "gradsheet" / "templates" / "exam.csv"


def main() -> None:
    rng = np.random.default_rng(2025)
    n = 60
    hours = rng.uniform(1, 10, n).round(1)  # 공부 시간 (시간)
    score = np.clip(35 + 4 * hours + rng.normal(0, 12, n), 0, 100).round()  # 모의고사 점수
    z = 0.7 * (hours - 5.5) + 0.08 * (score - 60)  # log-odds of passing
    passed = rng.random(n) < 1 / (1 + np.exp(-z))
    lines = ["공부 시간,모의고사 점수,결과"]
    lines += [f"{h},{s:.0f},{'합격' if p else '불합격'}" for h, s, p in zip(hours, score, passed)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
