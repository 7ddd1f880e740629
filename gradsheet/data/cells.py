"""Small helpers shared by reading, cleaning and choosing: blank cells, and how a culprit from
the data is shown in a message (quoted, cut, on one line)."""

from __future__ import annotations

from typing import Sequence

from ..core.messages import say


def blank_cell(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def blank_row(row: Sequence) -> bool:
    return all(blank_cell(v) for v in row)


def filled(row: Sequence) -> list:
    return [cell for cell in row if not blank_cell(cell)]


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def clean(value) -> str:
    """One line: characters that are not printable (line breaks, controls) shown escaped."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in str(value))


def q(value, limit: int = 60) -> str:
    """A culprit for a message: quoted, cut, on one line."""
    return f"'{clean(cut(str(value), limit))}'"


class Quoted:
    """q(value) made when the message is shown: a column's cells are tried by the thousand, and
    most reasons why a cell is not a number are never shown."""

    __slots__ = ("value", "limit")

    def __init__(self, value, limit: int = 60):
        self.value, self.limit = value, limit

    def __str__(self) -> str:
        return q(self.value, self.limit)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return str(self)


def plain(number: float) -> str:
    """A number in its shortest spelling, without a trailing '.0'."""
    text = repr(float(number))
    return text[:-2] if text.endswith(".0") else text


def about(number: float) -> str:
    """A size for a message, to two significant digits: 750, 0.97, 12,000, 1e-05."""
    return f"{float(f'{number:.2g}'):,g}"


def shown(cell) -> str:
    return cell.strip() if isinstance(cell, str) else str(cell)


def listed(names: Sequence[str], limit: int = 30) -> str:
    return ", ".join(clean(cut(name, limit)) for name in names)


class Joined:
    """Message parts joined when shown, in the language then in use: `sep` is a separator, or
    with `sep_key` a catalogue key (" or " / " 또는 ")."""

    def __init__(self, parts: Sequence, sep: str = "; ", sep_key: str | None = None):
        self.parts, self.sep, self.sep_key = list(parts), sep, sep_key

    def __str__(self) -> str:
        sep = say(self.sep_key) if self.sep_key else self.sep
        return sep.join(str(part) for part in self.parts)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Joined({self.parts!r})"
