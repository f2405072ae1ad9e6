"""Pure parsers: text printed by real tools -> the model. Each raises only ParseError."""

from backend.parse.errors import ParseError

__all__ = ["ParseError"]
