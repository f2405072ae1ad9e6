"""Hot-plug on a real host: a pyudev monitor of block disks, reported through a callback."""

from __future__ import annotations

from collections.abc import Callable


def watch_block_devices(on_change: Callable[[], None]) -> Callable[[], None]:
    """Call on_change (from pyudev's thread) when a disk is added, removed or changed.

    Returns a function that stops watching. Without pyudev or udev (containers) this
    watches nothing: the periodic poll still picks changes up, only later.
    """
    try:
        import pyudev

        context = pyudev.Context()
        monitor = pyudev.Monitor.from_netlink(context)
        monitor.filter_by(subsystem="block")
    except Exception:
        return lambda: None

    def handle(action: str, device: object) -> None:
        if action in ("add", "remove", "change"):
            on_change()

    observer = pyudev.MonitorObserver(monitor, handle)
    observer.daemon = True
    try:
        observer.start()
    except Exception:
        return lambda: None
    return observer.stop  # type: ignore[no-any-return]
