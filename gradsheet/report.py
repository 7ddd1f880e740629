"""What the CLI prints after it wrote a workbook: where, what data, and W, B, Loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data.dataset import Dataset
from .core.messages import say
from .core.layout import param_names


SHOWN = 8  # more features than this are shortened to the first few, "…", and the last


def _shorten(items: list[str]) -> list[str]:
    return items if len(items) <= SHOWN else items[:3] + [say("build.more", count=len(items))] + items[-1:]


def params_line(params: int | list[str], theta: np.ndarray, loss: float | None) -> str:
    """'W = 1.2, B = 3, Loss = 0.5' (params: the names, or the inputs k of a linear model);
    without Loss when it is None."""
    names = param_names(params) if isinstance(params, int) else params
    parts = [f"{name} = {value:.6g}" for name, value in zip(names, theta)]
    return ", ".join(_shorten(parts)) + ("" if loss is None else f", Loss = {loss:.6g}")


def describe_build(path: Path, dataset: Dataset, lr: float, eps: float, theta: np.ndarray,
                   loss: float, lang: str | None = None, hidden: int = 0) -> str:
    """In `lang` (default: the language in use); `hidden`: a network's hidden units."""
    features = ", ".join(_shorten(list(dataset.feature_names)))
    first = say("build.built", lang, path=path, n=dataset.n, features=features, target=dataset.target_name,
                lr=lr, eps=eps)
    names = param_names(dataset.k, dataset.model, len(dataset.classes), hidden)
    return f"{first}\n{params_line(names, theta, loss)}"


def loss_change(before: float, after: float) -> str:
    """'Loss 1916.76 → 0.795 ↓': what the command did to Loss, at a glance."""
    arrow = "↓" if after < before else "↑" if after > before else "="
    return f"Loss {before:.6g} → {after:.6g} {arrow}"


def batch_line(settings, n: int, state) -> str:
    """--batch: which batch of which epoch comes next, and how many steps make an epoch."""
    from .core.batches import step_of
    found = settings.batches(n)
    step = step_of(state.theta, state.history, settings.eps)
    return say("book.batch_next", epoch=found.epoch(step), which=found.which(step) + 1, count=found.per_epoch,
               batch=found.size, order=say("book.batch_shuffled" if settings.shuffle else "book.batch_in_order"))
