"""The Excel text of every formula, each beside the model function it must equal.

Row formulas use plain A1 references, scalars use the contract's names; nothing needs
dynamic arrays, LET/LAMBDA or implicit intersection, so Excel 2010+, Excel for the web,
LibreOffice and Google Sheets all calculate the same. SUMPRODUCT evaluates its array
argument without array entry everywhere.
"""

from __future__ import annotations

from .a1 import xl_col_to_name

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


def exact_grad(layout: Layout, p: int) -> str:
    """model.exact_gradient: 2/n · Σ (h − y)·x_j, and 2/n · Σ (h − y) for B."""
    if p == layout.k:
        return "=2/ROWS(y)*SUMPRODUCT(h-y)"
    return f"=2/ROWS(y)*SUMPRODUCT(h-y,{layout.features[p]})"


def fd_error(name: str) -> str:
    """How far the numerical derivative is from the exact one."""
    return f"=grad_{name}-exact_grad_{name}"


def best(layout: Layout, p: int) -> str:
    """model.best_theta: least squares by LINEST, whose coefficients come in reverse
    column order (x_k … x_1, then the intercept). INDEX takes one without array entry."""
    first, last = layout.columns[layout.features[0]], layout.columns[layout.features[-1]]
    xs = (f"${xl_col_to_name(first)}${layout.first_row + 1}:${xl_col_to_name(last)}${layout.last_row + 1}")
    column = layout.k + 1 if p == layout.k else layout.k - p
    return f"=INDEX(LINEST(y,{xs}),1,{column})"


def best_loss(layout: Layout) -> str:
    """model.loss at the least-squares answer."""
    terms = [f"{x}*best_{w}" for w, x in zip(layout.params[:-1], layout.features)]
    return "=SUMPRODUCT((" + "+".join(terms) + "+best_B-y)^2)/ROWS(y)"


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
