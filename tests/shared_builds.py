"""Test workbooks built once a session: a test gets a private copy of the file (it may step or
rewrite it) and of the Built objects, so the fast loop does not rebuild the same workbook."""

import atexit
import copy
import dataclasses
import shutil
import tempfile
from pathlib import Path

_FOLDER = Path(tempfile.mkdtemp(prefix="gradsheet-builds-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
_MADE: dict = {}


def built_copy(key: str, folder: Path, make_into):
    """`make_into(own_folder)` builds the workbook the first time `key` is asked for (it must
    depend only on `key`); every call returns a Built whose file is a copy inside `folder`."""
    if key not in _MADE:
        own = _FOLDER / str(len(_MADE))
        own.mkdir()
        _MADE[key] = make_into(own)
    original = _MADE[key]
    path = Path(folder) / original.path.name
    shutil.copy2(original.path, path)
    return dataclasses.replace(copy.deepcopy(original), path=path)
