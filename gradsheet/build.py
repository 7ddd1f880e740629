"""`gradsheet build` as a function: data in, course workbook out."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from . import model
from .dataset import Dataset, load
from .settings import Settings, State, initial_theta
from .writer import model_X, write


def fresh_state(dataset: Dataset, settings: Settings, seed: int | None) -> State:
    """Course step 1 done: parameters from the (seeded) initial value generator,
    prevLoss = the starting Loss, nothing pasted yet, history empty."""
    theta = initial_theta(dataset.k, seed)
    return State.fresh(theta, model.loss(model_X(dataset, settings), dataset.y, theta))


@dataclass(frozen=True)
class Built:
    path: Path
    dataset: Dataset
    settings: Settings
    state: State


def warn_if_unstable(dataset: Dataset, settings: Settings) -> None:
    """Gradient descent on this loss converges only for lr below 2 / (its largest
    curvature); above that the workbook would only show Loss exploding."""
    X = model_X(dataset, settings)
    limit = model.stable_lr(X)
    if settings.lr >= limit:
        hint = "" if settings.scale != "none" or dataset.k == 1 else " or rescale the features with --scale standard"
        warnings.warn(f"lr = {settings.lr:g} is above the largest stable learning rate for this data "
                      f"({limit:.3g}, from the loss's curvature): the descent will diverge; "
                      f"try --lr {model.suggest_lr(X):g}{hint}", stacklevel=3)


def build(data: str | Path | None = None, out: str | Path | None = None, **kwargs) -> Path:
    """Write the course workbook for `data` (None: the lemonade table); see make()."""
    return make(data, out, **kwargs).path


def make(data: str | Path | None = None, out: str | Path | None = None, *,
         target: str | None = None, features: str | list[str] | None = None,
         sheet: str | None = None, **options) -> Built:
    """Write the course workbook for `data` (None: the lemonade table) and return its path.

    `options` are Settings fields: lr, eps, seed, lang, diff, title, buttons, unrolled,
    landscape, scale. Without `out` the workbook is `<data stem>.xlsx` in the current folder.
    """
    dataset = load(data, target=target, features=features, sheet=sheet)
    for message in dataset.warnings:
        warnings.warn(message, stacklevel=2)
    settings = Settings(**options)
    out = Path(out) if out else Path(f"{dataset.name}.xlsx")
    warn_if_unstable(dataset, settings)
    state = fresh_state(dataset, settings, settings.seed)
    return Built(write(out, dataset, settings, state), dataset, settings, state)
