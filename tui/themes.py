"""Theme choice: dark, light, or the plain Linux-console look, and the stylesheets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

STYLESHEETS = ("main.tcss", "screens.tcss", "console.tcss")


@dataclass(frozen=True)
class Look:
    """A Textual theme plus whether to use the ASCII/16-colour console look."""

    theme: str
    console: bool


LOOKS = {
    "dark": Look("textual-dark", False),
    "light": Look("textual-light", False),
    "console": Look("ansi-dark", True),
}


def pick_look(choice: str, env: Mapping[str, str]) -> Look:
    """'auto' picks the console look on TERM=linux (the kernel's console), else dark."""
    if choice == "auto":
        choice = "console" if env.get("TERM") == "linux" else "dark"
    return LOOKS[choice]


CONSOLE_KEYS = {"enter": "Enter", "escape": "Esc", "tab": "Tab", "space": "Space"}


def console_key_display(key: str) -> str:
    """ASCII name of a key for the footer on the Linux console ("ctrl+s" -> "^S")."""
    if key in CONSOLE_KEYS:
        return CONSOLE_KEYS[key]
    if key.startswith("ctrl+") and len(key) == 6:
        return "^" + key[-1].upper()
    return key


def use_ascii_scrollbars() -> None:
    """Scrollbars drawn with plain cells (the console font lacks the eighth blocks)."""
    from textual.scrollbar import ScrollBar, ScrollBarRender

    class AsciiScrollBarRender(ScrollBarRender):
        VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
        HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8

    ScrollBar.renderer = AsciiScrollBarRender


def load_css() -> str:
    """All stylesheets, read as package data so an installed wheel finds them."""
    folder = resources.files("styles")
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in STYLESHEETS)
