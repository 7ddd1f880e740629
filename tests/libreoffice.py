"""The tests' LibreOffice harness is the grader's engine (gradsheet/classroom/engine.py): one
driver of a real LibreOffice over UNO, for the proofs and for `gradsheet grade` alike."""
from gradsheet.classroom.engine import (UNO_PATHS, XLSX_FILTER, CellError, Doc, FormulaErrors,  # noqa: F401
                                        LibreOffice, LibreOfficeUnavailable, TableRef, _props, _read,
                                        import_uno, recalculated_names)
