"""What users install is what the tests test.

A hand-written package list once shipped a wheel without gradsheet.core while an editable
install hid it from every test. Under CI=true the suite must import the installed package,
and that package must hold every file of the checkout's gradsheet/ tree.
"""

import os
import subprocess
from pathlib import Path

import pytest

import gradsheet

CHECKOUT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _installed_root() -> Path:
    return Path(gradsheet.__file__).resolve().parent


@pytest.mark.skipif(not IN_CI, reason="the fast loop may use an editable install")
def test_ci_imports_the_installed_package_not_the_checkout():
    # The check is on the source tree, not the checkout as a whole: CI without an active
    # virtual environment makes its venv inside the checkout (.venv/…/site-packages).
    root = _installed_root()
    assert root != CHECKOUT / "gradsheet" and "site-packages" in root.parts, (
        f"gradsheet was imported from the checkout ({gradsheet.__file__}); CI must test the "
        "package as `pip install .` installs it")


def _shipped_files() -> list[str]:
    """The checkout's gradsheet/ files, as git tracks them (relative to gradsheet/)."""
    try:
        out = subprocess.run(["git", "-C", str(CHECKOUT), "ls-files", "gradsheet"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [line.split("/", 1)[1] for line in out.splitlines() if line]


def test_every_file_of_the_package_is_installed():
    files = _shipped_files()
    assert any(f.startswith("core/") for f in files) and "templates/iris.csv" in files
    root = _installed_root()
    missing = [f for f in files if not (root / f).is_file()]
    assert not missing, f"not in the installed package at {root}: {missing}"


def test_version_is_printed_and_written_into_the_workbook(tmp_path):
    import json

    import openpyxl
    from click.testing import CliRunner

    from gradsheet.build import make
    from gradsheet.cli import main
    printed = CliRunner().invoke(main, ["--version"])
    assert printed.exit_code == 0 and printed.output.strip() == f"gradsheet, version {gradsheet.__version__}"
    path = make(None, tmp_path / "lemonade.xlsx").path
    wb = openpyxl.load_workbook(path, read_only=True)
    meta = {k: json.loads(v) for k, v in wb["gradsheet"].iter_rows(values_only=True)}
    wb.close()
    assert meta["version"] == gradsheet.__version__
