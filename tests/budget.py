"""How many random examples a property test draws: all of them under CI=true, a fifth in the
fast loop on a developer's machine (the same properties, fewer draws)."""

import os

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def examples(n: int) -> int:
    return n if IN_CI else max(3, n // 5)
