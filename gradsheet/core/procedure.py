"""The course's hand procedure (steps 2–6) as a list of single actions.

For W and B the codes are the course's own: 2, 3, 4-1, 4-2, 4-3, 5-1, 5-2, 5-3, 6.
With k features each parameter gets its own group (4 for W_1, 5 for W_2, …, then B),
and the last action (paste the next values) is numbered after them.
"""

from __future__ import annotations

from .texts import ACTIONS
from .layout import param_names


def actions(k: int) -> list[tuple[str, str, int | None]]:
    """[(code, kind, parameter index or None)] in the order a student does them."""
    out = [("2", "copy_history", None), ("3", "copy_loss", None)]
    for p in range(k + 1):
        for i, kind in enumerate(("nudge", "paste_slope", "restore"), start=1):
            out.append((f"{4 + p}-{i}", kind, p))
    out.append((str(5 + k), "update", None))
    return out


def describe(k: int, index: int, lang: str) -> str:
    """'4-1: add eps to W' for the action at `index`."""
    code, kind, p = actions(k)[index]
    text = ACTIONS[lang][kind].replace("{P}", param_names(k)[p] if p is not None else "")
    return f"{code}: {text}"


def just_did(k: int, index: int | None, lang: str) -> str:
    if index is None:
        return ACTIONS[lang]["nothing_yet"]
    code, rest = describe(k, index, lang).split(": ", 1)
    return ACTIONS[lang]["just_did"].format(code=code, what=rest)


def parse(k: int, status: object) -> int:
    """Index of the next action from the status cell's text ('4-1: …'); unknown -> 0."""
    code = str(status or "").split(":", 1)[0].strip()
    for i, (c, _, _) in enumerate(actions(k)):
        if c == code:
            return i
    return 0
