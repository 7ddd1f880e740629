"""Sheet buttons for xlwings Lite, and the main.py the workbook carries for them.

A Lite button is a named shape with an internal hyperlink to the cell under it, bound by
`@script(button="[shape name]Sheet!A1")`. XlsxWriter names every textbox "TextBox N", so
the writer gives each button's name as its alt text and `embed_lite` renames the shapes
in the finished file, then adds the Lite parts holding main.py.

main.py is made from gradsheet's own source: the engine modules are embedded as text and
imported through a small loader, so inside Lite (Pyodide) no gradsheet package is needed.
"""

from __future__ import annotations

from pathlib import Path
from xml.dom import minidom

from xlsxwriter.utility import xl_rowcol_to_cell

from .. import __version__
from ..core.layout import BUTTON_ROW, Layout
from .lite import LITE_REQUIREMENTS, add_lite_parts

# (function in main.py, call into gradsheet.core.addin (awaited), Korean label, English label)
BUTTONS = (
    ("one_step", "addin.one_step_async(book)", "한 스텝", "One step"),
    ("ten_steps", "addin.run_steps_async(book, 10)", "10 스텝", "10 steps"),
    ("next_action", "addin.next_action_async(book)", "다음 동작", "Next action"),
    ("reset", "addin.reset_async(book)", "초기화", "Reset"),
)
# main.py embeds the whole engine: gradsheet/__init__.py and every module of core/.
CORE = Path(__file__).resolve().parent.parent / "core"
REQUIREMENTS = LITE_REQUIREMENTS + "numpy\n"
BUTTON_SIZE = {"width": 118, "height": 30}
BUTTON_LEFT_PX, BUTTON_GAP_PX, BUTTON_TOP_PX = 4, 8, 2


def label(lang: str, i: int) -> str:
    return BUTTONS[i][2 if lang == "ko" else 3]


def button_spots(layout: Layout) -> list[tuple[int, int, int]]:
    """(row, column, x offset in pixels) of each button: side by side on the buttons' row
    from the left edge, above the data, so they are on the first screen whatever the data."""
    spots = []
    for i in range(len(BUTTONS)):
        col, offset = layout.col_at_px(BUTTON_LEFT_PX + i * (BUTTON_SIZE["width"] + BUTTON_GAP_PX))
        spots.append((BUTTON_ROW, col, offset))
    return spots


def note_cell(layout: Layout) -> tuple[int, int]:
    """The cell right of the buttons (its left edge past the last one's right edge) where a line
    says where they work."""
    right = BUTTON_LEFT_PX + len(BUTTONS) * BUTTON_SIZE["width"] + (len(BUTTONS) - 1) * BUTTON_GAP_PX
    col, offset = layout.col_at_px(right)
    return BUTTON_ROW, col + (1 if offset else 0)


def button_cells(layout: Layout) -> list[tuple[int, int]]:
    """The cell under each button's top-left corner: its hyperlink's target, and the
    cell its @script(button=...) names."""
    return [(row, col) for row, col, _ in button_spots(layout)]


def insert_buttons(ws, fmt_font: dict, layout: Layout, lang: str) -> None:
    for i, (row, col, offset) in enumerate(button_spots(layout)):
        target = f"internal:'{layout.sheet}'!{xl_rowcol_to_cell(row, col)}"
        ws.insert_textbox(row, col, label(lang, i), {
            **BUTTON_SIZE, "x_offset": offset, "y_offset": BUTTON_TOP_PX, "url": target,
            "description": label(lang, i), "fill": {"color": "#1F4E79"}, "line": {"color": "#1F4E79"},
            "font": fmt_font, "align": {"vertical": "middle", "horizontal": "center"}})


def lite_main(layout: Layout, lang: str) -> str:
    """The workbook's main.py: embedded engine + one @script per button."""
    sources = {"gradsheet": (CORE.parent / "__init__.py").read_text("utf-8"),
               "gradsheet.core": (CORE / "__init__.py").read_text("utf-8")}
    sources.update({f"gradsheet.core.{p.stem}": p.read_text("utf-8")
                    for p in sorted(CORE.glob("*.py")) if p.stem != "__init__"})
    lines = [f'"""gradsheet {__version__} buttons for xlwings Lite (generated; gradsheet rewrites it).',
             "", "The engine is gradsheet's own source, embedded below, so nothing needs installing.",
             '"""', "", "import importlib.abc", "import importlib.util", "import sys", "",
             "import xlwings as xw", "from xlwings import script", "", "_SOURCES = {"]
    lines += [f"    {name!r}: {text!r}," for name, text in sources.items()]
    lines += ["}", "", "", LOADER, "", "from gradsheet.core import addin  # noqa: E402", "", BOOK_ASYNC, ""]
    for i, (func, call, _, _) in enumerate(BUTTONS):
        row, col = button_cells(layout)[i]
        shape = label(lang, i)
        lines += ["", f'@script(button="[{shape}]{layout.sheet}!{xl_rowcol_to_cell(row, col)}")',
                  f"async def {func}(book: BookAsync):", f'    """{shape}"""', f"    await {call}", ""]
    lines += ["", "@script", "async def run_steps(book: BookAsync, steps: int = 100):",
              '    """N steps at once (the task pane asks for N)."""',
              "    await addin.run_steps_async(book, steps)", ""]
    return "\n".join(lines)


# A press reads only the cells it needs (core/press.py) when Lite hands it a book without
# values: `book: xw.BookAsync`, xlwings >= 0.36.9 (requirements.txt pins one). Under an
# older xlwings the name is plain xw.Book: Lite then loads every value first, and the same
# press reads from those.
BOOK_ASYNC = '''# xw.BookAsync (xlwings >= 0.36.9): Excel sends no values up front; a press reads the
# few cells it needs. An older xlwings has none: every value comes first, as with xw.Book.
BookAsync = getattr(xw, "BookAsync", xw.Book)'''

LOADER = '''class _Embedded(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the gradsheet modules from _SOURCES instead of from files."""

    def find_spec(self, name, path=None, target=None):
        if name in _SOURCES:
            return importlib.util.spec_from_loader(name, self, origin="main.py:" + name,
                                                   is_package=(name in ("gradsheet", "gradsheet.core")))
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(_SOURCES[module.__name__], module.__spec__.origin, "exec"), module.__dict__)


if "gradsheet" not in sys.modules:
    sys.meta_path.insert(0, _Embedded())'''


def _rename_shapes(xml: bytes) -> bytes:
    """Give each textbox the name held in its alt text (its button label)."""
    doc = minidom.parseString(xml)
    for node in doc.getElementsByTagName("xdr:cNvPr"):
        if node.getAttribute("name").startswith("TextBox ") and node.getAttribute("descr"):
            node.setAttribute("name", node.getAttribute("descr"))
    return doc.toxml(encoding="UTF-8")


def embed_lite(path: str | Path, layout: Layout, lang: str) -> None:
    """Name the button shapes and add main.py + requirements.txt as xlwings Lite parts,
    in one pass over the file."""
    def rewrite(name: str):
        drawing = name.startswith("xl/drawings/drawing") and name.endswith(".xml")
        return _rename_shapes if drawing else None
    add_lite_parts(path, lite_main(layout, lang), REQUIREMENTS, rewrite=rewrite)
