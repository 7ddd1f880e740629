"""Cross-entropy on the derived sheets ('All steps', 'Optimizers'): each step's Loss and Loss_P
computed row by row from the data, as the training sheet does, in the model specs' stable forms.

The linear model's Loss is a quadratic whose sums are formed once (stats.py); cross-entropy is
not, so a classifier's step costs a pass over the data rows.

Logistic needs no helper cells: inside SUMPRODUCT the row logit is the array expression
z = x_1*W_1 + … + B (the step's own W, B cells), and

    Loss   = SUMPRODUCT(LN(1+EXP(-ABS(z)))+(z+ABS(z))/2-y*z)/ROWS(y)
    Loss_P = Loss + SUMPRODUCT(LN(1+p*(EXP(d)-1))-(d)*y)/ROWS(y),   d = eps*x_j (B: eps)
    p      = EXP((z-ABS(z))/2)/(1+EXP(-ABS(z)))

(z + |z|)/2 and (z − |z|)/2 are max(z, 0) and min(z, 0) exactly, without MAX, MIN or IF, which
an array inside SUMPRODUCT cannot use in Excel without array entry. These are
LogisticBCE.row_losses, probability and nudged_losses, term for term.

Softmax needs each row's largest logit, which SUMPRODUCT cannot take row by row. The 'Logits'
sheet holds, for every step of every chain, the C logit columns of every data row and their
log-sum-exp, lse = MAX(z) + LN(SUMPRODUCT(EXP(z − MAX(z)))) (SoftmaxCE.row_losses with no
target). Then, with p_c = EXP(z_c − lse),

    Loss   = SUMPRODUCT(lse-(y_1*z_1+…+y_C*z_C))/ROWS(y_1)
    Loss_P = Loss + SUMPRODUCT(LN(1+p_c*(EXP(d)-1))-(d)*y_c)/ROWS(y_c)   (P = W_j_c or B_c)

With --batch, Loss stays the whole table's; Loss_batch is the same mean weighed by the step's
batch (formulas.mean: SUMPRODUCT(mask*(…))/batch_rows) and Loss_P moves it, over the batch's
rows only. The 'Logits' sheet is the same: every step's logits of every data row.

The cells holding LN or EXP of a column inside SUMPRODUCT are entered as one-cell array
formulas (formulas.write_cell): Gnumeric evaluates them at one cell otherwise.

Every cell stays a finite number for any finite parameters: EXP only sees numbers ≤ 0 or ±eps·x,
LN only numbers ≥ 1 − p_c·(1 − e^−|d|) > 0.

The 'Logits' sheet: the inputs x_j (copies of the training sheet's) on the left, then one block
per step of each chain: over each z_c column the step's W_1_c … W_k_c, B_c (copies of the
chain's cells), under them the rows' z_c, and an lse column closing the block.
"""

from __future__ import annotations

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ..core import models
from ..core.layout import Layout, quote_sheet
from ..core.texts import texts
from .formulas import mean, write_cell

TITLE_ROWS = 2  # title and one note
LABEL_ROW = 2  # which chain and step a block is
PARAM_TOP = 3  # the parameter copies start here; the headings follow them, then the data


# --- the formulas of a chain's row -------------------------------------------------------------
def shift(layout: Layout, p: int, sign: str) -> str:
    """d of parameter p: eps*x_j for a weight, eps for a bias (−eps… for Lossm)."""
    j = layout.param_feature(p)
    d = "eps" if j is None else f"eps*{layout.features[j]}"
    return d if sign == "+" else f"-{d}"


def class_params(layout: Layout, c: int) -> tuple[list[str], str]:
    """The weights W_1_c … W_k_c (logistic: W_1 … W_k) and the bias of output c."""
    k = layout.k
    if layout.model == "softmax":
        return layout.params[c * k:(c + 1) * k], layout.params[k * layout.C + c]
    return layout.params[:k], layout.params[k]


def logistic_logit(chain, row: int) -> str:
    """The logit of every data row as one array: (x_1*B9+x_2*C9+D9)."""
    ws, b = class_params(chain.layout, 0)
    terms = [f"{x}*{chain.ref(w, row)}" for x, w in zip(chain.layout.features, ws)]
    return "(" + "+".join(terms + [chain.ref(b, row)]) + ")"


