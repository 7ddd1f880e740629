"""The `gradsheet` command: a thin click layer over the library.

User errors (GradsheetError, click usage errors) become one line on stderr and exit 2;
nothing a user can type should end in a traceback.

Every line a command prints comes from the message catalogue (core/messages.py), in the
language in use: Korean until it is known, then `--lang` (or the preset's) for build and
exercise, the workbook's own for step/run/next/reset/set (set as the workbook is read), the
answer key's for grade.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import sys
import warnings

import click
import click.core
import click.exceptions
import click.parser
import click.types

from . import __version__
from .core.errors import GradsheetError
from .core.messages import DEFAULT_LANG, EN, say, template, use
from .core.settings import COURSE_EPS, COURSE_LR, DEFAULT_SEED


class OneLineGroup(click.Group):
    """Turns GradsheetError into `gradsheet: 오류: …` (in the language in use) and exit code 2.
    Each run of the command line has a context of its own that starts in the default language
    (or English when the arguments say `--lang en`), so one command's language never carries
    over to the next (CliRunner runs many in one process); click's own usage errors speak it
    too."""

    def main(self, args=None, **kwargs):
        argv = sys.argv[1:] if args is None else [str(a) for a in args]
        return contextvars.copy_context().run(self._main, args, argv, kwargs)

    def _main(self, args, argv, kwargs):
        use(DEFAULT_LANG)
        if "--lang=en" in argv or any(a == "--lang" and b == "en" for a, b in zip(argv, argv[1:])):
            use("en")  # known before the arguments are parsed: their errors speak it too
        with _click_speaks():
            return super().main(args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GradsheetError as e:
            click.echo(say("cli.error", text=e), err=True)
            sys.exit(e.exit_code)


# click words its usage errors through gettext (`_` and `ngettext` in these modules): while the
# command line runs, they come from the catalogue's "click" texts, found by click's English text.
_CLICK_MODULES = (click.core, click.exceptions, click.parser, click.types)
_CLICK_KEYS = {text: key for key, text in EN.items() if key.startswith("click.")}


def _gettext(text: str) -> str:
    key = _CLICK_KEYS.get(text)
    return template(key) if key else text


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def _click_speaks():
    saved = [(module, module._, module.ngettext) for module in _CLICK_MODULES]
    for module in _CLICK_MODULES:
        module._, module.ngettext = _gettext, _ngettext
    try:
        yield
    finally:
        for module, gettext, ngettext in saved:
            module._, module.ngettext = gettext, ngettext


def _warn_line(message, category, filename, lineno, file=None, line=None):
    click.echo(say("cli.warning", text=message), err=True)


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gradsheet")
def main():
    """gradsheet: gradient descent taught in a spreadsheet, the way the course does it."""
    warnings.showwarning = _warn_line


@main.command(short_help="Write the course workbook for DATA (default: the lemonade table).")
@click.argument("data", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Output .xlsx (default: <data stem>.xlsx here; <stem>-gradsheet.xlsx for an .xlsx input).")
@click.option("--preset", help="A shipped preset by name (see `gradsheet presets`).")
@click.option("--target", help="Target column: heading or 1-based position (default: the last column with numbers).")
@click.option("--features", help="Feature columns, comma-separated headings or positions (default: the other columns with numbers).")
@click.option("--sheet", help="Worksheet of an .xlsx data file (default: the first).")
@click.option("--lr", type=float, help=f"Learning rate.  [default: {COURSE_LR}]")
@click.option("--eps", type=float, help=f"Nudge for the numerical derivative (dt).  [default: {COURSE_EPS}]")
@click.option("--seed", type=int, help=f"Seed of the initial W and B.  [default: {DEFAULT_SEED}]")
@click.option("--lang", type=click.Choice(["ko", "en"]), help="Language of the workbook and of every message.  [default: ko]")
@click.option("--title", help="Title on the sheet (default: the course's).")
@click.option("--scale", type=click.Choice(["none", "standard", "minmax"]),
              help="Rescale the features, as visible formula columns.  [default: none]")
@click.option("--buttons", type=click.Choice(["lite", "none"]),
              help="xlwings Lite buttons and their main.py in the workbook, or none.  [default: lite]")
@click.option("--diff", type=click.Choice(["forward", "central"]),
              help="Numerical derivative: forward (Loss_P−Loss)/eps as in the course, or central.  [default: forward]")
@click.option("--unrolled", type=click.IntRange(0, 100_000),
              help="Rows (steps) of the 'All steps' sheet; 0 leaves it out.  [default: 100, fewer for big tables]")
@click.option("--landscape", help="The two parameters of the loss landscape, e.g. W_1,B, or none "
                                  "(default: the first W and B; left out for big tables).")
@click.option("--model", type=click.Choice(["linear", "logistic", "softmax"]),
              help="linear regression (the course), or classification: logistic (2 classes), softmax "
                   "(3 or more). A text target picks classification by itself.  [default: linear]")
@click.option("--classes", help="The classes' order, comma-separated; for logistic class 0 then class 1, the class p is the probability of (e.g. 불합격,합격).")
@click.option("--optimizer", type=click.Choice(["gd", "momentum", "rmsprop", "adam"]),
              help="How next_P follows from the slope: the course's plain gradient descent, or Keras's "
                   "momentum (SGD), RMSprop, Adam.  [default: gd]")
@click.option("--beta", type=float, help="Momentum's beta.  [default: 0.9]")
@click.option("--rho", type=float, help="RMSprop's rho.  [default: 0.9]")
@click.option("--beta1", type=float, help="Adam's beta1.  [default: 0.9]")
@click.option("--beta2", type=float, help="Adam's beta2.  [default: 0.999]")
@click.option("--delta", type=float, help="RMSprop's and Adam's delta (Keras's epsilon).  [default: 1e-07]")
@click.option("--compare", type=click.IntRange(0, 100_000),
              help="Rows (steps) of the optimizers' race sheet; 0 leaves it out.  [default: 100]")
@click.option("--lr-gd", type=float, help="The race's gd lane's learning rate.  [default: the workbook's lr]")
@click.option("--lr-momentum", type=float, help="The race's momentum lane's learning rate.  [default: from the data]")
@click.option("--lr-rmsprop", type=float, help="The race's RMSprop lane's learning rate.  [default: from the data]")
@click.option("--lr-adam", type=float, help="The race's Adam lane's learning rate.  [default: from the data]")
@click.option("--hidden", type=click.IntRange(1, 20),
              help="A neural network: H hidden units between the inputs and the output (Wh_i_j, Bh_j, Wo_j, Bo).")
@click.option("--activation", type=click.Choice(["tanh", "sigmoid", "relu", "swish"]),
              help="The hidden units' activation (with --hidden).  [default: tanh]")
@click.option("--batch", type=click.IntRange(min=1),
              help="Mini-batches: each step learns from B rows, an epoch visits every row once.  [default: all rows]")
@click.option("--shuffle/--no-shuffle", default=None,
              help="With --batch: shuffle the rows' order every epoch (Keras's default), or keep the table's order.  [default: shuffle]")
def build(data, out, preset, **given):
    """Write the course workbook for DATA (default: the course's lemonade table).

    DATA is a CSV/TSV (`,` `;` or tab; UTF-8 or CP949), an .xlsx, or a preset .toml file.
    Options given on the command line override the preset's.

    \b
    Example:
        gradsheet build                      # lemonade.xlsx, the course's data
        gradsheet build --preset housing     # several inputs, standardised
        gradsheet build boston.csv --target medv --scale standard --lang en
        gradsheet build --optimizer adam --lr 0.1
        gradsheet build --batch 2            # mini-batches of 2 rows, shuffled each epoch
    """
    from pathlib import Path

    from .data import presets
    from .build import make
    from .report import describe_build
    options = {}
    if preset or (data and data.lower().endswith(".toml")):
        path = presets.find(preset) if preset else Path(data)
        options = presets.read(path)
        data = options.pop("data")
        options["default_stem"] = path.stem
    options.update({k: v for k, v in given.items() if v is not None})
    use(options.get("lang"))
    for name in ("lr_gd", "lr_momentum", "lr_rmsprop", "lr_adam"):  # named as the option was typed
        value = options.get(name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise GradsheetError("settings.positive", name=name.replace("_", "-"), value=repr(value))
    if isinstance(options.get("landscape"), str):
        options["landscape"] = tuple(p.strip() for p in options["landscape"].split(","))
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # every build says all it has to say, however many ran before
        built = make(data, out, **options)
    s = built.settings
    click.echo(describe_build(built.path, built.dataset, s.lr, s.eps, built.state.theta,
                              built.loss, s.lang, s.hidden))
    if s.batch:
        from .report import batch_line
        click.echo(batch_line(s, built.dataset.n, built.state))


@main.command(name="presets", short_help="List the shipped presets.")
def list_presets():
    """List the shipped presets (use one with `gradsheet build --preset NAME`).

    \b
    Example:
        gradsheet presets
    """
    from .data import presets
    for name, title, path in presets.available():
        click.echo(f"{name:12} {title}  ({path})")


def _out_option(f):
    return click.option("-o", "--out", type=click.Path(dir_okay=False),
                        help="Write the result here instead of changing FILE in place.")(f)


def _report(done) -> None:
    """What a rewrite did, in the workbook's language: where, Loss before → after, W, B; then,
    on stderr, a Loss that went up (and why) or a stop at the blow-up limit (exit code 1)."""
    from .report import loss_change, params_line
    rows = len(done.state.history)
    click.echo(say("book.wrote_one" if rows == 1 else "book.wrote_many", path=done.path, rows=rows))
    if done.loss_unsaid:  # reset on an exercise: the new Loss is the student's to compute
        click.echo(params_line(done.book.layout.params, done.state.theta, None))
        click.echo(say("book.exercise_loss_yours"))
        return
    click.echo(loss_change(done.loss_before, done.loss_after))
    click.echo(params_line(done.book.layout.params, done.state.theta, done.loss_after))
    if done.book.settings.batch:
        from .report import batch_line
        click.echo(batch_line(done.book.settings, done.book.dataset.n, done.state))
    said = done.divergence or done.rise
    if said:
        text = said.message(None, done.book.address("lr"), str(done.path))
        if done.divergence or done.rise.warns:
            click.echo(say("cli.warning", text=text), err=True)
        else:  # a rise that lr is not to blame for (momentum's overshoot, the numerical slope)
            click.echo(text)
    if done.divergence:
        sys.exit(1)


def _run(file, n, out) -> None:
    from .headless import CHUNK, run_file
    if n > CHUNK:
        from rich.progress import Progress
        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task(say("cli.progress"), total=n)
            done = run_file(file, n, out, lambda count: bar.advance(task, count))
    else:
        done = run_file(file, n, out)
    _report(done)


def _stderr_console():
    from rich.console import Console
    return Console(stderr=True)


@main.command(short_help="One whole step (the course's steps 2–6) on a gradsheet workbook.")
@click.argument("file", type=click.Path(dir_okay=False))
@_out_option
def step(file, out):
    """One whole step (the course's steps 2–6) on the gradsheet workbook FILE.

    A step whose Loss goes up is written (watch it happen) with a warning that says why: lr
    is too large, and what to type. A step that would take Loss past the blow-up limit is
    not written (exit code 1).

    \b
    Example:
        gradsheet step lemonade.xlsx
    """
    _run(file, 1, out)


@main.command(short_help="N whole steps on a gradsheet workbook, written back in one go.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-n", "steps", type=click.IntRange(min=1), default=10, show_default=True, help="Number of steps.")
@_out_option
def run(file, steps, out):
    """N whole steps on the gradsheet workbook FILE, written back in one go.

    Steps whose Loss goes up are written too, with a warning: Loss went up, lr is too large
    (its cell, and a smaller lr to type). Before a step that would take Loss past the
    blow-up limit (a million times its start) the run stops: the parameters are those of
    the last step written, shown with their Loss, and nothing after it (exit code 1).

    \b
    Example:
        gradsheet run lemonade.xlsx -n 1000
    """
    _run(file, steps, out)


@main.command(name="next", short_help="Only the next hand action, like the 'next action' button.")
@click.argument("file", type=click.Path(dir_okay=False))
@_out_option
def next_action(file, out):
    """Only the next hand action on the gradsheet workbook FILE (2, 3, 4-1, 4-2, 4-3, 5-1,
    5-2, 5-3, 6), like the button, and say which comes next.

    \b
    Example:
        gradsheet next lemonade.xlsx      # 2: copy W, B, Loss into history
    """
    from .core import procedure
    from .headless import act_file
    done = act_file(file, out)
    k, lang, opt = done.book.layout.params, done.book.settings.lang, done.book.settings.optimizer
    batch = bool(done.book.layout.batch)
    click.echo(procedure.just_did(k, done.action, lang, opt, batch))
    click.echo(say("book.next_up", action=procedure.describe(k, done.state.action, lang, opt, batch)))
    _report(done)


@main.command(short_help="Step 1: fresh random W and B, history emptied.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--seed", type=int, default=None, help="Seed of the new W and B (default: random).")
@_out_option
def reset(file, seed, out):
    """Step 1 on the gradsheet workbook FILE: fresh random W and B, history emptied.

    \b
    Example:
        gradsheet reset lemonade.xlsx --seed 3
    """
    from .headless import reset_file
    _report(reset_file(file, seed, out))


@main.command(name="set", short_help="Change lr, eps or the seed of a gradsheet workbook.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--lr", type=float, help="New learning rate (the lr cell).")
@click.option("--eps", type=float, help="New nudge dt (the eps cell).")
@click.option("--seed", type=int, help="Seed of the initial value generator's new values (step 1 copies them; "
                                       "`gradsheet reset` does that).")
@_out_option
def set_(file, lr, eps, seed, out):
    """Change a setting of the gradsheet workbook FILE, as typing into its cell would.

    For students without Excel who follow the advice a step gives ("make lr smaller").
    W, B, the pasted cells and the history stay as they are.

    \b
    Example:
        gradsheet set lemonade.xlsx --lr 0.0005
    """
    from .build import warn_if_unstable
    from .headless import set_file
    done = set_file(file, out, lr=lr, eps=eps, seed=seed)
    s = done.book.settings
    changed = [f"{name} = {getattr(s, name):g}" for name, v in (("lr", lr), ("eps", eps), ("seed", seed))
               if v is not None]
    click.echo(say("book.set", path=done.path, what=", ".join(changed)))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warn_if_unstable(done.book.dataset, s)


@main.command(short_help="Write the GradSheet ribbon add-ins for Excel desktop with local Python.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder for the add-in files.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True,
              help="Button labels and messages.")
def addin(out_dir, lang):
    """Write the "GradSheet" ribbon add-ins for Excel desktop with local Python.

    One .xlam per button (one step, 10 steps, next action, reset), all on one "GradSheet"
    tab, made from xlwings' own add-in template (its VBA untouched), and a myaddin.conf
    template that tells Excel which Python to use. The Python modules the buttons run are
    installed with gradsheet, so the .xlam files work from any folder, Excel's AddIns folder
    included. After upgrading xlwings, run this again: the add-ins are made for one version.

    \b
    Example:
        gradsheet addin -o ~/gradsheet-addin
    """
    from pathlib import Path

    from .core import messages
    from .core.messages import Message
    from .excel.xlam import default_buttons, made_with, old_modules, write_addins
    messages.use(lang)
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise GradsheetError("addin.not_a_folder", path=folder)
    buttons = default_buttons(lang)
    stale = old_modules(folder, buttons) if folder.is_dir() else []
    try:
        written = write_addins(folder, buttons, lang=lang)
    except OSError as e:
        raise GradsheetError("addin.cannot_write", path=folder, reason=messages.os_reason(e)) from None
    for path in written:
        click.echo(messages.say("addin.wrote", path=path))
    for path in stale:
        click.echo(messages.say("addin.removed", path=path))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(Message("addin.remake", version=made_with()))


@main.command(short_help="One exercise workbook per student of a roster, formula cells left blank.")
@click.argument("data", required=False, type=click.Path(dir_okay=False))
@click.option("--roster", required=True, type=click.Path(dir_okay=False),
              help="The class list: a CSV (UTF-8 or CP949) or .xlsx, with an id column (headed 학번, id, student "
                   "id, 아이디 or the like) and optionally a name column (이름, 성명, name or the like).")
@click.option("--id-column", help="The roster's id column: its heading or 1-based position (default: found by "
                                  "its heading).")
@click.option("--name-column", help="The roster's name column: its heading or 1-based position (default: found "
                                    "by its heading; none is fine).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for <id>.xlsx per student and the answer key (gradsheet-key.json and "
                   "gradsheet-students.json: keep them).")
@click.option("--blank", help="Cells the students write, comma-separated; P means every parameter, c every class.  "
                              "[default: h,Loss,Loss_P,grad_P,next_P; logistic: z,p,ce,Loss,Loss_P,grad_P,next_P; "
                              "softmax: z_c,p_c,ce,Loss,Loss_P,grad_P,next_P]")
@click.option("--same-data", is_flag=True, help="Every student gets the same numbers (default: their own).")
@click.option("--buttons", type=click.Choice(["lite", "none"]), default="none", show_default=True,
              help="xlwings Lite buttons in the exercise workbooks.")
@click.option("--force", is_flag=True, help="Replace another exercise in the folder (made with other options): "
                                            "its handed-out workbooks no longer grade.")
def exercise(data, roster, out_dir, blank, same_data, preset, id_column, name_column, force, **given):
    """One exercise workbook per student of the --roster, with the formula cells left blank.

    DATA is the lesson's table, as for `gradsheet build`: a CSV/TSV (UTF-8 or CP949), an
    .xlsx, or a preset .toml file (default: the course's lemonade table); a table with classes
    makes a logistic or softmax exercise. Each student gets numbers of their own (the same
    lesson: same shape, scale and classes, a learning rate that converges), derived from
    --seed and their id only. The answer key stays in the folder with you: hand out only the
    .xlsx files. Run it again with the same options and a longer roster to add the new
    students' workbooks: the others and the key stay as they are.

    \b
    Example:
        gradsheet exercise --roster class.csv -o week3
        gradsheet grade submissions/ --key week3 -o week3-report.csv
    """
    from .classroom.exercise import make_exercise
    from .core.messages import Message
    from .data import presets
    from pathlib import Path
    options = {}
    if preset or (data and data.lower().endswith(".toml")):
        path = presets.find(preset) if preset else Path(data)
        options = presets.read(path)
        data = options.pop("data")
    options.update({k: v for k, v in given.items() if v is not None})
    use(options.get("lang"))
    if options.get("hidden"):
        raise GradsheetError("exercise.hidden")
    options.pop("activation", None)
    for key in ("unrolled", "compare", "landscape"):
        options.pop(key, None)
    made = make_exercise(data, roster, out_dir, blank=blank, same_data=same_data, id_column=id_column,
                         name_column=name_column, force=force, **options)
    if made.replaced:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(Message("exercise.replaced", folder=made.folder))
    if made.new_key:
        click.echo(say("classroom.wrote", count=len(made.files), folder=made.folder, blank=", ".join(made.blank)))
        click.echo(say("classroom.key", path=made.key))
    elif made.files:
        click.echo(say("exercise.added", count=len(made.files), folder=made.folder, kept=made.kept,
                       ids=", ".join(p.stem for p in made.files)))
    else:
        click.echo(say("exercise.nothing_new", folder=made.folder, kept=made.kept))
    if made.lr_changed:
        click.echo(say("exercise.lr_lowered", lr=made.lr, who=", ".join(f"{sid} ({lr:g})" for sid, lr in made.lr_changed)))


_SHARED = ("target", "features", "sheet", "lr", "eps", "seed", "lang", "title", "scale", "diff", "model",
           "optimizer", "beta", "rho", "beta1", "beta2", "delta", "preset", "hidden", "activation")
exercise.params.extend(p for p in build.params if p.name in _SHARED)


@main.command(short_help="Grade the students' workbooks in LibreOffice: report.csv and feedback.")
@click.argument("submissions", nargs=-1, required=True, type=click.Path())
@click.option("--key", "key_dir", required=True, type=click.Path(file_okay=False, exists=True),
              help="The exercise folder holding the answer key (gradsheet-key.json).")
@click.option("-o", "--out", "report", required=True, type=click.Path(dir_okay=False),
              help="The report, a CSV (UTF-8 with BOM, for Excel).")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False),
              help="Folder for one feedback text per student.  [default: <report stem>-feedback]")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds per submission before the engine is restarted and the file marked.")
@click.option("--engines", type=click.IntRange(min=1, max=8),
              help="LibreOffices grading side by side.  [default: one per core, at most 2; "
                   "one for fewer than 20 files]")
def grade(submissions, key_dir, report, feedback_dir, timeout, engines):
    """Recalculate SUBMISSIONS (workbook files, folders of them, or zips of LMS downloads) in
    LibreOffice and grade every blank cell against the answer key in the --key folder.

    Each file is matched to its student by the record inside it and by its numbers, whatever
    its name; a file whose name names another student is a copy, flagged on both rows. Every
    student on the roster gets one row (the newest file graded, every file listed); files
    matched to nobody get rows of their own. Each blank cell is ok, wrong, constant (a typed
    number), missing or error; one point per blank name.

    \b
    Example:
        gradsheet grade submissions/ --key week3 -o week3-report.csv
    """
    from .classroom.grade import grade as grade_all
    from .classroom.engine import LibreOfficeUnavailable
    try:
        run = grade_all(submissions, key_dir, report, feedback_dir, timeout, engines=engines)
    except LibreOfficeUnavailable as e:
        raise GradsheetError("cli.needs_libreoffice", reason=e.args[0] if e.args else e) from None
    graded = [r for r in run.rows if r.file]
    full = sum(1 for r in graded if r.score == run.max)
    click.echo(say("grade.graded", count=len(graded), full=full, report=run.report, notes=len(run.feedback),
                   folder=run.feedback[0].parent if run.feedback else "-"))
    for r in run.rows:
        if r.status != "ok":
            click.echo(f"  {r.id or r.file}: {r.status}")
        if r.detail:
            click.echo(say("cli.warning", text=say("grade.failure_detail", file=r.file, error=r.detail)), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
