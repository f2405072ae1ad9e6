"""Human-readable sizes, rates and durations, shared by the CLI and the TUI."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: int | float | None) -> str:
    """1.5 GiB style (binary units); "?" when unknown."""
    if n is None:
        return "?"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_rate(bytes_per_s: int | float | None) -> str:
    """245.0 MiB/s style."""
    return "?" if bytes_per_s is None else f"{human_bytes(bytes_per_s)}/s"


def human_duration(seconds: int | float | None) -> str:
    """0:00:06, 1:02:03 or 2d 03:04:05; "?" when unknown."""
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    clock = f"{hours}:{minutes:02d}:{s:02d}"
    return f"{days}d {clock}" if days else clock
