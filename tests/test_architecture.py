"""The package's shape is enforced, not hoped for: the engine (core/) is what xlwings Lite
embeds, so it may use only the standard library and numpy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gradsheet

PACKAGE = Path(gradsheet.__file__).parent
CORE = PACKAGE / "core"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in a file; level 0 = absolute."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
    return out


def test_core_imports_only_the_standard_library_numpy_and_itself():
    for path in sorted(CORE.glob("*.py")):
        for level, module in imports_of(path):
            top = module.split(".")[0]
            if level == 0:
                assert top in sys.stdlib_module_names or top == "numpy", (path.name, module)
            else:  # relative: inside core, or the package's own __version__
                assert level == 1 or (level == 2 and module == ""), (path.name, level, module)


BLOCKED = r"""
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("xlsxwriter", "openpyxl", "click", "xlwings", "rich"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Blocker())
import importlib, pkgutil
import gradsheet.core
for m in pkgutil.iter_modules(gradsheet.core.__path__):
    importlib.import_module("gradsheet.core." + m.name)
print("ok")
"""


def test_every_core_module_imports_without_the_workbook_libraries():
    out = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True,
                         cwd=PACKAGE.parent)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_lite_main_py_embeds_exactly_core():
    from gradsheet.excel.buttons import lite_main
    from gradsheet.build import make
    from gradsheet.sheets.workbook import layout_for
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        built = make(None, Path(folder) / "l.xlsx", buttons="none")
    main_py = lite_main(layout_for(built.dataset, built.settings, built.state), "ko")
    namespace: dict = {}
    start = main_py.index("_SOURCES = {")
    exec(main_py[start:main_py.index("\n}\n", start) + 3], namespace)
    want = {"gradsheet", "gradsheet.core"} | {f"gradsheet.core.{p.stem}" for p in CORE.glob("*.py")
                                               if p.stem != "__init__"}
    assert set(namespace["_SOURCES"]) == want
