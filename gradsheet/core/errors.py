"""The one error type users see: a single clear line, exit code 2."""

from .messages import CATALOGUE, DEFAULT_LANG, say


class GradsheetError(Exception):
    """Bad input or usage. The CLI prints the message as one line and exits with `exit_code`.

    Raised with a catalogue key and its values (core/messages.py); the text is rendered when
    printed, in the language in use."""

    exit_code = 2

    def __init__(self, key: str, /, **values):  # a value may be called `key` too
        super().__init__(key)
        self.key, self.values = key, values

    def render(self, lang: str | None = None) -> str:
        """The text in `lang` (default: the language in use)."""
        if self.key in CATALOGUE[DEFAULT_LANG]:
            return say(self.key, lang, **self.values)
        return self.key  # free text: a message not yet in the catalogue

    def __str__(self) -> str:
        return self.render()
