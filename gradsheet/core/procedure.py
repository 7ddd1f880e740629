"""The course's hand procedure (steps 2–6) as a list of single actions.

For W and B the codes are the course's own: 2, 3, 4-1, 4-2, 4-3, 5-1, 5-2, 5-3, 6.
With k features each parameter gets its own group (4 for W_1, 5 for W_2, …, then B),
and the last action (paste the next values) is numbered after them. An optimizer with a
state (momentum, RMSprop, Adam) adds one more: paste the next state (and for Adam, t + 1).
That comes after next_P is pasted, because next_P is computed from the current state.
"""

from __future__ import annotations

from .layout import param_names
from .optimizers import OPTIMIZERS
from .texts import ACTIONS

BATCH_KINDS = ("copy_history", "copy_loss", "update")  # said otherwise with --batch

# Every function takes the workbook's parameters: their names (layout.params), or the
# number of inputs k of a linear model (W or W_1 … W_k, then B).


def _names(params: int | list[str]) -> list[str]:
    return param_names(params) if isinstance(params, int) else list(params)


def actions(params: int | list[str], optimizer: str = "gd") -> list[tuple[str, str, int | None]]:
    """[(code, kind, parameter index or None)] in the order a student does them."""
    count = len(_names(params))
    out = [("2", "copy_history", None), ("3", "copy_loss", None)]
    for p in range(count):
        for i, kind in enumerate(("nudge", "paste_slope", "restore"), start=1):
            out.append((f"{4 + p}-{i}", kind, p))
    out.append((str(4 + count), "update", None))
    if OPTIMIZERS[optimizer].slots:
        out.append((str(5 + count), "paste_state", None))
    return out


def describe(k: int | list[str], index: int, lang: str, optimizer: str = "gd", batch: bool = False) -> str:
    """'4-1: add eps to W' for the action at `index`. `batch` (--batch): 2 copies the epoch and
    Loss_batch too, 3 copies Loss_batch, and the update moves on to the next batch."""
    code, kind, p = actions(k, optimizer)[index]
    if batch and kind in BATCH_KINDS:
        kind = f"{kind}_batch"
    if kind == "paste_state":
        opt = OPTIMIZERS[optimizer]
        text = ACTIONS[lang]["paste_state"].format(
            next=", ".join(f"next_{s}" for s in opt.slots), slots=", ".join(opt.slots))
        if opt.counts_updates:
            text += ACTIONS[lang]["and_count"]
    else:
        text = ACTIONS[lang][kind].replace("{P}", _names(k)[p] if p is not None else "")
    return f"{code}: {text}"


def just_did(k: int | list[str], index: int | None, lang: str, optimizer: str = "gd", batch: bool = False) -> str:
    if index is None:
        return ACTIONS[lang]["nothing_yet"]
    code, rest = describe(k, index, lang, optimizer, batch).split(": ", 1)
    return ACTIONS[lang]["just_did"].format(code=code, what=rest)


def last_done(k: int | list[str], action: int, has_history: bool, optimizer: str = "gd") -> int | None:
    """The action done just before `action`: at the start of a step, the previous step's
    final action (or nothing yet, before the first step)."""
    if action:
        return action - 1
    return len(actions(k, optimizer)) - 1 if has_history else None


def parse(k: int | list[str], status: object, optimizer: str = "gd") -> int:
    """Index of the next action from the status cell's text ('4-1: …'); unknown -> 0."""
    code = str(status or "").split(":", 1)[0].strip()
    for i, (c, _, _) in enumerate(actions(k, optimizer)):
        if c == code:
            return i
    return 0
