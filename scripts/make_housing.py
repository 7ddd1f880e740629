#!/usr/bin/env python3
"""Generate templates/housing.csv: a made-up apartment price table with four inputs on
very different scales (the Boston-like case where the course's lr diverges without --scale).
Generated here from a fixed seed, so it is ours to give away (CC0, see templates/NOTICE).

    python3 scripts/make_housing.py
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "gradsheet" / "templates" / "housing.csv"


def main() -> None:
    rng = np.random.default_rng(2024)
    n = 200
    area = rng.uniform(30, 150, n).round(1)  # 면적 (m²)
    rooms = rng.integers(1, 6, n)  # 방 수
    station = rng.uniform(0.1, 3.0, n).round(2)  # 역까지 거리 (km)
    age = rng.integers(0, 41, n)  # 연식 (년)
    price = (1.0 + 0.06 * area + 0.3 * rooms - 0.8 * station - 0.04 * age
             + rng.normal(0, 0.3, n)).round(2)  # 가격 (억 원)
    lines = ["면적,방 수,역까지 거리,연식,가격"]
    lines += [f"{a},{r},{s},{g},{p}" for a, r, s, g, p in zip(area, rooms, station, age, price)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
