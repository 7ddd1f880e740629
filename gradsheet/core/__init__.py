"""The engine: numpy and the course's procedure, no workbook libraries (xlwings Lite embeds it)."""
