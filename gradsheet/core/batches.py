"""Mini-batches and epochs (`--batch B`): which data rows each step learns from.

Epoch e visits every row exactly once, B rows a step (the last batch of an epoch may be shorter,
as Keras's is). The order is shuffled per epoch from the workbook's seed, as Keras shuffles by
default, or kept in table order (`--no-shuffle`). Every piece is integer arithmetic a
spreadsheet does exactly, so the sheet's live formulas, the engine and the derived sheets pick
the same rows:

    key_i      a number per row, stored: a random order of 0 … n−1 drawn from the seed
               (--no-shuffle: the row's place, 0 … n−1)
    a, b, c    the epoch's shuffle: row MOD(e − 1, CYCLE) + 1 of the shuffle table
               (--no-shuffle: one row, a = 1, b = 0, c = 0)
    turn_i     the row's place in epoch e's order: MOD(a·g + b, n) + 1, where
               g = key_i + (key_i < c)·(c − 1 − 2·key_i) turns the first c keys around
               (0 … c−1 read backwards) and every a is coprime to n: both steps are permutations
               of 0 … n−1, so every epoch visits each row once. An affine map alone splits a small
               table few ways (6 rows in pairs: 2 of the 15 pairings); turning a prefix around
               first makes more (6 of them, over the 61 epochs of the course's seed)
    step s     updates done (0-based: the step under way or next); epoch e = INT(s / nb) + 1
               with nb = ROUNDUP(n / B) batches an epoch, and the epoch's batch j = MOD(s, nb)
    in_batch_i 1 when INT((turn_i − 1) / B) = j: the rows whose turn falls in batch j

The step counter is the history table's: a step's row is written when it starts (action 2), so
`step` = the history rows, less one while a step is under way (every parameter at history's
last row H, one of them perhaps at H + eps). It needs no cell of its own for the students to
keep: the batch changes when the update moves the parameters.

The batch's Loss is the model's loss over the batch's rows; on the sheet every mean over the
rows becomes a mean over in_batch's rows (`on_batch`), so the models' Excel texts stay written
once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

CYCLE = 61  # rows of the shuffle table: epoch e uses row MOD(e − 1, CYCLE) + 1
# The step counter's test of "every parameter at H (one perhaps at H + eps)": the coach's
# position tolerance (core/coach.py POS_EPS, POS_REL), written out here to keep this module free
# of the coach.
POS_EPS, POS_REL = 1e-9, 1e-12


@dataclass(frozen=True)
class Batches:
    size: int  # B
    key: np.ndarray  # per row, an int 0 … n−1 (a permutation)
    mix: np.ndarray  # (rows, 3) ints: a, b, c per epoch of the cycle

    @property
    def n(self) -> int:
        return int(self.key.size)

    @property
    def per_epoch(self) -> int:
        """Batches an epoch: ROUNDUP(n / B)."""
        return -(-self.n // self.size)

    def epoch(self, step: int) -> int:
        """The epoch (1-based) step `step` (0-based) belongs to."""
        return step // self.per_epoch + 1

    def which(self, step: int) -> int:
        """The batch (0-based) of its epoch that step `step` uses."""
        return step % self.per_epoch

    def shuffle(self, epoch: int) -> tuple[int, int, int]:
        a, b, c = self.mix[(epoch - 1) % len(self.mix)]
        return int(a), int(b), int(c)

    def turns(self, epoch: int) -> np.ndarray:
        """Every row's place (1-based) in epoch `epoch`'s order."""
        a, b, c = self.shuffle(epoch)
        turned = self.key + (self.key < c) * (c - 1 - 2 * self.key)
        return (a * turned + b) % self.n + 1

    def mask(self, step: int) -> np.ndarray:
        """in_batch of every row for step `step` (bool)."""
        return (self.turns(self.epoch(step)) - 1) // self.size == self.which(step)

    def rows(self, step: int) -> np.ndarray:
        """The indices (in table order) of step `step`'s rows."""
        return np.flatnonzero(self.mask(step))


def make(n: int, size: int, seed: int | None, shuffle: bool = True) -> Batches:
    """The workbook's batches: the key and the shuffle table drawn from the seed (a stream of
    its own, so the same seed's W and B stay the same with or without batches)."""
    if not shuffle:
        return Batches(size, np.arange(n, dtype=np.int64), np.array([[1, 0, 0]], dtype=np.int64))
    rng = np.random.default_rng([0 if seed is None else int(seed), 20])
    key = rng.permutation(n).astype(np.int64)
    units = np.array([a for a in range(1, max(n, 2)) if math.gcd(a, n) == 1] or [1], dtype=np.int64)
    mix = np.column_stack([rng.choice(units, CYCLE), rng.integers(0, max(n, 1), CYCLE),
                           rng.integers(0, n + 1, CYCLE)]).astype(np.int64)
    return Batches(size, key, mix)


def valid(key, mix, n: int) -> bool:
    """Whether a key column and a shuffle table (as read from a book) make a partition: the key
    a permutation of 0 … n−1, every a coprime to n, b in 0 … n−1 and c in 0 … n."""
    key = np.asarray(key, dtype=float)
    mix = np.asarray(mix, dtype=float)
    if mix.ndim != 2 or mix.shape[1] != 3:
        return False
    if key.size != n or not len(mix) or not np.all(np.isfinite(key)) or not np.all(np.isfinite(mix)):
        return False
    if np.any(key != np.round(key)) or np.any(mix != np.round(mix)):
        return False
    if not np.array_equal(np.sort(key.astype(np.int64)), np.arange(n)):
        return False
    return all(math.gcd(int(a), n) == 1 and 0 < a < max(n, 2) and 0 <= b < max(n, 1) and 0 <= c <= n
               for a, b, c in mix)


