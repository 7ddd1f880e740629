"""A network's losses on the derived sheets ('All steps'; issue 19): each step's Loss and Loss_P
computed from the data inside one SUMPRODUCT, the whole network written out as array
arithmetic over the data columns with the step's own parameter cells:

    a_j  = act(x_1*Wh_1_j + … + x_k*Wh_k_j + Bh_j)          (an array: every data row)
    out  = a_1*Wo_1 + … + a_H*Wo_H + Bo
    Loss = SUMPRODUCT((out-y)^2)/ROWS(y)                               (mean squared error)
         = SUMPRODUCT(LN(1+EXP(-ABS(out)))+(out+ABS(out))/2-y*out)/ROWS(y)   (logistic)

and Loss_P is the same text with P's cell replaced by (P+eps): the loss recomputed, never
linearised. The activations' array forms are network.excel_activate(…, array=True) (no MAX or
MIN inside SUMPRODUCT). Softmax needs each row's largest logit, which SUMPRODUCT cannot take:
its network is not unrolled (the build says so).

A step costs (P + 1) passes over the data, each a whole forward pass: the build sizes the
sheet to the recalculation budget (build.hidden_step_cost).

With --batch, Loss stays the whole table's and Loss_batch joins it; Loss_P is the same text
weighed by the step's batch (formulas.mean): SUMPRODUCT(mask*(…))/batch_rows.
"""

from __future__ import annotations

from ..core import models
from ..core.network import excel_activate
from .formulas import mean


def supported(layout) -> bool:
    return layout.hidden > 0 and layout.model != "softmax"


def _output(layout, cell) -> str:
    """The output as an array expression, `cell(name)` giving each parameter's reference."""
    units = []
    for j in range(1, layout.hidden + 1):
        terms = [f"{x}*{cell(f'Wh_{i}_{j}')}" for i, x in enumerate(layout.features, start=1)]
        u = "(" + "+".join(terms + [cell(f"Bh_{j}")]) + ")"
        units.append(f"({excel_activate(layout.activation, u, array=True)})*{cell(f'Wo_{j}')}")
    return "(" + "+".join(units + [cell("Bo")]) + ")"


def _loss(layout, z: str, over: tuple[str, str] | None = None) -> str:
    """The mean loss over the data rows, or over a batch's (`over`: see formulas.mean)."""
    if layout.model == "linear":
        return "=" + mean(f"({z}-y)^2", "y", over)
    return "=" + mean(f"LN(1+EXP(-ABS({z})))+({z}+ABS({z}))/2-y*{z}", "y", over)


def loss_formulas(chain, row: int, over: tuple[str, str] | None = None) -> dict[str, str]:
    """Loss, Loss_P (and Lossm_P) of the chain's Excel row `row`. With --batch (`over`: the
    row's batch) also Loss_batch, and Loss_P over the batch: the whole network again, each data
    row weighed by whether it is in the step's batch."""
    lay = chain.layout
    z = _output(lay, lambda name: chain.ref(name, row))
    out = {"Loss": _loss(lay, z)}
    if over is not None:
        out["Loss_batch"] = _loss(lay, z, over)
    signs = ["+", "-"] if lay.diff == models.CENTRAL else ["+"]
    for name in lay.params:
        for sign in signs:
            def cell(q, name=name, sign=sign):
                ref = chain.ref(q, row)
                return f"({ref}{sign}eps)" if q == name else ref
            key = "Loss" if sign == "+" else "Lossm"
            out[f"{key}_{name}"] = _loss(lay, _output(lay, cell), over)
    return out


def pair_loss_formula(layout, pair: tuple[str, str], across: str, down: str) -> str:
    """The landscape's cell: the Loss with the pair at the axis cells' values and every other
    parameter at the training sheet's (its name), the network run over the data."""
    moved = dict(zip(pair, (across, down)))
    return _loss(layout, _output(layout, lambda name: moved.get(name, name)))