def logistic_probability(z: str) -> str:
    """LogisticBCE.probability as an array: EXP(min(z,0))/(1+EXP(-|z|))."""
    return f"EXP(({z}-ABS({z}))/2)/(1+EXP(-ABS({z})))"


def logistic_loss(z: str, over: tuple[str, str] | None = None) -> str:
    """LogisticBCE.row_losses averaged: ln(1+e^−|z|) + max(z,0) − y·z (over a batch: `over`)."""
    return "=" + mean(f"LN(1+EXP(-ABS({z})))+({z}+ABS({z}))/2-y*{z}", "y", over)


def nudged_batch_text(loss: str, p: str, d: str, y: str, over: tuple[str, str]) -> str:
    """models.nudged_ce_text over a batch: the batch's Loss plus the mean change of its rows,
    =Loss_batch+SUMPRODUCT(mask*(LN(1+p*(EXP(d)-1))-(d)*y))/batch_rows."""
    return f"={loss}+" + mean(f"LN(1+{p}*(EXP({d})-1))-({d})*{y}", y, over)


def loss_formulas(chain, row: int, over: tuple[str, str] | None = None) -> dict[str, str]:
    """Loss, Loss_P (and Lossm_P) of the chain's Excel row `row`. With --batch (`over`: the
    row's batch, see formulas.mean) also Loss_batch, and Loss_P is the batch's Loss moved."""
    lay = chain.layout
    signs = ["+", "-"] if lay.diff == models.CENTRAL else ["+"]
    if lay.model == "softmax":
        z = [block_range(chain, row, c) for c in range(lay.C)]
        lse = block_range(chain, row, lay.C)
        ys = lay.targets
        row_loss = f"{lse}-({'+'.join(f'{y}*{zc}' for y, zc in zip(ys, z))})"
        out = {"Loss": "=" + mean(row_loss, ys[0])}
        if over is not None:
            out["Loss_batch"] = "=" + mean(row_loss, ys[0], over)
        prob = [f"EXP({zc}-{lse})" for zc in z]
    else:
        zt = logistic_logit(chain, row)
        ys = ["y"]
        out = {"Loss": logistic_loss(zt)}
        if over is not None:
            out["Loss_batch"] = logistic_loss(zt, over)
        prob = [logistic_probability(zt)]
    loss = chain.ref("Loss" if over is None else "Loss_batch", row)
    for p, name in enumerate(lay.params):
        c = lay.param_class(p)
        for sign in signs:
            key = "Loss" if sign == "+" else "Lossm"
            if over is None:
                out[f"{key}_{name}"] = models.nudged_ce_text(loss, prob[c], shift(lay, p, sign), ys[c])
            else:
                out[f"{key}_{name}"] = nudged_batch_text(loss, prob[c], shift(lay, p, sign), ys[c], over)
    return out


# --- the 'Logits' sheet (softmax) --------------------------------------------------------------
def head_row(layout: Layout) -> int:
    """The headings' row: under the k + 1 parameter copies."""
    return PARAM_TOP + layout.k + 1


def first_data_row(layout: Layout) -> int:
    return head_row(layout) + 1


def block_width(layout: Layout) -> int:
    return layout.C + 1


def first_block(layout: Layout) -> int:
    """The first block's column: right of the inputs x_1 … x_k."""
    return layout.k


def block_col(chain, row: int, c: int) -> int:
    """The column of z_c (c = C: lse) of the chain's step in Excel row `row`."""
    step = row - chain.head - 2
    return chain.logits + step * block_width(chain.layout) + c


def block_range(chain, row: int, c: int) -> str:
    """The data rows of z_c (c = C: lse) of that step, e.g. 'Logits'!$F$9:$F$158."""
    lay = chain.layout
    col = xl_col_to_name(block_col(chain, row, c))
    first = first_data_row(lay) + 1
    return f"{quote_sheet(sheet_name(lay))}!${col}${first}:${col}${first + lay.n - 1}"


