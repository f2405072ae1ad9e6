"""The md parsers' results seen the way the corpus sources' own tests see them.

Several corpus samples carry their source's expectations in that source's terms: procfs's
MDStat structs, node_exporter's metric lines, check_raid's Nagios messages, pymdstat's dicts,
jc's JSON. These helpers translate *our* model into those terms (reproducing each tool's
documented conventions, e.g. procfs reports DisksTotal 0 for inactive arrays) so the tests
can compare against the source expectations verbatim.
"""

from __future__ import annotations

import re
from typing import Any

from backend.model import MdArray

_PROCFS_ACTIVITY = {
    "recovery": "recovering",
    "resync": "resyncing",
    "check": "checking",
    "repair": "checking",
    "reshape": "reshaping",
}


def procfs_view(arr: MdArray) -> dict[str, Any]:
    """prometheus/procfs ``MDStat`` for one array (also telegraf's fields, same rules)."""
    size = arr.size_kib or 0
    sync = arr.sync
    if arr.state == "inactive":
        activity = "inactive"
    elif sync is not None:
        # procfs reads resync=DELAYED/PENDING as "resyncing" (no numbers).
        activity = _PROCFS_ACTIVITY[sync.action] if sync.state == "running" else "resyncing"
    else:
        activity = "active"
    if arr.state == "inactive":
        active = total = 0
    elif arr.raid_disks is None:
        # raid0/linear print no [n/m]: procfs counts the members.
        active = total = len(arr.members)
    else:
        active, total = arr.active_disks or 0, arr.raid_disks
    synced, to_sync, pct, finish, speed = size, size, 0.0, 0.0, 0.0
    if sync is not None and sync.state != "running":
        synced = 0
    elif sync is not None:
        synced = sync.done_kib or 0
        to_sync = sync.total_kib or 0
        pct = sync.percent or 0.0
        finish = (sync.eta_s or 0) / 60
        speed = float(sync.speed_kib_s or 0)
    devices = []
    for m in arr.members:
        dev: dict[str, Any] = {"Name": m.device, "DescriptorIndex": m.slot}
        if "faulty" in m.flags:
            dev["Faulty"] = True
        if "spare" in m.flags:
            dev["Spare"] = True
        devices.append(dev)
    return {
        "Name": arr.name,
        "Type": arr.level or "unknown",
        "ActivityState": activity,
        "DisksActive": active,
        "DisksTotal": total,
        "DisksFailed": sum("faulty" in m.flags for m in arr.members),
        "DisksDown": (arr.slots or "").count("_"),
        "DisksSpare": sum("spare" in m.flags for m in arr.members),
        "BlocksTotal": size,
        "BlocksSynced": synced,
        "BlocksToBeSynced": to_sync,
        "BlocksSyncedPct": pct,
        "BlocksSyncedFinishTime": finish,
        "BlocksSyncedSpeed": speed,
        "Devices": devices,
    }


def node_exporter_metrics(arrays: tuple[MdArray, ...]) -> dict[str, float]:
    """node_exporter's ``node_md_*`` metrics (the mdstat-derived ones) for all arrays."""
    out: dict[str, float] = {}
    for arr in arrays:
        p = procfs_view(arr)
        dev = f'device="{arr.name}"'
        out[f"node_md_blocks{{{dev}}}"] = p["BlocksTotal"]
        out[f"node_md_blocks_synced{{{dev}}}"] = p["BlocksSynced"]
        out[f'node_md_disks{{{dev},state="active"}}'] = p["DisksActive"]
        out[f'node_md_disks{{{dev},state="failed"}}'] = p["DisksFailed"]
        out[f'node_md_disks{{{dev},state="spare"}}'] = p["DisksSpare"]
        out[f"node_md_disks_required{{{dev}}}"] = p["DisksTotal"]
        # node_exporter folds reshaping into "recovering" and calls resyncing "resync".
        state = {"reshaping": "recovering", "resyncing": "resync", "checking": "check"}.get(
            p["ActivityState"], p["ActivityState"]
        )
        for s in ("active", "check", "inactive", "recovering", "resync"):
            out[f'node_md_state{{{dev},state="{s}"}}'] = 1.0 if s == state else 0.0
    return out


