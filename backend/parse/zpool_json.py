"""Parse `zpool status -j` (OpenZFS >= 2.3) into the same pools the text parser gives.

The document is ``{"output_version": {...}, "pools": {NAME: POOL}}``. Without
``--json-int`` every value is a string, and without ``-p`` sizes are ``zfs_nicebytes`` text
("62.6G"); both forms are read. A POOL holds ``state``, ``status`` (a status *code* such as
"OK"), ``action``, ``moreinfo`` (the "see" URL), ``error_count``, ``scan_stats`` and
``vdevs`` = ``{NAME: ROOT}`` where ROOT's ``vdevs`` are the top-level vdevs, nested the same
way. ``logs``, ``l2cache``, ``spares``, ``special`` and ``dedup`` are sibling maps of
top-level vdevs (special and dedup join :attr:`Pool.vdevs`, as in the text parser). With
``--json-flat-vdevs`` every vdev sits in one map and names its ``parent`` and ``class``.

Normalised so both parsers agree: the man page's example prints leaf states "HEALTHY"
where 2.3.2 prints "ONLINE" (we report "ONLINE"); status "OK" becomes None (text output has
no status paragraph then); ``error_count`` becomes the text's "errors:" sentence.

``scan_stats`` gives byte counts, not a percentage: percent = issued / (to_examine -
skipped), as `zpool status` computes it. Rate and ETA need the time since the pass
started, so they use ``now`` (default: this machine's clock).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from backend.model import Pool, ScanFunction, ScanProgress, ScanState, Vdev
from backend.parse.zpool_scan import parse_count, parse_size
from backend.parse.zpool_status import NO_POOLS_MESSAGES, ZpoolParseError

__all__ = ["parse_zpool_status_json"]

_FUNCTIONS: dict[str, ScanFunction] = {
    "SCRUB": "scrub",
    "ERRORSCRUB": "scrub",
    "RESILVER": "resilver",
}
_STATES: dict[str, ScanState] = {
    "SCANNING": "running",
    "ERRORSCRUBBING": "running",
    "FINISHED": "finished",
    "CANCELED": "canceled",
    "ERRORSCRUB_CANCELED": "canceled",
}
# Section key -> model field; the first group are siblings of "vdevs" in nested output,
# the second the "class" of a vdev in flat output.
_SECTIONS = {
    "logs": "logs",
    "l2cache": "cache",
    "cache": "cache",
    "caches": "cache",
    "spares": "spares",
    "special": "vdevs",
    "dedup": "vdevs",
}
_CLASSES = {"normal": "vdevs", "log": "logs", "logs": "logs", "l2cache": "cache", "spare": "spares"}
_CLASSES.update({"spares": "spares", "special": "vdevs", "dedup": "vdevs", "cache": "cache"})
_CTIME_FORMATS = ("%a %b %d %H:%M:%S %Y", "%c")

_JsonMap = Mapping[str, object]


def _fail(message: str) -> ZpoolParseError:
    return ZpoolParseError(f"zpool status -j: {message}")


def _map(value: object, what: str) -> _JsonMap:
    if not isinstance(value, dict):
        raise _fail(f"{what} is not an object")
    return value


def _text(value: object, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(f"{what} is not a string")
    return str(value)


def _int(value: object, what: str, *, bytes_: bool = False) -> int | None:
    """An integer from a JSON int or a string ("12", "1.2K", "398M"); None when absent."""
    if value is None or value == "-":
        return None
    if isinstance(value, bool):
        raise _fail(f"{what} is not a number")
    if isinstance(value, int) and abs(value) < 2**64:
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e30:
        return int(value)
    if isinstance(value, str):
        parsed = parse_size(value) if bytes_ else parse_count(value)
        if parsed is not None:
            return parsed
    raise _fail(f"{what} is not a number: {value!r}")


def _timestamp(value: object) -> float | None:
    """Seconds since the epoch from an int, a numeric string or a ctime-style date."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or value in ("", "-"):
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    for fmt in _CTIME_FORMATS:
        try:
            return time.mktime(time.strptime(" ".join(value.split()), fmt))
        except (ValueError, OverflowError):
            continue
    return None


def _state(value: object, what: str) -> str | None:
    state = _text(value, what)
    # The man page example prints "HEALTHY" for vdevs that `zpool status` calls ONLINE.
    return "ONLINE" if state == "HEALTHY" else state


def _vdev(name: str, data: object, depth: int = 0) -> Vdev:
    if depth > 64:
        raise _fail("vdev tree nested too deeply")
    item = _map(data, f"vdev {name!r}")
    children = _map(item.get("vdevs", {}), f"vdevs of {name!r}")
    return Vdev(
        name=_text(item.get("name"), "vdev name") or name,
        state=_state(item.get("state"), "vdev state"),
        read=_int(item.get("read_errors"), "read_errors") or 0,
        write=_int(item.get("write_errors"), "write_errors") or 0,
        cksum=_int(item.get("checksum_errors"), "checksum_errors") or 0,
        children=tuple(_vdev(str(k), v, depth + 1) for k, v in children.items()),
    )


def _nested(pool: _JsonMap, name: str) -> dict[str, list[Vdev]]:
    out: dict[str, list[Vdev]] = {"vdevs": [], "logs": [], "cache": [], "spares": []}
    vdevs = _map(pool.get("vdevs", {}), f"vdevs of pool {name!r}")
    root = vdevs.get(name)
    if root is None and len(vdevs) == 1:
        root = next(iter(vdevs.values()))
    if root is not None:
        out["vdevs"].extend(_vdev(name, root).children)
    for key, value in pool.items():  # document order, as zpool prints the classes
        if key in _SECTIONS:
            section = _map(value, f"{key} of pool {name!r}")
            out[_SECTIONS[key]].extend(_vdev(str(k), v) for k, v in section.items())
    return out


