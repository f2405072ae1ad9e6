"""The `pools` and `importable_pools` elements of `md2zfs status --json` (a public interface).

Shape (see issue 2)::

    {"name": str, "state": str, "status": str|null, "action": str|null, "errors": str|null,
     "vdevs": [{"name": str, "state": str|null, "read": int, "write": int, "cksum": int,
                "children": [...]}],
     "logs": [...], "cache": [...], "spares": [...],
     "scan": null | {"function": "resilver"|"scrub", "state": "running"|"finished"|"canceled",
                     "percent": float|null, "eta_s": int|null}}
"""

from __future__ import annotations

from backend.model import ImportablePool, Pool, ScanProgress, Vdev

__all__ = ["importable_pool_to_json", "pool_to_json", "scan_to_json", "vdev_to_json"]


def vdev_to_json(vdev: Vdev) -> dict[str, object]:
    """One vdev and its children, as `status --json` reports it."""
    return {
        "name": vdev.name,
        "state": vdev.state,
        "read": vdev.read,
        "write": vdev.write,
        "cksum": vdev.cksum,
        "children": [vdev_to_json(child) for child in vdev.children],
    }


def scan_to_json(scan: ScanProgress | None) -> dict[str, object] | None:
    """A pool's scan (resilver or scrub), or None when it has none."""
    if scan is None:
        return None
    return {
        "function": scan.function,
        "state": scan.state,
        "percent": scan.percent,
        "eta_s": scan.eta_s,
    }


def pool_to_json(pool: Pool) -> dict[str, object]:
    """One imported pool, as `status --json` reports it (plain JSON types only)."""
    return {
        "name": pool.name,
        "state": pool.state,
        "status": pool.status,
        "action": pool.action,
        "errors": pool.errors,
        "vdevs": [vdev_to_json(v) for v in pool.vdevs],
        "logs": [vdev_to_json(v) for v in pool.logs],
        "cache": [vdev_to_json(v) for v in pool.cache],
        "spares": [vdev_to_json(v) for v in pool.spares],
        "scan": scan_to_json(pool.scan),
    }


def importable_pool_to_json(pool: ImportablePool) -> dict[str, object]:
    """One pool `zpool import` could import, as `status --json` reports it."""
    return {"name": pool.name, "id": pool.id, "state": pool.state}