def check_raid_size(kib: int) -> str:
    """check_raid's human size of an array (``format_bytes`` of blocks * 1024)."""
    value = float(kib * 1024)
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    return f"{value:.2f} {units[i]}"


_CR_HEAD = re.compile(r"(?P<name>md\w+)\((?P<size>[\d.]+ \w+)(?: (?P<level>\w+))?\):")
_CR_PROGRESS = re.compile(
    r"\((?P<action>\w+):(?P<pct>[\d.]+)% (?P<speed>\d+)K/sec ETA: (?P<eta>[\d.]+)min\)"
)


def check_raid_problems(message: str, arrays: tuple[MdArray, ...]) -> list[str]:
    """What in a check_raid message disagrees with the parsed arrays (empty: all agree).

    Checked per ``mdN(size level):body`` entry: the array exists, size and level match; a
    ``[U_]`` string in the body is the array's; ``(action:P% SK/sec ETA: Mmin)`` matches the
    sync; ``(x=DELAYED)`` means a delayed sync (check_raid prints the previous array's action
    word there, so only the state is compared); ``F:a,b:`` lists exactly the faulty members;
    ``hot-spare failure:x:`` names a faulty member; ``has only N spares`` counts (S) members.
    """
    by_name = {a.name: a for a in arrays}
    heads = list(_CR_HEAD.finditer(message))
    problems: list[str] = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(message)
        body = message[head.end() : end]
        arr = by_name.get(head.group("name"))
        if arr is None:
            problems.append(f"{head.group('name')} not parsed")
            continue
        if check_raid_size(arr.size_kib or 0) != head.group("size"):
            problems.append(f"{arr.name}: size {check_raid_size(arr.size_kib or 0)}")
        if head.group("level") != arr.level:
            problems.append(f"{arr.name}: level {arr.level}")
        # A spare-count complaint replaces the [U_] string in check_raid's message.
        if arr.slots and arr.slots not in body and "spares" not in body:
            problems.append(f"{arr.name}: slots {arr.slots} not in {body!r}")
        faulty = sorted(m.device for m in arr.members if "faulty" in m.flags)
        if (fm := re.match(r"F:([^:]*):", body)) is not None:
            listed = sorted(x for x in fm.group(1).split(",") if x)
            if listed != faulty or "_" not in (arr.slots or ""):
                problems.append(f"{arr.name}: faulty {faulty} vs {listed}")
        if (hm := re.match(r"hot-spare failure:([^:]*):", body)) is not None and hm.group(
            1
        ) not in faulty:
            problems.append(f"{arr.name}: {hm.group(1)} not faulty")
        if (sm := re.search(r"has only (\d+) spares", body)) is not None:
            spares = sum("spare" in m.flags for m in arr.members)
            if spares != int(sm.group(1)):
                problems.append(f"{arr.name}: {spares} spares")
        if (pm := _CR_PROGRESS.search(body)) is not None:
            s = arr.sync
            if s is None or (
                s.action,
                s.percent,
                s.speed_kib_s,
                s.eta_s,
            ) != (
                pm.group("action"),
                float(pm.group("pct")),
                int(pm.group("speed")),
                round(float(pm.group("eta")) * 60),
            ):
                problems.append(f"{arr.name}: sync {s} vs {pm.group(0)}")
        elif "=DELAYED)" in body and (arr.sync is None or arr.sync.state != "delayed"):
            problems.append(f"{arr.name}: not delayed")
        elif "(" not in body and arr.sync is not None:
            problems.append(f"{arr.name}: unexpected sync {arr.sync}")
    return problems


def pymdstat_view(arr: MdArray) -> dict[str, Any]:
    """pymdstat's ``get_stats()['arrays'][name]`` dict for one array."""
    return {
        "status": arr.state,
        "available": None if arr.raid_disks is None else str(arr.raid_disks),
        "used": None if arr.active_disks is None else str(arr.active_disks),
        "components": {m.device: str(m.slot) for m in arr.members},
        "config": arr.slots,
        "type": arr.level,
    }