def _flat(pool: _JsonMap, name: str) -> dict[str, list[Vdev]]:
    """``--json-flat-vdevs``: every vdev in one map, linked by ``parent``."""
    items = {str(k): _map(v, f"vdev {k!r}") for k, v in _map(pool["vdevs"], "vdevs").items()}
    kids: dict[str, list[str]] = {}
    tops: list[str] = []
    for key, item in items.items():
        if item.get("vdev_type") == "root" or key == name:
            continue
        parent = _text(item.get("parent"), "parent")
        if parent and parent != name and parent in items:
            kids.setdefault(parent, []).append(key)
        else:
            tops.append(key)

    def build(key: str, seen: frozenset[str]) -> Vdev:
        if key in seen:
            raise _fail(f"vdev {key!r} is its own ancestor")
        leaf = _vdev(key, {**items[key], "vdevs": {}})
        children = tuple(build(k, seen | {key}) for k in kids.get(key, []))
        return Vdev(leaf.name, leaf.state, leaf.read, leaf.write, leaf.cksum, None, children)

    out: dict[str, list[Vdev]] = {"vdevs": [], "logs": [], "cache": [], "spares": []}
    for key in tops:
        cls = _text(items[key].get("class"), "class") or "normal"
        out[_CLASSES.get(cls, "vdevs")].append(build(key, frozenset()))
    return out


def _is_flat(pool: _JsonMap) -> bool:
    vdevs = pool.get("vdevs")
    if not isinstance(vdevs, dict):
        return False
    return any(isinstance(v, dict) and "parent" in v for v in vdevs.values())


def _scan(stats: object, now: float | None) -> ScanProgress | None:
    if stats is None:
        return None
    scan = _map(stats, "scan_stats")
    function = _FUNCTIONS.get(str(scan.get("function", "")).upper())
    state = _STATES.get(str(scan.get("state", "")).upper())
    if function is None or state is None:
        return None
    if state != "running":
        return ScanProgress(function=function, state=state)
    to_examine = _int(scan.get("to_examine"), "to_examine", bytes_=True)
    skipped = _int(scan.get("skipped"), "skipped", bytes_=True) or 0
    issued = _int(scan.get("issued"), "issued", bytes_=True)
    percent: float | None = None
    total = (to_examine - skipped) if to_examine is not None else None
    if total is not None and total > 0 and issued is not None:
        percent = round(100.0 * issued / total, 2)
    rate: int | None = None
    eta: int | None = None
    pass_start = _timestamp(scan.get("pass_start"))
    pass_issued = _int(scan.get("issued_bytes_per_scan"), "issued_bytes_per_scan", bytes_=True)
    paused = _int(scan.get("scrub_spent_paused"), "scrub_spent_paused") or 0
    if pass_start is not None and pass_issued is not None:
        elapsed = max(1.0, (time.time() if now is None else now) - pass_start - paused)
        rate = max(0, int(pass_issued / elapsed))
        if rate > 0 and total is not None and issued is not None and total >= issued:
            eta = int((total - issued) / rate)
    return ScanProgress(function, state, percent, eta, rate)


def _errors(value: object) -> str | None:
    count = _int(value, "error_count")
    if count is None:
        return None
    # The same sentence `zpool status` prints, so both parsers report the same text.
    return "No known data errors" if count == 0 else f"{count} data errors, use '-v' for a list"


def _pool(key: str, data: object, now: float | None) -> Pool:
    pool = _map(data, f"pool {key!r}")
    name = _text(pool.get("name"), "pool name") or key
    state = _text(pool.get("state"), "pool state")
    if not state:
        raise _fail(f"pool {name!r} has no state")
    status = _text(pool.get("status"), "status")
    sections = _flat(pool, name) if _is_flat(pool) else _nested(pool, name)
    return Pool(
        name=name,
        state=state,
        status=None if status in (None, "", "OK") else status,
        action=_text(pool.get("action"), "action") or None,
        see=_text(pool.get("moreinfo"), "moreinfo") or None,
        errors=_errors(pool.get("error_count")),
        scan=_scan(pool.get("scan_stats"), now),
        vdevs=tuple(sections["vdevs"]),
        logs=tuple(sections["logs"]),
        cache=tuple(sections["cache"]),
        spares=tuple(sections["spares"]),
        guid=_text(pool.get("pool_guid", pool.get("guid")), "guid"),
    )


def parse_zpool_status_json(text: str, now: float | None = None) -> tuple[Pool, ...]:
    """Every pool in `zpool status -j` output, mapped like :func:`parse_zpool_status`.

    ``now`` (seconds since the epoch, default the local clock) dates the scan's rate and
    ETA; pass the capture time when reading a saved file. Raises :class:`ZpoolParseError`,
    and nothing else, on output it cannot read.
    """
    if not text.strip() or text.strip().lower() in NO_POOLS_MESSAGES:
        return ()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        raise ZpoolParseError(f"not JSON: {exc.msg}", exc.lineno, line) from None
    except (RecursionError, ValueError) as exc:
        raise ZpoolParseError(f"not JSON: {exc}") from None
    pools = _map(_map(doc, "document").get("pools", {}), "pools")
    try:
        return tuple(_pool(str(k), v, now) for k, v in pools.items())
    except RecursionError:
        raise _fail("nested too deeply") from None
