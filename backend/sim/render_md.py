"""/proc/mdstat, `mdadm --detail`, `mdadm --detail --export` and `mdadm --examine`, as the
Linux kernel and mdadm 4.2 print them (0.90 metadata: no `super` token in mdstat)."""

from __future__ import annotations

import time

from backend.sim.progress import md_done_kib
from backend.sim.state import SimArray, SimMember, SimState


def ctime(t: float) -> str:
    """C ctime() without the newline, in UTC: "Fri Nov 27 06:00:00 2026"."""
    return (
        time.strftime("%a %b ", time.gmtime(t))
        + f"{time.gmtime(t).tm_mday:>2}"
        + time.strftime(" %H:%M:%S %Y", time.gmtime(t))
    )


def human_size(nbytes: int) -> str:
    """mdadm's human_size(): " (923.51 GiB 991.61 GB)", empty below 5000 KiB."""
    if nbytes < 5000 * 1024:
        return ""
    if nbytes < 2 * 1024**3:
        c_mib = (nbytes * 200 // (1 << 20) + 1) // 2
        c_mb = (nbytes // (1000000 // 200) + 1) // 2
        return f" ({c_mib // 100}.{c_mib % 100:02d} MiB {c_mb // 100}.{c_mb % 100:02d} MB)"
    c_gib = (nbytes * 200 // (1 << 30) + 1) // 2
    c_gb = (nbytes // (1000000000 // 200) + 1) // 2
    return f" ({c_gib // 100}.{c_gib % 100:02d} GiB {c_gb // 100}.{c_gb % 100:02d} GB)"


def _slots(arr: SimArray) -> str:
    held = {m.slot for m in arr.members if m.state == "active"}
    return "".join("U" if i in held else "_" for i in range(arr.raid_disks))


def _member_token(m: SimMember) -> str:
    suffix = {"faulty": "(F)", "spare": "(S)"}.get(m.state, "")
    return f"{m.device}[{m.desc_nr}]{suffix}"


def sync_line(arr: SimArray, now: float) -> str | None:
    """The progress line of a running resync/recovery, or None."""
    job = arr.sync
    if job is None:
        return None
    done = md_done_kib(job, now)
    per_mille = done * 1000 // max(1, job.total_kib)
    x = per_mille // 50
    bar = "[" + "=" * x + ">" + "." * (20 - x) + "]"
    remaining_s = (job.total_kib - done) / max(1, job.rate_kib_s)
    rt = int(remaining_s / 6)  # tenths of minutes
    return (
        f"      {bar}  {job.action} = {per_mille // 10:>3}.{per_mille % 10}% "
        f"({done}/{job.total_kib}) finish={rt // 10}.{rt % 10}min speed={job.rate_kib_s}K/sec"
    )


def render_mdstat(state: SimState, now: float) -> str:
    """The text of /proc/mdstat."""
    running = [a for a in state.arrays if a.running]
    levels = sorted({a.level for a in running if not a.inactive})
    out = ["Personalities : " + "".join(f"[{lv}] " for lv in levels)]
    for arr in running:
        tokens = " ".join(_member_token(m) for m in reversed(arr.members))
        if arr.inactive:
            # No personality yet: no level, no slots; 0.90 prints no "super" token.
            out += [f"{arr.name} : inactive {tokens}", f"      {arr.size_kib} blocks", "      "]
            continue
        out.append(f"{arr.name} : active {arr.level} {tokens}")
        in_sync = sum(1 for m in arr.members if m.state == "active")
        out.append(f"      {arr.size_kib} blocks [{arr.raid_disks}/{in_sync}] [{_slots(arr)}]")
        line = sync_line(arr, now)
        if line:
            out.append(line)
        out.append("      ")
    out.append("unused devices: <none>")
    return "\n".join(out) + "\n"


def _major_minor(state: SimState, dev: str) -> tuple[int, int]:
    found = state.partition(dev)
    if found is not None:
        disk, part = found
        return disk.major, disk.minor + part.number
    whole = state.disk(dev)
    if whole is not None:
        return whole.major, whole.minor
    return 0, 0


def _states(arr: SimArray) -> str:
    words = ["clean"]
    if "_" in _slots(arr):
        words.append("degraded")
    if arr.sync is not None:
        words.append("recovering" if arr.sync.action == "recovery" else "resyncing")
    return ", ".join(words) + " "


def _member_row(state: SimState, m: SimMember) -> str:
    major, minor = _major_minor(state, m.device)
    words = {
        "active": ["active", "sync"],
        "rebuilding": ["spare", "rebuilding"],
        "spare": ["spare"],
        "faulty": ["faulty"],
    }[m.state]
    rd = str(m.slot) if m.slot is not None and m.state in ("active", "rebuilding") else "-"
    return (
        f"{m.desc_nr:>8}{major:>8}{minor:>9}{rd:>9}      "
        + "".join(w + " " for w in words)
        + f"  /dev/{m.device}"
    )


def _render_inactive(state: SimState, arr: SimArray) -> str:
    """`mdadm --detail` of an assembled but inactive array."""
    lines = [
        f"/dev/{arr.name}:",
        f"           Version : {arr.metadata}",
        f"        Raid Level : {arr.level}",
        f"     Total Devices : {len(arr.members)}",
        f"   Preferred Minor : {arr.minor}",
        "       Persistence : Superblock is persistent",
        "",
        "             State : inactive",
        f"   Working Devices : {len(arr.members)}",
        "",
        f"              UUID : {arr.uuid} (local to host {state.system.hostname})",
        f"            Events : 0.{arr.events}",
        "",
        "    Number   Major   Minor   RaidDevice",
        "",
    ]
    for m in arr.members:
        major, minor = _major_minor(state, m.device)
        lines.append(f"{'-':>8}{major:>8}{minor:>9}{'-':>9}        /dev/{m.device}")
    return "\n".join(lines) + "\n"


def render_detail(state: SimState, arr: SimArray, now: float) -> str:
    """`mdadm --detail /dev/mdX` (mdadm 4.2)."""
    if arr.inactive:
        return _render_inactive(state, arr)
    size = human_size(arr.size_kib * 1024)
    active = sum(1 for m in arr.members if m.state == "active")
    failed = sum(1 for m in arr.members if m.state == "faulty")
    spare = sum(1 for m in arr.members if m.state in ("spare", "rebuilding"))
    lines = [
        f"/dev/{arr.name}:",
        f"           Version : {arr.metadata}",
        f"     Creation Time : {ctime(arr.creation_time)}",
        f"        Raid Level : {arr.level}",
        f"        Array Size : {arr.size_kib}{size}",
        f"     Used Dev Size : {arr.size_kib}{size}",
        f"      Raid Devices : {arr.raid_disks}",
        f"     Total Devices : {len(arr.members)}",
    ]
    if arr.metadata == "0.90":
        lines.append(f"   Preferred Minor : {arr.minor}")
    lines += [
        "       Persistence : Superblock is persistent",
        "",
        f"       Update Time : {ctime(arr.update_time)}",
        f"             State : {_states(arr)}",
        f"    Active Devices : {active}",
        f"   Working Devices : {len(arr.members) - failed}",
        f"    Failed Devices : {failed}",
        f"     Spare Devices : {spare}",
        "",
        "Consistency Policy : resync",
        "",
    ]
    if arr.sync is not None:
        pct = md_done_kib(arr.sync, now) * 100 // max(1, arr.sync.total_kib)
        label = "Rebuild Status" if arr.sync.action == "recovery" else " Resync Status"
        lines += [f"    {label} : {pct}% complete", ""]
    lines += [
        f"              UUID : {arr.uuid} (local to host {state.system.hostname})",
        f"            Events : 0.{arr.events}",
        "",
        "    Number   Major   Minor   RaidDevice State",
    ]
    by_slot = {m.slot: m for m in arr.members if m.state in ("active", "rebuilding")}
    for slot in range(arr.raid_disks):
        m = by_slot.get(slot)
        if m is None:
            lines.append(f"{'-':>8}{0:>8}{0:>9}{slot:>9}      removed")
        else:
            lines.append(_member_row(state, m))
    for m in arr.members:
        if m.state in ("faulty", "spare"):
            lines.append(_member_row(state, m))
    return "\n".join(lines) + "\n"


def render_export(arr: SimArray) -> str:
    """`mdadm --detail --export /dev/mdX` (mdadm 4.2: faulty and rebuilding are "spare")."""
    lines = [
        f"MD_LEVEL={arr.level}",
        f"MD_DEVICES={arr.raid_disks}",
        f"MD_METADATA={arr.metadata}",
        f"MD_UUID={arr.uuid}",
    ]
    for m in arr.members:
        role = str(m.slot) if m.state == "active" and m.slot is not None else "spare"
        key = f"MD_DEVICE_dev_{m.device}"
        lines += [f"{key}_ROLE={role}", f"{key}_DEV=/dev/{m.device}"]
    return "\n".join(lines) + "\n"


def render_examine(state: SimState, dev: str, arr: SimArray, role: int | None) -> str:
    """`mdadm --examine` of a member carrying a 0.90 superblock of `arr`."""
    size = human_size(arr.size_kib * 1024)
    major, minor = _major_minor(state, dev)
    this_nr = role if role is not None else 0
    active = sum(1 for m in arr.members if m.state == "active")
    lines = [
        f"/dev/{dev}:",
        "          Magic : a92b4efc",
        "        Version : 0.90.00",
        f"           UUID : {arr.uuid} (local to host {state.system.hostname})",
        f"  Creation Time : {ctime(arr.creation_time)}",
        f"     Raid Level : {arr.level}",
        f"  Used Dev Size : {arr.size_kib}{size}",
        f"     Array Size : {arr.size_kib}{size}",
        f"   Raid Devices : {arr.raid_disks}",
        f"  Total Devices : {len(arr.members)}",
        f"Preferred Minor : {arr.minor}",
        "",
        f"    Update Time : {ctime(arr.update_time)}",
        "          State : clean",
        f" Active Devices : {active}",
        f"Working Devices : {active}",
        " Failed Devices : 0",
        "  Spare Devices : 0",
        f"       Checksum : {(arr.events * 2654435761) & 0xFFFFFFFF:08x} - correct",
        f"         Events : {arr.events}",
        "",
        "",
        "      Number   Major   Minor   RaidDevice State",
        f"this  {this_nr:>4}{major:>8}{minor:>9}{this_nr:>9}      active sync   /dev/{dev}",
        "",
    ]
    for m in arr.members:
        if m.state == "active" and m.slot is not None:
            ma, mi = _major_minor(state, m.device)
            lines.append(
                f"{m.slot:>4}{m.slot:>6}{ma:>8}{mi:>9}{m.slot:>9}      active sync"
                f"   /dev/{m.device}"
            )
    return "\n".join(lines) + "\n"