def step_of(theta: np.ndarray, history: np.ndarray, eps: float) -> int:
    """Updates done: the history rows, less one while a step is under way: every parameter at
    history's last row H, or all but one, which is at H + eps (the places actions 2 … 4-3 leave
    them). An update moves at least one parameter off H (a forward difference's slope is never
    0 for them all), and a parameter whose slope is 0 (an input of 0 in a batch of one row) stays
    at H without holding the step back. A wrong hand action (a parameter off every place) shows
    the next step's batch until it is put right, and the coach names it meanwhile.
    The sheet's `step` formula (`excel_step`) reads the same cells."""
    history = np.asarray(history, dtype=float)
    n = len(history)
    if n == 0:
        return 0
    theta = np.asarray(theta, dtype=float)
    H = history[-1, :theta.size]
    with np.errstate(all="ignore"):
        at = np.abs(theta - H) <= eps * POS_EPS + np.abs(H) * POS_REL
        nudged = np.abs(theta - (H + eps)) <= eps * POS_EPS + np.abs(H + eps) * POS_REL
    at, nudged = int(np.count_nonzero(at)), int(np.count_nonzero(nudged))
    under_way = at == theta.size or (at == theta.size - 1 and nudged == 1)
    return n - 1 if under_way else n


# --- the sheet's text ---------------------------------------------------------------------------
_ROWS = re.compile(r"ROWS\([A-Za-z_][A-Za-z0-9_]*\)")
_SUM_OF_COLUMN = re.compile(r"(?<![A-Z])SUM\(([A-Za-z_][A-Za-z0-9_]*)\)")


def on_batch(formula: str) -> str:
    """A model's Excel text over all rows, over this step's batch instead: every SUMPRODUCT
    weighs its rows by in_batch, every count of rows is SUM(in_batch), a column's SUM is
    SUMPRODUCT(in_batch, column), and a Loss_P written as Loss + a change starts from Loss_batch.
        =SUMPRODUCT((h+eps*x-y)^2)/ROWS(y)  ->  =SUMPRODUCT(in_batch,(h+eps*x-y)^2)/SUM(in_batch)"""
    out = _SUM_OF_COLUMN.sub(r"SUMPRODUCT(in_batch,\1)", formula)
    out = out.replace("SUMPRODUCT(", "SUMPRODUCT(in_batch,").replace("SUMPRODUCT(in_batch,in_batch,", "SUMPRODUCT(in_batch,")
    out = _ROWS.sub("SUM(in_batch)", out)
    if out.startswith("=Loss+"):
        out = "=Loss_batch+" + out[len("=Loss+"):]
    return out


def excel_rows(layout, point: str) -> dict[str, str]:
    """The row formulas ({0} is the Excel row number) of turn, in_batch and the chart's
    batch_point (`point`: the column the data chart draws, shown for this step's rows only)."""
    from .a1 import xl_col_to_name
    col = {name: xl_col_to_name(layout.columns[name]) for name in ("key", "turn", "in_batch", point)}
    key = f"{col['key']}{{0}}"
    return {"turn": f"=MOD(shuffle_a*({key}+({key}<shuffle_c)*(shuffle_c-1-2*{key}))+shuffle_b,ROWS(key))+1",
            "in_batch": f"=IF(INT(({col['turn']}{{0}}-1)/batch)=MOD(step,ROUNDUP(ROWS(key)/batch,0)),1,0)",
            "batch_point": f"=IF({col['in_batch']}{{0}}=1,{col[point]}{{0}},NA())"}


def excel_step(n: str, values: str, hists: str, count: int) -> str:
    """`step`, as step_of: the history rows `n` (a cell), less one while every parameter (the
    `values` range) stands at H (the `hists` range), or all but one, which stands at H + eps."""
    tol = lambda target: f"eps*{POS_EPS!r}+ABS({target})*{POS_REL!r}".replace("e-", "E-")  # noqa: E731
    at = f"SUMPRODUCT(--(ABS({values}-{hists})<={tol(hists)}))"
    nudged = f"SUMPRODUCT(--(ABS({values}-({hists}+eps))<={tol(hists + '+eps')}))"
    return f"=IF({n}=0,0,{n}-IF(OR({at}={count},AND({at}={count - 1},{nudged}=1)),1,0))"


EPOCH = "=INT(step/ROUNDUP(ROWS(key)/batch,0))+1"
SHUFFLE_A = "=INDEX(shuffle,MOD(epoch-1,ROWS(shuffle))+1,1)"
SHUFFLE_B = "=INDEX(shuffle,MOD(epoch-1,ROWS(shuffle))+1,2)"
SHUFFLE_C = "=INDEX(shuffle,MOD(epoch-1,ROWS(shuffle))+1,3)"


def history_cells(history: np.ndarray, first: int, batches: Batches | None, losses_batch=None) -> list[list]:
    """The history table's rows from the engine's [P…, Loss] rows starting at row `first`
    (0-based): [step, P…, Loss], with --batch [step, epoch, P…, Loss, Loss_batch]."""
    out = []
    for i, row in enumerate(np.asarray(history, dtype=float), start=first):
        values = [float(v) for v in row]
        if batches is None:
            out.append([i + 1] + values)
        else:
            out.append([i + 1, batches.epoch(i)] + values + [float(losses_batch[i - first])])
    return out
