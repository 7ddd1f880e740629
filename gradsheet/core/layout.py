"""Where every cell lives: the single source of cell places.

The writer, the formulas, the steps engine and the tests ask the layout for places by the
contract's names (`layout.cell("Loss")`); nobody else hard-codes an address.
Rows and columns are 0-based, as XlsxWriter counts; `a1()` gives Excel's text.

The training sheet, as a student sees it on opening (the course's order, left to right):

    row 0   title
    row 1   buttons (one step, 10 steps, next action, reset)
    row 2   one line saying what the sheet is for
    TOP..   data block         | charts     | lr, eps, Loss, prevLoss, dLoss_dt, next action
            (x…, y, h, sqerr;  | (one wide  | the parameter table (one row per parameter,
             a classifier:     |  column)   |   growing down), best_Loss, best_dist
             x…, class, y or   |            |   (a classifier: best_Loss, accuracy, the
             y_c, z, p, ce …)  |            |   confusion table)
                               |            | history
                                                                         … the other optimizers'
                                                                           settings, top right

The first screen of a laptop (1366×768 at 100 %, Excel's ribbon: about FIRST_SCREEN_PX of grid)
holds steps 1–7 for narrow tables: the data, lr, eps, Loss, prevLoss, dLoss_dt, the next action,
the parameter table through next_P and the first history rows. The charts' column gives up width
to bring next_P into view when that is enough. The single cells sit above the parameter table so
that more inputs push nothing but the table itself down. The settings of the optimizers the
workbook does not step with (beta … delta: the race reads them) stand right of the parameter
table, off the first screen, so they push nothing down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .a1 import xl_col_to_name, xl_rowcol_to_cell

from .models import CENTRAL, FORWARD
from .optimizers import HYPER_NAMES, OPTIMIZERS

MAX_CHART_ROWS = 2000  # a chart shows at most this many data rows: more only slow the spreadsheet
HISTORY_CHART_ROWS = 1000  # the Loss chart looks this far below the history rows it has
TITLE_ROW, BUTTON_ROW, NOTE_ROW = 0, 1, 2
TOP = 3  # first row of the data block's head and of the single cells
# The single cells beside the data, top to bottom ("next_action" has a row below it: the coach's
# line saying what was just done or done wrong); the parameter table follows after one row of
# headings. The chosen optimizer's hyperparameters (and Adam's
# update count t) come right after lr and eps.
SINGLE_ROWS = ("lr", "eps", "Loss", "prevLoss", "dLoss_dt", "next_action")
BELOW_TABLE = ("best_Loss", "best_dist")  # single cells right under the parameter table
# The other optimizers' hyperparameters (every workbook has all five cells, for the race)
# stand right of the parameter table, one column apart, under their heading on the first
# single cell's row: in the block the engine reads, and off the first screen.

# The grid a 1366×768 laptop shows at 100 % under Excel's ribbon, in pixels (width, height).
FIRST_SCREEN_PX = (1300, 500)
# Column widths in characters of Calibri 11 (a width w shows as 7·w + 5 pixels).
DATA_WIDTH = 8.5  # each data column
CHART_WIDTH = 46  # the column under the charts, between the data and the single cells …
MIN_CHART_WIDTH = 28  # … narrowed down to this when that brings next_P into the first screen
LABEL_WIDTH = 12  # names of the single cells and of the parameters
VALUE_WIDTH = 13  # lr, eps, Loss, … and the parameters' values
PARAM_WIDTH = 14  # the other columns of the parameter table
# Row heights in points (15 is Excel's default row).
TITLE_HEIGHT = 21
BUTTON_HEIGHT = 25.5  # a 30-pixel button and a little air


CLASSIFIERS = ("logistic", "softmax")


def param_names(k: int, model: str = "linear", classes: int = 0, hidden: int = 0) -> list[str]:
    """W (or W_1 … W_k) and B; softmax: W_j_c for every input j of class 1, then of class 2, …,
    then B_1 … B_C (always both indices, so a name says which input and which class).
    A hidden layer (`hidden` units): Wh_i_j, Bh_j, Wo_j (Wo_j_c), Bo (Bo_c): see core/network.py."""
    if hidden:
        from .network import param_names as network_names
        return network_names(k, model, classes, hidden)
    if model == "softmax":
        return ([f"W_{j}_{c}" for c in range(1, classes + 1) for j in range(1, k + 1)]
                + [f"B_{c}" for c in range(1, classes + 1)])
    return (["W"] if k == 1 else [f"W_{j}" for j in range(1, k + 1)]) + ["B"]


def feature_names(k: int) -> list[str]:
    return ["x"] if k == 1 else [f"x_{j}" for j in range(1, k + 1)]


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class Layout:
    n: int  # data rows
    k: int  # features
    sheet: str  # the training sheet's name ("학습" or "Train")
    diff: str = FORWARD
    history_rows: int = 0  # rows already in the history table
    scaled: bool = False  # True when x_j are scaled copies of the raw feature columns
    optimizer: str = "gd"  # the update rule of next_P (gd: the course's P − lr·dLoss_dP)
    model: str = "linear"  # the model spec (core/models.py) the sheet's formulas come from
    classes: tuple[str, ...] = ()  # classification: the class names, in class-number order
    hidden: int = 0  # --hidden H: units of the hidden layer (0: none)
    activation: str = "tanh"  # the hidden units' activation
    batch: int = 0  # --batch B: rows a step learns from (0: all, the course's full batch)
    shuffle: bool = True  # --batch: the rows' order shuffled per epoch (False: table order)

    @property
    def classifier(self) -> bool:
        return self.model in CLASSIFIERS

    @property
    def C(self) -> int:
        """Outputs per row: one per class for softmax, else one (h, or logistic's z)."""
        return len(self.classes) if self.model == "softmax" else 1

    # --- the data block (left) -------------------------------------------------------
    @property
    def head_row(self) -> int:
        """The dataset's headings; the contract names sit on the row above. With --scale
        two more rows come first, holding each column's centre and spread."""
        return TOP + (3 if self.scaled else 1)

    @property
    def first_row(self) -> int:
        return self.head_row + 1

    @cached_property
    def params(self) -> list[str]:
        return param_names(self.k, self.model, len(self.classes), self.hidden)

    def param_feature(self, p: int) -> int | None:
        """The input (0-based j) parameter p multiplies; None for a bias (B, B_c)."""
        if self.model == "softmax":
            return None if p >= self.k * self.C else p % self.k
        return None if p == self.k else p

    def param_class(self, p: int) -> int:
        """The output (0-based class) parameter p belongs to; 0 unless softmax."""
        if self.model != "softmax":
            return 0
        return p - self.k * self.C if p >= self.k * self.C else p // self.k

    def per_class(self, name: str) -> list[str]:
        """Names of a per-class data column: y_1 … y_C (softmax), or just `name`."""
        return [f"{name}_{c}" for c in range(1, self.C + 1)] if self.model == "softmax" else [name]

    @property
    def computed(self) -> list[str]:
        """The data block's formula columns, left to right, after the data. A hidden layer's
        zh_j and a_j come first and its backpropagated dzh_j last."""
        if not self.classifier:
            out = ["h", "sqerr"]
        else:
            lse = ["lse"] if self.model == "softmax" else []
            out = self.per_class("z") + lse + self.per_class("p") + ["p_true", "ce", "pred"]
        if self.hidden:
            from .network import computed_columns
            return computed_columns(out, self.hidden)
        return out

    @property
    def targets(self) -> list[str]:
        """The target's number columns: y, or softmax's one-hot y_1 … y_C."""
        return self.per_class("y")

    @property
    def features(self) -> list[str]:
        return feature_names(self.k)

    @property
    def last_row(self) -> int:
        return self.first_row + self.n - 1

    @cached_property
    def columns(self) -> dict[str, int]:
        """Data-block columns: raw features, (scaled x_j), then for a regression y, h, sqerr;
        for a classifier the class name, y (softmax: y_1 … y_C), then the computed columns."""
        cols: dict[str, int] = {}
        c = 0
        if self.scaled:
            for j in range(self.k):
                cols[f"raw_{j + 1}"] = c
                c += 1
        for name in self.features:
            cols[name] = c
            c += 1
        for name in (["label"] if self.classifier else []) + self.targets + self.batch_columns + self.computed:
            cols[name] = c
            c += 1
        if self.batch:  # the chart's points of this step's batch (#N/A elsewhere), at the end
            cols["batch_point"] = c
        return cols

    @property
    def batch_columns(self) -> list[str]:
        """--batch: each row's shuffle key (a number), its turn in this epoch's order and whether
        it is in this step's batch (formulas), right after the target (core/batches.py)."""
        return ["key", "turn", "in_batch"] if self.batch else []

    def raw_column(self, j: int) -> int:
        """Column holding feature j's numbers as read from the data (0-based j)."""
        return self.columns[f"raw_{j + 1}"] if self.scaled else self.columns[self.features[j]]

    # --- the charts' column, then the single cells and the parameter table -------------
    @property
    def chart_col(self) -> int:
        """One wide column right of the data: the data chart and the Loss chart stand in it."""
        return max(self.columns.values()) + 1

    @property
    def c0(self) -> int:
        """The labels' column of the single cells and the parameter table."""
        return self.chart_col + 1

    @property
    def slots(self) -> tuple[str, ...]:
        """The optimizer's state per parameter (momentum: vel; RMSprop: sq; Adam: m, sq)."""
        return OPTIMIZERS[self.optimizer].slots

    @property
    def single_rows(self) -> tuple[str, ...]:
        opt = OPTIMIZERS[self.optimizer]
        batch = ("batch", "step", "epoch") if self.batch else ()
        rows = SINGLE_ROWS[2:]
        if self.batch:  # the batch's Loss under the whole table's
            rows = ("Loss", "Loss_batch") + rows[1:]
        return ("lr", "eps") + opt.hyper + (("t",) if opt.counts_updates else ()) + batch + rows

    @property
    def other_hyper(self) -> tuple[str, ...]:
        """The hyperparameter cells of the optimizers this workbook does not step with."""
        return tuple(h for h in HYPER_NAMES if h not in OPTIMIZERS[self.optimizer].hyper)

    @cached_property
    def param_columns(self) -> dict[str, int]:
        """Columns of the parameter table: one row per parameter. The optimizer's state and
        its next value stand between the pasted slope and next_P, which is computed from them."""
        kinds = ["name", "value", "init", "Loss"] + (["Lossm"] if self.diff == CENTRAL else [])
        kinds += ["grad", "dLoss"] + list(self.slots) + [f"next_{s}" for s in self.slots]
        kinds += ["next", "exact", "fderr"] + ([] if self.classifier or self.hidden else ["best"])
        # the live coach's cells (core/coach.py): history's value, the update from it, the lr
        # that would have moved the parameter where it is (also once the optimizer's state is
        # pasted), and where the parameter stands
        kinds += ["hist", "upd", "rate"] + (["vrate"] if self.slots else []) + ["code"]
        return {kind: self.c0 + i for i, kind in enumerate(kinds)}

    @property
    def note_col(self) -> int:
        """Where the notes beside the single cells start (they run on to the right)."""
        return self.c0 + 2

    @property
    def param_head(self) -> int:
        """The parameter table's names row; the course's words for each column sit above it."""
        return TOP + len(self.single_rows) + 2  # + the coach's second line, the words row

    @property
    def button_note(self) -> tuple[int, int]:
        """Where a button press leaves what it has to say (Loss went up, lr too large): a value,
        written by each press, on the row under the buttons above the single cells (the coach's
        two lines are formulas)."""
        return NOTE_ROW, self.c0

    def param_row(self, p: int) -> int:
        return self.param_head + 1 + p

    @cached_property
    def scalars(self) -> dict[str, tuple[int, int]]:
        """Every single-cell name of the contract -> (row, col)."""
        value = self.c0 + 1
        cells = {name: (TOP + i, value) for i, name in enumerate(self.single_rows)}
        pc = self.param_columns
        for p, name in enumerate(self.params):
            r = self.param_row(p)
            cells[name] = (r, pc["value"])
            cells[f"init_{name}"] = (r, pc["init"])
            cells[f"Loss_{name}"] = (r, pc["Loss"])
            if self.diff == CENTRAL:
                cells[f"Lossm_{name}"] = (r, pc["Lossm"])
            cells[f"grad_{name}"] = (r, pc["grad"])
            cells[f"dLoss_d{name}"] = (r, pc["dLoss"])
            for slot in self.slots:
                cells[f"{slot}_{name}"] = (r, pc[slot])
                cells[f"next_{slot}_{name}"] = (r, pc[f"next_{slot}"])
            cells[f"next_{name}"] = (r, pc["next"])
            cells[f"exact_grad_{name}"] = (r, pc["exact"])
            cells[f"fd_error_{name}"] = (r, pc["fderr"])
            if "best" in pc:
                cells[f"best_{name}"] = (r, pc["best"])
        below = self.param_row(len(self.params))
        for i, name in enumerate(self.below_table):
            cells[name] = (below + i, value)
        for i, name in enumerate(self.other_hyper):
            cells[name] = (self.other_hyper_head + 1 + i, self.other_hyper_col + 1)
        if self.batch:
            r, c = self.shuffle_head
            for i, name in enumerate(("shuffle_a", "shuffle_b", "shuffle_c")):
                cells[name] = (r + 1 + i, c + 1)
        return cells

    @property
    def shuffle_head(self) -> tuple[int, int]:
        """--batch: the title of the epochs' shuffle (row, column): shuffle_a, shuffle_b and
        shuffle_c under it, then the table `shuffle` (a, b, c per epoch of the cycle) under its
        headings. Right of the other optimizers' settings, and right of the history, whose rows
        grow down."""
        col = max(self.other_hyper_col + 3, self.c0 + len(self.history_columns) + 1)
        return TOP, col

    @property
    def shuffle_span(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col) of the table's numbers (a, b, c)."""
        from .batches import CYCLE
        r, c = self.shuffle_head
        first = r + 6  # title, shuffle_a, shuffle_b, shuffle_c, a blank row, the headings
        return first, c, first + (CYCLE if self.shuffle else 1) - 1, c + 2

    @property
    def below_table(self) -> tuple[str, ...]:
        """Single cells under the parameter table: the least-squares answer's Loss and the
        distance to it; a classifier's best Loss (found when the workbook was built) and
        accuracy, with the confusion table under them. A hidden layer has no answer to compare
        with (its loss is not convex): a classifier keeps its accuracy, a regression nothing."""
        if self.hidden:
            return ("accuracy",) if self.classifier else ()
        return ("best_Loss", "accuracy") if self.classifier else BELOW_TABLE

    @property
    def confusion_head(self) -> int:
        """A classifier's confusion table: a title row, the predicted classes' row, then one row
        per true class (C×C counts from the column right of the labels)."""
        return self.param_row(len(self.params)) + len(self.below_table) + 1

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def confusion_span(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col) of the C×C counts."""
        first, c = self.confusion_head + 2, self.c0 + 1
        return first, c, first + self.n_classes - 1, c + self.n_classes - 1

    @property
    def other_hyper_head(self) -> int:
        """The heading row of the other optimizers' settings: the first single cell's row (they
        stand top right, beside the single cells' notes, one name a row under it)."""
        return TOP

    @property
    def other_hyper_col(self) -> int:
        """The labels' column of the other optimizers' settings (values right of it, notes
        after): one blank column right of the parameter table's last column. Nothing else
        stands there, the history grows down and never reaches it (its columns are fewer than
        the table's, or it stands below the settings' rows), and the first screen ends before."""
        return max(self.param_columns.values()) + 2

    @property
    def below_end(self) -> int:
        """The last row of what stands under the parameter table (best_dist, or a classifier's
        confusion table)."""
        if self.classifier:
            return self.confusion_span()[2]
        return self.param_row(len(self.params)) + len(self.below_table) - 1

    def cell(self, name: str) -> tuple[int, int]:
        return self.scalars[name]

    def a1(self, name: str) -> str:
        """Absolute address of a scalar name on the training sheet, e.g. $H$10."""
        return xl_rowcol_to_cell(*self.scalars[name], row_abs=True, col_abs=True)

    # --- history table (below the parameter table) --------------------------------------
    @property
    def history_head(self) -> int:
        return self.below_end + 2  # the table's title right under, then its heading

    @property
    def history_columns(self) -> list[str]:
        if self.batch:  # the epoch each step belongs to, and both losses
            return ["step", "epoch"] + self.params + ["Loss", "Loss_batch"]
        return ["step"] + self.params + ["Loss"]

    def history_index(self, name: str) -> int:
        """The column (0-based, within the table) of `name` in the history table."""
        return self.history_columns.index(name)

    @property
    def history_span(self) -> tuple[int, int, int, int]:
        """(first_row, first_col, last_row, last_col) of the table, header included.
        An Excel table needs at least one body row, so an empty history keeps one blank row."""
        last = self.history_head + max(self.history_rows, 1)
        return self.history_head, self.c0, last, self.c0 + len(self.history_columns) - 1

    # --- sizes --------------------------------------------------------------------------
    @cached_property
    def column_widths(self) -> dict[int, float]:
        """Width (characters) of every column the sheet uses; the first screen is planned
        with these, so the writer, the buttons and the charts all take them from here."""
        widths = {c: DATA_WIDTH for c in self.columns.values()}
        for kind, c in self.param_columns.items():
            widths[c] = {"name": LABEL_WIDTH, "value": VALUE_WIDTH}.get(kind, PARAM_WIDTH)
        widths[self.other_hyper_col] = LABEL_WIDTH
        widths[self.other_hyper_col + 1] = VALUE_WIDTH
        if self.batch:
            r, c = self.shuffle_head
            widths[c], widths[c + 1], widths[c + 2] = LABEL_WIDTH, VALUE_WIDTH, DATA_WIDTH
        widths[self.chart_col] = self._chart_width(widths)
        return widths

    def _chart_width(self, widths: dict[int, float]) -> float:
        """CHART_WIDTH, or narrower (down to MIN_CHART_WIDTH) when that brings the end of next_P's
        column into the first screen; a table too wide for that keeps the chart whole."""
        data = sum(char_width_px(widths[c]) for c in self.columns.values())
        panel = sum(char_width_px(widths[c]) for c in range(self.c0, self.param_columns["next"] + 1))
        room = FIRST_SCREEN_PX[0] - data - panel
        if room >= char_width_px(CHART_WIDTH) or room < char_width_px(MIN_CHART_WIDTH):
            return CHART_WIDTH
        return float((room - 5) // 7)

    def column_px(self, col: int) -> int:
        """A column's width in pixels, as Excel draws it at 100 % with Calibri 11."""
        return char_width_px(self.column_widths.get(col, 8.43))

    def x_px(self, col: int) -> int:
        """Pixels from the sheet's left edge to the left edge of `col`."""
        return sum(self.column_px(c) for c in range(col))

    def col_at_px(self, x: float) -> tuple[int, int]:
        """(column, offset in pixels) of the point `x` pixels from the left edge."""
        col = 0
        while x >= self.column_px(col):
            x -= self.column_px(col)
            col += 1
        return col, int(x)

    # --- names ------------------------------------------------------------------------
    def column_ref(self, col: int, first: int | None = None, last: int | None = None) -> str:
        first = self.first_row if first is None else first
        last = self.last_row if last is None else last
        c = xl_col_to_name(col, col_abs=True)
        return f"{quote_sheet(self.sheet)}!{c}${first + 1}:{c}${last + 1}"

    def defined_names(self) -> dict[str, str]:
        """Workbook-scope names -> what they refer to (without the leading '=')."""
        names = {}
        for name in self.features + self.targets + self.batch_columns + self.computed:
            names[name] = self.column_ref(self.columns[name])
        if self.batch:
            names["batch_point"] = self.column_ref(self.columns["batch_point"])
            first, c, last, c2 = self.shuffle_span
            names["shuffle"] = (f"{quote_sheet(self.sheet)}!"
                                f"{xl_rowcol_to_cell(first, c, True, True)}:{xl_rowcol_to_cell(last, c2, True, True)}")
        if self.classifier:
            r, c, r2, c2 = self.confusion_span()
            names["confusion"] = (f"{quote_sheet(self.sheet)}!"
                                  f"{xl_rowcol_to_cell(r, c, True, True)}:{xl_rowcol_to_cell(r2, c2, True, True)}")
        for name in self.scalars:
            names[name] = f"{quote_sheet(self.sheet)}!{self.a1(name)}"
        r, c, _, c2 = self.history_span
        names["history_head"] = (f"{quote_sheet(self.sheet)}!"
                                 f"{xl_rowcol_to_cell(r, c, True, True)}:{xl_rowcol_to_cell(r, c2, True, True)}")
        return names


def char_width_px(width: float) -> int:
    """Excel's pixels for a column `width` characters wide (Calibri 11: 7 px a digit + 5)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)
