"""mdadm --detail / --export results -> :class:`~backend.model.MdArray`.

Split from :mod:`backend.parse.mdadm` (which re-exports both functions) to keep files
small. The arrays built here follow the conventions of :mod:`backend.parse.mdstat`, so the
inventory can use either source:

- ``metadata``: the ``Version`` (``"0.90"``, ``"1.2"``); containers and their members get the
  ``external:`` form /proc/mdstat prints (``external:imsm``, ``external:/md0/0``).
- ``state``: ``inactive`` for an inactive array and for a container (the kernel never runs a
  container, /proc/mdstat lists it as inactive), else ``active``.
- member ``slot``: the RaidDevice column (the real role; /proc/mdstat shows another number).
- member flags: ``faulty`` and ``spare`` from the state words, where ``spare`` means "holds no
  role" exactly like (S) in /proc/mdstat: mdadm prints ``spare rebuilding`` for a member that
  already has a role and is being rebuilt, and that member is not flagged spare (its state
  words still say it is not in sync). ``writemostly``/``journal``/``replacement`` map to the
  model's flag words.
- ``slots``: the ``[UU_]`` string rebuilt from the table (``U`` = a member in that role is in
  sync), for levels that have one in /proc/mdstat.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal, NoReturn

from backend.model import MdArray, MdMember, MemberFlag, SyncAction, SyncProgress, SyncState

if TYPE_CHECKING:
    from backend.parse.mdadm import MdDetail, MdExport

_WORD_FLAGS: dict[str, MemberFlag] = {
    "faulty": "faulty",
    "journal": "journal",
    "writemostly": "write-mostly",
    "replacement": "replacement",
}
_ROLE_FLAGS: dict[str, MemberFlag] = {"spare": "spare", "journal": "journal", "faulty": "faulty"}
_STATE_ACTIONS: dict[str, SyncAction] = {
    "recovering": "recovery",
    "resyncing": "resync",
    "reshaping": "reshape",
    "checking": "check",
}
_STATUS_FIELDS: dict[str, SyncAction] = {
    "Rebuild Status": "recovery",
    "Resync Status": "resync",
    "Reshape Status": "reshape",
    "Check Status": "check",
}
# Levels whose /proc/mdstat line carries a [UU_] string.
_LEVELS_WITH_SLOTS = {"raid1", "raid4", "raid5", "raid6", "raid10", "multipath"}
_VERSION = re.compile(r"^\d+\.\d+$")
_LEADING_INT = re.compile(r"^(\d+)\b")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%")


def _bad(message: str) -> NoReturn:
    # Imported here: mdadm.py imports this module, so a top-level import would be circular.
    from backend.parse.mdadm import MdadmParseError

    raise MdadmParseError(message)


def _int_field(value: str | None, label: str) -> int | None:
    """The leading integer of a value ("101376 (99.00 MiB 103.81 MB)" -> 101376)."""
    if value is None:
        return None
    m = _LEADING_INT.match(value)
    if m is None or len(m.group(1)) > 30:
        _bad(f"{label}: expected a number, got {value[:40]!r}")
    return int(m.group(1))


def _state_words(state: str) -> list[str]:
    """Split a State value into lower-case words without parentheses.

    "clean, degraded, recovering (DELAYED)" -> clean, degraded, recovering, delayed.
    mdadm >= 4.2 prints the sysfs array_state first ("readonly", "read-auto", "broken").
    """
    return [w.strip("()").lower() for part in state.split(",") for w in part.split()]


def _container_metadata(container: str, member: str | None) -> str:
    """``/dev/md0`` + member ``0`` -> ``external:/md0/0``, as /proc/mdstat names it."""
    # /proc/mdstat names the container by kernel name ("/md0"); a /dev/md/<name> path
    # cannot be mapped to that from this text alone, so it is kept as printed.
    base = container.removeprefix("/dev") if re.match(r"^/dev/md\d+$", container) else container
    return f"external:{base}/{member}" if member is not None else f"external:{base}"


def _sync_from(words: list[str], fields: dict[str, str | None]) -> SyncProgress | None:
    """The running/delayed/pending sync from the State words and a "<X> Status" field."""
    state: SyncState = "running"
    if "delayed" in words:
        state = "delayed"
    elif "pending" in words:
        state = "pending"
    for label, action in _STATUS_FIELDS.items():
        value = fields.get(label)
        if value is None:
            continue
        m = _PERCENT.match(value)
        if m is None:
            _bad(f"{label}: expected 'N% complete', got {value[:40]!r}")
        return SyncProgress(action=action, state=state, percent=float(m.group(1)))
    for word in words:
        if word in _STATE_ACTIONS:
            return SyncProgress(action=_STATE_ACTIONS[word], state=state)
    return None


def _slots(level: str | None, raid_disks: int | None, members: list[MdMember]) -> str | None:
    """The [UU_] string /proc/mdstat would print: U where a member of that role is in sync."""
    if level not in _LEVELS_WITH_SLOTS or raid_disks is None or raid_disks > 4096:
        return None
    in_sync = {m.slot for m in members if m.in_sync and m.slot is not None}
    return "".join("U" if i in in_sync else "_" for i in range(raid_disks))


def _mark_replacements(members: list[MdMember]) -> list[MdMember]:
    """Flag a rebuilding member that shares its role with an in-sync one as a replacement.

    mdadm --detail prints no "replacement" word (/proc/mdstat prints (R)), but a role holds
    two devices only while one replaces the other (``mdadm --replace``).
    """
    synced = {m.slot for m in members if m.slot is not None and m.in_sync}
    out: list[MdMember] = []
    for m in members:
        if m.slot in synced and "rebuilding" in m.state and "replacement" not in m.flags:
            m = MdMember(m.device, m.slot, (*m.flags, "replacement"), m.state)
        out.append(m)
    return out


def detail_to_array(d: MdDetail, name: str | None = None) -> MdArray:
    """The array that one ``mdadm --detail`` output describes.

    ``name`` defaults to the header device without ``/dev/`` ("md127"). Raises
    :class:`~backend.parse.mdadm.MdadmParseError` when a field that must be a number is not.
    """
    f = d.fields
    if name is None:
        if d.device is None:
            _bad("no array name: the '/dev/mdX:' line is missing and no name was given")
        name = d.device
    name = name.removeprefix("/dev/")
    level = f.get("Raid Level")
    words = _state_words(f.get("State") or "")
    state: Literal["active", "inactive"] = (
        "inactive" if "inactive" in words or level == "container" else "active"
    )
    ro_kind: str | None = None
    if "read-only" in words or "readonly" in words:
        ro_kind = "read-only"
    elif "auto-read-only" in words or "read-auto" in words:
        ro_kind = "auto-read-only"
    version = f.get("Version")
    metadata: str | None = None
    if version is not None:
        metadata = version if _VERSION.match(version) else f"external:{version}"
    elif f.get("Container") is not None:
        # "Container : /dev/md0, member 0"
        container, _, member = (f.get("Container") or "").partition(", member ")
        metadata = _container_metadata(container.strip(), member.strip() or None)
    members: list[MdMember] = []
    for dev in d.devices:
        if dev.path is None:
            continue  # a "removed" slot: no device behind it
        flags: list[MemberFlag] = [_WORD_FLAGS[w] for w in dev.state if w in _WORD_FLAGS]
        if "spare" in dev.state and "rebuilding" not in dev.state and "faulty" not in dev.state:
            flags.append("spare")
        slot = (
            int(dev.raid_device)
            if dev.raid_device.isdigit() and len(dev.raid_device) < 10
            else None
        )
        members.append(
            MdMember(
                device=dev.path.removeprefix("/dev/"),
                slot=slot,
                flags=tuple(flags),
                state=dev.state,
            )
        )
    members = _mark_replacements(members)
    raid_disks = _int_field(f.get("Raid Devices"), "Raid Devices")
    uuid = f.get("UUID")
    return MdArray(
        name=name,
        state=state,
        read_only=ro_kind is not None,
        read_only_kind=ro_kind,
        level=level,
        size_kib=_int_field(f.get("Array Size"), "Array Size"),
        raid_disks=raid_disks,
        active_disks=_int_field(f.get("Active Devices"), "Active Devices"),
        slots=_slots(level, raid_disks, members),
        metadata=metadata,
        uuid=uuid.split()[0] if uuid else None,
        members=tuple(members),
        sync=_sync_from(words, {label: f.get(label) for label in _STATUS_FIELDS}),
        bitmap=f.get("Intent Bitmap"),
    )


def export_to_array(e: MdExport, name: str) -> MdArray:
    """The array that one ``mdadm --detail --export`` output describes.

    The export has no sizes, no active count and no sync state; those stay None. A ROLE of
    ``spare`` becomes the ``spare`` flag, although mdadm prints it for faulty members too.
    """
    v = e.values
    level = v.get("MD_LEVEL")
    state_word = v.get("MD_STATE")  # printed by some mdadm versions
    state: Literal["active", "inactive"] = (
        "inactive" if level == "container" or state_word == "inactive" else "active"
    )
    meta = v.get("MD_METADATA")
    metadata: str | None = None
    if meta is not None:
        metadata = meta if _VERSION.match(meta) else f"external:{meta}"
    elif v.get("MD_CONTAINER") is not None:
        metadata = _container_metadata(v.get("MD_CONTAINER") or "", v.get("MD_MEMBER"))
    members: list[MdMember] = []
    for dev, role, _path in e.devices:
        slot: int | None = None
        flags: tuple[MemberFlag, ...] = ()
        if role is not None and role.isdigit() and len(role) < 10:
            slot = int(role)
        elif role is not None and role in _ROLE_FLAGS:
            flags = (_ROLE_FLAGS[role],)
        elif role is not None:
            _bad(f"MD_DEVICE role {role[:20]!r} is neither a number nor spare/journal/faulty")
        members.append(MdMember(device=dev, slot=slot, flags=flags))
    return MdArray(
        name=name.removeprefix("/dev/"),
        state=state,
        level=level,
        # For a container MD_DEVICES counts its disks, not roles.
        raid_disks=None if level == "container" else _int_field(v.get("MD_DEVICES"), "MD_DEVICES"),
        metadata=metadata,
        uuid=v.get("MD_UUID"),
        members=tuple(members),
    )