def sheet_name(layout: Layout) -> str:
    """The sheet's name in the workbook's language, which the training sheet's name tells."""
    lang = "en" if layout.sheet == texts("en")["sheet_train"] else "ko"
    return texts(lang)["sheet_logits"]


def columns_needed(layout: Layout, steps: int) -> int:
    """Columns the sheet takes for `steps` steps in all (all chains together)."""
    return first_block(layout) + steps * block_width(layout)


def write(wb, fmt, layout: Layout, X: np.ndarray, chains: list[tuple[str, object, object, int]], lang: str) -> None:
    """The sheet: `chains` are (label, Chain, Rows, n) in the order of their blocks."""
    from .formulas import quick_formulas, stored
    t = texts(lang)
    spec = models.model_spec("softmax", layout.C)
    ws = wb.add_worksheet(sheet_name(layout))
    quick_formulas(ws)
    k, C, n = layout.k, layout.C, layout.n
    head, top = head_row(layout), first_data_row(layout)
    ws.write_string(0, 0, t["logits_title"], fmt.title)
    ws.write_string(1, 0, t["logits_note"].format(sheet=layout.sheet), fmt.note)
    # A helper of the 'All steps' sheet, as wide as steps × classes: hidden, so it neither clutters
    # the tabs nor prints (formulas read a hidden sheet in every spreadsheet); unhide to look.
    ws.hide()
    value, data = fmt.num("formula", "param"), fmt.num("formula", "data")
    train = quote_sheet(layout.sheet)
    for j, x in enumerate(layout.features):
        ws.write_string(head, j, x, fmt.heading)
        src = xl_col_to_name(layout.columns[x])
        for r in range(n):
            ws.write_formula(top + r, j, f"={train}!{src}{layout.first_row + r + 1}", data, float(X[r, j]))
    for j, name in enumerate([f"W_{j + 1}_c" for j in range(k)] + ["B_c"]):  # over the inputs' last column
        ws.write_string(PARAM_TOP + j, k - 1, name, fmt.label)
    for label, chain, r, steps in chains:
        source = quote_sheet(chain.sheet)
        for i in range(steps):
            row = chain.head + 2 + i  # the chain's Excel row of step i
            theta = r.theta[i]
            z = spec.logits(X, theta)
            lse = spec.row_losses(z, np.zeros_like(z))
            c0 = block_col(chain, row, 0)
            ws.write_string(LABEL_ROW, c0, t["logits_block"].format(chain=label, step=i), fmt.label)
            for c in range(C):
                col = c0 + c
                weights, b = class_params(layout, c)
                for j, name in enumerate(weights + [b]):
                    p = layout.params.index(name)
                    ws.write_formula(PARAM_TOP + j, col, f"={source}!{xl_rowcol_to_cell(row - 1, chain.col[name], True, True)}",
                                     value, stored(float(theta[p])))
                ws.write_string(head, col, f"z_{c + 1}", fmt.heading)
                # absolute rows throughout: no two cells of a column share a formula, so that
                # LibreOffice does not make the column a formula group, whose threaded
                # calculation reports a false circular reference (Err:522) when a chain of
                # steps reads it (as with the chained t column of unrolled.py)
                terms = [f"${xl_col_to_name(j)}${{0}}*{xl_rowcol_to_cell(PARAM_TOP + j, col, row_abs=True)}"
                         for j in range(k)]
                text = "=" + "+".join(terms + [xl_rowcol_to_cell(PARAM_TOP + k, col, row_abs=True)])
                for q in range(n):
                    ws.write_formula(top + q, col, text.format(top + q + 1), data, stored(float(z[q, c])))
            ws.write_string(head, c0 + C, "lse", fmt.heading)
            first, last = xl_col_to_name(c0), xl_col_to_name(c0 + C - 1)
            for q in range(n):
                zs = f"{first}${top + q + 1}:{last}${top + q + 1}"
                write_cell(ws, top + q, c0 + C, f"=MAX({zs})+LN(SUMPRODUCT(EXP({zs}-MAX({zs}))))", data,
                           stored(float(lse[q])))
    ws.freeze_panes(top, k)
