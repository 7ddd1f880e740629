"""The Excel text of the sheet's own formulas, the ones that belong to no model: the initial
value generator, the course's observation cell, the numerical derivative's error, the
distance to the answer and --scale's columns. The model's formulas (h, Loss, Loss_P, the
exact slope, the answer) stand beside their numpy in core/models.py, the optimizers' in
core/optimizers.py.

Row formulas use plain A1 references, scalars use the contract's names; nothing needs
dynamic arrays, LET/LAMBDA or implicit intersection, so Excel 2010+, Excel for the web,
LibreOffice and Google Sheets all calculate the same.
"""

from __future__ import annotations

import math
import re

from ..core.a1 import xl_col_to_name
from ..core.layout import Layout

# A function of a column (LN, EXP, ABS, MAX of an array expression) inside SUMPRODUCT: Excel,
# LibreOffice and Google Sheets evaluate it row by row, Gnumeric at one cell (implicit
# intersection), silently. Entered as an array formula ({=…}) it is row by row everywhere.
_ARRAY_INSIDE = re.compile(r"SUMPRODUCT\(.*\b(?:LN|EXP|ABS|MAX|MIN|TANH|MOD|INT)\(")


def write_cell(ws, row: int, col: int, formula: str, style, value) -> None:
    """ws.write_formula, but a formula that needs array evaluation goes in as a one-cell
    array formula (the same text, Ctrl+Shift+Enter's braces around it)."""
    if _ARRAY_INSIDE.search(formula):
        ws.write_array_formula(row, col, row, col, formula, style, value)
    else:
        ws.write_formula(row, col, formula, style, value)


def mean(expr: str, rows: str, over: tuple[str, str] | None = None) -> str:
    """The mean of an array expression over the data rows: SUMPRODUCT(expr)/ROWS(rows); over
    a batch (`over` = (mask, count): an array of TRUE/FALSE per data row and the cell holding
    how many are TRUE) SUMPRODUCT(mask*(expr))/count, the rows outside the batch weighed 0."""
    if over is None:
        return f"SUMPRODUCT({expr})/ROWS({rows})"
    mask, count = over
    return f"SUMPRODUCT({mask}*({expr}))/{count}"


INIT = "=ROUND(RAND()*2-1,2)"  # settings.initial_theta draws from the same range
# The course's observation cell; empty until Loss is first copied into prevLoss (action 3), whose
# 0 (a Loss of exactly 0 is no Loss to watch fall) would show Loss/eps, millions, as a slope.
DLOSS_DT = '=IF(prevLoss=0,"",(Loss-prevLoss)/eps)'


def dloss_dt(layout: Layout) -> str:
    """DLOSS_DT; with --batch the batch's Loss is the one a nudge is watched in."""
    return DLOSS_DT.replace("(Loss-", "(Loss_batch-") if layout.batch else DLOSS_DT


def fd_error(name: str) -> str:
    """How far the numerical derivative is from the exact one."""
    return f"=grad_{name}-exact_grad_{name}"


def best_dist(layout: Layout) -> str:
    """Euclidean distance of the current parameters from the least-squares answer."""
    pc = layout.param_columns
    first, last = layout.param_row(0) + 1, layout.param_row(layout.k) + 1
    now = f"{xl_col_to_name(pc['value'])}{first}:{xl_col_to_name(pc['value'])}{last}"
    best_ = f"{xl_col_to_name(pc['best'])}{first}:{xl_col_to_name(pc['best'])}{last}"
    return f"=SQRT(SUMXMY2({now},{best_}))"


def scaled_template(layout: Layout, j: int) -> str:
    """scaling.scale_columns: x_j = (raw − centre) / spread, with the centre and spread in
    the two cells above the column ({0} is the Excel row number)."""
    raw, col = xl_col_to_name(layout.raw_column(j)), xl_col_to_name(layout.columns[layout.features[j]])
    return f"=({raw}{{0}}-{col}${layout.head_row - 2})/{col}${layout.head_row - 1}"  # Excel rows


def scale_stats(layout: Layout, j: int, how: str) -> tuple[str, str]:
    """(centre, spread) formulas of raw column j; a constant column keeps spread 1."""
    c = xl_col_to_name(layout.raw_column(j))
    rng = f"{c}{layout.first_row + 1}:{c}{layout.last_row + 1}"
    if how == "standard":
        return f"=AVERAGE({rng})", f"=IF(STDEVP({rng})>0,STDEVP({rng}),1)"
    return f"=MIN({rng})", f"=IF(MAX({rng})-MIN({rng})>0,MAX({rng})-MIN({rng}),1)"


def stored(v: float) -> float | str:
    """A formula's stored value: the model's number, or #NUM! where it overflowed (only for
    absurd data or lr, where the cell itself would show #NUM! too; "inf" is not valid xlsx)."""
    return v if math.isfinite(v) else "#NUM!"


# XlsxWriter runs some thirty regular expressions over every formula to prefix Excel 365's
# dynamic-array functions (FILTER, LAMBDA, …). The derived sheets write ten thousand formulas
# that use none of them (the project's rule): a formula whose functions are all classic ones
# skips that scan, any other goes through XlsxWriter's own path, so the file is the same.
CLASSIC = frozenset({"SUMPRODUCT", "MAX", "IF", "SQRT", "INDEX", "ROW", "ROWS", "SUMSQ", "LOG10", "AND",
                     "ISNUMBER", "ROUND", "AVERAGE", "DEVSQ", "LN", "EXP", "ABS", "SUM", "MOD", "INT",
                     "ROUNDUP", "MIN"})
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


def quick_formulas(ws) -> None:
    """Let `ws` skip XlsxWriter's dynamic-function scan for formulas of CLASSIC functions.
    A private method of XlsxWriter: where a version lacks it, formulas simply take the full path."""
    full = getattr(ws, "_prepare_formula", None)
    if full is None:
        return

    def prepare(formula, expand_future_functions=False):
        if formula.startswith("=") and set(_FUNCTION.findall(formula)) <= CLASSIC:
            return formula[1:]
        return full(formula, expand_future_functions)
    ws._prepare_formula = prepare
