"""Fault injection on every write path: an OSError in the middle of writing a workbook leaves
the file that was there byte-identical, and no temporary file beside it.

A write path is one entry of WRITES (a `gradsheet set` command joins as one more line); a
fault is one entry of FAULTS. Writing straight into the target instead of a temporary file
renamed into place fails every fault: XlsxWriter's or Lite's failure would have truncated or
rewritten the target already, and the final rename would never happen.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradsheet.build import make
from gradsheet.cli import main


class Injected(OSError):
    """The fault we plant (a disk that fills up, a network drive that goes away)."""


def cli(*args) -> None:
    """Run a gradsheet command; raise what stopped it, so a test sees a failed write."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if result.exit_code != 0:
        raise RuntimeError(f"exit {result.exit_code}: {result.output}")


# Every command that (re)writes a workbook file, applied to an existing gradsheet workbook.
WRITES = {
    "build over it": lambda path: cli("build", "-o", path, "--seed", 9),
    "step": lambda path: cli("step", path),
    "run": lambda path: cli("run", path, "-n", 3),
    "next": lambda path: cli("next", path),
    "reset": lambda path: cli("reset", path, "--seed", 9),
    "set": lambda path: cli("set", path, "--lr", "0.0005", "--seed", 4),
}


def fail_on(monkeypatch, owner, attr: str, when=lambda *a, **k: True) -> list:
    """Make owner.attr raise Injected when `when(*args)` holds; returns a list that records
    each time it did."""
    real, fired = getattr(owner, attr), []

    def faulty(*args, **kwargs):
        if when(*args, **kwargs):
            fired.append(args)
            raise Injected(28, "No space left on device (injected)")
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, attr, faulty)
    return fired


# Where a write can fail, from the first bytes to the last step.
FAULTS = {
    # XlsxWriter adds each finished part to the zip with ZipFile.write (Lite's parts go
    # through writestr/open instead): fail on the third part, with the zip half written.
    "XlsxWriter's zip, half written": lambda mp, target: fail_on(
        mp, zipfile.ZipFile, "write", lambda zf, *a, **k: len(zf.filelist) >= 2),
    # Adding the xlwings Lite parts rewrites the whole package: fail on its last part.
    "the Lite parts, half written": lambda mp, target: fail_on(
        mp, zipfile.ZipFile, "writestr",
        lambda zf, info, *a, **k: getattr(info, "filename", info).startswith("xl/webextensions/")),
    # Everything written, only the rename onto the old file is left.
    "the rename into place": lambda mp, target: fail_on(
        mp, os, "replace", lambda src, dst, *a, **k: Path(dst).resolve() == target.resolve()),
}


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    """An existing gradsheet workbook with history (so every command has work to do)."""
    path = tmp_path_factory.mktemp("src") / "course.xlsx"
    make(None, path)
    cli("run", path, "-n", 2)
    return path.read_bytes()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("write", WRITES)
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, workbook, write, fault):
    target = tmp_path / "course.xlsx"
    target.write_bytes(workbook)
    fired = FAULTS[fault](monkeypatch, target)
    with pytest.raises(Exception):
        WRITES[write](target)
    assert fired, f"the fault '{fault}' never struck: {write} did not write the way it should"
    assert target.read_bytes() == workbook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.xlsx"]


@pytest.mark.parametrize("write", WRITES)
def test_without_a_fault_each_write_path_changes_the_file(tmp_path, workbook, write):
    """The other half: the same commands do write (so the test above is not vacuous)."""
    target = tmp_path / "course.xlsx"
    target.write_bytes(workbook)
    WRITES[write](target)
    assert target.read_bytes() != workbook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.xlsx"]
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
