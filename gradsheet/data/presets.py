"""Presets: small TOML files naming a dataset, target, features, model, classes, lr, eps,
seed, language and title. Shipped ones live in templates/ (`gradsheet build --preset
lemonade`); an instructor's own is passed as the data argument (`gradsheet build my-class.toml`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..core.errors import GradsheetError
from .cells import clean, q

# key -> the types it may hold; everything a preset can say, and nothing else
KEYS = {"data": (str,), "target": (str, int), "features": (str, list), "sheet": (str,),
        "lr": (float, int), "eps": (float, int), "seed": (int,), "lang": (str,), "title": (str,),
        "diff": (str,), "scale": (str,), "unrolled": (int,), "buttons": (str,),
        "landscape": (str, list), "optimizer": (str,), "beta": (float, int), "rho": (float, int),
        "beta1": (float, int), "beta2": (float, int), "delta": (float,), "compare": (int,),
        "model": (str,), "classes": (str, list), "hidden": (int,), "activation": (str,),
        "batch": (int,), "shuffle": (bool,)}
LEMONADE = "lemonade"  # `data = "lemonade"` means the embedded course table


def folder() -> Path:
    return Path(str(resources.files("gradsheet.templates")))


def available() -> list[tuple[str, str, Path]]:
    """(name, title, path) of every shipped preset."""
    out = []
    for path in sorted(folder().glob("*.toml")):
        out.append((path.stem, read(path).get("title", ""), path))
    return out


def find(name: str) -> Path:
    path = folder() / f"{name}.toml"
    if not path.is_file():
        names = ", ".join(n for n, _, _ in available())
        raise GradsheetError("preset.unknown", name=q(name), names=names)
    return path


def read(path: str | Path) -> dict:
    """The preset's build options, with `data` resolved beside the TOML file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GradsheetError("preset.not_found", path=clean(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise GradsheetError("preset.bad_toml", path=clean(path), why=clean(str(e).splitlines()[0])) from None
    for key, value in raw.items():
        if key not in KEYS:
            raise GradsheetError("preset.unknown_key", path=clean(path), option=q(key), keys=", ".join(KEYS))
        if (isinstance(value, bool) and bool not in KEYS[key]) or not isinstance(value, KEYS[key]):
            raise GradsheetError("preset.wrong_type", path=clean(path), option=q(key), type=type(value).__name__)
    options = dict(raw)
    data = options.pop("data", LEMONADE)
    options["data"] = None if data == LEMONADE else str((path.parent / data).resolve())
    if isinstance(options.get("features"), list):
        options["features"] = ",".join(str(f) for f in options["features"])
    if isinstance(options.get("classes"), list):  # kept a list: a label may hold a comma
        options["classes"] = tuple(str(c) for c in options["classes"])
    if isinstance(options.get("target"), int):
        options["target"] = str(options["target"])
    if isinstance(options.get("landscape"), str):
        options["landscape"] = tuple(p.strip() for p in options["landscape"].split(","))
    elif "landscape" in options:
        options["landscape"] = tuple(options["landscape"])
    for key in ("lr", "eps", "beta", "rho", "beta1", "beta2", "delta"):
        if key in options:
            options[key] = float(options[key])
    return options
