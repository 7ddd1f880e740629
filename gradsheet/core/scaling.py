"""--scale: rescale raw feature columns so one learning rate suits them all."""

from __future__ import annotations

import numpy as np


def scale_columns(X: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scaled X, centre, spread) with scaled = (raw − centre) / spread.

    standard: centre = mean, spread = population standard deviation (Excel STDEV.P);
    minmax:   centre = min,  spread = max − min.
    A constant column keeps spread 1, so it is shifted but never divided by zero."""
    if how == "standard":
        centre, spread = X.mean(axis=0), X.std(axis=0)
    elif how == "minmax":
        centre, spread = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
    else:
        raise ValueError(how)
    spread = np.where(spread > 0, spread, 1.0)
    return (X - centre) / spread, centre, spread
