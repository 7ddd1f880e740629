"""Advice for inputs on very different scales, the same for every model.

Gradient descent moves every weight with one learning rate. Along input j the loss curves as
mean(x_j²) (times 2 for the squared error, times p(1−p) ≤ 1/4 for cross-entropy: the same for
every input of one model), so a column whose typical size — the root mean square, which counts
an offset like a year's 2024 as well as a spread — is r times another's curves r² times more
sharply. The learning rate must stay below 2 / (the sharpest curvature), and then the flattest
direction shrinks by at most 1 − 2/r² a step. At SCALE_RATIO = 100 that is 1 − 2·10⁻⁴: in the
100 steps of the 'All steps' sheet the small column's weight moves at most 2 % of its way
(1 − (1 − 2·10⁻⁴)¹⁰⁰), whatever stable lr one picks. Tables whose columns differ 10× (hours next to scores) still learn in a few hundred
steps, and get no advice. `--scale standard` (core/scaling.py) gives every input mean 0 and
standard deviation 1, so one learning rate suits them all.
"""

from __future__ import annotations

import numpy as np

from ..core.messages import Message
from .cells import about, q
from .tables import Dataset

SCALE_RATIO = 100.0


def typical_sizes(X: np.ndarray) -> np.ndarray:
    """Each input column's root mean square (its typical size, offset included)."""
    X = np.asarray(X, dtype=np.float64)
    return np.sqrt(np.mean(np.square(X), axis=0)) if X.size else np.zeros(X.shape[1:])


def scale_advice(dataset: Dataset, scale: str | None = "none") -> tuple[Message, ...]:
    """One line when the inputs' typical sizes differ SCALE_RATIO times or more, naming the
    largest and the smallest column and what --scale standard would do; nothing when they do
    not, with fewer than two inputs, or when a --scale other than none is chosen."""
    if scale not in (None, "none") or dataset.k < 2 or dataset.n == 0:
        return ()
    size = typical_sizes(dataset.X)
    used = np.flatnonzero(size > 0)  # an all-zero column has no scale to compare
    if used.size < 2:
        return ()
    big = int(used[np.argmax(size[used])])
    small = int(used[np.argmin(size[used])])
    ratio = size[big] / size[small]
    if ratio < SCALE_RATIO:
        return ()
    return (Message("data.scales_differ", big=q(dataset.feature_names[big], 40),
                    big_size=about(size[big]), small=q(dataset.feature_names[small], 40),
                    small_size=about(size[small]), ratio=about(ratio)),)
