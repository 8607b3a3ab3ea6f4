"""The one exception type the project raises for bad input."""


class OzxError(Exception):
    """A file cannot be read as asked; the message is one plain sentence for a person."""
