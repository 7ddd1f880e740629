"""gradsheet: gradient descent taught in a spreadsheet, the way the course does it."""

__version__ = "0.1.0"
