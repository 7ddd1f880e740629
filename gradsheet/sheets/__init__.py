"""The workbook's sheets, written with XlsxWriter."""
