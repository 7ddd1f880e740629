"""The one error type users see: a single clear line, exit code 2."""


class GradsheetError(Exception):
    """Bad input or usage. The CLI prints the message as one line and exits with `exit_code`."""

    exit_code = 2
