"""python -m gradsheet: the same as the gradsheet command."""

from .cli import main

main(prog_name="gradsheet")
