"""The one exception parsers raise."""

from __future__ import annotations


class ParseError(ValueError):
    """Text a parser cannot read, with the line (1-based) that failed where known."""

    def __init__(self, message: str, line_no: int | None = None, line: str | None = None) -> None:
        self.message = message
        self.line_no = line_no
        self.line = line
        where = f" at line {line_no}: {line!r}" if line_no is not None else ""
        super().__init__(f"{message}{where}")
