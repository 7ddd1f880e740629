"""The Excel text of every formula, each beside the model function it must equal.

Row formulas use plain A1 references, scalars use the contract's names; nothing needs
dynamic arrays, LET/LAMBDA or implicit intersection, so Excel 2010+, Excel for the web,
LibreOffice and Google Sheets all calculate the same. SUMPRODUCT evaluates its array
argument without array entry everywhere.
"""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name

from .layout import Layout

INIT = "=ROUND(RAND()*2-1,2)"  # settings.initial_theta draws from the same range
LOSS = "=SUM(sqerr)/ROWS(sqerr)"  # model.loss_of
DLOSS_DT = "=(Loss-prevLoss)/eps"  # the course's observation cell


def h_template(layout: Layout) -> str:
    """model.predict: =W*A5+B, or =W_1*A5+W_2*B5+B ({0} is the Excel row number).
    A template, because the writer fills it for every one of up to a million rows."""
    terms = [f"{w}*{xl_col_to_name(layout.columns[x])}{{0}}"
             for w, x in zip(layout.params[:-1], layout.features)]
    return "=" + "+".join(terms) + "+B"


def sqerr_template(layout: Layout) -> str:
    """(h − y)² of one row."""
    return f"=({xl_col_to_name(layout.columns['h'])}{{0}}-{xl_col_to_name(layout.columns['y'])}{{0}})^2"


def nudged_loss(layout: Layout, p: int, sign: str = "+") -> str:
    """model.nudged_losses: the Loss with parameter p moved by +eps (or −eps)."""
    shift = "eps" if p == layout.k else f"eps*{layout.features[p]}"
    return f"=SUMPRODUCT((h{sign}{shift}-y)^2)/ROWS(y)"


def grad(layout: Layout, p: int) -> str:
    """model.gradient: forward (Loss_P − Loss)/eps or central (Loss_P − Lossm_P)/(2·eps)."""
    name = layout.params[p]
    if "Lossm" in layout.param_columns:
        return f"=(Loss_{name}-Lossm_{name})/(2*eps)"
    return f"=(Loss_{name}-Loss)/eps"


def next_value(name: str) -> str:
    """model.step: P − lr · dLoss_dP (the value the student pasted)."""
    return f"={name}-lr*dLoss_d{name}"


def scaled_row(layout: Layout, j: int, row: int, centre: str, spread: str) -> str:
    """A scaled feature: (raw − centre) / spread, centre and spread shown as cells."""
    raw = f"{xl_col_to_name(layout.raw_column(j))}{row + 1}"
    return f"=({raw}-{centre})/{spread}"
