"""Filling exercise workbooks the way a student does, in a real LibreOffice: formulas typed
into the blank cells (the course's correct ones come from the model specs, as the build writes
them), then saved as .xlsx or .ods."""
from __future__ import annotations

from pathlib import Path

from gradsheet.core.layout import Layout
from gradsheet.core.models import LINEAR
from gradsheet.core.optimizers import OPTIMIZERS
from gradsheet.core.texts import texts
from gradsheet.sheets.train import optimizer_refs


def layout_of(n: int, k: int, lang: str = "ko", optimizer: str = "gd") -> Layout:
    """The exercise's training-sheet layout (its places, for typing formulas like a student)."""
    return Layout(n, k, texts(lang)["sheet_train"], optimizer=optimizer)


def correct_formulas(layout: Layout) -> dict[str, list[str]]:
    """blank name -> the formula of each of its cells (h: one per row), in Excel's syntax."""
    out = {"h": [LINEAR.excel_h(layout).format(r + 1) for r in range(layout.first_row, layout.last_row + 1)],
           "Loss": [LINEAR.EXCEL_LOSS]}
    for p, name in enumerate(layout.params):
        out[f"Loss_{name}"] = [LINEAR.excel_nudged_loss(layout, p)]
        out[f"grad_{name}"] = [LINEAR.excel_grad(layout, p)]
        opt = OPTIMIZERS[layout.optimizer]
        out[f"next_{name}"] = [opt.next_param.formula(optimizer_refs(name, opt.slots))]
    return out


def cells_of(layout: Layout, name: str) -> list[tuple[int, int]]:
    if name in layout.columns:  # a column (h; a classifier's z, p, ce …): every data row
        c = layout.columns[name]
        return [(r, c) for r in range(layout.first_row, layout.last_row + 1)]
    return [layout.cell(name)]


def fill(lo, src: Path, dst: Path, formulas: dict[str, list], layout: Layout, before_save=None) -> Path:
    """Open `src`, type `formulas` (name -> cell texts: a formula "=…", a number, or None to leave
    empty) into the named cells, and save as `dst` (.xlsx or .ods by its suffix)."""
    import uno
    from gradsheet.classroom.engine import _props
    doc = lo.open(src)
    try:
        sheet = doc.model.Sheets.getByName(layout.sheet)
        for name, texts_ in formulas.items():
            for (r, c), text in zip(cells_of(layout, name), texts_):
                cell = sheet.getCellByPosition(c, r)
                if text is None:
                    continue
                if isinstance(text, (int, float)):
                    cell.setValue(float(text))
                else:
                    cell.setFormula(_calc_syntax(text))
        if before_save:
            before_save(doc)
        doc.model.calculateAll()
        url = uno.systemPathToFileUrl(str(Path(dst).resolve()))
        filt = "calc8" if dst.suffix == ".ods" else "Calc Office Open XML"
        doc.model.storeToURL(url, _props(FilterName=filt, Overwrite=True))
    finally:
        doc.close()
    return dst


def _calc_syntax(formula: str) -> str:
    """Calc's API takes English function names with ';' between arguments."""
    return formula.replace(",", ";")
