"""Reading the table a workbook learns from, and presets."""
