"""gradsheet.core.live.Grid over a workbook open in LibreOffice: the steps engine driving a real,
recalculating spreadsheet (what Excel does around the xlwings buttons)."""

from __future__ import annotations

from libreoffice import Doc, _read


class LibreOfficeGrid:
    def __init__(self, doc: Doc):
        self.doc = doc
        self.sheets = doc.model.Sheets

    def sheet_names(self):
        return list(self.sheets.ElementNames)

    def _range(self, sheet, row, col, nrows, ncols):
        return self.sheets.getByName(sheet).getCellRangeByPosition(col, row, col + ncols - 1, row + nrows - 1)

    def read(self, sheet, row, col, nrows, ncols):
        return _read(self._range(sheet, row, col, nrows, ncols), True)

    def write(self, sheet, row, col, values):
        ws = self.sheets.getByName(sheet)
        for i, line in enumerate(values):
            for j, v in enumerate(line):
                cell = ws.getCellByPosition(col + j, row + i)
                if v is None:
                    cell.setString("")  # then clear: an emptied cell, as Excel leaves it
                    from com.sun.star.sheet.CellFlags import STRING, VALUE
                    cell.clearContents(STRING | VALUE)
                elif isinstance(v, str):
                    cell.setString(v)
                else:
                    cell.setValue(float(v))

    def table_body(self, sheet, name):
        t = self.doc.table(name)
        if t.last_row == t.first_row:
            return []
        return self.read(sheet, t.first_row + 1, t.first_col, t.last_row - t.first_row,
                         t.last_col - t.first_col + 1)

    def resize_table(self, sheet, name, row, col, nrows, ncols):
        import uno
        area = uno.createUnoStruct("com.sun.star.table.CellRangeAddress")
        area.Sheet = list(self.sheets.ElementNames).index(sheet)
        area.StartColumn, area.StartRow = col, row
        area.EndColumn, area.EndRow = col + ncols - 1, row + nrows - 1
        self.doc.model.DatabaseRanges.getByName(name).setDataArea(area)

    def name_range(self, name):
        names = self.doc.model.NamedRanges
        if not names.hasByName(name):
            return None
        a = names.getByName(name).getReferredCells().getRangeAddress()
        return (self.sheets.ElementNames[a.Sheet], a.StartRow, a.StartColumn,
                a.EndRow - a.StartRow + 1, a.EndColumn - a.StartColumn + 1)
