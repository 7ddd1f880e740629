"""Limits on a zip-based file gradsheet did not write (an .xlsx data file or roster for `build`
and `exercise`, a student's submission for `grade`), checked before any parser opens it.

A zip's directory may lie about sizes, so every part is unpacked (to nowhere) with a running
count. A lemonade exercise is ~30 KB and unpacks to ~200 KB; the largest honest workbooks of a
class, and the data tables gradsheet can use (MAX_ROWS rows), are far below these.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MB = 2 ** 20
MAX_FILE = 50 * MB  # the file itself
MAX_PART = 100 * MB  # one zip part, unpacked
MAX_UNPACKED = 200 * MB  # all parts together, unpacked
MAX_PARTS = 5000


@dataclass(frozen=True)
class Breach:
    """Which limit a file passes, and the numbers to say so: `kind` is one of too_big (the
    file), too_many_parts, part_too_big (a part's own size, as its directory declares it),
    part_unpacks_too_much (a part past MAX_PART while unpacking), unpacks_too_much (all parts
    together past MAX_UNPACKED), damaged (not a zip that unpacks)."""
    kind: str
    values: dict = field(default_factory=dict)


def check_zip(source: str | os.PathLike | bytes) -> Breach | None:
    """None when the zip file (a path, or its bytes) is within every limit, else the first limit
    it passes. Reads at most MAX_UNPACKED bytes of unpacked data."""
    size = len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size
    if size > MAX_FILE:
        return Breach("too_big", {"mb": size / MB, "limit": MAX_FILE // MB})
    opened = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with zipfile.ZipFile(opened) as z:
            parts = z.infolist()
            if len(parts) > MAX_PARTS:
                return Breach("too_many_parts", {"parts": len(parts), "limit": MAX_PARTS})
            total = 0
            for part in parts:
                if part.file_size > MAX_PART:
                    return Breach("part_too_big", {"part": part.filename, "mb": part.file_size / MB,
                                                   "limit": MAX_PART // MB})
                seen = 0
                with z.open(part) as f:
                    while chunk := f.read(MB):
                        seen += len(chunk)
                        if seen > MAX_PART:
                            return Breach("part_unpacks_too_much", {"part": part.filename, "limit": MAX_PART // MB})
                        if total + seen > MAX_UNPACKED:
                            return Breach("unpacks_too_much", {"part": part.filename, "limit": MAX_UNPACKED // MB})
                total += seen
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, NotImplementedError,
            OSError):
        return Breach("damaged")
    return None
