"""The classroom: one exercise workbook per student (exercise.py), and grading what comes back
in a real spreadsheet engine (grade.py over engine.py)."""
