"""The `gradsheet` command: a thin click layer over the library.

User errors (GradsheetError, click usage errors) become one line on stderr and exit 2;
nothing a user can type should end in a traceback.
"""

from __future__ import annotations

import sys
import warnings

import click

from . import __version__
from .errors import GradsheetError
from .settings import COURSE_EPS, COURSE_LR, DEFAULT_SEED


class OneLineGroup(click.Group):
    """Turns GradsheetError into `gradsheet: error: …` and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GradsheetError as e:
            click.echo(f"gradsheet: error: {e}", err=True)
            sys.exit(e.exit_code)


def _warn_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"gradsheet: warning: {message}", err=True)


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gradsheet")
def main():
    """gradsheet: gradient descent taught in a spreadsheet, the way the course does it."""
    warnings.showwarning = _warn_line


@main.command()
@click.argument("data", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Output .xlsx (default: <data stem>.xlsx here).")
@click.option("--target", help="Target column: heading or 1-based position (default: the last column).")
@click.option("--features", help="Feature columns, comma-separated headings or positions (default: all others).")
@click.option("--lr", type=float, default=COURSE_LR, show_default=True, help="Learning rate.")
@click.option("--eps", type=float, default=COURSE_EPS, show_default=True, help="Nudge for the numerical derivative (dt).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the initial W and B.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True, help="Language of the labels.")
def build(data, out, target, features, lr, eps, seed, lang):
    """Write the course workbook for DATA (default: the course's lemonade table).

    \b
    Example:
        gradsheet build                      # lemonade.xlsx, the course's data
        gradsheet build boston.csv --target medv --lr 0.000001 --lang en
    """
    from .build import make
    from .report import describe_build
    built = make(data, out, target=target, features=features, lr=lr, eps=eps, seed=seed, lang=lang)
    click.echo(describe_build(built.path, built.dataset, lr, eps, built.state.theta,
                              built.state.prev_loss))


if __name__ == "__main__":  # pragma: no cover
    main()
