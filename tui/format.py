"""Small pure helpers that turn model values into short, human text (no Textual here)."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: int | float | None) -> str:
    """1536 -> '1.5 KiB'; None -> '?'."""
    if n is None:
        return "?"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.0f} PiB"  # pragma: no cover - loop always returns


def human_rate(bytes_per_s: int | float | None) -> str:
    """Bytes per second as '12.3 MiB/s'; None -> '?'."""
    if bytes_per_s is None:
        return "?"
    return f"{human_bytes(bytes_per_s)}/s"


def human_eta(seconds: int | float | None) -> str:
    """Seconds as '1h02m', '3m05s', '42s'; None -> '?'."""
    if seconds is None:
        return "?"
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def bar(percent: float | None, width: int, *, ascii_only: bool = False) -> str:
    """A text progress bar of `width` cells; percent above 100 shows full."""
    width = max(1, width)
    if percent is None:
        return ("?" if ascii_only else "·") * width
    frac = min(max(percent, 0.0), 100.0) / 100.0
    filled = round(frac * width)
    full, empty = ("#", "-") if ascii_only else ("█", "░")
    return full * filled + empty * (width - filled)


def tail(text: str, n: int) -> str:
    """The last n characters of text (identity when shorter)."""
    return text[-n:] if n > 0 else ""


def short_by_id(path: str) -> str:
    """'/dev/disk/by-id/ata-FOO_BAR' -> 'ata-FOO_BAR'."""
    return path.rsplit("/", 1)[-1]


def escape(text: str) -> str:
    """Escape Textual content markup in untrusted text (device names, model strings)."""
    return text.replace("[", r"\[")
