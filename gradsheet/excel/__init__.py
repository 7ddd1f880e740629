"""Excel front-ends and files: xlwings Lite parts, the classic ribbon add-ins, reading a workbook file."""
